import Foundation
import PlanClipper
import PlanGeometry
import PlanModel

/// What to do with a feature whose geometry has a problem (`--invalid`).
public enum InvalidFeaturePolicy: String, Sendable, CaseIterable, Codable {
    /// Repair what can be repaired (close rings, drop degenerate rings, GEOS make-valid keeping
    /// polygonal parts) and report each repair with its area change; reject what cannot be.
    case repair
    /// Reject every feature that has a problem, with its reasons.
    case reject
    /// Stop at the first problem with an error naming the file, the feature and the reason.
    case fail
}

/// Whether a layer is made of polygons (a plan layer) or of something else.
public enum LayerKind: String, Sendable, Codable {
    case polygons
    case other
}

/// A feature that passed the check, with a valid polygonal geometry in the layer's CRS.
public struct CheckedFeature: Sendable {
    public var id: FeatureID
    /// Valid Polygon or MultiPolygon (for a polygon layer); the geometry as read otherwise.
    public var geometry: GeometryValue
    public var attributes: [Attribute]
    /// Planar area in the layer's CRS units² (m² for a projected CRS); 0 for non-polygonal.
    public var planarArea: Double
}

/// A repaired feature: what was wrong and how its planar area changed (layer CRS units²).
public struct FeatureRepair: Sendable, Hashable {
    public var featureID: FeatureID
    public var problems: [FeatureProblem]
    /// What was done, one phrase per repair step ("closed 1 ring", "GEOS make-valid (structure)").
    public var actions: [String]
    /// Planar area of the input as drawn (rings taken as closed; a self-intersecting ring counts
    /// with the signed shoelace sum, as GEOS does), layer CRS units².
    public var areaBefore: Double
    public var areaAfter: Double
}

/// A rejected feature and why.
public struct FeatureRejection: Sendable, Hashable {
    public var featureID: FeatureID
    public var problems: [FeatureProblem]
}

/// A layer after the check: kept features (valid), every problem, every repair and rejection.
public struct CheckedLayer: Sendable {
    public var layer: Layer
    public var kind: LayerKind
    public var policy: InvalidFeaturePolicy
    public var features: [CheckedFeature]
    public var problems: [FeatureProblem]
    public var repairs: [FeatureRepair]
    public var rejections: [FeatureRejection]
    /// Geometry type name → number of features as read ("null" for null geometries).
    public var geometryTypes: [String: Int]
}

/// A feature problem that stops the run under `--invalid fail`.
public struct InvalidFeatureError: PlanCheckFailure {
    public var path: String
    public var layer: String
    public var problem: FeatureProblem

    public var exitStatus: ExitStatus { .dataError }
    public var description: String {
        var text = "\(path): layer '\(layer)': feature \(problem.featureID): \(problem.reason)"
        if let at = problem.location { text += " at (\(formatCoordinate(at.x)), \(formatCoordinate(at.y)))" }
        return text + " [--invalid fail]"
    }
}

/// Checks every feature of a layer and applies the invalid-feature policy. Nothing is dropped
/// silently: each feature ends up kept, repaired (and listed) or rejected (and listed).
public struct LayerChecker: Sendable {
    public var policy: InvalidFeaturePolicy
    /// Tasks to use; each makes its own GEOS context.
    public var jobs: Int
    /// Whether validity may be decided exactly on an integer grid where that is certain
    /// (`InputValidity`); false asks GEOS for every feature (the tests compare both).
    var validityOnGrid = true

    public init(policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount) {
        self.policy = policy
        self.jobs = max(1, jobs)
    }

    public func check(_ layer: Layer) async throws -> CheckedLayer {
        let kind = Self.kind(of: layer)
        var readProblems: [FeatureID: [FeatureProblem]] = [:]
        for p in layer.readProblems { readProblems[p.featureID, default: []].append(p) }
        let frozenProblems = readProblems
        let policy = self.policy, onGrid = validityOnGrid
        let outcomes = try await parallelChunks(layer.features, jobs: jobs) { chunk in
            let context = try GeometryContext()
            return try chunk.map { feature in
                try FeatureCheck(context: context, kind: kind, validityOnGrid: onGrid)
                    .check(feature, readProblems: frozenProblems[feature.id] ?? [])
            }
        }
        var checked = CheckedLayer(
            layer: layer, kind: kind, policy: policy, features: [], problems: [], repairs: [],
            rejections: [], geometryTypes: [:])
        checked.features.reserveCapacity(layer.features.count)
        for (feature, outcome) in zip(layer.features, outcomes) {
            if let kept = try checked.record(feature, outcome: outcome) { checked.features.append(kept) }
        }
        return checked
    }

    /// The kind a layer declares (GeoPackage, Shapefile), or nil when it must be counted from
    /// its features (GeoJSON).
    static func declaredKind(of layer: Layer) -> LayerKind? {
        guard let declared = layer.declaredGeometryType?.uppercased(), declared != "GEOMETRY", declared != "GEOMETRYCOLLECTION" else { return nil }
        return ["POLYGON", "MULTIPOLYGON", "CURVEPOLYGON", "MULTISURFACE"].contains(declared) ? .polygons : .other
    }

    /// A layer is a polygon layer when it declares a polygonal type (GeoPackage) or, without a
    /// usable declaration, when most of its non-null geometries are polygonal (GeoJSON).
    static func kind(of layer: Layer) -> LayerKind {
        if let declared = layer.declaredGeometryType?.uppercased(), declared != "GEOMETRY", declared != "GEOMETRYCOLLECTION" {
            return ["POLYGON", "MULTIPOLYGON", "CURVEPOLYGON", "MULTISURFACE"].contains(declared) ? .polygons : .other
        }
        var polygonal = 0, other = 0
        for feature in layer.features {
            guard let g = feature.geometry else { continue }
            if g.isPolygonal || !g.polygons.isEmpty { polygonal += 1 } else { other += 1 }
        }
        return polygonal > 0 && polygonal >= other ? .polygons : .other
    }
}

extension CheckedLayer {
    /// Counts `feature` (checked as `outcome`) into the geometry types, problems, repairs and
    /// rejections by the policy, and returns it when it is kept. Nothing is dropped silently.
    /// - Throws: `InvalidFeatureError` for a problem under `--invalid fail`.
    mutating func record(_ feature: Feature, outcome: FeatureOutcome) throws -> CheckedFeature? {
        geometryTypes[feature.geometry?.typeName ?? "null", default: 0] += 1
        problems += outcome.problems
        if outcome.problems.isEmpty, let geometry = outcome.repaired {
            return CheckedFeature(id: feature.id, geometry: geometry, attributes: feature.attributes, planarArea: outcome.areaAfter)
        }
        switch policy {
        case .fail:
            throw InvalidFeatureError(path: layer.path, layer: layer.name, problem: outcome.problems[0])
        case .reject:
            rejections.append(FeatureRejection(featureID: feature.id, problems: outcome.problems))
        case .repair:
            if let geometry = outcome.repaired {
                repairs.append(FeatureRepair(
                    featureID: feature.id, problems: outcome.problems, actions: outcome.actions,
                    areaBefore: outcome.areaBefore, areaAfter: outcome.areaAfter))
                return CheckedFeature(id: feature.id, geometry: geometry, attributes: feature.attributes, planarArea: outcome.areaAfter)
            }
            rejections.append(FeatureRejection(featureID: feature.id, problems: outcome.problems))
        }
        return nil
    }
}

/// How many tasks to use by default: one per core.
public var defaultJobCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// The result of checking one feature: its problems, and the repaired geometry when it has one.
struct FeatureOutcome: Sendable {
    var problems: [FeatureProblem] = []
    /// The geometry to keep after repair (the input itself when there was nothing to repair);
    /// nil when the feature cannot be kept.
    var repaired: GeometryValue?
    var actions: [String] = []
    var areaBefore: Double = 0
    var areaAfter: Double = 0
}

/// The checks of one feature, in the order a planner would fix them: presence, type, rings,
/// then validity (by GEOS, or exactly on an integer grid where that is certain).
struct FeatureCheck {
    let context: GeometryContext
    let kind: LayerKind
    /// Whether `InputValidity` may decide validity without GEOS (see `check`).
    var validityOnGrid = true

    func check(_ feature: Feature, readProblems: [FeatureProblem]) throws -> FeatureOutcome {
        var outcome = FeatureOutcome(problems: readProblems)
        let id = feature.id
        guard readProblems.isEmpty else { return outcome }
        guard let geometry = feature.geometry else {
            outcome.problems.append(FeatureProblem(featureID: id, kind: .nullGeometry, reason: "null geometry"))
            return outcome
        }
        if geometry.isEmpty {
            outcome.problems.append(FeatureProblem(featureID: id, kind: .emptyGeometry, reason: "empty \(geometry.typeName)"))
            return outcome
        }
        var nonFinite: Position?
        geometry.forEachPosition { p in
            if nonFinite == nil, !p.x.isFinite || !p.y.isFinite { nonFinite = p }
        }
        if nonFinite != nil {
            outcome.problems.append(FeatureProblem(
                featureID: id, kind: .nonFiniteCoordinate, reason: "coordinate that is not a finite number"))
            return outcome
        }
        guard kind == .polygons else {
            outcome.repaired = geometry
            return outcome
        }

        // Type: a polygon layer keeps polygonal parts; points and lines have no area to keep.
        var polygons = geometry.polygons
        if !geometry.isPolygonal {
            let kept = polygons.isEmpty ? "nothing polygonal to keep" : "kept its \(polygons.count) polygon(s)"
            outcome.problems.append(FeatureProblem(
                featureID: id, kind: .wrongGeometryType,
                reason: "\(geometry.typeName) in a polygon layer; \(kept)"))
            guard !polygons.isEmpty else { return outcome }
            outcome.actions.append("kept polygonal parts of \(geometry.typeName)")
        }
        outcome.areaBefore = polygons.reduce(0) { $0 + shoelaceArea(of: $1) }

        // Rings: close what is open, drop what is too short to be a ring.
        var closed = 0, dropped = 0
        polygons = polygons.compactMap { rings in
            var fixed: PolygonRings = []
            for (index, ring) in rings.enumerated() {
                var ring = ring
                if ring.count >= 2, ring.first != ring.last {
                    outcome.problems.append(FeatureProblem(
                        featureID: id, kind: .ringNotClosed,
                        reason: "ring is not closed (first and last points differ)", location: ring.last))
                    ring.append(ring[0])
                    closed += 1
                }
                if Set(ring).count < 3 || ring.count < 4 {
                    outcome.problems.append(FeatureProblem(
                        featureID: id, kind: .ringTooFewPoints,
                        reason: "\(index == 0 ? "exterior" : "interior") ring has \(Set(ring).count) distinct point(s); a ring needs 3",
                        location: ring.first))
                    dropped += 1
                    if index == 0 { return nil }  // no exterior: the holes mean nothing
                    continue
                }
                fixed.append(ring)
            }
            return fixed
        }
        if closed > 0 { outcome.actions.append("closed \(closed) ring(s)") }
        if dropped > 0 { outcome.actions.append("dropped \(dropped) degenerate ring(s)") }
        guard !polygons.isEmpty else { return outcome }

        // Validity: most polygons are certainly valid by an exact test on an integer grid
        // (InputValidity: never true for one GEOS calls invalid), and their area is GEOS's, bit for
        // bit, without building them in GEOS. The others go to GEOS, and its structure-preserving
        // repair. Either way the outcome is the same.
        let value: GeometryValue = polygons.count == 1 && geometry.typeName != "MultiPolygon"
            ? .polygon(polygons[0]) : .multiPolygon(polygons)
        if validityOnGrid, InputValidity.isCertainlyValid(polygons) {
            outcome.repaired = value
            outcome.areaAfter = Geometry.planarArea(of: polygons)
            return outcome
        }
        let native = try Geometry(value, context: context)
        let validity = try native.validity()
        if validity.isValid {
            outcome.repaired = value
            outcome.areaAfter = try native.area()
            return outcome
        }
        outcome.problems.append(FeatureProblem(
            featureID: id, kind: .invalidPolygon, reason: validity.reason, location: validity.location))
        let repair = try native.makeValid()
        outcome.actions.append("GEOS make-valid (structure), polygonal parts kept")
        let repaired = try repair.geometry.value()
        if repair.summary.droppedLowerDimensionParts > 0 {
            outcome.actions.append("dropped \(repair.summary.droppedLowerDimensionParts) point/line part(s) left by the repair")
        }
        if repaired.isEmpty {
            outcome.problems.append(FeatureProblem(
                featureID: id, kind: .invalidPolygon, reason: "nothing polygonal is left after repair"))
            return outcome
        }
        outcome.repaired = repaired
        outcome.areaAfter = repair.summary.areaAfter
        return outcome
    }
}

/// Planar area of a polygon as drawn: |signed area of the exterior| minus |signed area of each
/// hole|, rings taken as closed. Units: the CRS's units².
func shoelaceArea(of rings: PolygonRings) -> Double {
    func signed(_ ring: PositionList) -> Double {
        guard ring.count >= 3 else { return 0 }
        var sum = 0.0
        let origin = ring[0]
        for i in 0..<ring.count {
            let a = ring[i], b = ring[(i + 1) % ring.count]
            sum += (a.x - origin.x) * (b.y - origin.y) - (b.x - origin.x) * (a.y - origin.y)
        }
        return sum / 2
    }
    guard let exterior = rings.first else { return 0 }
    return rings.dropFirst().reduce(abs(signed(exterior))) { $0 - abs(signed($1)) }
}

/// A coordinate for messages: the shortest text that reads back as the same number
/// (e.g. 41483337.573), so a planner can paste it into QGIS.
func formatCoordinate(_ value: Double) -> String {
    value.description
}
