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

    public init(rulesPath: String, layerPaths: [String: String] = [:], workingCRS: String? = nil,
                policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount, dissolve: Bool = false) {
        self.rulesPath = rulesPath
        self.layerPaths = layerPaths
        self.workingCRS = workingCRS
        self.policy = policy
        self.jobs = max(1, jobs)
        self.dissolve = dissolve
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
    /// include "write": the part of the output left after the overlay (flush, sync, rename).
    public func run(progress: (@Sendable (OverlayProgress) -> Void)? = nil, writingPatchesTo output: PatchWriter?) async throws -> OverlayResult {
        let ruleSet = try RuleSetLoader.load(path: request.rulesPath)
        for name in request.layerPaths.keys.sorted() where ruleSet.layer(named: name) == nil {
            throw OverlayUsageError(message: "--layer \(name)=…: the rule set \(request.rulesPath) has no layer '\(name)' (it has: \(ruleSet.layers.map(\.name).joined(separator: ", ")))")
        }
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ stage: String) {
            timings.append((stage, Date().timeIntervalSince(clock)))
            clock = Date()
        }

        // Read every layer of the rule set (those no rule uses too, so their problems are
        // reported), several files at once.
        var sources: [(LayerDefinition, String)] = []
        for definition in ruleSet.layers {
            guard let path = request.layerPaths[definition.name] ?? definition.resolvedPath else {
                throw OverlayUsageError(message: "layer '\(definition.name)' has no path in \(request.rulesPath): give --layer \(definition.name)=PATH")
            }
            sources.append((definition, path))
        }
        let frozen = sources
        let loaded: [(Layer, String)] = try await parallelChunks(frozen, jobs: request.jobs, chunkSize: 1) { chunk in
            try chunk.map { definition, path in
                (try LayerReader.read(path: path, layerName: definition.layerName), try FileHash.sha256(ofFile: path))
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
            do { return try crsContext.crs(for: entry.2.crs) } catch {
                throw LayerFailure(path: entry.1, layer: entry.2.name, underlying: error)
            }
        }
        let working = try request.workingCRS.map { try crsContext.crs($0) } ?? sourceCRSs[0]
        var layers: [OverlayLayer] = []
        var warnings = ruleSet.warnings.map(\.description)
        for (n, (definition, path, _, sha)) in read.enumerated() {
            let checked = checkedLayers[n]
            let source = sourceCRSs[n]
            let geometries = try await reproject(checked.features.map(\.geometry), from: source, to: working, path: path, layer: definition.name)
            if source != working, try crsContext.transformer(from: source, to: working).usesBallparkTransformation == true {
                warnings.append("\(path): warning: layer '\(definition.name)': PROJ knows no datum transformation from \(source.identifier ?? source.name) to \(working.identifier ?? working.name) and used a ballpark one (datum shift ignored): right to centimetres where the datums agree (CGCS2000 and WGS 84), off by up to hundreds of metres where they do not (Xian 1980, Beijing 1954)")
            }
            let classifier = LayerClassifier(definition: definition)
            let features = checked.features.map { Feature(id: $0.id, geometry: nil, attributes: $0.attributes) }
            let report = classifier.classify(features)
            warnings += report.diagnostics(path: ruleSet.sourcePath).map(\.description)
            layers.append(OverlayLayer(
                definition: definition, path: path, sha256: sha, sourceCRS: source, checked: checked,
                geometries: geometries,
                codes: features.map { f in definition.classField.flatMap { f[attribute: $0]?.textValue } },
                classes: features.map(classifier.classes(of:)), classification: report))
        }
        lap("reproject")

        // Opened after the layers are checked, so a run that stops on bad input never creates
        // a temporary file.
        let stream = try output?.open(workingCRS: working)
        var outcomes: [RuleOutcome] = []
        for (ruleIndex, rule) in ruleSet.rules.enumerated() {
            let a = try side(rule.a, in: layers)
            let b = try side(rule.b, in: layers)
            let grid = ruleSet.effectiveGridSize(for: rule)
            let evaluator = RuleEvaluator(
                rule: rule, ruleIndex: ruleIndex, minArea: ruleSet.effectiveMinArea(for: rule),
                gridSize: grid > 0 ? grid : nil, workingCRS: working, jobs: request.jobs,
                sameLayer: rule.a.layer == rule.b.layer, dissolve: request.dissolve)
            let streaming = stream.map { stream in
                (encoder: stream.encoder(for: PatchLineage(rule: rule, layers: layers)),
                 consume: { (encoded: EncodedPatches) throws in try stream.write(encoded) })
            }
            outcomes.append(try await evaluator.evaluate(a: a, b: b, progress: progress, output: streaming))
        }
        lap("overlay")
        if let stream {
            try stream.finish()
            lap("write")
        }

        return OverlayResult(
            ruleSet: ruleSet, rulesSHA256: try FileHash.sha256(ofFile: request.rulesPath), workingCRS: working,
            layers: layers, outcomes: outcomes, warnings: warnings, timings: timings)
    }

    private func reproject(_ geometries: [GeometryValue], from source: CRSDescription, to target: CRSDescription,
                           path: String, layer: String) async throws -> [GeometryValue] {
        if source == target { return geometries }
        do {
            return try await parallelChunks(geometries, jobs: request.jobs, chunkSize: 1024) { chunk in
                let transformer = try CRSContext().transformer(from: source, to: target)
                return try chunk.map { try transformer.transform($0) }
            }
        } catch {
            throw LayerFailure(path: path, layer: layer, underlying: error)
        }
    }

    private func side(_ selector: LayerSelector, in layers: [OverlayLayer]) throws -> RuleSide {
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
