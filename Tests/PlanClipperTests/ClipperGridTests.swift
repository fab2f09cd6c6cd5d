import PlanCheckTestSupport
import Foundation
import Testing
import PlanModel
import PlanGeometry
@testable import PlanClipper

/// Clipper's results checked against GEOS (OverlayNG, full precision) as the oracle: the same
/// area within what the grid can move (every vertex moves at most a cell, so the area at most
/// perimeter × cell), and every result valid by `GEOSisValid_r`.
@Suite("Clipper kernel")
struct ClipperGridTests {
    let grid = ClipperGrid(origin: Position(x: 500_000, y: 4_300_000), cellsPerUnit: ClipperGrid.cellsPerMetre)

    func ring(_ points: [(Double, Double)]) -> PositionList {
        let ring = points.map { Position(x: $0.0, y: $0.1) }
        return ring + [ring[0]]
    }

    func square(_ x: Double, _ y: Double, _ size: Double, holes: [PositionList] = []) -> PolygonRings {
        [ring([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])] + holes
    }

    func value(_ polygons: [PolygonRings]) -> GeometryValue {
        polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons)
    }

    func perimeter(_ polygons: [PolygonRings]) -> Double {
        polygons.joined().reduce(0) { sum, ring in
            zip(ring, ring.dropFirst()).reduce(sum) { $0 + hypot($1.1.x - $1.0.x, $1.1.y - $1.0.y) }
        }
    }

    /// Runs `operation` with Clipper and with GEOS; checks validity and the areas.
    @discardableResult
    func compare(
        _ operation: ClipOperation, _ a: [PolygonRings], _ b: [[PolygonRings]], grid: ClipperGrid? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (clipper: [PolygonRings], area: Double) {
        let grid = grid ?? self.grid
        var clip = ClipperRings()
        for polygon in b { clip.append(try grid.rings(of: polygon)) }
        let result = try grid.execute(operation, subject: try grid.rings(of: a), clip: clip)
        let context = try GeometryContext()
        let aNative = try Geometry(value(a), context: context)
        let bNative = try Geometry.unaryUnion(of: b.map { try Geometry(value($0), context: context) }, context: context)
        let oracle = switch operation {
        case .intersection: try aNative.intersection(with: bNative)
        case .difference: try aNative.difference(with: bNative)
        case .union: try aNative.union(with: bNative)
        }
        let expected = try oracle.area()
        let tolerance = perimeter(try oracle.value().polygons) * grid.cellSize + 1e-12 * expected
        guard !result.isEmpty else {
            #expect(expected <= tolerance, "Clipper gave nothing, GEOS \(expected)", sourceLocation: sourceLocation)
            return ([], 0)
        }
        let native = try Geometry(value(result), context: context)
        let validity = try native.validity()
        #expect(validity.isValid, "Clipper result invalid: \(validity.reason)", sourceLocation: sourceLocation)
        let area = try native.area()
        #expect(abs(area - expected) <= tolerance, "Clipper \(area), GEOS \(expected)", sourceLocation: sourceLocation)
        return (result, area)
    }

    @Test("Overlapping squares: intersection, difference and union agree with GEOS")
    func squares() throws {
        let a = [square(500_010.5, 4_300_020.25, 100)], b = [[square(500_060.125, 4_300_070.375, 100)]]
        #expect(abs(try compare(.intersection, a, b).area - 50.375 * 49.875) < 1e-6)
        try compare(.difference, a, b)
        try compare(.union, a, b)
    }

    @Test("A polygon with a hole keeps its hole, and an island inside the hole becomes its own polygon")
    func holesAndIslands() throws {
        let hole = ring([(500_030, 4_300_030), (500_030, 4_300_070), (500_070, 4_300_070), (500_070, 4_300_030)])
        let a = [square(500_000, 4_300_000, 100, holes: [hole])]
        let (pieces, _) = try compare(.intersection, a, [[square(500_020, 4_300_020, 60)]])
        #expect(pieces.count == 1 && pieces[0].count == 2, "a ring around the hole: shell plus one hole")
        // b = a square with a hole, with an island in the hole from a second b polygon.
        let island = square(500_045, 4_300_045, 10)
        let (parts, _) = try compare(.intersection, [square(500_000, 4_300_000, 100)], [a, [island]])
        #expect(parts.count == 2, "the ring-shaped part and the island")
        #expect(parts.contains { $0.count == 2 } && parts.contains { $0.count == 1 })
    }

    @Test("Multipolygons on both sides")
    func multipolygons() throws {
        let a = [square(500_000, 4_300_000, 10), square(500_020, 4_300_000, 10), square(500_040, 4_300_000, 10)]
        let b = [[square(500_005, 4_300_005, 30), square(500_045, 4_300_002, 3)]]
        let (pieces, area) = try compare(.intersection, a, b)
        #expect(pieces.count == 3)
        #expect(abs(area - (25 + 50 + 9)) < 1e-6)
        try compare(.difference, a, b)
    }

    @Test("Touching features give no area; identical ones give the whole feature")
    func touchingAndIdentical() throws {
        let a = [square(500_000.3, 4_300_000.7, 10)]
        #expect(try compare(.intersection, a, [[square(500_010.3, 4_300_000.7, 10)]]).clipper.isEmpty, "edge contact")
        #expect(try compare(.intersection, a, [[square(500_010.3, 4_300_010.7, 10)]]).clipper.isEmpty, "corner contact")
        #expect(try compare(.intersection, a, [a]).area == 100)
        #expect(try compare(.difference, a, [a]).clipper.isEmpty)
    }

    @Test("`a` minus overlapping `b`s in one Execute counts the overlap once (non-zero fill)")
    func outsideOfOverlappingCover() throws {
        let a = [square(500_000, 4_300_000, 100)]
        let b = [[square(499_990, 4_300_010, 50)], [square(500_020, 4_300_020, 50)], [square(500_020, 4_300_020, 50)]]
        try compare(.difference, a, b)
        // Clockwise input rings are reoriented, so fill rules see consistent windings.
        let clockwise: [[PolygonRings]] = [[[Array(square(500_020, 4_300_020, 50)[0].reversed())]]]
        try compare(.difference, a, b + clockwise)
    }

    @Test("A sub-micrometre spike collapses on the grid and the result stays valid")
    func spikes() throws {
        let spiky: PolygonRings = [ring([
            (500_000, 4_300_000), (500_010, 4_300_000), (500_010, 4_300_005),
            (500_030, 4_300_005.0000001), (500_010, 4_300_005.0000002),  // 0.2 µm wide, 20 m long
            (500_010, 4_300_010), (500_000, 4_300_010),
        ])]
        let context = try GeometryContext()
        #expect(try Geometry(.polygon(spiky), context: context).validity().isValid, "the input is valid for GEOS")
        // The spike's area (2e-6 m²) is far below the grid's reach on the total.
        try compare(.intersection, [spiky], [[square(499_995, 4_299_995, 50)]])
        try compare(.difference, [spiky], [[square(500_005, 4_300_002, 3)]])
    }

    @Test("Lon/lat layers use a 1e-11 degree grid")
    func lonLat() throws {
        let grid = ClipperGrid(metresPerUnit: nil)
        #expect(grid.origin == Position(x: 0, y: 0) && grid.cellSize == 1e-11)
        let a = [square(121.512345678, 38.901234567, 0.01)], b = [[square(121.517, 38.905, 0.01)]]
        try compare(.intersection, a, b, grid: grid)
        try compare(.difference, a, b, grid: grid)
    }

    @Test("Random polygons: Clipper and GEOS agree on area, every result valid")
    func randomStars() throws {
        var random = SeededGenerator(seed: 14)
        for _ in 0..<200 {
            let a = [star(&random)], b = [[star(&random)], [star(&random)]]
            try compare(.intersection, a, b)
            try compare(.difference, a, b)
        }
    }

    @Test("Edges beyond the result's box are culled without changing it: combs, a U, a ring around the box, a far polygon")
    func cullingBeyondTheBox() throws {
        // Whole-metre axis-parallel shapes are exact on the grid, so Clipper (whose inputs lose
        // the edges beyond the box) must give GEOS's area to rounding, not to the grid's reach.
        func exact(_ operation: ClipOperation, _ a: [PolygonRings], _ b: [[PolygonRings]], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let (pieces, area) = try compare(operation, a, b, sourceLocation: sourceLocation)
            let context = try GeometryContext()
            let aNative = try Geometry(value(a), context: context)
            let bNative = try Geometry.unaryUnion(of: b.map { try Geometry(value($0), context: context) }, context: context)
            let expected = try (operation == .intersection ? aNative.intersection(with: bNative) : aNative.difference(with: bNative)).area()
            #expect(abs(area - expected) <= 1e-9, "Clipper \(area) (\(pieces.count) pieces), GEOS \(expected)", sourceLocation: sourceLocation)
        }
        let x = 500_000.0, y = 4_300_000.0
        // A comb of 20 teeth 40 m tall; the clip covers three of them.
        var comb: [(Double, Double)] = [(x, y), (x + 200, y), (x + 200, y + 10)]
        for tooth in (0..<20).reversed() {
            let left = x + Double(tooth) * 10
            comb += [(left + 5, y + 10), (left + 5, y + 50), (left, y + 50), (left, y + 10)]
        }
        let combA = [ring(comb)]
        try exact(.intersection, [combA], [[square(x + 92, y + 5, 26)]])
        try exact(.difference, [square(x + 92, y + 5, 26)], [[combA]])
        // A U whose arms leave the clip's box above and below, cut across by a long bar.
        let u = [ring([(x, y), (x + 100, y), (x + 100, y + 100), (x + 90, y + 100), (x + 90, y + 10), (x + 10, y + 10), (x + 10, y + 100), (x, y + 100)])]
        let bar = [ring([(x - 50, y + 40), (x + 150, y + 40), (x + 150, y + 60), (x - 50, y + 60)])]
        try exact(.intersection, [u], [[bar]])
        try exact(.difference, [u], [[bar]])
        // A square with a hole around `a`: every vertex of the clip lies beyond `a`'s box, on
        // different sides, and the hole must still let `a` through.
        let frame = square(x - 100, y - 100, 300, holes: [ring([(x - 20, y - 20), (x - 20, y + 120), (x + 120, y + 120), (x + 120, y - 20)])])
        try exact(.difference, [square(x, y, 100)], [[frame]])
        try exact(.intersection, [square(x, y, 100)], [[frame]])
        try exact(.difference, [square(x - 50, y + 30, 40)], [[frame]])
        // A clip polygon entirely to one side of `a`, beside one that overlaps it.
        try exact(.difference, [square(x, y, 100)], [[square(x + 300, y, 100)], [square(x + 50, y + 50, 100)]])
    }

    @Test("An empty intersection is called certainly disjoint only for inputs GEOS finds disjoint")
    func certainlyDisjoint() throws {
        let context = try GeometryContext()
        /// Clipper's verdict on `a` ∩ `b`, checked against GEOS's exact `intersects`.
        func verdict(_ a: PolygonRings, _ b: PolygonRings, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
            let result = try grid.executeChecked(.intersection, subject: try grid.rings(of: [a]), clip: try grid.rings(of: [b]))
            let meet = try Geometry(.polygon(a), context: context).intersects(Geometry(.polygon(b), context: context))
            if result.isCertainlyDisjoint {
                #expect(!meet && result.polygons.isEmpty, "called disjoint, but GEOS finds they meet", sourceLocation: sourceLocation)
            }
            return result.isCertainlyDisjoint
        }
        let x = 500_000.0, y = 4_300_000.0
        let a = square(x, y, 100)
        #expect(try verdict(a, square(x + 300, y, 100)), "far apart")
        #expect(try verdict(a, square(x + 100.5, y + 100.5, 50)), "diagonal neighbours, envelopes apart by 0.5 m")
        // Envelopes overlapping, polygons apart: a triangle beside the square's cut corner.
        let cut = [ring([(x, y), (x + 100, y), (x + 100, y + 60), (x + 60, y + 100), (x, y + 100)])]
        #expect(try verdict(cut, [ring([(x + 100, y + 80), (x + 100, y + 100), (x + 80, y + 100)])]), "beside the cut corner")
        #expect(try !verdict(a, square(x + 100, y, 100)), "edge contact is not disjoint")
        #expect(try !verdict(a, square(x + 100, y + 100, 100)), "corner contact is not disjoint")
        #expect(try !verdict(a, square(x + 100.0000005, y, 100)), "0.5 µm apart is too close to call")
        // Inside a hole, with the hole's edges far away: disjoint (a polygon in a hole does not meet it).
        let framed = square(x - 100, y - 100, 300, holes: [ring([(x - 20, y - 20), (x - 20, y + 120), (x + 120, y + 120), (x + 120, y - 20)])])
        #expect(try verdict(a, framed), "inside the hole")
        // A sliver far thinner than a cell inside `a`: no area on the grid, but it meets `a`.
        let sliver = [ring([(x + 50, y + 50), (x + 60, y + 50), (x + 60, y + 50.0000001)])]
        #expect(try !verdict(a, sliver), "a sub-cell sliver inside a is not disjoint")
        var random = SeededGenerator(seed: 41)
        var called = 0
        for _ in 0..<400 where try verdict(star(&random), star(&random)) { called += 1 }
        #expect(called > 0, "some random pairs are called disjoint")
    }

    @Test("A coordinate off the 64-bit grid is an error, not a wrong answer")
    func outOfRange() throws {
        #expect(throws: ClipperError.self) { try grid.rings(of: [square(1e14, 0, 10)]) }
        #expect(throws: ClipperError.self) { try grid.rings(of: [[ring([(0, 0), (.nan, 1), (1, 1)])]]) }
        #expect(ClipperError.coordinateOutOfRange(x: 1, y: 2).exitStatus == .dataError)
        #expect(ClipperError.library(message: "x").exitStatus == .software)
    }

    /// A star-shaped (so simple, valid) polygon of 5 to 40 points around a random centre.
    func star(_ random: inout SeededGenerator) -> PolygonRings {
        let cx = 500_000 + Double(random.next() % 100_000) / 1000, cy = 4_300_000 + Double(random.next() % 100_000) / 1000
        let n = 5 + Int(random.next() % 36)
        var points: [(Double, Double)] = []
        for i in 0..<n {
            let angle = Double(i) / Double(n) * 2 * .pi
            let radius = 5 + Double(random.next() % 30_000) / 1000
            points.append((cx + radius * cos(angle), cy + radius * sin(angle)))
        }
        return [ring(points)]
    }
}
