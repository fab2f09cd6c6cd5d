import Testing
import PlanModel
@testable import PlanGeometry

/// `EnvelopeTree` (plain Swift, shared by the overlay's workers) must answer exactly as the GEOS
/// STRtree (`SpatialIndex`) it replaced in the rule evaluator, and as a brute-force scan.
@Suite("Envelope tree")
struct EnvelopeTreeTests {
    @Test("same answers as GEOS's STRtree and a scan", arguments: [1 as UInt64, 2, 3])
    func matchesGEOSAndScan(seed: UInt64) throws {
        let context = try GeometryContext()
        var items = IndexAndPredicateTests.randomBoxes(3000, seed: seed)
        items[7] = .empty  // counted, never returned
        items[8] = items[9]  // identical boxes both returned
        let tree = EnvelopeTree(envelopes: items)
        let geos = try SpatialIndex(envelopes: items, context: context)
        #expect(tree.count == 3000)
        var hits = 0
        for query in IndexAndPredicateTests.randomBoxes(400, seed: seed &+ 77) + [items[9], items[3]] {
            let scan = items.indices.filter { !items[$0].isEmpty && items[$0].intersects(query) }
            let got = tree.query(query)
            #expect(got == scan)
            #expect(got == (try geos.query(query)))
            hits += got.count
        }
        #expect(hits > 400)
        // Touching boxes count; an empty query finds nothing.
        let touching = Envelope(minX: items[3].maxX, minY: items[3].maxY, maxX: items[3].maxX + 1, maxY: items[3].maxY + 1)
        #expect(tree.query(touching).contains(3))
        #expect(tree.query(.empty).isEmpty)
    }

    /// Narrow nodes make deep trees: the query's stack (on its frame, at most `capacity` nodes
    /// per level) holds every branch still to visit, whatever the depth and the query's size.
    @Test("deep, narrow trees answer as a scan", arguments: [2, 3, 4])
    func deepTrees(capacity: Int) {
        let items = IndexAndPredicateTests.randomBoxes(2000, seed: 11)
        let tree = EnvelopeTree(envelopes: items, nodeCapacity: capacity)
        let everything = items.reduce(Envelope.empty) { var e = $0; e.expand(toInclude: $1); return e }
        for query in IndexAndPredicateTests.randomBoxes(100, seed: 12) + [everything] {
            #expect(tree.query(query) == items.indices.filter { items[$0].intersects(query) })
        }
        #expect(tree.query(everything).count == items.count)
    }

    @Test("empty and single-item trees")
    func smallTrees() {
        #expect(EnvelopeTree(envelopes: []).query(Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1)).isEmpty)
        let one = EnvelopeTree(envelopes: [Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1)])
        #expect(one.query(Envelope(minX: 0.5, minY: 0.5, maxX: 2, maxY: 2)) == [0])
        #expect(one.query(Envelope(minX: 2, minY: 2, maxX: 3, maxY: 3)).isEmpty)
    }
}
