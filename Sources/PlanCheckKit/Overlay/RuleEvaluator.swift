import Foundation
import PlanClipper
import PlanCRS
import PlanGeometry
import PlanModel
import PlanRules
import Synchronization

/// The features one side of a rule selects, in the working CRS, as Sendable values: their
/// positions and envelopes here, their geometries and identifiers where `features` says.
struct RuleSide: Sendable {
    var layerName: String
    /// Indices into the layer's checked features (their positions), in file order.
    var indices: [Int]
    var envelopes: [Envelope]
    var features: SideFeatures

    /// A side held in memory: `geometries` and `ids` (what patch ids are built from,
    /// `OverlayLayer.identifiers`) by side index.
    init(layerName: String, indices: [Int], geometries: [GeometryValue], envelopes: [Envelope], ids: [String]) {
        self.init(layerName: layerName, indices: indices, envelopes: envelopes, features: .memory(geometries: geometries, ids: ids))
    }

    init(layerName: String, indices: [Int], envelopes: [Envelope], features: SideFeatures) {
        self.layerName = layerName
        self.indices = indices
        self.envelopes = envelopes
        self.features = features
    }

    var count: Int { indices.count }

    /// The stored layer the side reads from, nil in memory.
    var stored: StoredLayer? {
        if case .stored(let layer) = features { return layer }
        return nil
    }
}

/// Where a rule side's geometries and identifiers come from.
enum SideFeatures: Sendable {
    /// In memory, by side index.
    case memory(geometries: [GeometryValue], ids: [String])
    /// In a `FeatureStore`, by position (`RuleSide.indices`): each worker reads the features it
    /// needs through its own connection (`RuleEvaluator.Worker`).
    case stored(StoredLayer)
}

/// The Z-order (Morton) key of a box's centre on a 65 536 × 65 536 grid over `extent`.
func mortonKey(_ box: Envelope, in extent: Envelope) -> UInt64 {
    func cell(_ v: Double, _ lo: Double, _ hi: Double) -> UInt64 {
        guard hi > lo, v.isFinite else { return 0 }
        return UInt64(max(0, min(65_535, ((v - lo) / (hi - lo) * 65_535).rounded(.down))))
    }
    func spread(_ v: UInt64) -> UInt64 {
        var x = v & 0xFFFF
        x = (x | (x << 8)) & 0x00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333
        x = (x | (x << 1)) & 0x5555_5555
        return x
    }
    let x = cell((box.minX + box.maxX) / 2, extent.minX, extent.maxX)
    let y = cell((box.minY + box.maxY) / 2, extent.minY, extent.maxY)
    return spread(x) | (spread(y) << 1)
}

/// A count shared by the workers of one rule (features done), for the progress line.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Adds `n` and returns the new total.
    func add(_ n: Int) -> Int {
        value.withLock { count in
            count += n
            return count
        }
    }

    /// The total so far.
    var current: Int { value.withLock { $0 } }
}

/// Progress of a running rule, for the progress line.
public struct OverlayProgress: Sendable {
    public var ruleID: String
    public var done: Int
    public var total: Int
    public var elapsedSeconds: Double
}

/// Evaluates one conflict rule over two sides: candidates from an STR-packed `EnvelopeTree`, prepared-geometry
/// fast paths, the overlay (Clipper on its 1 µm grid with GEOS as the fallback, GEOS at full
/// precision, or GEOS on the rule's grid), polygonal parts kept, slivers dropped and counted. Runs `jobs` workers; each has its own GEOS and PROJ contexts and its own
/// bounded cache of `b` geometries, they share one `EnvelopeTree` of the `b` boxes, and take
/// the next chunk of `a` as they become free.
/// Chunks are fixed, and results are put back in chunk order, so the output is identical for
/// any job count.
struct RuleEvaluator: Sendable {
    var rule: ConflictRule
    var ruleIndex: Int
    var minArea: Double
    /// Fixed-precision grid in working-CRS units, or nil for full precision. A rule with a grid
    /// is computed by GEOS on that grid whatever the engine.
    var gridSize: Double?
    /// The pairwise kernel (`overlay --engine`); GEOS unless the caller asks for Clipper (`diff`
    /// keeps GEOS: its transition areas are checked against GeoPandas cell by cell).
    var engine: OverlayEngine = .geos
    var workingCRS: CRSDescription
    var jobs: Int
    var chunkSize = 128
    /// True when `a` and `b` select from the same layer: a feature is never paired with itself.
    var sameLayer: Bool
    /// Compute the dissolved areas (union of the patches).
    var dissolve = true
    /// `--tile K/N`: only the pairs and `outside` features whose reference point lies in a tile
    /// of this slice are computed (`TileGrid`); nil computes them all.
    var tiles: TileGrid? = nil
    /// Stored `b` features each worker keeps per generation (`StoredFeatureCache`); tests make
    /// it small.
    var storedCacheLimit = Worker.bCacheLimit

    struct ChunkResult: Sendable {
        var patches: [DiscrepancyPatch] = []
        var sliversDropped = 0
        /// Exact, so the total does not depend on how the pieces are grouped (chunks, tile slices).
        var sliverArea = ExactSum()
        var lowerDimension = 0
        var fastPath = 0
        var overlays = 0
        /// Operations Clipper computed, and those GEOS computed instead (Clipper failed or its
        /// result was not valid).
        var clipperOperations = 0
        var clipperFallbacks = 0
        /// The patches encoded for the output file, when the run streams one.
        var encoded: EncodedPatches?
        /// The chunk's patches counted (`PatchTally`).
        var totals = RuleTotals()
    }

    /// Evaluates the rule. With `output`, each chunk's patches are also encoded by the worker
    /// that found them (`output.encoder`), and `output.consume` gets the encoded chunks on the
    /// calling task, in chunk order, while the workers go on: the output file is written during
    /// the overlay instead of after it. Every chunk's patches are counted by `tally` into the
    /// outcome's `totals`; with `keepPatches` false they are then dropped (the outcome's
    /// `patches` is empty), so memory holds only the chunks not yet written.
    func evaluate(
        a: RuleSide, b: RuleSide, progress: (@Sendable (OverlayProgress) -> Void)?,
        output: (encoder: ChunkEncoder, consume: (EncodedPatches) throws -> Void)? = nil,
        tally: PatchTally = .plain, keepPatches: Bool = true
    ) async throws -> RuleOutcome {
        let started = Date()
        let chunkCount = (a.indices.count + chunkSize - 1) / chunkSize
        let workers = max(1, min(jobs, chunkCount))
        let done = Counter()
        // Workers take the next chunk as they become free (chunk contents are fixed, so the
        // results do not depend on which worker ran which chunk).
        let nextChunk = Counter()
        let workersDone = Counter()
        // Chunks written to the output so far. A worker does not start a chunk more than
        // `chunksAhead` past it: encoded chunks wait for the ones before them in memory, and a
        // writer slower than the workers would otherwise let them pile up without bound.
        let written = Counter()
        let chunksAhead = 4 * workers
        let evaluator = self
        let encoder = output?.encoder
        // The dissolve unions the patches at the end: it needs them kept.
        let dropPatches = !keepPatches && !dissolve
        let grid = usesClipper ? clipperGrid(workingCRS: workingCRS) : nil
        let index = EnvelopeTree(envelopes: b.envelopes)
        var results = [ChunkResult?](repeating: nil, count: chunkCount)
        let (finished, continuation) = AsyncStream<(Int, ChunkResult)>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    do {
                        var worker = try Worker(evaluator: evaluator, a: a, b: b, index: index, clipperGrid: grid)
                        while !Task.isCancelled {
                            let chunk = nextChunk.add(1) - 1
                            guard chunk < chunkCount else { break }
                            while encoder != nil && chunk >= written.current + chunksAhead {
                                try await Task.sleep(nanoseconds: 1_000_000)
                            }
                            let range = chunk * evaluator.chunkSize..<min((chunk + 1) * evaluator.chunkSize, a.indices.count)
                            var result = try worker.run(range, a: a)
                            if let encoder {
                                result.encoded = try worker.lineageResolved(encoder, for: result.patches)
                                    .encode(result.patches, transformer: try worker.outputTransformer(for: encoder))
                            }
                            tally.add(result.patches, to: &result.totals)
                            if dropPatches { result.patches = [] }
                            continuation.yield((chunk, result))
                            let total = done.add(range.count)
                            progress?(OverlayProgress(
                                ruleID: evaluator.rule.id, done: total, total: a.indices.count,
                                elapsedSeconds: Date().timeIntervalSince(started)))
                            // Lets the calling task write what is ready (the workers would
                            // otherwise hold every thread of the cooperative pool to the end).
                            if encoder != nil { await Task.yield() }
                        }
                        if workersDone.add(1) == workers { continuation.finish() }
                    } catch {
                        continuation.finish()  // the loop below stops; waitForAll rethrows
                        throw error
                    }
                }
            }
            var due = 0
            do {
                for await (chunk, result) in finished {
                    results[chunk] = result
                    while due < chunkCount, let ready = results[due] {
                        if let encoded = ready.encoded { try output?.consume(encoded) }
                        results[due]?.encoded = nil
                        due += 1
                        _ = written.add(1)
                    }
                    if due == chunkCount { break }
                }
            } catch {
                group.cancelAll()
                throw error
            }
            // The stream ended early only when a worker failed (or the run was cancelled): stop
            // the others, and let waitForAll throw that worker's error.
            if due < chunkCount { group.cancelAll() }
            try await group.waitForAll()
            if due < chunkCount { throw CancellationError() }
        }
        var outcome = RuleOutcome(
            rule: rule, patches: [], sliversDropped: 0, sliverAreaSum: ExactSum(), lowerDimensionLeftovers: 0,
            fastPathHits: 0, overlaysComputed: 0, engine: usesClipper ? .clipper : .geos, clipperOperations: 0,
            clipperFallbacks: 0, dissolvedArea: nil, dissolvedEllipsoidalArea: nil, seconds: 0,
            overlaySeconds: 0)
        for case let result? in results {
            outcome.patches += result.patches
            outcome.totals.add(result.totals)
            outcome.sliversDropped += result.sliversDropped
            outcome.sliverAreaSum.add(result.sliverArea)
            outcome.lowerDimensionLeftovers += result.lowerDimension
            outcome.fastPathHits += result.fastPath
            outcome.overlaysComputed += result.overlays
            outcome.clipperOperations += result.clipperOperations
            outcome.clipperFallbacks += result.clipperFallbacks
        }
        outcome.overlaySeconds = Date().timeIntervalSince(started)
        if dissolve {
            let (planar, ellipsoidal) = try await dissolvedAreas(of: outcome.patches)
            outcome.dissolvedArea = planar
            outcome.dissolvedEllipsoidalArea = ellipsoidal
        }
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }

    /// True when this rule's pairwise operations go to Clipper: the clipper engine, no rule grid.
    var usesClipper: Bool { engine == .clipper && gridSize == nil }

    /// Areas of the union of the patches. Patches are put in Morton (Z-curve) order of their
    /// envelope centres, so each group of neighbours is compact; groups are unioned in parallel,
    /// then neighbouring results pairwise, level by level, until one is left. Compact groups keep
    /// the upper levels cheap (their shared boundaries are short), and the grouping does not
    /// depend on the job count, so the result does not either.
    private func dissolvedAreas(of patches: [DiscrepancyPatch]) async throws -> (Double, Double) {
        guard !patches.isEmpty else { return (0, 0) }
        var extent = Envelope.empty
        let boxes = patches.map { $0.geometry.envelope ?? .empty }
        for box in boxes { extent.expand(toInclude: box) }
        let order = patches.indices.sorted { i, j in
            let (mi, mj) = (mortonKey(boxes[i], in: extent), mortonKey(boxes[j], in: extent))
            return mi != mj ? mi < mj : i < j
        }
        let grid = gridSize
        var level: [GeometryValue] = try await parallelChunks(order, jobs: jobs, chunkSize: 512) { group in
            let context = try GeometryContext()
            let natives = try group.map { try Geometry(patches[$0].geometry, context: context) }
            return [try Geometry.unaryUnion(of: natives, gridSize: grid, context: context).value()]
        }
        while level.count > 1 {
            level = try await parallelChunks(level, jobs: jobs, chunkSize: 2) { pair in
                let context = try GeometryContext()
                let natives = try pair.map { try Geometry($0, context: context) }
                return [try Geometry.unaryUnion(of: natives, gridSize: grid, context: context).value()]
            }
        }
        let context = try GeometryContext()
        let union = try Geometry(level[0], context: context)
        let lease = try CRSContextPool.shared.lease()
        let calculator = try lease.context.areaCalculator(for: workingCRS)
        let ellipsoidal = try calculator.area(of: level[0])
        let planar = workingCRS.isGeographic
            ? ellipsoidal : try union.area() * (workingCRS.squareMetresPerSquareUnit ?? 1)
        return (planar, ellipsoidal)
    }

    /// One worker's native state for one rule. Not Sendable: it lives and dies inside its task.
    struct Worker {
        let b: RuleSide
        let context: GeometryContext
        /// The `b` boxes, one tree shared by every worker of the rule.
        let index: EnvelopeTree
        /// This worker's PROJ context, from the shared pool (a query answers many small sites: a
        /// context made anew each time would cost more than the overlays).
        let crsLease: CRSContextLease
        var crsContext: CRSContext { crsLease.context }
        let areas: EllipsoidalAreaCalculator
        /// The patches' geometry hashes, its working arrays kept from patch to patch.
        var hasher: GeometryHasher
        /// `b` geometries converted to GEOS on first use, by index.
        var bCache: [Geometry?]
        // Copied out of `evaluator` once, so the hot loop reads plain values.
        let relation: Relation
        let gridSize: Double?
        let minArea: Double
        let isGeographic: Bool
        let squareMetresPerUnit: Double
        let ruleID: String
        let ruleIndex: Int
        let sameLayer: Bool
        let tiles: TileGrid?

        /// The Clipper side of this worker; nil when the rule runs on GEOS alone.
        let clipper: ClipperKernel?

        /// The `b` side's geometries and identifiers by side index when it is in memory (empty
        /// when stored), and its stored layer when it is stored: taken out of `b.features` once,
        /// since matching it on every access copied the stored layer (a retain and a release of
        /// each of its catalog's arrays).
        let bGeometries: [GeometryValue]
        let bIDs: [String]
        let bLayer: StoredLayer?

        /// This worker's connection to the feature store, when a side is stored.
        let reader: StoredFeatureReader?
        /// Stored `b` features read so far, by position: each chunk's are read before it runs
        /// (`readStoredB`), and those of recent chunks are kept.
        var bStored: StoredFeatureCache
        /// The stored `a` features of the chunk being run, by position.
        var aStored: [Int: StoredFeature] = [:]

        init(evaluator: RuleEvaluator, a: RuleSide, b: RuleSide, index: EnvelopeTree, clipperGrid grid: ClipperGrid?) throws {
            self.b = b
            switch b.features {
            case .memory(let geometries, let ids): (bGeometries, bIDs, bLayer) = (geometries, ids, nil)
            case .stored(let layer): (bGeometries, bIDs, bLayer) = ([], [], layer)
            }
            bStored = StoredFeatureCache(limit: evaluator.storedCacheLimit)
            let store = a.stored?.store ?? b.stored?.store
            reader = try store.map { store in try FeatureStoreError.wrapping(store.path) { try StoredFeatureReader(store) } }
            relation = evaluator.rule.relation
            gridSize = evaluator.gridSize
            minArea = evaluator.minArea
            isGeographic = evaluator.workingCRS.isGeographic
            squareMetresPerUnit = evaluator.workingCRS.squareMetresPerSquareUnit ?? 1
            ruleID = evaluator.rule.id
            ruleIndex = evaluator.ruleIndex
            sameLayer = evaluator.sameLayer
            tiles = evaluator.tiles
            let context = try GeometryContext()
            self.context = context
            self.index = index
            crsLease = try CRSContextPool.shared.lease()
            areas = try crsLease.context.areaCalculator(for: evaluator.workingCRS)
            hasher = GeometryHasher(geographic: isGeographic)
            bCache = Array(repeating: nil, count: b.count)
            clipper = grid.map { ClipperKernel(grid: $0, context: context) }
        }

        /// The transformer the output needs (RFC 7946), made once in this worker's context.
        func outputTransformer(for encoder: ChunkEncoder) throws -> Transformer? {
            try encoder.target.map { try crsContext.transformer(from: encoder.workingCRS, to: $0) }
        }

        /// `b` geometries in `bCache`; when it reaches `bCacheLimit` the cache starts again.
        var bCached = 0

        /// The most `b` geometries a worker keeps converted (about 1 KB each at 30 vertices).
        /// Unbounded, each worker ended up with a GEOS copy of nearly the whole `b` side (chunks
        /// of `a` go to whichever worker is free): about 100 MB per worker at 100 000 parcels.
        /// Neighbouring `a` features share their `b`s, so a cache this size keeps most hits.
        static let bCacheLimit = 4_096

        mutating func bGeometry(_ k: Int) throws -> Geometry {
            if let cached = bCache[k] { return cached }  // array slot, no hashing
            if bCached >= Self.bCacheLimit {
                for j in bCache.indices where bCache[j] != nil { bCache[j] = nil }
                bCached = 0
            }
            let native = try Geometry(bValue(k), context: context)
            bCache[k] = native
            bCached += 1
            return native
        }

        /// `b` features' Clipper rings by index (`.some(nil)`: Clipper cannot take it), a bounded
        /// cache as `bCache`: each `b` meets about four `a`s, mostly in neighbouring chunks.
        var bRingsCache: [Int: ClipperRings?] = [:]

        /// The Clipper rings of `b` feature `k`, or nil when Clipper cannot take it.
        mutating func bRings(_ k: Int, _ kernel: ClipperKernel) throws -> ClipperRings? {
            if let cached = bRingsCache[k] { return cached }
            if bRingsCache.count >= Self.bCacheLimit { bRingsCache.removeAll(keepingCapacity: true) }
            let made = kernel.rings(of: try bValue(k))
            bRingsCache[k] = .some(made)
            return made
        }

        /// The geometry of `b` feature `k` (working CRS).
        mutating func bValue(_ k: Int) throws -> GeometryValue {
            bLayer == nil ? bGeometries[k] : try storedB(k).geometry
        }

        /// What patch ids take from `b` feature `k`.
        mutating func bID(_ k: Int) throws -> String {
            bLayer == nil ? bIDs[k] : try storedB(k).identifier
        }

        /// Stored `b` feature `k`: from the cache (the chunk's features were read before it ran),
        /// else read alone (a chunk that needs more than the cache holds).
        mutating func storedB(_ k: Int) throws -> StoredFeature {
            let position = b.indices[k]
            if let known = bStored[position] { return known }
            guard let layer = bLayer else { preconditionFailure("storedB on a side in memory") }
            let feature = try read(layer) { try $0.feature(position, of: layer) }
            bStored.insert(feature, at: position)
            return feature
        }

        /// Reads the stored `b` features that `candidates` (by `a` feature of a chunk) name and
        /// the cache lacks, in position order, runs of near positions by one statement each
        /// (one query per feature cost more than the reading itself): at most the cache's
        /// limit, the others are read as they are needed.
        mutating func readStoredB(_ candidates: [[Int]?]) throws {
            guard let layer = bLayer, let reader else { return }
            var positions: [Int] = []
            for case let ks? in candidates { for k in ks { positions.append(b.indices[k]) } }
            positions.sort()
            var wanted: [Int] = []
            for position in positions where wanted.last != position && wanted.count < bStored.limit { wanted.append(position) }
            let unknown = bStored.missing(wanted)
            guard !unknown.isEmpty else { return }
            var fetched: [(Int, StoredFeature)] = []
            fetched.reserveCapacity(unknown.count)
            try FeatureStoreError.wrapping(layer.store.path) {
                try reader.forEachFeature(unknown, of: layer) { position, feature in fetched.append((position, feature)) }
            }
            for (position, feature) in fetched { bStored.insert(feature, at: position) }
        }

        /// `body` on this worker's store connection; a store failure names the store's file.
        func read<T>(_ layer: StoredLayer, _ body: (StoredFeatureReader) throws -> T) throws -> T {
            guard let reader else { preconditionFailure("a stored side without a store connection") }
            return try FeatureStoreError.wrapping(layer.store.path) { try body(reader) }
        }

        /// The `a` features of side indices `range`: from memory, or read from the store in one
        /// query (kept in `aStored` for the lineage of the chunk's patches).
        mutating func aFeatures(_ range: Range<Int>, of a: RuleSide) throws -> [AFeature] {
            switch a.features {
            case .memory(let geometries, let ids):
                return range.map { AFeature($0, position: a.indices[$0], value: geometries[$0], envelope: a.envelopes[$0], id: ids[$0], context: context) }
            case .stored(let layer):
                let positions = Array(a.indices[range])
                let stored = try read(layer) { try $0.features(positions, of: layer) }
                aStored = [:]
                for (position, feature) in zip(positions, stored) { aStored[position] = feature }
                return zip(range, stored).map { i, feature in
                    AFeature(i, position: a.indices[i], value: feature.geometry, envelope: a.envelopes[i], id: feature.identifier, context: context)
                }
            }
        }

        /// `encoder` with the stored source features `patches` name (memory sides need none).
        mutating func lineageResolved(_ encoder: ChunkEncoder, for patches: [DiscrepancyPatch]) throws -> ChunkEncoder {
            guard reader != nil else { return encoder }
            var bByPosition: [Int: StoredFeature] = [:]
            if let layer = bLayer {
                for patch in patches {
                    guard let position = patch.bIndex, bByPosition[position] == nil else { continue }
                    bByPosition[position] = try bStored[position] ?? read(layer) { try $0.feature(position, of: layer) }
                }
            }
            return encoder.resolving(a: aStored, b: bByPosition)
        }

        mutating func run(_ range: Range<Int>, a: RuleSide) throws -> ChunkResult {
            var result = ChunkResult()
            let loaded = try aFeatures(range, of: a)
            let candidateLists = range.map { candidates(of: $0, a: a) }
            try readStoredB(candidateLists)
            for (loadedFeature, found) in zip(loaded, candidateLists) {
                guard let candidates = found else { continue }
                var feature = loadedFeature
                switch relation {
                case .intersects:
                    for k in candidates { try intersectPair(&feature, k: k, into: &result) }
                case .outside:
                    try outsidePiece(&feature, candidates: candidates, into: &result)
                }
            }
            return result
        }

        /// The `b` side indices whose boxes meet the box of `a` feature `i` (never `i` itself on
        /// the same layer; with `tiles`, only the pairs this slice owns); nil when the slice
        /// computes nothing for the feature.
        func candidates(of i: Int, a: RuleSide) -> [Int]? {
            // An `outside` patch belongs to the tile of its feature's lower-left corner.
            if relation == .outside, let tiles, !tiles.ownsFeature(a.envelopes[i]) { return nil }
            var candidates = index.query(a.envelopes[i])
            if sameLayer { candidates.removeAll { b.indices[$0] == a.indices[i] } }
            // A pair belongs to the tile of its envelopes' intersection's lower-left corner.
            if relation == .intersects, let tiles {
                candidates.removeAll { !tiles.ownsPair(a.envelopes[i], b.envelopes[$0]) }
                if candidates.isEmpty { return nil }
            }
            return candidates
        }

        /// Keeps the polygonal parts of `piece` at or above the sliver threshold as one patch;
        /// counts what is dropped.
        mutating func keep(_ piece: GeometryValue, a: AFeature, k: Int?, into result: inout ChunkResult) throws {
            let parts = piece.polygons
            let lowerParts = Self.nonPolygonalPartCount(piece)
            if parts.isEmpty {
                if !piece.isEmpty || lowerParts > 0 { result.lowerDimension += 1 }
                return
            }
            result.lowerDimension += lowerParts
            var kept: [PolygonRings] = []
            var area = 0.0, ellipsoidal = 0.0
            for part in parts {
                // Planar area first (cheap); the geodesic area only for parts that are kept.
                let partArea = isGeographic
                    ? try areas.area(of: .polygon(part))
                    : shoelaceArea(of: part) * squareMetresPerUnit
                if partArea < minArea {
                    result.sliversDropped += 1
                    result.sliverArea.add(partArea)
                    continue
                }
                kept.append(part)
                area += partArea
                if isGeographic { ellipsoidal += partArea }
            }
            guard !kept.isEmpty else { return }
            let geometry: GeometryValue = kept.count == 1 ? .polygon(kept[0]) : .multiPolygon(kept)
            if !isGeographic { ellipsoidal = try areas.area(of: geometry) }
            var id = "\(ruleID):\(a.id)"
            if let k { id += ":\(try bID(k))" }
            result.patches.append(DiscrepancyPatch(
                id: id, ruleIndex: ruleIndex, aIndex: a.position, bIndex: k.map { b.indices[$0] },
                geometry: geometry,
                area: area, ellipsoidalArea: ellipsoidal, geometryHash: hasher.hash(geometry)))
        }

        static func nonPolygonalPartCount(_ g: GeometryValue) -> Int {
            switch g {
            case .polygon, .multiPolygon: 0
            case .geometryCollection(let members): members.reduce(0) { $0 + nonPolygonalPartCount($1) }
            default: g.isEmpty ? 0 : 1
            }
        }
    }
}
