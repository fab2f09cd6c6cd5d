import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Overlay")
struct OverlayTests {
    @Test("Intersection, difference and union of two overlapping squares")
    func squares() throws {
        let context = try GeometryContext()
        let a = try Geometry(square(0, 0, 10), context: context)
        let b = try Geometry(square(5, 5, 10), context: context)
        #expect(try a.intersection(with: b).area() == 25)
        #expect(try a.difference(with: b).area() == 75)
        #expect(try b.difference(with: a).area() == 75)
        #expect(try a.union(with: b).area() == 175)
        #expect(try a.intersection(with: b).envelope() == Envelope(minX: 5, minY: 5, maxX: 10, maxY: 10))
        let far = try Geometry(square(100, 100, 1), context: context)
        #expect(try a.intersection(with: far).isEmpty())
        #expect(try a.difference(with: far).area() == 100)
        #expect(try Geometry.unaryUnion(of: [a, b, far], context: context).area() == 176)
    }

    @Test("With gridSize every output coordinate lies on the grid")
    func gridSnapping() throws {
        let context = try GeometryContext()
        let a = try Geometry(.polygon([[Position(0.123, 0.456), Position(10.789, 0.111), Position(10.555, 10.333),
                                        Position(0.222, 10.987), Position(0.123, 0.456)]]), context: context)
        let b = try Geometry(square(5.0501, 5.0499, 10.0003), context: context)
        let grid = 0.25
        let results = [
            try a.intersection(with: b, gridSize: grid), try a.difference(with: b, gridSize: grid),
            try a.union(with: b, gridSize: grid), try a.unaryUnion(gridSize: grid),
            try Geometry.collection(of: [a], as: .multiPolygon, context: context).unaryUnion(gridSize: grid),
            try Geometry.unaryUnion(of: [a, b], gridSize: grid, context: context),
            try Geometry(.lineString([Position(0.1, 0.1), Position(5.3, 5.3)]), context: context).unaryUnion(gridSize: grid),
        ]
        for r in results {
            #expect(try !r.isEmpty())
            var offGrid = 0
            try r.value().forEachPosition { p in
                for c in [p.x, p.y] where abs((c / grid).rounded() * grid - c) > 1e-9 { offGrid += 1 }
            }
            #expect(offGrid == 0, "\(r)")
        }
        // The unsnapped intersection is not on the grid.
        var unsnappedOff = 0
        try a.intersection(with: b).value().forEachPosition { p in
            if abs((p.x / grid).rounded() * grid - p.x) > 1e-9 { unsnappedOff += 1 }
        }
        #expect(unsnappedOff > 0)
    }

    @Test("Coverage union of adjacent squares is one square")
    func coverageUnion() throws {
        let context = try GeometryContext()
        let squares = try (0..<3).flatMap { i in
            try (0..<3).map { j in try Geometry(square(Double(i) * 10, Double(j) * 10, 10), context: context) }
        }
        let union = try Geometry.coverageUnion(of: squares, context: context)
        #expect(try union.typeName() == "Polygon")
        #expect(try union.area() == 900)
        #expect(try union.envelope() == Envelope(minX: 0, minY: 0, maxX: 30, maxY: 30))
        #expect(try union.topologicallyEquals(Geometry(square(0, 0, 30), context: context)))

        let multi = try Geometry(.multiPolygon([[squareRing(0, 0, 1)], [squareRing(1, 0, 1)]]), context: context)
        let two = try multi.coverageUnion()
        #expect(try two.area() == 2)
        #expect(try two.value() .polygons.count == 1)
    }
}
