import PlanCheckTestSupport
import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Spatial index and prepared predicates")
struct IndexAndPredicateTests {
    static func randomBoxes(_ n: Int, seed: UInt64) -> [Envelope] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in
            let x = Double.random(in: 0..<1000, using: &rng), y = Double.random(in: 0..<1000, using: &rng)
            // Some boxes are degenerate (zero width or height) to exercise points and lines.
            let w = Bool.random(using: &rng) ? Double.random(in: 0..<50, using: &rng) : 0
            let h = Double.random(in: 0..<50, using: &rng)
            return Envelope(minX: x, minY: y, maxX: x + w, maxY: y + h)
        }
    }

    @Test("STRtree query equals a brute-force envelope scan", arguments: [1 as UInt64, 2, 3])
    func strtreeMatchesBruteForce(seed: UInt64) throws {
        let context = try GeometryContext()
        let items = Self.randomBoxes(2000, seed: seed)
        let index = try SpatialIndex(envelopes: items, context: context)
        #expect(index.count == 2000)
        var totalHits = 0
        for query in Self.randomBoxes(300, seed: seed &+ 1000) {
            let expected = items.indices.filter { items[$0].intersects(query) }
            let got = try index.query(query)
            #expect(got == expected)
            totalHits += got.count
        }
        #expect(totalHits > 0, "the test must exercise real hits")
    }

    @Test("Index over geometries: query by geometry, empty items never returned")
    func geometryIndex() throws {
        let context = try GeometryContext()
        let geometries = try [square(0, 0, 10), .polygon([]), square(20, 20, 5), .lineString([Position(9, 9), Position(30, 9)])]
            .map { try Geometry($0, context: context) }
        let index = try SpatialIndex(geometries: geometries, context: context)
        #expect(try index.query(Geometry(.point(Position(5, 5)), context: context)) == [0])
        #expect(try index.query(Envelope(minX: -100, minY: -100, maxX: 100, maxY: 100)) == [0, 2, 3])
        #expect(try index.query(Geometry(square(8, 8, 13), context: context)) == [0, 2, 3])
        #expect(try index.query(Envelope.empty) == [])
        #expect(try index.query(Envelope(minX: 500, minY: 500, maxX: 501, maxY: 501)) == [])
        // Repeated queries give the same answer (the tree was built on the first one).
        #expect(try index.query(Envelope(minX: 19, minY: 19, maxX: 21, maxY: 21)) == [2])
        #expect(try index.query(Envelope(minX: 19, minY: 19, maxX: 21, maxY: 21)) == [2])
    }

    @Test("Prepared predicates agree with unprepared ones on random squares")
    func preparedAgree() throws {
        let context = try GeometryContext()
        var rng = SeededGenerator(seed: 42)
        let zone = try Geometry(.polygon([[Position(10, 10), Position(60, 5), Position(70, 60), Position(30, 80),
                                           Position(5, 50), Position(10, 10)], squareRing(30, 30, 10)]), context: context)
        let prepared = try zone.prepared()
        var counts = (intersects: 0, contains: 0, properly: 0, covers: 0, coveredBy: 0, disjoint: 0)
        var candidates: [Geometry] = try (0..<400).map { _ in
            let x = Double.random(in: -10..<90, using: &rng), y = Double.random(in: -10..<90, using: &rng)
            return try Geometry(square(x.rounded(), y.rounded(), Double(Int.random(in: 1...20, using: &rng))), context: context)
        }
        // Edge cases: the zone itself, a square touching the hole, a huge cover.
        candidates += [try zone.clone(), try Geometry(square(30, 30, 10), context: context),
                       try Geometry(square(-100, -100, 300), context: context)]
        for c in candidates {
            let i = try prepared.intersects(c), d = try prepared.disjoint(c)
            #expect(i == (try zone.intersects(c)))
            #expect(d == (try zone.disjoint(c)))
            #expect(i != d)
            let contains = try prepared.contains(c), covers = try prepared.covers(c)
            #expect(contains == (try zone.contains(c)))
            #expect(covers == (try zone.covers(c)))
            let coveredBy = try prepared.coveredBy(c)
            #expect(coveredBy == (try zone.coveredBy(c)))
            let properly = try prepared.containsProperly(c)
            #expect(properly == (try zone.relates(c, pattern: "T**FF*FF*")))
            if i { counts.intersects += 1 }
            if contains { counts.contains += 1 }
            if properly { counts.properly += 1 }
            if covers { counts.covers += 1 }
            if coveredBy { counts.coveredBy += 1 }
            if d { counts.disjoint += 1 }
        }
        // Every predicate was both true and false at least once.
        #expect(counts.intersects > 0 && counts.disjoint > 0)
        #expect(counts.contains > 0 && counts.properly > 0 && counts.covers > 0 && counts.coveredBy > 0)
        #expect(counts.contains < candidates.count)
        #expect(prepared.base === zone)
    }
}
