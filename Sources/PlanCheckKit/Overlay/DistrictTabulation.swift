import Foundation
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel

/// The districts layer of `overlay --districts FILE --district-field NAME` (行政区, e.g. towns with
/// `XZQDM`/`XZQMC`): read, checked with the run's `--invalid` policy, reprojected into the working
/// CRS. Features with the same field value are one district (a town drawn in several features).
public struct DistrictLayer: Sendable {
    public var path: String
    public var sha256: String
    /// The field whose value (as text) names each district.
    public var field: String
    public var sourceCRS: CRSDescription
    public var checked: CheckedLayer
    /// Kept features' geometries in the working CRS, in the order of `checked.features`.
    public var geometries: [GeometryValue]
    /// The district of each kept feature: an index into `names`.
    public var districtOfFeature: [Int]
    /// District names in order of first appearance in the file.
    public var names: [String]
    /// Warnings (ballpark datum shift, features without a name), one line each.
    public var warnings: [String]

    /// Reads `path` (any format plan-check reads, with `--encoding` and `--assume-crs` as for the
    /// layers), checks it, and reprojects it into `workingCRS`.
    /// - Throws: `LayerFailure` (the reader's exit status: 66 missing or unreadable, 65 bad data),
    ///   `OverlayUsageError` (64) when `field` is not a field of the layer (the message names the
    ///   fields there are), `InvalidFeatureError` under `--invalid fail`.
    public static func load(
        path: String, field: String, workingCRS: CRSDescription, policy: InvalidFeaturePolicy,
        reading: ReadingSettings = ReadingSettings(), jobs: Int, crsContext: CRSContext
    ) async throws -> DistrictLayer {
        let layer: Layer
        do { layer = try LayerReader.read(path: path, options: reading.readOptions()) } catch {
            throw LayerFailure(path: path, layer: "districts", underlying: error)
        }
        guard layer.fields.contains(where: { $0.name == field }) else {
            throw OverlayUsageError(message: "--district-field \(field): \(path) has no field '\(field)' (it has: \(layer.fields.map(\.name).joined(separator: ", ")))")
        }
        let sha256 = try FileHash.sha256(ofFile: path)
        let checked = try await LayerChecker(policy: policy, jobs: jobs).check(layer)
        guard checked.kind == .polygons else {
            throw LayerFailure(path: path, layer: layer.name, underlying: DistrictDataError(message: "the districts must be polygons"))
        }
        let source: CRSDescription
        do {
            source = try LayerCRSResolver.resolve(layer, assumed: reading.assumption(), context: crsContext).crs
        } catch {
            throw LayerFailure(path: path, layer: layer.name, underlying: error)
        }
        var warnings: [String] = []
        var geometries = checked.features.map(\.geometry)
        if source != workingCRS {
            do {
                let transformer = try crsContext.transformer(from: source, to: workingCRS)
                geometries = try geometries.map { try transformer.transform($0) }
                if transformer.usesBallparkTransformation == true {
                    warnings.append("\(path): warning: districts: PROJ knows no datum transformation from \(source.identifier ?? source.name) to \(workingCRS.identifier ?? workingCRS.name) and used a ballpark one (datum shift ignored)")
                }
            } catch {
                throw LayerFailure(path: path, layer: layer.name, underlying: error)
            }
        }
        var names: [String] = []
        var indexOfName: [String: Int] = [:]
        var unnamed: [String] = []
        let districtOfFeature = checked.features.map { feature -> Int in
            let name: String
            if let text = feature[attribute: field]?.textValue, !text.isEmpty {
                name = text
            } else {
                name = "(\(field) empty, feature \(feature.id))"
                unnamed.append("\(feature.id)")
            }
            if let k = indexOfName[name] { return k }
            indexOfName[name] = names.count
            names.append(name)
            return names.count - 1
        }
        if !unnamed.isEmpty {
            warnings.append("\(path): warning: districts: \(unnamed.count) feature(s) with no \(field) (\(unnamed.joined(separator: ", "))); each is tabulated under its feature id")
        }
        return DistrictLayer(
            path: path, sha256: sha256, field: field, sourceCRS: source, checked: checked, geometries: geometries,
            districtOfFeature: districtOfFeature, names: names, warnings: warnings)
    }
}

/// A districts file that cannot be tabulated (exit 65).
public struct DistrictDataError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .dataError }
    public var description: String { message }
}

extension CheckedFeature {
    fileprivate subscript(attribute name: String) -> AttributeValue? {
        attributes.first { $0.name == name }?.value
    }
}

/// Discrepancy patch area by district and rule: ArcGIS's Tabulate Intersection for plans.
///
/// Each patch is intersected with every district it overlaps (GEOS, candidates from an STRtree
/// of the districts): a patch across a boundary is split, not assigned whole. What lies in no
/// district is the patch minus the union of the districts it overlaps, so per rule
/// Σ districts + outside = the rule's total area: planar to rounding (5e-13 relative on the
/// sample; tests hold it to 1e-9); ellipsoidal to about 2e-9 (tests: 1e-8), because the split
/// adds vertices where patch edges cross district boundaries and geodesic areas between the new
/// vertices differ slightly from the whole edge's. `reconciliation` records both.
///
/// Every figure a renderer shows (the JSON summary, the text table, the CSV's `district`) comes
/// from here. Areas in m², planar in the working CRS (ellipsoidal when it is geographic), and
/// ellipsoidal on its ellipsoid; ha and 亩 from the planar area, as for the rule totals.
public struct DistrictTabulation: Sendable {
    /// Patches and areas of one cell (a rule in a district, a rule outside every district, or a total).
    public struct Cell: Sendable, Codable, Equatable {
        /// Patches with a part of positive area in the cell. A patch split between districts
        /// counts in each; so a total's count is of distinct patches, not the sum of the row.
        public var patches: Int = 0
        public var areaM2: Double = 0
        public var areaEllipsoidalM2: Double = 0
        public var areaHa: Double { AreaUnit.hectares(areaM2) }
        public var areaMu: Double { AreaUnit.mu(areaM2) }

        public init() {}

        mutating func add(_ planar: Double, _ ellipsoidal: Double) {
            areaM2 += planar
            areaEllipsoidalM2 += ellipsoidal
        }

        enum CodingKeys: String, CodingKey { case patches, areaM2, areaEllipsoidalM2, areaHa, areaMu }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(patches, forKey: .patches)
            try c.encode(areaM2, forKey: .areaM2)
            try c.encode(areaEllipsoidalM2, forKey: .areaEllipsoidalM2)
            try c.encode(areaHa, forKey: .areaHa)
            try c.encode(areaMu, forKey: .areaMu)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            patches = try c.decode(Int.self, forKey: .patches)
            areaM2 = try c.decode(Double.self, forKey: .areaM2)
            areaEllipsoidalM2 = try c.decode(Double.self, forKey: .areaEllipsoidalM2)
        }
    }

    /// One patch's split: its part in each district it overlaps and the part outside every one.
    public struct PatchSplit: Sendable {
        /// (district index, planar m², ellipsoidal m²), districts in order of `names`, positive areas only.
        public var parts: [(district: Int, areaM2: Double, areaEllipsoidalM2: Double)]
        public var outsideM2: Double
        public var outsideEllipsoidalM2: Double

        /// The district with the largest planar part, and that part as a share (0…1) of the
        /// patch's planar area (`total`); nil when the patch lies in no district. Ties go to the
        /// district first in the file.
        public func largestShare(of total: Double) -> (district: Int, share: Double)? {
            guard var best = parts.first else { return nil }
            for part in parts.dropFirst() where part.areaM2 > best.areaM2 { best = part }
            return (best.district, total > 0 ? best.areaM2 / total : 0)
        }
    }

    /// Two district features that overlap (their common area would be counted in both).
    public struct Overlap: Sendable {
        public var a: String
        public var b: String
        public var aFeature: String
        public var bFeature: String
        public var areaM2: Double
    }

    public var field: String
    /// District names, in order of first appearance in the districts file.
    public var names: [String]
    /// Rule ids, in rule order.
    public var rules: [String]
    /// `cells[rule][district]`.
    public var cells: [[Cell]]
    /// Per rule: the part of its patches in no district.
    public var outside: [Cell]
    /// Per rule: all of it (Σ districts + outside; `patches` = the rule's patches).
    public var ruleTotals: [Cell]
    /// Per district: all rules.
    public var districtTotals: [Cell]
    /// All rules, outside every district.
    public var outsideTotal: Cell
    /// All rules, everywhere.
    public var total: Cell
    /// Per patch, in `OverlayResult.patches` order.
    public var splits: [PatchSplit]
    /// Overlapping district features (the area in both is counted twice).
    public var overlaps: [Overlap]
    /// Largest |Σ districts + outside − rule total| / rule total over the rules, planar and ellipsoidal.
    public var reconciliation: (planar: Double, ellipsoidal: Double)

    /// Tabulates the patches of `result` over `districts` (both in `result.workingCRS`), on `jobs` tasks.
    public init(_ result: OverlayResult, districts: DistrictLayer, jobs: Int) async throws {
        let patches = result.patches
        let crs = result.workingCRS
        let geometries = districts.geometries
        let envelopes = geometries.map { $0.envelope ?? .empty }
        let splits: [PatchSplit] = try await parallelChunks(patches, jobs: jobs, chunkSize: 64) { chunk in
            let context = try GeometryContext()
            let index = try SpatialIndex(envelopes: envelopes, context: context)
            let lease = try CRSContextPool.shared.lease()
            let measure = PolygonalArea(crs: crs, areas: try lease.context.areaCalculator(for: crs))
            var cache: [Int: Geometry] = [:]
            return try chunk.map { patch in
                let geometry = try Geometry(patch.geometry, context: context)
                var parts: [(Int, Double, Double)] = []
                var touching: [Geometry] = []
                guard let envelope = patch.geometry.envelope else { return PatchSplit(parts: [], outsideM2: 0, outsideEllipsoidalM2: 0) }
                for k in try index.query(envelope).sorted() {
                    let district: Geometry
                    if let cached = cache[k] { district = cached } else {
                        district = try Geometry(geometries[k], context: context)
                        cache[k] = district
                    }
                    guard try geometry.intersects(district) else { continue }
                    touching.append(district)
                    let piece = try measure.measure(geometry.intersection(with: district))
                    if piece.planarM2 > 0 { parts.append((districts.districtOfFeature[k], piece.planarM2, piece.ellipsoidalM2)) }
                }
                // Features of one district are one district.
                var merged: [(district: Int, areaM2: Double, areaEllipsoidalM2: Double)] = []
                for (d, p, e) in parts.sorted(by: { $0.0 < $1.0 }) {
                    if let last = merged.last, last.district == d {
                        merged[merged.count - 1].areaM2 += p
                        merged[merged.count - 1].areaEllipsoidalM2 += e
                    } else {
                        merged.append((d, p, e))
                    }
                }
                let outside: (planarM2: Double, ellipsoidalM2: Double)
                if touching.isEmpty {
                    outside = (patch.area, patch.ellipsoidalArea)
                } else {
                    let union = try Geometry.unaryUnion(of: touching, context: context)
                    let rest = try measure.measure(geometry.difference(with: union))
                    outside = (rest.planarM2, rest.ellipsoidalM2)
                }
                return PatchSplit(parts: merged, outsideM2: outside.planarM2, outsideEllipsoidalM2: outside.ellipsoidalM2)
            }
        }

        field = districts.field
        names = districts.names
        rules = result.outcomes.map(\.rule.id)
        cells = Array(repeating: Array(repeating: Cell(), count: names.count), count: rules.count)
        outside = Array(repeating: Cell(), count: rules.count)
        ruleTotals = Array(repeating: Cell(), count: rules.count)
        districtTotals = Array(repeating: Cell(), count: names.count)
        outsideTotal = Cell()
        total = Cell()
        self.splits = splits
        var n = 0
        for (r, outcome) in result.outcomes.enumerated() {
            for _ in outcome.patches {
                let split = splits[n]
                n += 1
                for part in split.parts {
                    cells[r][part.district].patches += 1
                    cells[r][part.district].add(part.areaM2, part.areaEllipsoidalM2)
                    districtTotals[part.district].patches += 1
                    districtTotals[part.district].add(part.areaM2, part.areaEllipsoidalM2)
                }
                ruleTotals[r].patches += 1
                total.patches += 1
                if split.outsideM2 > 0 {
                    outside[r].patches += 1
                    outside[r].add(split.outsideM2, split.outsideEllipsoidalM2)
                    outsideTotal.patches += 1
                    outsideTotal.add(split.outsideM2, split.outsideEllipsoidalM2)
                }
            }
        }
        var worst = (planar: 0.0, ellipsoidal: 0.0)
        for r in rules.indices {
            let planar = cells[r].reduce(outside[r].areaM2) { $0 + $1.areaM2 }
            let ellipsoidal = cells[r].reduce(outside[r].areaEllipsoidalM2) { $0 + $1.areaEllipsoidalM2 }
            ruleTotals[r].add(planar, ellipsoidal)
            let outcome = result.outcomes[r]
            if outcome.totalArea > 0 {
                worst.planar = max(worst.planar, abs(planar - outcome.totalArea) / outcome.totalArea)
                worst.ellipsoidal = max(worst.ellipsoidal, abs(ellipsoidal - outcome.totalEllipsoidalArea) / outcome.totalEllipsoidalArea)
            }
        }
        total.add(ruleTotals.reduce(0) { $0 + $1.areaM2 }, ruleTotals.reduce(0) { $0 + $1.areaEllipsoidalM2 })
        reconciliation = worst
        overlaps = try Self.overlaps(of: districts, crs: crs)
    }

    /// Pairs of district features whose interiors overlap by a positive area (shared edges do not count).
    static func overlaps(of districts: DistrictLayer, crs: CRSDescription) throws -> [Overlap] {
        let context = try GeometryContext()
        let lease = try CRSContextPool.shared.lease()
        let measure = PolygonalArea(crs: crs, areas: try lease.context.areaCalculator(for: crs))
        let natives = try districts.geometries.map { try Geometry($0, context: context) }
        let index = try SpatialIndex(envelopes: districts.geometries.map { $0.envelope ?? .empty }, context: context)
        var found: [Overlap] = []
        for (i, g) in natives.enumerated() {
            guard let envelope = districts.geometries[i].envelope else { continue }
            for j in try index.query(envelope).sorted() where j > i {
                guard try g.intersects(natives[j]) else { continue }
                let area = try measure.measure(g.intersection(with: natives[j])).planarM2
                if area > 0 {
                    found.append(Overlap(
                        a: districts.names[districts.districtOfFeature[i]], b: districts.names[districts.districtOfFeature[j]],
                        aFeature: "\(districts.checked.features[i].id)", bFeature: "\(districts.checked.features[j].id)", areaM2: area))
                }
            }
        }
        return found
    }
}
