import Foundation
import PlanCRS
import PlanLayers
import PlanModel
import PlanRules

/// Layers read, checked, reprojected to the working CRS and classified; what `overlay`,
/// `assess`, `query` and `diff` start from.
public struct PreparedLayers: Sendable {
    public var layers: [OverlayLayer]
    public var workingCRS: CRSDescription
    /// Rule-set and classification warnings, one line each.
    public var warnings: [String]
    /// Seconds per stage: "read", "check", "reproject".
    public var timings: [(stage: String, seconds: Double)]
}

/// The one service that turns layer files into `OverlayLayer`s: reading (any format), the
/// check and repair policy, the working CRS, reprojection, classification and feature
/// identifiers. Every command that overlays layers goes through it.
public struct LayerPreparation: Sendable {
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    public var reading: ReadingSettings
    /// `--crs`: the working CRS; nil means the first layer's.
    public var workingCRS: String?
    /// A `--tile` slice reading by region (`reading.regions`): the code patterns of each layer
    /// that match no row of its whole table, reported instead of the region's (slice 1 knows
    /// them; the other slices report none).
    var sliceUnmatchedPatterns: [String: [ClassificationReport.UnmatchedPattern]] = [:]

    public init(policy: InvalidFeaturePolicy, jobs: Int, reading: ReadingSettings, workingCRS: String? = nil) {
        self.policy = policy
        self.jobs = max(1, jobs)
        self.reading = reading
        self.workingCRS = workingCRS
    }


    /// The file to hash for a layer's `sha256`: `path`, or nil (no hash, "") in a `--tile` slice
    /// other than slice 1 reading by region, which would otherwise read every byte of a file it
    /// reads a part of (slice 1 records the hash; `SliceReading` fingerprints the file for merge).
    func fileHash(of definition: LayerDefinition, path: String) -> String? {
        reading.regions[definition.name].map { $0.readsUnindexed ? path : nil } ?? path
    }

    /// The classification warnings of layer `definition` from `report`. A slice reading the
    /// layer by region classified only the features it owns, so its unclassified line says so,
    /// and it cannot tell whether a pattern matches nothing in the layer: it reports slice 1's
    /// whole-table finding instead (`sliceUnmatchedPatterns`; none in the other slices).
    func classificationWarnings(_ report: inout ClassificationReport, of definition: LayerDefinition, rulesPath: String) -> [String] {
        let regionRead = reading.regions[definition.name] != nil
        if regionRead { report.unmatchedPatterns = sliceUnmatchedPatterns[definition.name] ?? [] }
        return report.sliceDiagnostics(path: rulesPath, regionRead: regionRead)
    }

    /// Files larger than this together (bytes) are read one after the other. The readers
    /// stream (an 8 MiB window of the file, not the file), so reading two files at once costs
    /// only the layers, which are held afterwards anyway: the two 67 MB files of 100 000 parcels
    /// are read at once. Above this, a run that keeps its layers whole is beyond its memory
    /// budget in any case; reading one file at a time keeps the peak lower.
    static let parallelReadLimit = 1 << 30

    /// The total size of the files at `paths` (bytes; 0 for what cannot be measured, e.g. a folder).
    static func bytes(of paths: [String]) -> Int {
        paths.reduce(0) { total, path in
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return total }
            return total + Int(info.st_size)
        }
    }

    /// Reads the layer files `sources` (each with its definition), checks them with `policy`,
    /// reprojects them into the working CRS (`workingCRS`, else the first layer's) and
    /// classifies their features. Several files are read at once when they are small together
    /// (`parallelReadLimit`). `rulesPath` is where the definitions come from, for messages.
    public func prepare(_ sources: [(LayerDefinition, String)], rulesPath: String) async throws -> PreparedLayers {
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ stage: String) {
            timings.append((stage, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        let reading = reading
        let readJobs = Self.bytes(of: sources.map(\.1)) > Self.parallelReadLimit ? 1 : jobs
        // With more than one job, the files are hashed on another core while they are parsed
        // (1 MiB at a time, so it costs no memory): 0.2 s of a 100 000-parcel overlay's reading.
        let paths = sources.map { fileHash(of: $0.0, path: $0.1) }
        async let concurrentHashes: [String]? = jobs > 1 ? try paths.map { try FileHash.sha256(ofFile: $0) } : nil
        let readLayers: [Layer] = try await parallelChunks(sources, jobs: readJobs, chunkSize: 1) { chunk in
            try chunk.map { definition, path in
                try LayerReader.read(path: path, layerName: definition.layerName,
                                     options: reading.readOptions(for: definition, rulesPath: rulesPath))
            }
        }
        let hashes = try await concurrentHashes ?? paths.map { try FileHash.sha256(ofFile: $0) }
        let read = zip(sources, zip(readLayers, hashes)).map { ($0.0, $0.1, $1.0, $1.1) }
        lap("read")

        var checkedLayers: [CheckedLayer] = []
        for (_, _, layer, _) in read {
            checkedLayers.append(try await LayerChecker(policy: policy, jobs: jobs).check(layer))
        }
        lap("check")

        let crsContext = try CRSContext()
        let sourceCRSs = try read.map { entry in
            try LayerCRSResolver.resolve(
                entry.2, assumed: reading.assumption(for: entry.0, rulesPath: rulesPath), context: crsContext).crs
        }
        guard let working = try workingCRS.map({ try crsContext.crs($0) }) ?? sourceCRSs.first else {
            throw OverlayUsageError(message: "\(rulesPath): no layer to read")
        }
        var layers: [OverlayLayer] = []
        var warnings: [String] = []
        for (n, (definition, path, _, sha)) in read.enumerated() {
            let (layer, layerWarnings) = try await prepare(
                checkedLayers[n], definition: definition, path: path, sha256: sha, sourceCRS: sourceCRSs[n],
                workingCRS: working, ruleSetPath: rulesPath, crsContext: crsContext)
            layers.append(layer)
            warnings += layerWarnings
        }
        lap("reproject")
        return PreparedLayers(layers: layers, workingCRS: working, warnings: warnings, timings: timings)
    }

    /// Reprojects a checked layer from `sourceCRS` into `workingCRS` and classifies its features by
    /// `definition`; returns the layer and the warnings (ballpark datum shift, classification).
    public func prepare(
        _ checked: CheckedLayer, definition: LayerDefinition, path: String, sha256: String, sourceCRS source: CRSDescription,
        workingCRS working: CRSDescription, ruleSetPath: String, crsContext: CRSContext
    ) async throws -> (OverlayLayer, [String]) {
        var warnings: [String] = []
        let geometries = try await reproject(
            checked.features.map(\.geometry), from: source, to: working, path: path, layer: definition.name, crsContext: crsContext)
        if source != working, try crsContext.transformer(from: source, to: working).usesBallparkTransformation == true {
            warnings.append(Self.ballparkWarning(path: path, layer: definition.name, from: source, to: working))
        }
        let classifier = LayerClassifier(definition: definition)
        let identifiers = try FeatureIdentifiers.make(checked.features, field: definition.idField, path: path, layer: definition.name)
        let features = checked.features.map { Feature(id: $0.id, geometry: nil, attributes: $0.attributes) }
        let neighbours = checked.layer.neighbours
        var report = classifier.classify(neighbours.isEmpty ? features : features.filter { !neighbours.contains($0.id) })
        warnings += classificationWarnings(&report, of: definition, rulesPath: ruleSetPath)
        var layer = OverlayLayer(
            definition: definition, path: path, sha256: sha256, sourceCRS: source, checked: checked,
            geometries: geometries,
            codes: features.map { f in definition.classField.flatMap { f[attribute: $0]?.textValue } },
            classes: features.map(classifier.classes(of:)), classification: report, identifiers: identifiers)
        if !neighbours.isEmpty {
            layer.neighbourPositions = Set(checked.features.indices.filter { neighbours.contains(checked.features[$0].id) })
        }
        return (layer, warnings)
    }

    /// The warning for a layer whose transformation into the working CRS is PROJ's ballpark one
    /// (no datum shift): what it means for the accuracy of the layer's positions.
    static func ballparkWarning(path: String, layer: String, from source: CRSDescription, to target: CRSDescription) -> String {
        "\(path): warning: layer '\(layer)': PROJ knows no datum transformation from \(source.identifier ?? source.name) to \(target.identifier ?? target.name) and used a ballpark one (datum shift ignored): right to centimetres where the datums agree (CGCS2000 and WGS 84), off by up to hundreds of metres where they do not (Xian 1980, Beijing 1954)"
    }

    /// Reprojects in chunks of 1 024 geometries, each chunk in a PROJ context of its own task;
    /// fewer geometries (an applicant's site) use `crsContext` and its cached transformer, since
    /// finding a transformation in PROJ's database costs far more than transforming a site.
    private func reproject(_ geometries: [GeometryValue], from source: CRSDescription, to target: CRSDescription,
                           path: String, layer: String, crsContext: CRSContext) async throws -> [GeometryValue] {
        if source == target { return geometries }
        let chunkSize = 1024
        do {
            if geometries.count <= chunkSize || jobs == 1 {
                let transformer = try crsContext.transformer(from: source, to: target)
                return try geometries.map { try transformer.transform($0) }
            }
            return try await parallelChunks(geometries, jobs: jobs, chunkSize: chunkSize) { chunk in
                let transformer = try CRSContext().transformer(from: source, to: target)
                return try chunk.map { try transformer.transform($0) }
            }
        } catch {
            throw LayerFailure(path: path, layer: layer, underlying: error)
        }
    }
}
