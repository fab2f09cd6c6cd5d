import Foundation
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel
import PlanRules

/// What a planner asks of `plan-check overlay`.
public struct OverlayRequest: Sendable {
    public var rulesPath: String
    /// `--layer NAME=PATH`: paths that replace (or supply) the rule set's layer paths.
    public var layerPaths: [String: String]
    /// `--crs`: the working CRS; nil means the first layer's.
    public var workingCRS: String?
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    /// Compute each rule's dissolved area (the union of its patches, `--dissolve`). It costs
    /// about twice the overlays themselves.
    public var dissolve: Bool
    /// `--encoding` and `--assume-crs` for layer files that do not say (the rule set's per-layer
    /// `encoding:` and `assume_crs:` win).
    public var reading: ReadingSettings
    /// `--districts FILE --district-field NAME`: tabulate the patches by district
    /// (`DistrictTabulation`); nil for no districts.
    public var districts: (path: String, field: String)?
    /// `--engine`: the kernel of the pairwise boolean operations.
    public var engine: OverlayEngine = .clipper
    /// `--dispositions PREVIOUS`: a patch file (or `--csv` table) of an earlier run whose
    /// decisions carry over (`DispositionReader`); nil for none.
    public var dispositionsPath: String? = nil
    /// `--tile K/N`: compute only the patches this slice's tiles own (`TileGrid`); nil for all.
    public var tiles: TileSlice? = nil
    /// Keep every patch (with its geometry) in the result. False when every output the caller
    /// wants is written as the patches are made (GeoJSON `--out`, `--summary`): each rule's
    /// `totals` then carries what the summary needs and `RuleOutcome.patches` is empty. The
    /// dissolve, districts and dispositions need the patches and keep them whatever this says.
    public var keepsPatches = true

    /// `--feature-store`: where the layers' kept features are held during the run.
    public var featureStore: FeatureStoreMode = .memory
    /// `--store-dir`: the folder of the store file; nil for `FeatureStore.defaultDirectory`.
    public var storeDirectory: String? = nil
    /// Features per batch when filling the store (`LayerPreparation.defaultStoreBatchSize`).
    var storeBatchSize = LayerPreparation.defaultStoreBatchSize
    /// Stored `b` features each overlay worker keeps per generation (`RuleEvaluator.storedCacheLimit`).
    var storedCacheLimit = RuleEvaluator.Worker.bCacheLimit

    /// True when the run keeps every patch: asked to (`keepsPatches`), or needing them itself.
    var keepsEveryPatch: Bool { keepsPatches || dissolve || districts != nil || dispositionsPath != nil }

    public init(rulesPath: String, layerPaths: [String: String] = [:], workingCRS: String? = nil,
                policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount, dissolve: Bool = false,
                reading: ReadingSettings = ReadingSettings(), districts: (path: String, field: String)? = nil,
                engine: OverlayEngine = .clipper) {
        self.engine = engine
        self.districts = districts
        self.rulesPath = rulesPath
        self.layerPaths = layerPaths
        self.workingCRS = workingCRS
        self.policy = policy
        self.jobs = max(1, jobs)
        self.dissolve = dissolve
        self.reading = reading
    }
}

/// A usage problem with the overlay's inputs (exit 64): a `--layer` for a layer the rule set does
/// not have, a layer with no path.
public struct OverlayUsageError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .usage }
    public var description: String { message }
}

/// A layer as the overlay uses it: read, checked, reprojected to the working CRS, classified.
public struct OverlayLayer: Sendable {
    public var definition: LayerDefinition
    public var path: String
    public var sha256: String
    public var sourceCRS: CRSDescription
    /// The check in the layer's own CRS (problems, repairs, rejections).
    public var checked: CheckedLayer
    /// Kept features' geometries in the working CRS, same order as `checked.features`.
    public var geometries: [GeometryValue]
    /// The raw class code of each kept feature (the class field's value as text), or nil.
    public var codes: [String?]
    /// The classes of each kept feature.
    public var classes: [[String]]
    public var classification: ClassificationReport
    /// What identifies each kept feature in patch ids: its `id_field` value, or its feature id
    /// (`FeatureIdentifiers`).
    public var identifiers: [String]
    /// Set when the kept features are in a `FeatureStore` (`--feature-store disk`): then
    /// `checked.features`, `geometries`, `codes`, `classes` and `identifiers` are empty, and
    /// `checked.layer` is the file's header without features.
    public var stored: StoredLayer? = nil
    /// The positions of kept features read only as neighbours of a `--tile` slice's own
    /// features (`Layer.neighbours`): the slice computes with them but does not count them.
    var neighbourPositions: Set<Int> = []

    /// Features read (kept or not): the file's, or a region's (`LayerRegion`).
    public var featuresRead: Int { stored?.featuresRead ?? checked.layer.features.count }
    /// Features kept after the check (valid or repaired).
    public var featuresKept: Int { stored?.catalog.count ?? checked.features.count }

    /// What this run counts of the layer: every feature read, except in a `--tile` slice
    /// reading by region, which counts only the features it owns (each feature is then counted
    /// by exactly one slice, and `plan-check merge` adds the slices' counts).
    var counted: (read: Int, kept: Int, repairs: [FeatureRepair], rejections: [FeatureRejection]) {
        let neighbours = checked.layer.neighbours
        guard !neighbours.isEmpty else { return (featuresRead, featuresKept, checked.repairs, checked.rejections) }
        return (featuresRead - neighbours.count, featuresKept - neighbourPositions.count,
                checked.repairs.filter { !neighbours.contains($0.featureID) },
                checked.rejections.filter { !neighbours.contains($0.featureID) })
    }

    /// The classes of the kept feature at `position`.
    func classes(at position: Int) -> [String] { stored?.catalog.classes[position] ?? classes[position] }

    /// The raw class codes of the kept features, by position.
    var codeColumn: InternedColumn<String?> { stored?.catalog.codes ?? InternedColumn(codes) }

    /// Kept features per class, and kept features in no class.
    var classCounts: (classes: [String: Int], unclassified: Int) {
        var counts: [String: Int] = [:]
        var unclassified = 0
        let column = stored?.catalog.classes ?? InternedColumn(classes)
        for (list, n) in zip(column.distinct, column.counts) {
            if list.isEmpty { unclassified += n }
            for c in list { counts[c, default: 0] += n }
        }
        for position in neighbourPositions {
            let list = classes(at: position)
            if list.isEmpty { unclassified -= 1 }
            for c in list { counts[c, default: 0] -= 1 }
        }
        return (counts.filter { $0.value > 0 }, unclassified)
    }
}

/// Everything an overlay run produced.
public struct OverlayResult: Sendable {
    public var ruleSet: RuleSet
    public var rulesSHA256: String
    public var workingCRS: CRSDescription
    public var layers: [OverlayLayer]
    public var outcomes: [RuleOutcome]
    /// Rule-set and classification warnings, one line each with the rule file's line.
    public var warnings: [String]
    /// The decisions carried over from `--dispositions` (empty without), and the rules hash.
    public var ledger: DispositionLedger
    /// Seconds per stage: "read", "check", "reproject", "overlay", and "write" when the patches
    /// were written during the run (`OverlayRunner.run(progress:writingPatchesTo:)`).
    public var timings: [(stage: String, seconds: Double)]
    /// The tile grid and this run's slice of it (`--tile K/N`); nil for a whole run.
    var tileGrid: TileGrid? = nil
    /// How a slice read its layers by region; nil when it read them whole (or for a whole run).
    var sliceReading: SliceReading? = nil
    /// Why a slice read every layer whole (`SliceReading.plan`); nil otherwise.
    var wholeReadingReason: String? = nil
    /// Where the features were held: "memory" or "disk", and the store file's size (bytes) at
    /// its fullest (0 in memory).
    public var featureStore = (mode: FeatureStoreMode.memory, bytes: 0)
    /// The districts (`--districts`) and the patches tabulated by district; nil without.
    public var districts: DistrictLayer? = nil
    public var districtTable: DistrictTabulation? = nil

    public func layer(named name: String) -> OverlayLayer? { layers.first { $0.definition.name == name } }

    /// The patches of every rule, in rule order.
    public var patches: [DiscrepancyPatch] { outcomes.flatMap(\.patches) }
}

/// Runs `plan-check overlay`: reads the rule set and the layers, checks, reprojects and
/// classifies them, and evaluates every rule.
public struct OverlayRunner: Sendable {
    public var request: OverlayRequest

    public init(_ request: OverlayRequest) { self.request = request }

    public func run(progress: (@Sendable (OverlayProgress) -> Void)? = nil) async throws -> OverlayResult {
        try await run(progress: progress, writingPatchesTo: nil)
    }

    /// Runs the overlay and, with `output`, writes the patches file while the overlay runs:
    /// each worker encodes the patches it finds and the file is appended in order, so the bytes
    /// are those `PatchWriter.write(_:)` would write afterwards. The file appears only when the
    /// whole run succeeded (a failed run leaves whatever was at its path). The timings then
    /// include "write": the part of the output left after the overlay (flush and sync).
    public func run(progress: (@Sendable (OverlayProgress) -> Void)? = nil, writingPatchesTo output: PatchWriter?) async throws -> OverlayResult {
        let outputs = try OverlayOutputs(patches: output, summary: nil)
        let result = try await run(progress: progress, writingTo: outputs)
        try outputs.commit(summary: nil)
        return result
    }

    /// Runs the overlay and writes the patches file of `outputs` while it runs (as
    /// `run(progress:writingPatchesTo:)` does), leaving it complete but uncommitted:
    /// `outputs.commit(summary:)` then puts it in place together with the summary.
    public func run(progress: (@Sendable (OverlayProgress) -> Void)? = nil, writingTo outputs: OverlayOutputs) async throws -> OverlayResult {
        try checkTiles()
        try checkTileOutput(outputs)
        let ruleSet = try RuleSetLoader.load(path: request.rulesPath)
        try checkLayerOverrides(ruleSet)
        // The applicant's site is only there when given: without it, its rules are skipped.
        let site = LayerDefinition.siteLayerName
        let siteGiven = request.layerPaths[site] != nil || ruleSet.layer(named: site)?.resolvedPath != nil
        let rules = ruleSet.rules.filter { rule in siteGiven || (rule.a.layer != site && rule.b.layer != site) }
        // The layers these rules read, and layers nothing reads (so their problems are still
        // reported); not layers only skipped rules or assessments read.
        let read = Set(rules.flatMap { [$0.a.layer, $0.b.layer] })
        let usedElsewhere = Set(ruleSet.rules.flatMap { [$0.a.layer, $0.b.layer] } + ruleSet.assessments.flatMap(\.constraintLayers))
        let names = ruleSet.layers.map(\.name).filter { name in
            (read.contains(name) || !usedElsewhere.contains(name)) && (siteGiven || name != site)
        }
        let rulesSHA256 = try FileHash.sha256(ofFile: request.rulesPath)
        // Read before the layers, so a dispositions file that does not fit fails at once.
        let ledger = try request.dispositionsPath.map {
            try DispositionReader.read(path: $0, rulesSHA256: rulesSHA256, settings: ruleSet.dispositions)
        } ?? DispositionLedger(rulesSHA256: rulesSHA256, settings: ruleSet.dispositions)
        let sources = try layerSources(of: ruleSet, named: names)
        let (mode, storeNote) = try featureStoreMode(for: sources.map(\.1), outputs: outputs)
        // A slice reads by region when its layers allow (`SliceReading`), else every layer whole.
        let slicing = try request.tiles.map { tiles in
            try SliceReading.plan(tiles, sources: sources, rules: rules, preparation: preparation, rulesPath: ruleSet.sourcePath)
        }
        let store = mode == .disk ? FeatureStore(directory: request.storeDirectory ?? FeatureStore.defaultDirectory) : nil
        // The store goes on every way out of the run (signals: `FeatureStore.removeLive()`;
        // `kill -9`: `FeatureStore.removeStale(in:)` on the next run).
        defer { store?.remove() }
        var prepared = try await prepareLayers(sources, of: ruleSet, store: store, slicing: slicing?.reading)
        if let storeNote { prepared.warnings.append(storeNote) }
        prepared.warnings += identifierNotes(ruleSet, layersRead: read)
        if !siteGiven, ruleSet.layer(named: site) != nil, rules.count < ruleSet.rules.count {
            let skipped = ruleSet.rules(involving: site).map(\.id)
            prepared.warnings.append("\(ruleSet.sourcePath): note: rules \(skipped.joined(separator: ", ")) read the applicant's site and are skipped (give --layer site=PATH to check a site)")
        }
        var districts: DistrictLayer?
        if let given = request.districts {
            let clock = Date()
            districts = try await DistrictLayer.load(
                path: given.path, field: given.field, workingCRS: prepared.workingCRS, policy: request.policy,
                reading: request.reading, jobs: request.jobs, crsContext: try CRSContext())
            prepared.warnings += districts?.warnings ?? []
            prepared.timings.append(("districts", Date().timeIntervalSince(clock)))
        }
        // Opened after the layers are checked, so a run that stops on bad input never creates
        // a temporary file.
        let streams = try outputs.openStreams(
            workingCRS: prepared.workingCRS, csvDuringRun: !request.keepsEveryPatch,
            mergeKeys: request.tiles == nil ? nil : slicing?.reading == nil ? .positions : .fids)
        var clock = Date()
        let tileGrid = try slicing?.reading?.grid ?? request.tiles.map { slice in
            try TileGrid(slice: slice, extent: Self.extent(of: prepared.layers), workingCRS: prepared.workingCRS)
        }
        let outcomes = try await evaluate(
            rules, of: ruleSet, layers: prepared.layers, workingCRS: prepared.workingCRS, progress: progress, writingTo: streams,
            ledger: ledger, tiles: tileGrid)
        prepared.timings.append(("overlay", Date().timeIntervalSince(clock)))
        if streams.patches != nil || streams.csv != nil {
            clock = Date()
            try outputs.streamsWritten(streams)
            prepared.timings.append(("write", Date().timeIntervalSince(clock)))
        }
        var result = OverlayResult(
            ruleSet: ruleSet, rulesSHA256: rulesSHA256, workingCRS: prepared.workingCRS,
            layers: prepared.layers, outcomes: outcomes, warnings: prepared.warnings, ledger: ledger, timings: prepared.timings)
        result.tileGrid = tileGrid
        result.sliceReading = slicing?.reading
        result.wholeReadingReason = slicing?.note
        result.featureStore = (mode, store?.sizeInBytes ?? 0)
        let resolvedDecisions = ledger.resolved(given: result.patches).filter(\.isDisposed)
        if let source = ledger.sourcePath, !resolvedDecisions.isEmpty {
            result.warnings.append("\(source): note: \(resolvedDecisions.count) decision(s) are on patches this run no longer finds (resolved, listed in the summary): \(FeatureIdentifiers.listed(resolvedDecisions.map { "\($0.id) (\($0.disposition))" }))")
        }
        if outputs.patches != nil && streams.patches == nil {
            // GeoPackage, Shapefile, File Geodatabase: written whole once the patches are known.
            clock = Date()
            try outputs.writePatchFile(result)
            result.timings.append(("write", Date().timeIntervalSince(clock)))
        }
        if let districts {
            clock = Date()
            let table = try await DistrictTabulation(result, districts: districts, jobs: request.jobs)
            result.districts = districts
            result.districtTable = table
            for overlap in table.overlaps {
                result.warnings.append("\(districts.path): warning: districts '\(overlap.a)' (feature \(overlap.aFeature)) and '\(overlap.b)' (feature \(overlap.bFeature)) overlap by \(grouped(overlap.areaM2, 1)) m²: patch area there is counted in both")
            }
            // "districts" is the reading above plus the tabulation.
            if let k = result.timings.firstIndex(where: { $0.stage == "districts" }) {
                result.timings[k].seconds += Date().timeIntervalSince(clock)
            }
        }
        return result
    }

    /// The union envelope of every kept feature of `layers` (working CRS): what the tile grid covers.
    static func extent(of layers: [OverlayLayer]) -> Envelope {
        var extent = Envelope.empty
        for layer in layers {
            if let stored = layer.stored {
                for box in stored.catalog.envelopes where !box.isEmpty { extent.expand(toInclude: box) }
            } else {
                for geometry in layer.geometries { if let box = geometry.envelope { extent.expand(toInclude: box) } }
            }
        }
        return extent
    }

    /// Where this run holds the features (`OverlayRequest.featureStore`, `auto` decided by the
    /// files' total size and the outputs), and a note when `auto` kept a big input in memory.
    /// - Throws: `OverlayUsageError` (64) for `disk` with an output that needs every patch.
    func featureStoreMode(for paths: [String], outputs: OverlayOutputs) throws -> (FeatureStoreMode, String?) {
        var needing: [String] = []
        if let html = outputs.html { needing.append("--html \(html.description)") }
        if let patches = outputs.patches, outputs.streamedPatches == nil, let format = outputs.patchFormat {
            needing.append("--out \(patches.path) (a \(format.rawValue), written whole)")
        }
        if request.dissolve { needing.append("--dissolve") }
        if request.districts != nil { needing.append("--districts") }
        if request.dispositionsPath != nil { needing.append("--dispositions") }
        if needing.isEmpty, request.keepsEveryPatch { needing.append("a caller that keeps every patch") }
        switch request.featureStore {
        case .memory:
            return (.memory, nil)
        case .disk:
            guard needing.isEmpty else {
                throw OverlayUsageError(message: "--feature-store disk and \(needing.joined(separator: ", ")): that output needs every patch and its source features after the overlay; write GeoJSON --out, --summary or --csv, or use --feature-store memory")
            }
            return (.disk, nil)
        case .auto:
            let bytes = LayerPreparation.bytes(of: paths)
            guard bytes > FeatureStore.autoDiskThreshold else { return (.memory, nil) }
            guard needing.isEmpty else {
                return (.memory, "note: the layer files are \(bytes >> 20) MiB together, but \(needing.joined(separator: ", ")) needs every patch: the features are held in memory (--feature-store auto; a GeoJSON --out, --summary and --csv alone would use the disk)")
            }
            return (.disk, nil)
        }
    }

    /// A note for each layer the rules read that has no `id_field`: its patch ids follow the
    /// file's ids or order, which a re-export can change.
    func identifierNotes(_ ruleSet: RuleSet, layersRead: Set<String>) -> [String] {
        ruleSet.layers.filter { layersRead.contains($0.name) && $0.idField == nil }.map { layer in
            "\(ruleSet.sourcePath):\(layer.line): note: layer '\(layer.name)' has no id_field: its patch ids use the features' GeoJSON id, GeoPackage fid or position, which change when the file is re-exported or reordered (name the identifying attribute, e.g. id_field: BSM)"
        }
    }

    /// `--tile K/N` needs 1 ≤ K ≤ N and a positive tile size, and does not combine with what a
    /// slice cannot answer alone: the dissolved area (overlaps across slices) and `--dispositions`
    /// (a slice would call the other slices' patches resolved).
    func checkTiles() throws {
        guard let tiles = request.tiles else { return }
        guard tiles.count >= 1, (1...tiles.count).contains(tiles.slice) else {
            throw OverlayUsageError(message: "--tile \(tiles.text): K/N needs 1 ≤ K ≤ N")
        }
        guard tiles.tileSizeMetres.isFinite, tiles.tileSizeMetres > 0 else {
            throw OverlayUsageError(message: "--tile-size \(tiles.tileSizeMetres): the tile side must be a positive number of metres")
        }
        if request.dissolve { throw OverlayUsageError(message: "--tile and --dissolve: a slice cannot compute a dissolved area (overlaps across slices); run --dissolve on the whole overlay") }
        if request.dispositionsPath != nil { throw OverlayUsageError(message: "--tile and --dispositions: a slice would report the other slices' patches as resolved; carry dispositions on the merged run") }
        if request.districts != nil { throw OverlayUsageError(message: "--tile and --districts: a slice's district table would hold only its own patches; tabulate districts on the whole run") }
    }

    /// A `--tile` slice writes its patches as GeoJSON (or none), the format `plan-check merge` reads.
    func checkTileOutput(_ outputs: OverlayOutputs) throws {
        guard request.tiles != nil, let format = outputs.patchFormat, format != .geoJSON, let path = outputs.patches?.path else { return }
        throw OverlayUsageError(message: "--tile and --out \(path): slices are written as GeoJSON (.geojson) for plan-check merge, which writes GeoJSON; convert the merged file (e.g. ogr2ogr) for a \(format.rawValue)")
    }

    /// Every `--layer NAME=PATH` must name a layer of the rule set (usage error otherwise).
    func checkLayerOverrides(_ ruleSet: RuleSet) throws {
        for name in request.layerPaths.keys.sorted() where ruleSet.layer(named: name) == nil {
            throw OverlayUsageError(message: "--layer \(name)=…: the rule set \(request.rulesPath) has no layer '\(name)' (it has: \(ruleSet.layers.map(\.name).joined(separator: ", ")))")
        }
    }

    /// Layers read, checked, reprojected and classified (`LayerPreparation`).
    public typealias PreparedLayers = PlanCheckKit.PreparedLayers

    /// The layer service with this request's policy, jobs, reading settings and `--crs`.
    var preparation: LayerPreparation {
        LayerPreparation(policy: request.policy, jobs: request.jobs, reading: request.reading, workingCRS: request.workingCRS)
    }

    /// Reads the layers `names` of `ruleSet` (in rule-set order; their files from `--layer` or
    /// the rule set) and prepares them (`LayerPreparation.prepare(_:rulesPath:)`); the rule
    /// set's warnings come first.
    public func prepareLayers(of ruleSet: RuleSet, named names: [String]) async throws -> PreparedLayers {
        try await prepareLayers(try layerSources(of: ruleSet, named: names), of: ruleSet, store: nil)
    }

    /// The layers `names` of `ruleSet` (in rule-set order) with their files (`--layer` or the rule set).
    func layerSources(of ruleSet: RuleSet, named names: [String]) throws -> [(LayerDefinition, String)] {
        var sources: [(LayerDefinition, String)] = []
        for definition in ruleSet.layers where names.contains(definition.name) {
            guard let path = request.layerPaths[definition.name] ?? definition.resolvedPath else {
                throw OverlayUsageError(message: "layer '\(definition.name)' has no path in \(request.rulesPath): give --layer \(definition.name)=PATH")
            }
            sources.append((definition, path))
        }
        return sources
    }

    /// `sources` prepared in memory, or into `store` (`LayerPreparation.prepareStored`); with
    /// `slicing`, each layer read by its region.
    func prepareLayers(
        _ sources: [(LayerDefinition, String)], of ruleSet: RuleSet, store: FeatureStore?, slicing: SliceReading? = nil
    ) async throws -> PreparedLayers {
        var preparation = preparation
        if let slicing {
            preparation.reading.regions = slicing.regions
            preparation.sliceUnmatchedPatterns = slicing.unmatchedPatterns
        }
        var prepared = if let store {
            try await preparation.prepareStored(sources, rulesPath: ruleSet.sourcePath, store: store, batchSize: request.storeBatchSize)
        } else {
            try await preparation.prepare(sources, rulesPath: ruleSet.sourcePath)
        }
        prepared.warnings = ruleSet.warnings.map(\.description) + prepared.warnings
        return prepared
    }

    /// `LayerPreparation.prepare(_:definition:path:sha256:sourceCRS:workingCRS:ruleSetPath:crsContext:)`.
    public func prepare(
        _ checked: CheckedLayer, definition: LayerDefinition, path: String, sha256: String, sourceCRS source: CRSDescription,
        workingCRS working: CRSDescription, ruleSetPath: String, crsContext: CRSContext
    ) async throws -> (OverlayLayer, [String]) {
        try await preparation.prepare(
            checked, definition: definition, path: path, sha256: sha256, sourceCRS: source, workingCRS: working,
            ruleSetPath: ruleSetPath, crsContext: crsContext)
    }


    /// Evaluates `rules` (of `ruleSet`, whose indices give patch order) on prepared layers.
    public func evaluate(
        _ rules: [ConflictRule], of ruleSet: RuleSet, layers: [OverlayLayer], workingCRS: CRSDescription,
        progress: (@Sendable (OverlayProgress) -> Void)? = nil
    ) async throws -> [RuleOutcome] {
        try await evaluate(rules, of: ruleSet, layers: layers, workingCRS: workingCRS, progress: progress, writingTo: nil,
                           ledger: DispositionLedger(rulesSHA256: ""))
    }

    /// `evaluate`, appending each rule's patches to `stream` in order as they are found.
    func evaluate(
        _ rules: [ConflictRule], of ruleSet: RuleSet, layers: [OverlayLayer], workingCRS: CRSDescription,
        progress: (@Sendable (OverlayProgress) -> Void)?, writingTo streams: StreamedOutputs?, ledger: DispositionLedger,
        tiles: TileGrid? = nil
    ) async throws -> [RuleOutcome] {
        var outcomes: [RuleOutcome] = []
        for rule in rules {
            let ruleIndex = ruleSet.rules.firstIndex(of: rule) ?? 0
            let a = try side(rule.a, in: layers)
            let b = try side(rule.b, in: layers)
            let grid = ruleSet.effectiveGridSize(for: rule)
            var evaluator = RuleEvaluator(
                rule: rule, ruleIndex: ruleIndex, minArea: ruleSet.effectiveMinArea(for: rule),
                gridSize: grid > 0 ? grid : nil, engine: request.engine, workingCRS: workingCRS, jobs: request.jobs,
                sameLayer: rule.a.layer == rule.b.layer, dissolve: request.dissolve, tiles: tiles)
            evaluator.storedCacheLimit = request.storedCacheLimit
            let streaming = streams.flatMap { streams in
                streams.encoder(for: PatchLineage(rule: rule, layers: layers, ledger: ledger)).map { encoder in
                    (encoder: encoder, consume: { (encoded: EncodedPatches) throws in try streams.write(encoded) })
                }
            }
            let tally = PatchTally(aCodes: try layer(rule.a.layer, in: layers).codeColumn, bCodes: try layer(rule.b.layer, in: layers).codeColumn, ledger: ledger)
            outcomes.append(try await evaluator.evaluate(
                a: a, b: b, progress: progress, output: streaming, tally: tally, keepPatches: request.keepsEveryPatch))
        }
        return outcomes
    }


    func layer(_ name: String, in layers: [OverlayLayer]) throws -> OverlayLayer {
        guard let layer = layers.first(where: { $0.definition.name == name }) else {
            throw OverlayUsageError(message: "rule refers to unknown layer '\(name)'")
        }
        return layer
    }

    func side(_ selector: LayerSelector, in layers: [OverlayLayer]) throws -> RuleSide {
        let layer = try layer(selector.layer, in: layers)
        if let stored = layer.stored {
            let indices = (0..<layer.featuresKept).filter { i in selector.className.map { layer.classes(at: i).contains($0) } ?? true }
            return RuleSide(layerName: layer.definition.name, indices: indices, envelopes: indices.map { stored.catalog.envelopes[$0] },
                            features: .stored(stored))
        }
        let indices = layer.classes.indices.filter { i in
            selector.className.map { layer.classes[i].contains($0) } ?? true
        }
        let geometries = indices.map { layer.geometries[$0] }
        return RuleSide(
            layerName: layer.definition.name, indices: indices, geometries: geometries,
            envelopes: geometries.map { $0.envelope ?? .empty },
            ids: indices.map { layer.identifiers[$0] })
    }
}
