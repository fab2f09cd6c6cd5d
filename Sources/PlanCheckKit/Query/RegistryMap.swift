import PlanModel
import PlanRegistry
import PlanRules

/// The current regions or outcome zones of a registry as a GeoJSON FeatureCollection, for maps
/// (`plan-check serve`'s `/v1/regions` and `/v1/zones`). Coordinates are in the registry's CRS,
/// named by the 2008-style `crs` member (`urn:ogc:def:crs:EPSG::4529`), as planning files carry
/// it: not RFC 7946 lon/lat.
public struct RegistryFeatureCollection: Encodable, Sendable {
    public var type = "FeatureCollection"
    /// `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}}`.
    public var crs: NamedCRS
    /// The latest run when the records were read (one snapshot).
    public var latestRunId: Int64
    /// The features returned (never more than the limit asked).
    public var count: Int
    public var features: [Feature]

    public struct NamedCRS: Encodable, Sendable {
        public var type = "name"
        public var properties: [String: String]
    }

    public struct Feature: Encodable, Sendable {
        public var type = "Feature"
        /// The record's fid in the registry (`regions.fid`, `zones.fid`).
        public var id: Int64
        public var properties: Properties
        public var geometry: MapGeometry
    }

    /// A region's or a zone's attributes; the zone-only members are left out for regions.
    public struct Properties: Encodable, Sendable {
        public var regionId: String
        public var name: String?
        public var itemId: String?
        /// `reuse`, `conditional`, `individual`, `prohibited`.
        public var outcome: String?
        /// 免于评估, 告知承诺, 单独评估, 禁止建设.
        public var outcomeTerm: String?
        /// The constraint (`hazard.high`) or `default`.
        public var source: String?
        public var condition: String?
        public var runId: Int64
        public var area: QueryAnswer.Area
    }
}

/// More records match than a map request may return: refused (exit 64, HTTP 400) rather than
/// cut short, so that a map never silently lacks zones.
public struct MapLimitExceeded: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .usage }
    public var description: String { message }
}

extension QueryEngine {
    /// The current regions whose bounding box meets `bbox` (registry CRS; all when nil), at most
    /// `limit` of them, else ``MapLimitExceeded``.
    public func currentRegions(bbox: Envelope?, limit: Int, maxVertices: Int) throws -> RegistryFeatureCollection {
        try readingRegistry { reader, runID in
            let (regions, more) = try reader.currentRegions(intersecting: bbox, limit: limit)
            if more { throw MapLimitExceeded(message: "more than limit=\(limit) regions match\(bbox == nil ? "" : " the bbox"): give a smaller bbox (registry CRS \(srs.crsDefinition)) or a larger limit") }
            return try collection(runID: runID, maxVertices: maxVertices, features: regions.map { stored in
                .init(id: stored.fid, properties: .init(
                    regionId: stored.region.regionID, name: stored.region.name, runId: stored.runID,
                    area: .init(planar: stored.region.area.planarM2, ellipsoidal: stored.region.area.ellipsoidalM2)),
                      geometry: MapGeometry(stored.region.geometry))
            })
        }
    }

    /// The current outcome zones (of `itemID` when given) whose bounding box meets `bbox`
    /// (registry CRS; all when nil), at most `limit` of them, else ``MapLimitExceeded``.
    public func currentZones(itemID: String?, bbox: Envelope?, limit: Int, maxVertices: Int) throws -> RegistryFeatureCollection {
        try readingRegistry { reader, runID in
            let (zones, more) = try reader.currentZones(intersecting: bbox, itemID: itemID, limit: limit)
            if more { throw MapLimitExceeded(message: "more than limit=\(limit) zones match: give a smaller bbox (registry CRS \(srs.crsDefinition)), an item, or a larger limit") }
            return try collection(runID: runID, maxVertices: maxVertices, features: zones.map { stored in
                let zone = stored.zone
                return .init(id: stored.fid, properties: .init(
                    regionId: zone.regionID, itemId: zone.itemID, outcome: zone.outcome,
                    outcomeTerm: AssessmentOutcome(rawValue: zone.outcome)?.chineseTerm, source: zone.source,
                    condition: zone.condition, runId: stored.runID,
                    area: .init(planar: zone.area.planarM2, ellipsoidal: zone.area.ellipsoidalM2)),
                      geometry: MapGeometry(zone.geometry))
            })
        }
    }

    /// `body` in one read transaction on a pooled connection, with the latest run's id.
    private func readingRegistry(_ body: (RegistryReader, Int64) throws -> RegistryFeatureCollection) throws -> RegistryFeatureCollection {
        let reader = try state.checkOutReader(path: request.registryPath)
        defer { state.giveBack(reader) }
        return try reader.readingOneSnapshot {
            let snapshot = try state.snapshot(from: reader, path: request.registryPath)
            return try body(reader, snapshot.run.runID)
        }
    }

    /// The collection, unless its features have more than `maxVertices` vertices in all.
    private func collection(runID: Int64, maxVertices: Int, features: [RegistryFeatureCollection.Feature]) throws -> RegistryFeatureCollection {
        let vertices = features.reduce(0) { $0 + $1.geometry.vertexCount }
        if vertices > maxVertices {
            throw MapLimitExceeded(message: "the \(features.count) records that match have \(vertices) vertices, more than a map answer carries (\(maxVertices)): give a smaller bbox (registry CRS \(srs.crsDefinition)) or an item")
        }
        return RegistryFeatureCollection(
            crs: .init(properties: ["name": Self.crsURN(srs)]), latestRunId: runID, count: features.count, features: features)
    }

    /// `urn:ogc:def:crs:EPSG::4529` for an EPSG CRS, else plan-check's definition of it.
    static func crsURN(_ srs: RegistrySRS) -> String {
        epsgCode(of: srs).map { "urn:ogc:def:crs:EPSG::\($0)" } ?? srs.crsDefinition
    }

    /// The registry CRS's EPSG code, when it has one.
    public var registryEPSGCode: Int32? { Self.epsgCode(of: srs) }

    /// `srs`'s EPSG code, when its organisation is EPSG with a real code.
    static func epsgCode(of srs: RegistrySRS) -> Int32? {
        srs.organization.uppercased() == "EPSG" && srs.organizationCode > 0 ? srs.organizationCode : nil
    }
}
