import Foundation
import PlanCRS
import PlanLayers
import PlanModel
import PlanRules

/// Writes discrepancy patches as a GeoJSON FeatureCollection that QGIS opens as it is: in the
/// working CRS with the 2008 `crs` member, or RFC 7946 (WGS 84 lon/lat, no `crs`).
public struct PatchWriter: Sendable {
    public var path: String
    /// Write RFC 7946 GeoJSON: patches reprojected to OGC:CRS84.
    public var rfc7946: Bool
    /// Tasks that encode chunks of features at once (the file is still written in order).
    public var jobs: Int

    public init(path: String, rfc7946: Bool, jobs: Int = defaultJobCount) {
        self.path = path
        self.rfc7946 = rfc7946
        self.jobs = max(1, jobs)
    }

    /// Writes every patch of `result`, in rule order then `a` then `b` order. Chunks of patches
    /// are encoded on `jobs` tasks and appended in order. The file appears only when complete
    /// (written to a temporary file, then renamed).
    public func write(_ result: OverlayResult) async throws {
        let crsName: String? = rfc7946 ? nil : Self.urn(for: result.workingCRS)
        let decimals: Int? = rfc7946 ? 9 : nil
        let writer = try GeoJSONWriter(path: path, name: "discrepancy_patches", crsName: crsName, coordinateDecimals: decimals)
        let target: CRSDescription? = rfc7946 ? try CRSContext().crs(CRSContext.rfc7946Identifier) : nil
        let working = result.workingCRS
        for outcome in result.outcomes {
            // Looked up once per rule: per-patch lookups copied the layer structs and made both
            // tasks fight over the same reference counts.
            let lineage = PatchLineage(outcome: outcome, result: result)
            try await parallelChunksInOrder(outcome.patches, jobs: jobs, chunkSize: 256) { chunk in
                let transformer = try target.map { try CRSContext().transformer(from: working, to: $0) }
                let features = try chunk.map { patch in
                    EncodableFeature(
                        id: .string(patch.id),
                        geometry: try transformer?.transform(patch.geometry) ?? patch.geometry,
                        properties: lineage.properties(of: patch),
                        groups: lineage.sourceAttributes(of: patch))
                }
                return (GeoJSONWriter.encodeFeatures(features, coordinateDecimals: decimals), features.count)
            } consume: { encoded in
                try writer.writeEncoded(encoded.0, count: encoded.1)
            }
        }
        try writer.finish()
    }

    /// The 2008 GeoJSON CRS name for a CRS: `urn:ogc:def:crs:EPSG::4529`, or its identifier.
    static func urn(for crs: CRSDescription) -> String? {
        guard let id = crs.identifier else { return nil }
        let parts = id.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return id }
        if parts[0] == "OGC" { return "urn:ogc:def:crs:OGC:1.3:\(parts[1])" }
        return "urn:ogc:def:crs:\(parts[0])::\(parts[1])"
    }

}

/// What a rule's patches need from their source layers, resolved once per rule.
struct PatchLineage: Sendable {
    let rule: ConflictRule
    let aFeatures: [CheckedFeature]
    let bFeatures: [CheckedFeature]
    let aCodes: [String?]
    let bCodes: [String?]

    init(outcome: RuleOutcome, result: OverlayResult) {
        rule = outcome.rule
        let a = result.layer(named: rule.a.layer)!
        let b = result.layer(named: rule.b.layer)!
        aFeatures = a.checked.features
        bFeatures = b.checked.features
        aCodes = a.codes
        bCodes = b.codes
    }

    /// The source attributes of both features, under `a.` and `b.` prefixes.
    func sourceAttributes(of patch: DiscrepancyPatch) -> [PrefixedAttributes] {
        var groups = [PrefixedAttributes(prefix: "a.", attributes: aFeatures[patch.aIndex].attributes)]
        if let k = patch.bIndex {
            groups.append(PrefixedAttributes(prefix: "b.", attributes: bFeatures[k].attributes))
        }
        return groups
    }

    /// The properties of a patch: rule, lineage and areas (the source attributes follow, see
    /// `sourceAttributes`).
    func properties(of patch: DiscrepancyPatch) -> [Attribute] {
        func fid(_ id: FeatureID?) -> AttributeValue {
            switch id {
            case .int(let i)?: .integer(i)
            case .string(let s)?: .string(s)
            case nil: .null
            }
        }
        func text(_ s: String?) -> AttributeValue { s.map(AttributeValue.string) ?? .null }
        return [
            Attribute("rule", .string(rule.id)),
            Attribute("title", .string(rule.title ?? rule.id)),
            Attribute("severity", .string(rule.severity.rawValue)),
            Attribute("relation", .string(rule.relation.rawValue)),
            Attribute("a_layer", .string(rule.a.layer)),
            Attribute("a_fid", fid(aFeatures[patch.aIndex].id)),
            Attribute("a_class", .string(rule.a.className ?? "all")),
            Attribute("a_code", text(aCodes[patch.aIndex])),
            Attribute("b_layer", .string(rule.b.layer)),
            Attribute("b_fid", fid(patch.bIndex.map { bFeatures[$0].id })),
            Attribute("b_class", .string(rule.b.className ?? "all")),
            Attribute("b_code", text(patch.bIndex.flatMap { bCodes[$0] })),
            Attribute("area_m2", .double(patch.area)),
            Attribute("area_ellipsoidal_m2", .double(patch.ellipsoidalArea)),
            Attribute("area_ha", .double(AreaUnit.hectares(patch.area))),
            Attribute("area_mu", .double(AreaUnit.mu(patch.area))),
        ]
    }
}
