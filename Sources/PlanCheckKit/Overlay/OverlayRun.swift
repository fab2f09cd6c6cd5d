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

    public init(rulesPath: String, layerPaths: [String: String] = [:], workingCRS: String? = nil,
                policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount, dissolve: Bool = false,
                reading: ReadingSettings = ReadingSettings(), districts: (path: String, field: String)? = nil) {
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
    /// Seconds per stage: "read", "check", "reproject", "overlay", and "write" when the patches
    /// were written during the run (`OverlayRunner.run(progress:writingPatchesTo:)`).
    public var timings: [(stage: String, seconds: Double)]
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
        var prepared = try await prepareLayers(of: ruleSet, named: names)
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
        let stream = try outputs.streamedPatches?.open(workingCRS: prepared.workingCRS)
        var clock = Date()
        let outcomes = try await evaluate(
            rules, of: ruleSet, layers: prepared.layers, workingCRS: prepared.workingCRS, progress: progress, writingTo: stream)
        prepared.timings.append(("overlay", Date().timeIntervalSince(clock)))
        if let stream {
            clock = Date()
            try outputs.patchesWritten(stream)
            prepared.timings.append(("write", Date().timeIntervalSince(clock)))
        }
        var result = OverlayResult(
            ruleSet: ruleSet, rulesSHA256: try FileHash.sha256(ofFile: request.rulesPath), workingCRS: prepared.workingCRS,
            layers: prepared.layers, outcomes: outcomes, warnings: prepared.warnings, timings: prepared.timings)
        if outputs.patches != nil && stream == nil {
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

    /// Every `--layer NAME=PATH` must name a layer of the rule set (usage error otherwise).
    func checkLayerOverrides(_ ruleSet: RuleSet) throws {
        for name in request.layerPaths.keys.sorted() where ruleSet.layer(named: name) == nil {
            throw OverlayUsageError(message: "--layer \(name)=…: the rule set \(request.rulesPath) has no layer '\(name)' (it has: \(ruleSet.layers.map(\.name).joined(separator: ", ")))")
        }
    }

    /// Layers read, checked, reprojected to the working CRS and classified; what `overlay`,
    /// `assess` and `query` start from.
    public struct PreparedLayers: Sendable {
        public var layers: [OverlayLayer]
        public var workingCRS: CRSDescription
        /// Rule-set and classification warnings, one line each.
        public var warnings: [String]
        /// Seconds per stage: "read", "check", "reproject".
        public var timings: [(stage: String, seconds: Double)]
    }

    /// Reads the layers `names` of `ruleSet` (in rule-set order; their files from `--layer` or
    /// the rule set), checks them with the request's policy, reprojects them into the working CRS
    /// (the request's `--crs`, else the first layer's) and classifies their features. Several files
    /// are read at once.
    public func prepareLayers(of ruleSet: RuleSet, named names: [String]) async throws -> PreparedLayers {
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ stage: String) {
            timings.append((stage, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        var sources: [(LayerDefinition, String)] = []
        for definition in ruleSet.layers where names.contains(definition.name) {
            guard let path = request.layerPaths[definition.name] ?? definition.resolvedPath else {
                throw OverlayUsageError(message: "layer '\(definition.name)' has no path in \(request.rulesPath): give --layer \(definition.name)=PATH")
            }
            sources.append((definition, path))
        }
        let frozen = sources
        let reading = request.reading, rulesPath = ruleSet.sourcePath
        let loaded: [(Layer, String)] = try await parallelChunks(frozen, jobs: request.jobs, chunkSize: 1) { chunk in
            try chunk.map { definition, path in
                (try LayerReader.read(path: path, layerName: definition.layerName,
                                      options: reading.readOptions(for: definition, rulesPath: rulesPath)),
                 try FileHash.sha256(ofFile: path))
            }
        }
        let read = zip(sources, loaded).map { ($0.0, $0.1, $1.0, $1.1) }
        lap("read")

        var checkedLayers: [CheckedLayer] = []
        for (_, _, layer, _) in read {
            checkedLayers.append(try await LayerChecker(policy: request.policy, jobs: request.jobs).check(layer))
        }
        lap("check")

        let crsContext = try CRSContext()
        let sourceCRSs = try read.map { entry in
            try LayerCRSResolver.resolve(
                entry.2, assumed: reading.assumption(for: entry.0, rulesPath: rulesPath), context: crsContext).crs
        }
        guard let working = try request.workingCRS.map({ try crsContext.crs($0) }) ?? sourceCRSs.first else {
            throw OverlayUsageError(message: "\(request.rulesPath): no layer to read")
        }
        var layers: [OverlayLayer] = []
        var warnings = ruleSet.warnings.map(\.description)
        for (n, (definition, path, _, sha)) in read.enumerated() {
            let (layer, layerWarnings) = try await prepare(
                checkedLayers[n], definition: definition, path: path, sha256: sha, sourceCRS: sourceCRSs[n],
                workingCRS: working, ruleSetPath: ruleSet.sourcePath, crsContext: crsContext)
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
            warnings.append("\(path): warning: layer '\(definition.name)': PROJ knows no datum transformation from \(source.identifier ?? source.name) to \(working.identifier ?? working.name) and used a ballpark one (datum shift ignored): right to centimetres where the datums agree (CGCS2000 and WGS 84), off by up to hundreds of metres where they do not (Xian 1980, Beijing 1954)")
        }
        let classifier = LayerClassifier(definition: definition)
        let features = checked.features.map { Feature(id: $0.id, geometry: nil, attributes: $0.attributes) }
        let report = classifier.classify(features)
        warnings += report.diagnostics(path: ruleSetPath).map(\.description)
        let layer = OverlayLayer(
            definition: definition, path: path, sha256: sha256, sourceCRS: source, checked: checked,
            geometries: geometries,
            codes: features.map { f in definition.classField.flatMap { f[attribute: $0]?.textValue } },
            classes: features.map(classifier.classes(of:)), classification: report)
        return (layer, warnings)
    }

    /// Evaluates `rules` (of `ruleSet`, whose indices give patch order) on prepared layers.
    public func evaluate(
        _ rules: [ConflictRule], of ruleSet: RuleSet, layers: [OverlayLayer], workingCRS: CRSDescription,
        progress: (@Sendable (OverlayProgress) -> Void)? = nil
    ) async throws -> [RuleOutcome] {
        try await evaluate(rules, of: ruleSet, layers: layers, workingCRS: workingCRS, progress: progress, writingTo: nil)
    }

    /// `evaluate`, appending each rule's patches to `stream` in order as they are found.
    func evaluate(
        _ rules: [ConflictRule], of ruleSet: RuleSet, layers: [OverlayLayer], workingCRS: CRSDescription,
        progress: (@Sendable (OverlayProgress) -> Void)?, writingTo stream: PatchStream?
    ) async throws -> [RuleOutcome] {
        var outcomes: [RuleOutcome] = []
        for rule in rules {
            let ruleIndex = ruleSet.rules.firstIndex(of: rule) ?? 0
            let a = try side(rule.a, in: layers)
            let b = try side(rule.b, in: layers)
            let grid = ruleSet.effectiveGridSize(for: rule)
            let evaluator = RuleEvaluator(
                rule: rule, ruleIndex: ruleIndex, minArea: ruleSet.effectiveMinArea(for: rule),
                gridSize: grid > 0 ? grid : nil, engine: request.engine, workingCRS: workingCRS, jobs: request.jobs,
                sameLayer: rule.a.layer == rule.b.layer, dissolve: request.dissolve)
            let streaming = stream.map { stream in
                (encoder: stream.encoder(for: PatchLineage(rule: rule, layers: layers)),
                 consume: { (encoded: EncodedPatches) throws in try stream.write(encoded) })
            }
            outcomes.append(try await evaluator.evaluate(a: a, b: b, progress: progress, output: streaming))
        }
        return outcomes
    }

    /// Reprojects in chunks of 1 024 geometries, each chunk in a PROJ context of its own task;
    /// fewer geometries (an applicant's site) use `crsContext` and its cached transformer, since
    /// finding a transformation in PROJ's database costs far more than transforming a site.
    private func reproject(_ geometries: [GeometryValue], from source: CRSDescription, to target: CRSDescription,
                           path: String, layer: String, crsContext: CRSContext) async throws -> [GeometryValue] {
        if source == target { return geometries }
        let chunkSize = 1024
        do {
            if geometries.count <= chunkSize || request.jobs == 1 {
                let transformer = try crsContext.transformer(from: source, to: target)
                return try geometries.map { try transformer.transform($0) }
            }
            return try await parallelChunks(geometries, jobs: request.jobs, chunkSize: chunkSize) { chunk in
                let transformer = try CRSContext().transformer(from: source, to: target)
                return try chunk.map { try transformer.transform($0) }
            }
        } catch {
            throw LayerFailure(path: path, layer: layer, underlying: error)
        }
    }

    func side(_ selector: LayerSelector, in layers: [OverlayLayer]) throws -> RuleSide {
        guard let layer = layers.first(where: { $0.definition.name == selector.layer }) else {
            throw OverlayUsageError(message: "rule refers to unknown layer '\(selector.layer)'")
        }
        let indices = layer.classes.indices.filter { i in
            selector.className.map { layer.classes[i].contains($0) } ?? true
        }
        let geometries = indices.map { layer.geometries[$0] }
        return RuleSide(
            layerName: layer.definition.name, indices: indices, geometries: geometries,
            envelopes: geometries.map { $0.envelope ?? .empty },
            ids: indices.map { layer.checked.features[$0].id })
    }
}
