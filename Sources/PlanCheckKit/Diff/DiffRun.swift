import Foundation
import PlanCRS
import PlanModel
import PlanRules

/// What a planner asks of `plan-check diff`: two versions of one plan layer.
public struct DiffRequest: Sendable {
    public var oldPath: String
    public var newPath: String
    /// `--class-field`: the class field of the new version (and of the old one, unless
    /// `oldClassField` is given).
    public var classField: String
    public var oldClassField: String?
    /// `--id-field`: the attribute that identifies a feature in both versions (e.g. `BSM`); nil
    /// for the GeoJSON `id`, GeoPackage `fid` or position.
    public var idField: String?
    /// `--classes`: a class mapping (`ClassMappingLoader`); nil compares raw codes.
    public var classes: String?
    public var workingCRS: String?
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    public var reading: ReadingSettings
    /// An overlap of an old and a new feature counts as a link (for `merged` and `split`) from
    /// this area on, m² (planar as the overlay measures). Default 1 m².
    public var minLinkAreaM2: Double
    /// Kept ids whose area differs by more than this (m²), or whose geometry hash differs, are
    /// `reshaped`. Default 0.01 m².
    public var areaToleranceM2: Double

    public init(oldPath: String, newPath: String, classField: String, oldClassField: String? = nil, idField: String? = nil,
                classes: String? = nil, workingCRS: String? = nil, policy: InvalidFeaturePolicy = .repair,
                jobs: Int = defaultJobCount, reading: ReadingSettings = ReadingSettings(),
                minLinkAreaM2: Double = 1, areaToleranceM2: Double = 0.01) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.classField = classField
        self.oldClassField = oldClassField
        self.idField = idField
        self.classes = classes
        self.workingCRS = workingCRS
        self.policy = policy
        self.jobs = max(1, jobs)
        self.reading = reading
        self.minLinkAreaM2 = minLinkAreaM2
        self.areaToleranceM2 = areaToleranceM2
    }
}

/// Everything `diff` found: both versions as prepared, the transition matrix and the changes
/// per feature.
public struct DiffResult: Sendable {
    public var request: DiffRequest
    public var old: OverlayLayer
    public var new: OverlayLayer
    public var workingCRS: CRSDescription
    /// The class of each kept feature of each version (`DiffRunner.className`).
    public var oldClasses: [String]
    public var newClasses: [String]
    public var matrix: TransitionMatrix
    public var changes: [FeatureChange]
    /// Ids present in both versions with no change.
    public var unchanged: Int
    public var warnings: [String]
    public var timings: [(stage: String, seconds: Double)]
}

/// Runs `plan-check diff`: reads both versions through the layer service the overlay uses,
/// overlays them with the overlay's rule evaluator (old ∩ new, old − new, new − old, no sliver
/// threshold so that every m² is counted) and tabulates the result.
public struct DiffRunner: Sendable {
    public var request: DiffRequest

    public init(_ request: DiffRequest) { self.request = request }

    /// The class a feature is counted under when it has none: no code, or (with `--classes`) a
    /// code no class matches.
    public static let noCode = "(no code)"
    public static let unclassified = "(unclassified)"

    public func run() async throws -> DiffResult {
        let mapping = try request.classes.map { spec in try ClassMappingLoader.load(spec) }
        let mappingPath = mapping?.path ?? "diff"
        var oldDefinition = LayerDefinition(name: "old", classField: request.oldClassField ?? request.classField, classes: mapping?.old ?? [])
        var newDefinition = LayerDefinition(name: "new", classField: request.classField, classes: mapping?.new ?? [])
        oldDefinition.idField = request.idField
        newDefinition.idField = request.idField
        let preparation = LayerPreparation(policy: request.policy, jobs: request.jobs, reading: request.reading, workingCRS: request.workingCRS)
        let prepared = try await preparation.prepare([(oldDefinition, request.oldPath), (newDefinition, request.newPath)], rulesPath: mappingPath)
        let (old, new) = (prepared.layers[0], prepared.layers[1])
        try requireClassField(old, option: request.oldClassField == nil ? "--class-field" : "--old-class-field")
        try requireClassField(new, option: "--class-field")
        for layer in [old, new] where request.idField == nil { try requireDistinctIdentifiers(layer) }
        var warnings = prepared.warnings
        if mapping == nil {
            // Raw codes are the classes: "matches no class" says nothing then.
            let classification = Set([old, new].flatMap { $0.classification.diagnostics(path: mappingPath).map(\.description) })
            warnings.removeAll { classification.contains($0) }
        }
        if request.idField == nil {
            warnings.append("note: no --id-field: features are matched by their GeoJSON id, GeoPackage fid or position, which change when a file is re-exported; give --id-field BSM (or the plan's identifier) for changes by feature")
        }
        let oldClasses = classNames(old, mapped: mapping != nil)
        let newClasses = classNames(new, mapped: mapping != nil)
        var timings = prepared.timings
        let clock = Date()
        let pieces = try await DiffOverlay(old: old, new: new, workingCRS: prepared.workingCRS, jobs: request.jobs).run()
        let matrix = try TransitionMatrix(old: old, new: new, oldClasses: oldClasses, newClasses: newClasses, pieces: pieces, workingCRS: prepared.workingCRS)
        let (changes, unchanged) = FeatureChange.compare(
            old: old, new: new, oldClasses: oldClasses, newClasses: newClasses, matrix: matrix,
            links: pieces.both.filter { $0.area >= request.minLinkAreaM2 }, geographic: prepared.workingCRS.isGeographic,
            areaTolerance: request.areaToleranceM2)
        timings.append(("overlay", Date().timeIntervalSince(clock)))
        return DiffResult(
            request: request, old: old, new: new, workingCRS: prepared.workingCRS, oldClasses: oldClasses, newClasses: newClasses,
            matrix: matrix, changes: changes, unchanged: unchanged, warnings: warnings, timings: timings)
    }

    /// Without `--id-field` the features' own ids must still tell them apart, or changes by id
    /// would silently merge features.
    func requireDistinctIdentifiers(_ layer: OverlayLayer) throws {
        var seen: [String: Int] = [:]
        for id in layer.identifiers { seen[id, default: 0] += 1 }
        let repeated = seen.filter { $0.value > 1 }.keys.sorted()
        guard repeated.isEmpty else {
            throw ReconcileError(.identifiers, "\(layer.path): features share the ids \(FeatureIdentifiers.listed(repeated)): changes by id would be ambiguous; give --id-field (e.g. BSM)")
        }
    }

    /// The class field must be on the layer's features, or every feature would be "(no code)".
    func requireClassField(_ layer: OverlayLayer, option: String) throws {
        guard let field = layer.definition.classField, !layer.checked.features.isEmpty else { return }
        if !layer.checked.features.contains(where: { $0.attributes.contains { $0.name == field } }) {
            let names = layer.checked.features.first?.attributes.map(\.name) ?? []
            throw ReconcileError(.usage, "\(option) \(field): \(layer.path) has no such field (it has: \(names.joined(separator: ", ")))")
        }
    }

    /// Each kept feature's class: its first class by the mapping (`(unclassified)` when none
    /// matches), or its raw code without a mapping; `(no code)` when it has none.
    func classNames(_ layer: OverlayLayer, mapped: Bool) -> [String] {
        layer.codes.indices.map { k in
            guard let code = layer.codes[k], !code.isEmpty else { return Self.noCode }
            return mapped ? (layer.classes[k].first ?? Self.unclassified) : code
        }
    }
}

/// The three overlays of a diff, as discrepancy patches of the overlay's rule evaluator:
/// `both` (old ∩ new, one per overlapping pair, `aIndex` old and `bIndex` new), `onlyOld`
/// (old − ∪new) and `onlyNew` (new − ∪old).
struct DiffOverlay {
    let old: OverlayLayer
    let new: OverlayLayer
    let workingCRS: CRSDescription
    let jobs: Int

    struct Pieces {
        var both: [DiscrepancyPatch]
        var onlyOld: [DiscrepancyPatch]
        var onlyNew: [DiscrepancyPatch]
    }

    func run() async throws -> Pieces {
        let oldSide = side(old), newSide = side(new)
        func evaluate(_ relation: Relation, _ a: RuleSide, _ b: RuleSide) async throws -> [DiscrepancyPatch] {
            let rule = ConflictRule(id: "\(a.layerName)-\(b.layerName)", severity: .minor, relation: relation,
                                    a: LayerSelector(layer: a.layerName), b: LayerSelector(layer: b.layerName))
            let evaluator = RuleEvaluator(
                rule: rule, ruleIndex: 0, minArea: .leastNonzeroMagnitude, gridSize: nil, workingCRS: workingCRS, jobs: jobs, sameLayer: false, dissolve: false)
            return try await evaluator.evaluate(a: a, b: b, progress: nil).patches
        }
        return Pieces(
            both: try await evaluate(.intersects, oldSide, newSide),
            onlyOld: try await evaluate(.outside, oldSide, newSide),
            onlyNew: try await evaluate(.outside, newSide, oldSide))
    }

    /// Every kept feature of `layer` as one side of the overlay.
    func side(_ layer: OverlayLayer) -> RuleSide {
        RuleSide(
            layerName: layer.definition.name, indices: Array(layer.geometries.indices), geometries: layer.geometries,
            envelopes: layer.geometries.map { $0.envelope ?? .empty }, ids: layer.identifiers)
    }
}
