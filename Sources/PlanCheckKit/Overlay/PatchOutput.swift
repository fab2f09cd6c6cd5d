import Foundation
import PlanCRS
import PlanLayers
import PlanModel
import PlanOutput
import PlanRules

/// Writes discrepancy patches as a GeoJSON FeatureCollection that QGIS opens as it is: in the
/// working CRS with the 2008 `crs` member, or RFC 7946 (WGS 84 lon/lat, no `crs`).
public struct PatchWriter: Sendable {
    public var path: String
    /// Write RFC 7946 GeoJSON: patches reprojected to OGC:CRS84.
    public var rfc7946: Bool
    /// Tasks that encode chunks of features at once (the file is still written in order).
    public var jobs: Int
    /// The text encoding of a Shapefile's attributes and field names (`--out-encoding`): UTF-8,
    /// or e.g. GBK for ArcGIS; written to its `.cpg`. Other formats are UTF-8.
    public var encoding: String

    public init(path: String, rfc7946: Bool, jobs: Int = defaultJobCount, encoding: String = "UTF-8") {
        self.path = path
        self.rfc7946 = rfc7946
        self.jobs = max(1, jobs)
        self.encoding = encoding
    }

    /// Writes every patch of `result`, in rule order then `a` then `b` order. Chunks of patches
    /// are encoded on `jobs` tasks and appended in order. The file appears only when complete
    /// (written to a temporary file, then renamed).
    ///
    /// `OverlayRunner.run(progress:writingPatchesTo:)` writes the same bytes while the overlay
    /// runs; this is for a result already in hand.
    public func write(_ result: OverlayResult) async throws {
        let stream = try open(workingCRS: result.workingCRS)
        for outcome in result.outcomes {
            // Looked up once per rule: per-patch lookups copied the layer structs and made both
            // tasks fight over the same reference counts.
            let encoder = stream.encoder(for: PatchLineage(rule: outcome.rule, layers: result.layers, ledger: result.ledger))
            try await parallelChunksInOrder(outcome.patches, jobs: jobs, chunkSize: 256) { chunk in
                let transformer = try encoder.target.map { try CRSContext().transformer(from: encoder.workingCRS, to: $0) }
                return try encoder.encode(chunk, transformer: transformer)
            } consume: { encoded in
                try stream.write(encoded)
            }
        }
        try stream.finish()
    }

    /// Starts the output file (a temporary file until `PatchStream.finish()`) for patches in
    /// `workingCRS`; with `mergeKeys` (a `--tile` slice), each Feature ends with its
    /// `PatchMergeKey` member.
    func open(workingCRS: CRSDescription, mergeKeys: PatchMergeKey.Order? = nil) throws -> PatchStream {
        let crsName: String? = rfc7946 ? nil : Self.urn(for: workingCRS)
        let decimals: Int? = rfc7946 ? 9 : nil
        let writer = try GeoJSONWriter(path: path, name: "discrepancy_patches", crsName: crsName, coordinateDecimals: decimals)
        let target: CRSDescription? = rfc7946 ? try CRSContext().crs(CRSContext.rfc7946Identifier) : nil
        return PatchStream(writer: writer, workingCRS: workingCRS, target: target, decimals: decimals, mergeKeys: mergeKeys)
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

/// Patches encoded as GeoJSON Features, ready to append in order: the bytes and how many; and
/// as CSV rows when the table is written during the run.
struct EncodedPatches: Sendable {
    var bytes: [UInt8] = []
    var count = 0
    var csv: [UInt8] = []
}

/// What the workers encode of each chunk of one rule's patches for the outputs written while
/// the overlay runs: GeoJSON Features (`--out`), CSV rows (`--csv`), or both.
struct ChunkEncoder: Sendable {
    var geoJSON: PatchEncoder?
    /// The rule's lineage for the CSV rows; nil when the table is not written during the run.
    var csv: PatchLineage?
    let workingCRS: CRSDescription

    /// The CRS the GeoJSON is reprojected to (RFC 7946), or nil.
    var target: CRSDescription? { geoJSON?.target }

    /// This encoder with the stored source features a chunk's patches name (`PatchLineage.resolving(a:b:)`).
    func resolving(a: [Int: StoredFeature], b: [Int: StoredFeature]) -> ChunkEncoder {
        var resolved = self
        if let geoJSON { resolved.geoJSON?.lineage = geoJSON.lineage.resolving(a: a, b: b) }
        resolved.csv = csv?.resolving(a: a, b: b)
        return resolved
    }

    /// `patches` encoded for every output; `transformer` as `PatchEncoder.encode(_:transformer:)`.
    func encode(_ patches: [DiscrepancyPatch], transformer: Transformer?) throws -> EncodedPatches {
        var encoded = try geoJSON?.encode(patches, transformer: transformer) ?? EncodedPatches()
        if let csv { encoded.csv = Array(PatchCSV.rows(patches, lineage: csv).utf8) }
        return encoded
    }
}

/// Encodes a rule's patches as the Features of the output file: lineage properties, areas,
/// source attributes, and the geometry (reprojected to WGS 84 for RFC 7946). A pure value, so
/// the workers that find the patches can encode them at once.
struct PatchEncoder: Sendable {
    var lineage: PatchLineage
    let workingCRS: CRSDescription
    /// The CRS to reproject to (RFC 7946: OGC:CRS84), or nil to keep the working CRS.
    let target: CRSDescription?
    let decimals: Int?
    /// End each Feature with its merge key (`PatchMergeKey`), as a `--tile` slice does.
    var mergeKeys: PatchMergeKey.Order? = nil

    /// The Features of `patches`, separated by `,\n` (see `GeoJSONWriter.encodeFeatures`).
    /// `transformer` (working CRS → `target`) must be given when `target` is, and belongs to
    /// the calling task.
    ///
    /// The properties that repeat are encoded once: the rule's lineage for the whole call, each
    /// source feature's lineage and attributes once per call (a feature is in several patches;
    /// the patches of one `a` feature come together). The bytes are the same as encoding every
    /// property of every patch.
    func encode<Patches: Collection<DiscrepancyPatch>>(_ patches: Patches, transformer: Transformer?) throws -> EncodedPatches {
        var aParts: (index: Int, lineage: EncodedMembers, attributes: EncodedMembers)?
        var bParts: [Int: (lineage: EncodedMembers, attributes: EncodedMembers)] = [:]
        let noB = lineage.bLineage(nil)
        // Each Feature written straight into one buffer (no Feature value or array of parts per
        // patch): about 1.2 KB a patch at 100 000 parcels.
        var text = FeatureText(capacity: patches.count * 1_280, coordinateDecimals: decimals)
        for patch in patches {
            let a: (index: Int, lineage: EncodedMembers, attributes: EncodedMembers)
            if let last = aParts, last.index == patch.aIndex {
                a = last
            } else {
                a = (patch.aIndex, lineage.aLineage(patch.aIndex), lineage.aAttributes(patch.aIndex))
                aParts = a
            }
            var b: (lineage: EncodedMembers, attributes: EncodedMembers)?
            if let k = patch.bIndex {
                if let known = bParts[k] {
                    b = known
                } else {
                    let parts = (lineage.bLineage(k), lineage.bAttributes(k))
                    bParts[k] = parts
                    b = parts
                }
            }
            let geometry = try transformer?.transform(patch.geometry) ?? patch.geometry
            text.append(id: .string(patch.id), geometry: geometry, foreignMembers: mergeKeys.map { [key(of: patch, $0).member] } ?? []) { properties in
                properties.append(lineage.ruleLineage)
                properties.append(a.lineage)
                properties.append(b?.lineage ?? noB)
                lineage.appendAreas(of: patch, to: &properties)
                lineage.appendDispositionColumns(of: patch, to: &properties)
                properties.append(a.attributes)
                if let b { properties.append(b.attributes) }
            }
        }
        return EncodedPatches(bytes: text.bytes, count: text.count)
    }

    /// The merge key of `patch`, its features counted in `order`.
    private func key(of patch: DiscrepancyPatch, _ order: PatchMergeKey.Order) -> PatchMergeKey {
        switch order {
        case .positions:
            return PatchMergeKey(patch)
        case .fids:
            func fid(_ id: FeatureID, _ position: Int) -> Int { if case .int(let fid) = id { Int(fid) } else { position } }
            return PatchMergeKey(
                rule: patch.ruleIndex, a: fid(lineage.aFeatures[patch.aIndex].id, patch.aIndex),
                b: patch.bIndex.map { fid(lineage.bFeatures[$0].id, $0) } ?? -1)
        }
    }
}

/// The output file of an overlay while it is being written: Features are appended in order as
/// they are encoded; the file appears at its path only when committed (`finish()`, or
/// `complete()` and then a commit of the run's outputs; dropped, the temporary file is
/// removed). Stays on the task that opened it.
final class PatchStream {
    private let writer: GeoJSONWriter
    let workingCRS: CRSDescription
    let target: CRSDescription?
    let decimals: Int?
    let mergeKeys: PatchMergeKey.Order?

    init(writer: GeoJSONWriter, workingCRS: CRSDescription, target: CRSDescription?, decimals: Int?, mergeKeys: PatchMergeKey.Order? = nil) {
        self.writer = writer
        self.workingCRS = workingCRS
        self.target = target
        self.decimals = decimals
        self.mergeKeys = mergeKeys
    }

    /// The encoder for one rule's patches, in this file's CRS and precision.
    func encoder(for lineage: PatchLineage) -> PatchEncoder {
        PatchEncoder(lineage: lineage, workingCRS: workingCRS, target: target, decimals: decimals, mergeKeys: mergeKeys)
    }

    func write(_ encoded: EncodedPatches) throws {
        try writer.writeEncoded(encoded.bytes, count: encoded.count)
    }

    /// Ends the collection, syncs the file and renames it onto its path.
    func finish() throws {
        try writer.finish()
    }

    /// Ends the collection and syncs the file, leaving it to be committed (with the other
    /// outputs of the run).
    func complete() throws -> OutputFile {
        try writer.complete()
    }
}

@available(*, unavailable) extension PatchStream: Sendable {}

/// What a rule's patches need from their source layers, resolved once per rule, and their
/// properties: `rule`, `title`, `severity`, `relation`, `a_layer`, `a_fid`, `a_class`, `a_code`,
/// `b_layer`, `b_fid`, `b_class`, `b_code`, `area_m2`, `area_ellipsoidal_m2`, `area_ha`, `area_mu`,
/// the disposition columns (`DispositionLedger.columnNames`), then the source attributes of both
/// features under `a.` and `b.` prefixes.
/// The id and attributes of a layer's kept features by position: all of them in memory, or
/// those a chunk of patches names, loaded from the feature store.
enum LineageFeatures: Sendable {
    case memory([CheckedFeature])
    case loaded([Int: StoredFeature])

    subscript(position: Int) -> (id: FeatureID, attributes: [Attribute]) {
        switch self {
        case .memory(let features): (features[position].id, features[position].attributes)
        case .loaded(let features):
            // The worker loads every feature its chunk's patches name before encoding them.
            if let feature = features[position] { (feature.id, feature.attributes) } else { preconditionFailure("stored feature \(position) not loaded") }
        }
    }
}

struct PatchLineage: Sendable {
    let rule: ConflictRule
    /// The decisions carried over, for the disposition columns.
    let ledger: DispositionLedger
    /// The source features by position in their layers (those of a stored layer loaded per
    /// chunk of patches: `resolving(a:b:)`).
    private(set) var aFeatures: LineageFeatures
    private(set) var bFeatures: LineageFeatures
    let aCodes: InternedColumn<String?>
    let bCodes: InternedColumn<String?>
    /// `rule` … `a_layer`, the same for every patch of the rule.
    let ruleLineage: EncodedMembers
    /// The disposition columns of a patch with no previous record (every patch of a run without
    /// `--dispositions`), encoded once: those before `geometry_hash`, and those after it.
    let newPatchColumns: (head: EncodedMembers, tail: EncodedMembers)

    init(rule: ConflictRule, layers: [OverlayLayer], ledger: DispositionLedger) {
        self.rule = rule
        self.ledger = ledger
        let a = layers.first { $0.definition.name == rule.a.layer }!
        let b = layers.first { $0.definition.name == rule.b.layer }!
        aFeatures = a.stored == nil ? .memory(a.checked.features) : .loaded([:])
        bFeatures = b.stored == nil ? .memory(b.checked.features) : .loaded([:])
        aCodes = a.codeColumn
        bCodes = b.codeColumn
        ruleLineage = EncodedMembers([
            Attribute("rule", .string(rule.id)),
            Attribute("title", .string(rule.title ?? rule.id)),
            Attribute("severity", .string(rule.severity.rawValue)),
            Attribute("relation", .string(rule.relation.rawValue)),
            Attribute("a_layer", .string(rule.a.layer)),
        ])
        let fresh = ledger.columns(status: .new, geometryHash: "", record: nil)
        let hashColumn = fresh.firstIndex { $0.name == "geometry_hash" }!
        newPatchColumns = (EncodedMembers(Array(fresh[..<hashColumn])), EncodedMembers(Array(fresh[(hashColumn + 1)...])))
    }

    /// This lineage with the source features of stored layers that a chunk's patches name
    /// (by position); memory layers keep theirs.
    func resolving(a: [Int: StoredFeature], b: [Int: StoredFeature]) -> PatchLineage {
        var resolved = self
        if case .loaded = aFeatures { resolved.aFeatures = .loaded(a) }
        if case .loaded = bFeatures { resolved.bFeatures = .loaded(b) }
        return resolved
    }

    /// `a_fid`, `a_class`, `a_code` of the `a` feature at `index` (of its layer's features).
    func aLineage(_ index: Int) -> EncodedMembers {
        EncodedMembers([
            Attribute("a_fid", Self.fid(aFeatures[index].id)),
            Attribute("a_class", .string(rule.a.className ?? "all")),
            Attribute("a_code", Self.text(aCodes[index])),
        ])
    }

    /// `b_layer`, `b_fid`, `b_class`, `b_code` of the `b` feature at `index`; with nil (an
    /// `outside` patch) the fid and code are null.
    func bLineage(_ index: Int?) -> EncodedMembers {
        EncodedMembers([
            Attribute("b_layer", .string(rule.b.layer)),
            Attribute("b_fid", Self.fid(index.map { bFeatures[$0].id })),
            Attribute("b_class", .string(rule.b.className ?? "all")),
            Attribute("b_code", Self.text(index.flatMap { bCodes[$0] })),
        ])
    }

    /// The source attributes of the `a` feature at `index`, under `a.`.
    func aAttributes(_ index: Int) -> EncodedMembers { EncodedMembers(aFeatures[index].attributes, prefix: "a.") }

    /// The source attributes of the `b` feature at `index`, under `b.`.
    func bAttributes(_ index: Int) -> EncodedMembers { EncodedMembers(bFeatures[index].attributes, prefix: "b.") }

    /// `areas(of:)` appended member by member (no array per patch).
    func appendAreas(of patch: DiscrepancyPatch, to properties: inout PropertiesText) {
        properties.append("area_m2", .double(patch.area))
        properties.append("area_ellipsoidal_m2", .double(patch.ellipsoidalArea))
        properties.append("area_ha", .double(AreaUnit.hectares(patch.area)))
        properties.append("area_mu", .double(AreaUnit.mu(patch.area)))
    }

    /// `ledger.columns(of:)` appended: for a patch with no previous record from the columns
    /// encoded once (`newPatchColumns`) and its geometry hash, the same bytes without an array
    /// of attributes per patch.
    func appendDispositionColumns(of patch: DiscrepancyPatch, to properties: inout PropertiesText) {
        guard ledger.records.isEmpty || ledger.records[patch.id] == nil else {
            properties.append(ledger.columns(of: patch))
            return
        }
        properties.append(newPatchColumns.head)
        properties.append("geometry_hash", .string(patch.geometryHash))
        properties.append(newPatchColumns.tail)
    }

    /// `area_m2` (planar; ellipsoidal in a geographic CRS), `area_ellipsoidal_m2`, `area_ha`, `area_mu`.
    func areas(of patch: DiscrepancyPatch) -> [Attribute] {
        [
            Attribute("area_m2", .double(patch.area)),
            Attribute("area_ellipsoidal_m2", .double(patch.ellipsoidalArea)),
            Attribute("area_ha", .double(AreaUnit.hectares(patch.area))),
            Attribute("area_mu", .double(AreaUnit.mu(patch.area))),
        ]
    }

    private static func fid(_ id: FeatureID?) -> AttributeValue {
        switch id {
        case .int(let i)?: .integer(i)
        case .string(let s)?: .string(s)
        case nil: .null
        }
    }

    private static func text(_ s: String?) -> AttributeValue { s.map(AttributeValue.string) ?? .null }
}
