import PlanModel
import PlanStore

/// A region record read back, with its run.
public struct StoredRegion: Sendable, Equatable {
    public var fid: Int64
    public var runID: Int64
    public var region: RegistryRegion
    public var supersededByRun: Int64?
    public var supersededAt: String?
}

/// An item record read back, with its run and when it was superseded.
public struct StoredItem: Sendable, Hashable {
    public var id: Int64
    public var runID: Int64
    /// The run's time, `YYYY-MM-DDTHH:MM:SS.SSSZ`.
    public var runAt: String
    public var item: RegistryItem
    public var supersededByRun: Int64?
    public var supersededAt: String?
}

/// A zone record read back.
public struct StoredZone: Sendable, Equatable {
    public var fid: Int64
    public var runID: Int64
    public var zone: RegistryZone
}

/// A run's provenance read back.
public struct StoredRun: Sendable, Hashable {
    public var runID: Int64
    public var run: RegistryRun
}

/// Reads a registry (read-only): the current records a query needs, found through the R-tree
/// spatial index, and the history. Open one per task; it is not Sendable.
public final class RegistryReader {
    public let path: String
    private let database: Database
    private var statements: [String: Statement] = [:]

    /// Opens the registry read-only. Throws `StoreError` (`.fileNotFound`; `.notAGeoPackage`;
    /// `.malformedGeoPackage` when it is a GeoPackage but no plan-check registry, or one with no run).
    public init(path: String) throws {
        self.path = path
        database = try Database(path: path, mode: .readOnly)
        let id = try database.scalar("PRAGMA application_id")?.integer ?? 0
        guard GeoPackageFile.applicationIDs.contains(UInt32(truncatingIfNeeded: id)) else {
            throw StoreError(kind: .notAGeoPackage, message: "application_id is not 'GPKG'", path: path)
        }
        let hasInfo = try database.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'registry_info'") == .integer(1)
        guard hasInfo else {
            throw StoreError(kind: .malformedGeoPackage, message: "this GeoPackage is not a plan-check registry (no registry_info table; make one with plan-check assess)", path: path)
        }
        try RegistrySchema.checkIsRegistry(database, path: path)
    }

    /// Runs `body` in one read transaction: every read in it sees the registry as one commit
    /// left it (SQLite's WAL snapshot), even while `plan-check assess` commits a new run, so an
    /// answer never mixes records of two runs.
    public func readingOneSnapshot<T>(_ body: () throws -> T) throws -> T {
        try database.inTransaction(.deferred, body)
    }

    // MARK: Runs

    /// The latest run (highest id), or nil in a registry without runs.
    public func latestRun() throws -> StoredRun? {
        try runs(where: "id = (SELECT max(id) FROM assessment_runs)", arguments: []).first
    }

    /// The id of the latest run, or nil in a registry without runs (one indexed lookup: a cheap
    /// way to tell whether anything was assessed since the last look).
    public func latestRunID() throws -> Int64? {
        let statement = try cached("SELECT max(id) FROM assessment_runs")
        // Reset at once: a statement left on a row would hold its read snapshot, and this
        // connection would not see the next run.
        defer { try? statement.reset() }
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.int64(at: 0)
    }

    /// The run with this id, or nil.
    public func run(id: Int64) throws -> StoredRun? {
        try runs(where: "id = ?", arguments: [.integer(id)]).first
    }

    /// Every run, oldest first.
    public func allRuns() throws -> [StoredRun] {
        try runs(where: "1", arguments: [])
    }

    private func runs(where condition: String, arguments: [DatabaseValue]) throws -> [StoredRun] {
        let srs = try registrySRS()
        var result: [StoredRun] = []
        for row in try database.rows(
            """
            SELECT id, run_at, issued_by, rules_path, rules_sha256, rules_yaml, regions_path, regions_sha256,
                   working_crs, min_area_m2, plan_check_version, libraries
            FROM assessment_runs WHERE \(condition) ORDER BY id
            """, arguments: arguments) {
            let runID = row[0].integer ?? 0
            var runSRS = srs
            runSRS.crsDefinition = row[8].text ?? srs.crsDefinition
            let inputs = try database.rows(
                "SELECT layer, path, sha256, features_read, features_repaired, features_rejected FROM assessment_inputs WHERE run_id = ? ORDER BY id",
                arguments: [.integer(runID)]
            ).map { r in
                RegistryInput(layer: r[0].text ?? "", path: r[1].text ?? "", sha256: r[2].text ?? "",
                              featuresRead: Int(r[3].integer ?? 0), featuresRepaired: Int(r[4].integer ?? 0),
                              featuresRejected: Int(r[5].integer ?? 0))
            }
            result.append(StoredRun(runID: runID, run: RegistryRun(
                runAt: row[1].text ?? "", issuedBy: row[2].text, rulesPath: row[3].text ?? "", rulesSHA256: row[4].text ?? "",
                rulesYAML: row[5].text ?? "", regionsPath: row[6].text ?? "", regionsSHA256: row[7].text ?? "", srs: runSRS,
                minAreaM2: row[9].real ?? 0, planCheckVersion: row[10].text ?? "", libraries: row[11].text ?? "",
                inputs: inputs)))
        }
        return result
    }

    /// The CRS of the registry's geometries.
    public func registrySRS() throws -> RegistrySRS {
        let rows = try database.rows(
            """
            SELECT s.srs_id, s.srs_name, s.organization, s.organization_coordsys_id, s.definition,
                   (SELECT working_crs FROM assessment_runs ORDER BY id DESC LIMIT 1)
            FROM gpkg_geometry_columns g JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
            WHERE g.table_name = 'regions'
            """)
        guard let row = rows.first else {
            throw StoreError(kind: .malformedGeoPackage, message: "the registry has no regions table; assess a region first", path: path)
        }
        return RegistrySRS(
            srsID: Int32(truncatingIfNeeded: row[0].integer ?? 0), name: row[1].text ?? "", organization: row[2].text ?? "",
            organizationCode: Int32(truncatingIfNeeded: row[3].integer ?? 0), definition: row[4].text ?? "",
            crsDefinition: row[5].text ?? "\(row[2].text ?? ""):\(row[3].integer ?? 0)")
    }

    // MARK: Current records

    /// The current regions whose bounding box meets `envelope` (the R-tree answers; the caller
    /// tests the geometries). In region-id order.
    public func currentRegions(intersecting envelope: Envelope) throws -> [StoredRegion] {
        let statement = try cached(
            """
            SELECT r.fid, r.run_id, r.region_id, r.name, r.geom, r.area_m2, r.area_ellipsoidal_m2
            FROM regions r JOIN rtree_regions_geom i ON r.fid = i.id
            WHERE i.maxx >= ? AND i.minx <= ? AND i.maxy >= ? AND i.miny <= ? AND r.superseded_by_run IS NULL
            ORDER BY r.region_id
            """)
        try bind(envelope, to: statement)
        var regions: [StoredRegion] = []
        while try statement.step() {
            regions.append(StoredRegion(
                fid: statement.int64(at: 0), runID: statement.int64(at: 1),
                region: RegistryRegion(
                    regionID: statement.string(at: 2) ?? "", name: statement.string(at: 3),
                    geometry: try geometry(statement, at: 4),
                    area: RegistryArea(planarM2: statement.double(at: 5), ellipsoidalM2: statement.double(at: 6))),
                supersededByRun: nil, supersededAt: nil))
        }
        return regions
    }

    /// The ids and titles of the items current anywhere in the registry, in the order first assessed.
    public func currentItemCatalogue() throws -> [(itemID: String, title: String?)] {
        try database.rows(
            """
            SELECT item_id, title FROM assessment_items WHERE superseded_by_run IS NULL
            GROUP BY item_id ORDER BY min(id)
            """
        ).map { ($0[0].text ?? "", $0[1].text) }
    }

    /// The current items of the regions `regionIDs`.
    public func currentItems(regionIDs: [String]) throws -> [StoredItem] {
        guard !regionIDs.isEmpty else { return [] }
        let marks = regionIDs.map { _ in "?" }.joined(separator: ", ")
        return try items(where: "i.region_id IN (\(marks)) AND i.superseded_by_run IS NULL", arguments: regionIDs.map(DatabaseValue.text))
    }

    /// Every item record, current and superseded, oldest first; optionally of one region or item.
    public func itemHistory(regionID: String? = nil, itemID: String? = nil) throws -> [StoredItem] {
        var conditions = ["1"]
        var arguments: [DatabaseValue] = []
        if let regionID {
            conditions.append("i.region_id = ?")
            arguments.append(.text(regionID))
        }
        if let itemID {
            conditions.append("i.item_id = ?")
            arguments.append(.text(itemID))
        }
        return try items(where: conditions.joined(separator: " AND "), arguments: arguments)
    }

    private func items(where condition: String, arguments: [DatabaseValue]) throws -> [StoredItem] {
        try database.rows(
            """
            SELECT i.id, i.run_id, r.run_at, i.region_id, i.item_id, i.title, i.issued_by, i.valid_from, i.valid_until,
                   i.default_outcome, i.conditions, i.excluded_project_types, i.constraint_layers, i.min_area_m2,
                   i.superseded_by_run, i.superseded_at
            FROM assessment_items i JOIN assessment_runs r ON r.id = i.run_id
            WHERE \(condition) ORDER BY i.id
            """, arguments: arguments
        ).map { row in
            StoredItem(
                id: row[0].integer ?? 0, runID: row[1].integer ?? 0, runAt: row[2].text ?? "",
                item: RegistryItem(
                    regionID: row[3].text ?? "", itemID: row[4].text ?? "", title: row[5].text, issuedBy: row[6].text,
                    validFrom: row[7].text ?? "", validUntil: row[8].text ?? "", defaultOutcome: row[9].text ?? "",
                    conditions: RegistryJSON.decode([String: String].self, row[10].text) ?? [:],
                    excludedProjectTypes: RegistryJSON.decode([String].self, row[11].text) ?? [],
                    constraintLayers: RegistryJSON.decode([String].self, row[12].text) ?? [],
                    minAreaM2: row[13].real ?? 0),
                supersededByRun: row[14].integer, supersededAt: row[15].text)
        }
    }

    /// The current zones of the regions `regionIDs` whose bounding box meets `envelope`.
    public func currentZones(intersecting envelope: Envelope, regionIDs: Set<String>) throws -> [StoredZone] {
        guard !regionIDs.isEmpty else { return [] }
        let statement = try cached(
            """
            SELECT z.fid, z.run_id, z.region_id, z.item_id, z.outcome, z.outcome_rank, z.source, z.condition, z.geom,
                   z.area_m2, z.area_ellipsoidal_m2
            FROM zones z JOIN rtree_zones_geom i ON z.fid = i.id
            WHERE i.maxx >= ? AND i.minx <= ? AND i.maxy >= ? AND i.miny <= ? AND z.superseded_by_run IS NULL
            ORDER BY z.fid
            """)
        try bind(envelope, to: statement)
        var zones: [StoredZone] = []
        while try statement.step() {
            let regionID = statement.string(at: 2) ?? ""
            guard regionIDs.contains(regionID) else { continue }
            zones.append(StoredZone(
                fid: statement.int64(at: 0), runID: statement.int64(at: 1),
                zone: RegistryZone(
                    regionID: regionID, itemID: statement.string(at: 3) ?? "", outcome: statement.string(at: 4) ?? "",
                    outcomeRank: Int(statement.int64(at: 5)), source: statement.string(at: 6) ?? "",
                    condition: statement.string(at: 7), geometry: try geometry(statement, at: 8),
                    area: RegistryArea(planarM2: statement.double(at: 9), ellipsoidalM2: statement.double(at: 10)))))
        }
        return zones
    }

    /// Up to `limit` current zones whose bounding box meets `envelope` (every current zone when
    /// nil), of item `itemID` when given, in fid order; `more` says that at least one more matches.
    public func currentZones(intersecting envelope: Envelope?, itemID: String?, limit: Int) throws -> (zones: [StoredZone], more: Bool) {
        let box = envelope ?? Self.everywhere
        var arguments: [DatabaseValue] = [.real(box.minX), .real(box.maxX), .real(box.minY), .real(box.maxY)]
        var itemCondition = ""
        if let itemID {
            itemCondition = "AND z.item_id = ?"
            arguments.append(.text(itemID))
        }
        arguments.append(.integer(Int64(limit) + 1))
        let rows = try database.rows(
            """
            SELECT z.fid, z.run_id, z.region_id, z.item_id, z.outcome, z.outcome_rank, z.source, z.condition, z.geom,
                   z.area_m2, z.area_ellipsoidal_m2
            FROM zones z JOIN rtree_zones_geom i ON z.fid = i.id
            WHERE i.maxx >= ? AND i.minx <= ? AND i.maxy >= ? AND i.miny <= ? AND z.superseded_by_run IS NULL \(itemCondition)
            ORDER BY z.fid LIMIT ?
            """, arguments: arguments)
        let zones = try rows.prefix(limit).map { row in
            StoredZone(
                fid: row[0].integer ?? 0, runID: row[1].integer ?? 0,
                zone: RegistryZone(
                    regionID: row[2].text ?? "", itemID: row[3].text ?? "", outcome: row[4].text ?? "",
                    outcomeRank: Int(row[5].integer ?? 0), source: row[6].text ?? "", condition: row[7].text,
                    geometry: try geometry(blob: row[8]), area: RegistryArea(planarM2: row[9].real ?? 0, ellipsoidalM2: row[10].real ?? 0)))
        }
        return (zones, rows.count > limit)
    }

    /// Up to `limit` current regions whose bounding box meets `envelope` (every one when nil), in
    /// region-id order; `more` says that at least one more matches.
    public func currentRegions(intersecting envelope: Envelope?, limit: Int) throws -> (regions: [StoredRegion], more: Bool) {
        let regions = try currentRegions(intersecting: envelope ?? Self.everywhere)
        return (Array(regions.prefix(limit)), regions.count > limit)
    }

    /// A box around every finite coordinate.
    static let everywhere = Envelope(minX: -Double.greatestFiniteMagnitude, minY: -Double.greatestFiniteMagnitude,
                                     maxX: Double.greatestFiniteMagnitude, maxY: Double.greatestFiniteMagnitude)

    /// Row counts of the registry's tables: all rows and current rows.
    public func counts() throws -> [(table: String, all: Int, current: Int)] {
        try ["regions", "assessment_items", "zones"].map { table in
            let all = try database.scalar("SELECT count(*) FROM \(table)")?.integer ?? 0
            let current = try database.scalar("SELECT count(*) FROM \(table) WHERE superseded_by_run IS NULL")?.integer ?? 0
            return (table, Int(all), Int(current))
        }
    }

    // MARK: Internals

    private func cached(_ sql: String) throws -> Statement {
        if let statement = statements[sql] {
            try statement.reset()
            statement.clearBindings()
            return statement
        }
        let statement = try database.prepare(sql)
        statements[sql] = statement
        return statement
    }

    private func bind(_ envelope: Envelope, to statement: Statement) throws {
        try statement.bind(envelope.minX, at: 1)
        try statement.bind(envelope.maxX, at: 2)
        try statement.bind(envelope.minY, at: 3)
        try statement.bind(envelope.maxY, at: 4)
    }

    private func geometry(blob value: DatabaseValue) throws -> GeometryValue {
        guard case .blob(let blob) = value else { return .multiPolygon([]) }
        do {
            return try GeoPackageBinary.decode(blob).geometry
        } catch {
            throw StoreError(kind: .malformedGeoPackage, message: "a stored geometry cannot be read: \(error)", path: path)
        }
    }

    private func geometry(_ statement: Statement, at index: Int32) throws -> GeometryValue {
        guard let blob = statement.blob(at: index) else { return .multiPolygon([]) }
        do {
            return try GeoPackageBinary.decode(blob).geometry
        } catch {
            throw StoreError(kind: .malformedGeoPackage, message: "a stored geometry cannot be read: \(error)", path: path)
        }
    }
}

@available(*, unavailable)
extension RegistryReader: Sendable {}

extension DatabaseValue {
    /// The number, when the value is a real or an integer.
    var real: Double? {
        switch self {
        case .real(let r): r
        case .integer(let i): Double(i)
        default: nil
        }
    }
}
