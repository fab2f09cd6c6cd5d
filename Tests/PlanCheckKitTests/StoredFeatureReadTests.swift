import Foundation
import PlanModel
import PlanStore
import Testing
@testable import PlanCheckKit

/// How the overlay reads stored features: scattered positions in runs of range statements, and
/// the two-generation cache of a worker's `b` features.
@Suite struct StoredFeatureReadTests {
    static func feature(_ position: Int) -> StoredFeature {
        StoredFeature(id: .int(Int64(position)), identifier: "P\(position)", attributes: [Attribute("n", .integer(Int64(position)))],
                      geometry: .point(Position(x: Double(position), y: 0.5)))
    }

    /// A store of one layer holding `positions`.
    static func store(_ positions: [Int], in dir: URL) throws -> StoredLayer {
        let store = FeatureStore(directory: dir.path)
        let writer = try FeatureStoreWriter(path: store.path)
        try writer.createLayer(0)
        try writer.beginBatch()
        for position in positions {
            let f = feature(position)
            try writer.append(layer: 0, position: position, identifier: f.identifier,
                              record: StoredFeatureRecord.encode(id: f.id, identifier: f.identifier, attributes: f.attributes),
                              geometry: WKB.encode(f.geometry))
        }
        try writer.commitBatch()
        return StoredLayer(store: store, number: 0, catalog: FeatureCatalog(), featuresRead: positions.count)
    }

    /// Positions near and far apart (one run, several runs, the ends of the table) come back
    /// in order, each the feature stored there; a position the store lacks is an error naming
    /// the store, never a feature left out.
    @Test func scatteredPositionsComeBackInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stored-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = try Self.store(Array(0..<200).filter { $0 != 120 }, in: dir)
        defer { layer.store.remove() }
        let reader = try StoredFeatureReader(layer.store)
        for wanted in [[0], [199], [3, 4, 5, 11, 12, 40, 41, 199], Array(0..<100), [7, 7 + StoredFeatureReader.rangeGap, 7 + 2 * StoredFeatureReader.rangeGap + 1]] {
            let read = try reader.features(wanted, of: layer)
            #expect(read.map(\.identifier) == wanted.map { "P\($0)" })
            #expect(read.map(\.geometry) == wanted.map { Self.feature($0).geometry })
            #expect(read.map(\.attributes) == wanted.map { Self.feature($0).attributes })
        }
        for wanted in [[120], [118, 119, 120, 121], [100, 120], [199, 200]] {
            #expect(throws: FeatureStoreError.self, "\(wanted)") { _ = try reader.features(wanted, of: layer) }
        }
    }

    /// The features a chunk asks for stay through one turn-over of the generations and are
    /// dropped at the second; those it asks for again are kept however long ago they were read.
    @Test func theCacheKeepsWhatRecentChunksUse() {
        var cache = StoredFeatureCache(limit: 4)
        func fill(_ positions: [Int]) -> [Int] {
            let unknown = cache.missing(positions)
            for p in unknown { cache.insert(Self.feature(p), at: p) }
            return unknown
        }
        #expect(fill([1, 2, 3]) == [1, 2, 3])
        #expect(fill([2, 3, 5]) == [5])          // fits: nothing turned over
        #expect(fill([1, 6]) == [6])             // turns over; 1 moves to the newer generation
        #expect(cache[2]?.identifier == "P2")    // in the older one, still seen
        #expect(fill([7, 8, 9]) == [7, 8, 9])    // turns over again: 2, 3 and 5 are dropped
        for p in [1, 6, 7, 8, 9] { #expect(cache[p]?.identifier == "P\(p)") }
        for p in [2, 3, 5] { #expect(cache[p] == nil) }
        // Read one by one beyond a chunk's share: turns over when the newer is full.
        for p in 10..<14 { cache.insert(Self.feature(p), at: p) }
        for p in [7, 8, 9, 10, 11, 12, 13] { #expect(cache[p]?.identifier == "P\(p)") }
        for p in [1, 6] { #expect(cache[p] == nil) }
    }
}
