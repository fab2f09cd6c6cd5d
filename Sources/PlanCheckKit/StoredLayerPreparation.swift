import Foundation
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel
import PlanRules
import PlanStore

extension LayerPreparation {
    /// Features checked, reprojected and written per batch when filling a store: about 4 MB of
    /// 30-vertex parcels, enough to keep the jobs busy.
    static let defaultStoreBatchSize = 4_096

    /// `prepare(_:rulesPath:)` into `store`: each layer is streamed (`FeatureStream`) in batches
    /// of `defaultStoreBatchSize`; a batch is checked and reprojected on `jobs` tasks, then its kept
    /// features are classified, identified and written to the store in file order. What stays in
    /// memory grows with the problems, repairs and rejections, the classification report (the
    /// feature ids of each class, about 24 bytes a feature) and the catalog (about 40 bytes a
    /// feature); the identifiers are checked for uniqueness by the store's SQL. The layers'
    /// `stored` is set and their feature arrays are empty. Timings: "read" (the stream),
    /// "check" (check, repair, reprojection), "store" (classification, writing).
    /// - Throws: what `prepare(_:rulesPath:)` throws, and `FeatureStoreError` (exit 74) when
    ///   the store cannot be written.
    public func prepareStored(_ sources: [(LayerDefinition, String)], rulesPath: String, store: FeatureStore) async throws -> PreparedLayers {
        try await prepareStored(sources, rulesPath: rulesPath, store: store, batchSize: Self.defaultStoreBatchSize)
    }

    /// `prepareStored(_:rulesPath:store:)` in batches of `batchSize` features (tests use small ones).
    func prepareStored(_ sources: [(LayerDefinition, String)], rulesPath: String, store: FeatureStore, batchSize: Int) async throws -> PreparedLayers {
        let crsContext = try CRSContext()
        let writer = try FeatureStoreError.wrapping(store.path) { try FeatureStoreWriter(path: store.path) }
        var fill = StoredLayerFill(preparation: self, store: store, writer: writer, rulesPath: rulesPath, crsContext: crsContext,
                                   batchSize: max(1, batchSize))
        fill.working = try workingCRS.map { try crsContext.crs($0) }
        var layers: [OverlayLayer] = []
        var warnings: [String] = []
        for (definition, path) in sources {
            let (layer, layerWarnings) = try await fill.layer(definition, path: path)
            layers.append(layer)
            warnings += layerWarnings
        }
        guard let working = fill.working else { throw OverlayUsageError(message: "\(rulesPath): no layer to read") }
        return PreparedLayers(layers: layers, workingCRS: working, warnings: warnings,
                              timings: ["read", "check", "store"].map { ($0, fill.seconds[$0] ?? 0) })
    }
}

/// One kept-or-not feature of a batch after the parallel part: its check and, when the policy
/// keeps it, its store row (record, WKB in the working CRS) and envelope.
private struct BatchItem: Sendable {
    var outcome: FeatureOutcome
    var record: [UInt8] = []
    var wkb: [UInt8] = []
    var identifier = ""
    var envelope = Envelope.empty
}

/// The state of filling a store layer by layer; lives on one task.
private struct StoredLayerFill {
    let preparation: LayerPreparation
    let store: FeatureStore
    let writer: FeatureStoreWriter
    let rulesPath: String
    let crsContext: CRSContext
    let batchSize: Int
    /// The working CRS: `--crs`, else the first layer's.
    var working: CRSDescription?
    /// Seconds per stage, summed over the layers.
    var seconds: [String: Double] = [:]
    /// The next table number (a layer streamed twice gets a new table the second time).
    var nextTable = 0

    /// Streams, checks, reprojects, classifies and stores the layer `definition` at `path`.
    mutating func layer(_ definition: LayerDefinition, path: String) async throws -> (OverlayLayer, [String]) {
        var kind: LayerKind?
        while true {
            switch try await attempt(definition, path: path, kind: kind) {
            case .done(let layer, let warnings): return (layer, warnings)
            case .again(let counted): kind = counted
            }
        }
    }

    enum Attempt {
        case done(OverlayLayer, [String])
        /// The layer (GeoJSON, no declared type) turned out not to be a polygon layer: stream it
        /// again checked as that kind.
        case again(LayerKind)
    }

    /// One pass over the layer, checked as `kind` (nil: as declared, else as polygons while
    /// counting the features' kinds, as `LayerChecker.kind(of:)` does).
    mutating func attempt(_ definition: LayerDefinition, path: String, kind givenKind: LayerKind?) async throws -> Attempt {
        var clock = Date()
        func lap(_ stage: String) {
            seconds[stage, default: 0] += Date().timeIntervalSince(clock)
            clock = Date()
        }
        let reading = preparation.reading
        let stream = try LayerReader.stream(path: path, layerName: definition.layerName,
                                            options: reading.readOptions(for: definition, rulesPath: rulesPath))
        let sha256 = try FileHash.sha256(ofFile: preparation.fileHash(of: definition, path: path))
        let header = stream.layer
        let resolved = try LayerCRSResolver.resolve(
            header, assumed: reading.assumption(for: definition, rulesPath: rulesPath), context: crsContext)
        let working = self.working ?? resolved.crs
        self.working = working
        let declared = LayerChecker.declaredKind(of: header)
        let kind = givenKind ?? declared ?? .polygons
        let table = nextTable
        nextTable += 1
        try FeatureStoreError.wrapping(store.path) { try writer.createLayer(table) }
        let transformer = resolved.crs == working ? nil : try crsContext.transformer(from: resolved.crs, to: working)
        let classifier = LayerClassifier(definition: definition)
        var checked = CheckedLayer(layer: header, kind: kind, policy: preparation.policy, features: [], problems: [],
                                   repairs: [], rejections: [], geometryTypes: [:])
        var catalog = FeatureCatalog()
        var report: ClassificationReport?
        var identifiers = IdentifierCheck(field: definition.idField)
        var extent = Envelope.empty
        var polygonal = 0, other = 0
        var featuresRead = 0
        var neighbourPositions = Set<Int>()
        let reader = BatchReader(stream, batchSize: batchSize)
        let check = BatchCheck(policy: preparation.policy, jobs: preparation.jobs, kind: kind, source: resolved.crs,
                               target: working, path: path, layer: definition.name, field: definition.idField)
        // Read, check, then store: with more than one job the three stages overlap, a batch apart,
        // and "read" and "check" count the time the store waited for them.
        var pipeline = BatchPipeline(overlapping: preparation.jobs > 1, produce: { try reader.next() },
                                     transform: { try await check.items(of: $0) })
        lap("read")
        do {
            while let (batch, items) = try await pipeline.next() {
                clock = Date()
                featuresRead += batch.features.count
                var classified: [Feature] = []
                try FeatureStoreError.wrapping(store.path) { try writer.beginBatch() }
                for (feature, item) in zip(batch.features, items) {
                    if let g = feature.geometry {
                        if g.isPolygonal || !g.polygons.isEmpty { polygonal += 1 } else { other += 1 }
                        if let box = g.envelope { extent.expand(toInclude: box) }
                    }
                    guard try checked.record(feature, outcome: item.outcome) != nil else { continue }
                    let bare = Feature(id: feature.id, geometry: nil, attributes: feature.attributes)
                    identifiers.add(bare, identifier: item.identifier)
                    try FeatureStoreError.wrapping(store.path) {
                        try writer.append(layer: table, position: catalog.count, identifier: item.identifier, record: item.record, geometry: item.wkb)
                    }
                    if batch.neighbours.contains(feature.id) { neighbourPositions.insert(catalog.count) }
                    catalog.append(envelope: item.envelope, code: classifier.code(of: bare), classes: classifier.classes(of: bare))
                    // A slice reading by region classifies (and reports) only its own features.
                    if !batch.neighbours.contains(feature.id) { classified.append(bare) }
                }
                try FeatureStoreError.wrapping(store.path) { try writer.commitBatch() }
                let batchReport = classifier.classify(classified)
                if report == nil { report = batchReport } else { report?.merge(batchReport) }
                lap("store")
            }
        } catch {
            await pipeline.cancel()
            throw error
        }
        seconds["read", default: 0] += pipeline.producing
        seconds["check", default: 0] += pipeline.transforming
        if declared == nil, givenKind == nil {
            let counted: LayerKind = polygonal > 0 && polygonal >= other ? .polygons : .other
            if counted != kind { return .again(counted) }
        }
        // What the stream knows only at its end, as `LayerReader.read` gives it.
        checked.layer.fields = stream.fields
        checked.layer.readProblems = stream.readProblems
        checked.layer.droppedHigherDimensions = stream.droppedHigherDimensions
        checked.layer.neighbours = stream.neighbours
        try LayerCRSResolver.checkFit(resolved, extent: extent, of: header)
        if let failure = try identifiers.failure(in: writer, table: table, store: store, path: path, layer: definition.name) {
            throw failure
        }
        var warnings: [String] = []
        if transformer?.usesBallparkTransformation == true {
            warnings.append(LayerPreparation.ballparkWarning(path: path, layer: definition.name, from: resolved.crs, to: working))
        }
        var classification = report ?? classifier.classify([])
        warnings += preparation.classificationWarnings(&classification, of: definition, rulesPath: rulesPath)
        var layer = OverlayLayer(
            definition: definition, path: path, sha256: sha256, sourceCRS: resolved.crs, checked: checked,
            geometries: [], codes: [], classes: [], classification: classification, identifiers: [])
        layer.stored = StoredLayer(store: store, number: table, catalog: catalog, featuresRead: featuresRead)
        layer.neighbourPositions = neighbourPositions
        lap("store")
        return .done(layer, warnings)
    }
}

/// One batch of a layer's stream: its features in file order and the problems the reader found
/// in them, by feature.
private struct ReadBatch: Sendable {
    var features: [Feature]
    var readProblems: [FeatureID: [FeatureProblem]]
    /// The features read only as neighbours (`FeatureStream.neighbours`).
    var neighbours: Set<FeatureID> = []
}

/// Cuts a layer's stream into batches. The stream is not Sendable: the tasks of a
/// `BatchPipeline` take turns calling `next()` (each call starts after the previous one
/// returned), and the fill reads the stream's end state only once they are all done.
private final class BatchReader: @unchecked Sendable {
    private let stream: FeatureStream
    let batchSize: Int
    /// Stream problems already handed out with a batch.
    private var problemsSeen = 0

    init(_ stream: FeatureStream, batchSize: Int) {
        self.stream = stream
        self.batchSize = batchSize
    }

    /// The next `batchSize` features (fewer at the end), or nil when the stream is done.
    func next() throws -> ReadBatch? {
        var features: [Feature] = []
        features.reserveCapacity(batchSize)
        while features.count < batchSize, let feature = try stream.next() { features.append(feature) }
        guard !features.isEmpty else { return nil }
        var problems: [FeatureID: [FeatureProblem]] = [:]
        for p in stream.readProblems[problemsSeen...] { problems[p.featureID, default: []].append(p) }
        problemsSeen = stream.readProblems.count
        return ReadBatch(features: features, readProblems: problems,
                         neighbours: Set(features.lazy.map(\.id).filter(stream.isNeighbour)))
    }
}

/// What checking a batch needs: the policy, the jobs, the layer's kind and CRSs, and the names
/// its errors and identifiers use.
private struct BatchCheck: Sendable {
    let policy: InvalidFeaturePolicy
    let jobs: Int
    let kind: LayerKind
    let source: CRSDescription
    let target: CRSDescription
    let path: String
    let layer: String
    let field: String?

    /// Checks `batch` on `jobs` tasks and, for each feature the policy keeps, reprojects it to
    /// `target` and encodes its store row.
    func items(of batch: ReadBatch) async throws -> [BatchItem] {
        let chunkSize = max(64, (batch.features.count + jobs - 1) / jobs)
        return try await parallelChunks(batch.features, jobs: jobs, chunkSize: chunkSize) { chunk in
            let context = try GeometryContext()
            let lease = try CRSContextPool.shared.lease()
            let transformer = source == target ? nil : try lease.context.transformer(from: source, to: target)
            let check = FeatureCheck(context: context, kind: kind)
            return try chunk.map { feature in
                var item = BatchItem(outcome: try check.check(feature, readProblems: batch.readProblems[feature.id] ?? []))
                guard let geometry = item.outcome.repaired, item.outcome.problems.isEmpty || policy == .repair else { return item }
                let moved: GeometryValue
                do { moved = try transformer?.transform(geometry) ?? geometry } catch {
                    throw LayerFailure(path: path, layer: layer, underlying: error)
                }
                item.identifier = FeatureIdentifiers.identifier(of: feature, field: field)
                item.record = StoredFeatureRecord.encode(id: feature.id, identifier: item.identifier, attributes: feature.attributes)
                item.wkb = WKB.encode(moved)
                item.envelope = moved.envelope ?? .empty
                return item
            }
        }
    }
}

/// `FeatureIdentifiers.make` for a streamed layer: missing values are listed as they come, the
/// repeated ones are found by the store (`FeatureStoreWriter.repeatedIdentifiers`).
private struct IdentifierCheck {
    let field: String?
    var missing: [FeatureID] = []
    var seenField = false
    var kept = 0
    /// The attribute names of the first kept feature, for the message when the field is absent.
    var firstNames: [String]?

    mutating func add(_ feature: Feature, identifier: String) {
        guard let field else { return }
        kept += 1
        if firstNames == nil { firstNames = feature.attributes.map(\.name) }
        if !seenField, feature.attributes.contains(where: { $0.name == field }) { seenField = true }
        if identifier.isEmpty { missing.append(feature.id) }
    }

    func failure(in writer: FeatureStoreWriter, table: Int, store: FeatureStore, path: String, layer: String) throws -> ReconcileError? {
        guard let field else { return nil }
        if !seenField, kept > 0 {
            return FeatureIdentifiers.absentField(field, names: firstNames ?? [], path: path, layer: layer)
        }
        let repeated = try FeatureStoreError.wrapping(store.path) { try writer.repeatedIdentifiers(layer: table) }
        guard !missing.isEmpty || !repeated.isEmpty else { return nil }
        let reader = try FeatureStoreError.wrapping(store.path) { try StoredFeatureReader(store) }
        let stored = StoredLayer(store: store, number: table, catalog: FeatureCatalog(), featuresRead: 0)
        let holders = try repeated.map { entry in
            (value: entry.identifier, ids: try entry.positions.map { try reader.feature($0, of: stored).id })
        }
        return FeatureIdentifiers.failure(field: field, missing: missing, repeated: holders, path: path, layer: layer)
    }
}

extension ClassificationReport {
    /// Adds the report of the next features of the same layer: as if both had been classified
    /// at once (members and unclassified features in order; a pattern is unmatched when it
    /// matched nothing in either; the field is missing everywhere when it is missing from both).
    mutating func merge(_ next: ClassificationReport) {
        let missingHere = featureCount == 0 || fieldMissingEverywhere
        let missingThere = next.featureCount == 0 || next.fieldMissingEverywhere
        if featureCount == 0 { fieldsSeen = next.fieldsSeen }
        featureCount += next.featureCount
        for (k, members) in next.classes.enumerated() where k < classes.count { classes[k].featureIDs += members.featureIDs }
        unclassified += next.unclassified
        let stillUnmatched = Set(next.unmatchedPatterns)
        unmatchedPatterns = unmatchedPatterns.filter { stillUnmatched.contains($0) }
        fieldMissingEverywhere = featureCount > 0 && missingHere && missingThere
        if !fieldMissingEverywhere { fieldsSeen = [] }
    }
}
