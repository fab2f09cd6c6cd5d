import Foundation
import PlanModel
import PlanOutput
import PlanStore

/// Writes assessment runs into a registry: an OGC GeoPackage whose feature tables `regions` and
/// `zones` QGIS and GDAL open as layers, with attribute tables for runs, inputs and items.
///
/// A run is written in one transaction: `begin`, then `add` per region as it is assessed, then
/// `commit`. Until the commit nothing is visible; a run that throws or is killed leaves the
/// registry exactly as it was (SQLite's WAL drops uncommitted frames when the file is next opened).
/// A registry that does not exist yet is built in a temporary file next to it and moved into
/// place on commit, so a killed first run leaves no registry at all rather than an empty one;
/// the next writer removes such a run's temporaries (`OutputPath.removeStaleTemporaries()`).
/// A registry path that is a symbolic link is written through to its target; a FIFO, a device,
/// a socket or a folder is refused (`OutputFileError`, exit 74), as is a folder that does not
/// exist or cannot be written.
///
/// Assessing a region again supersedes its earlier records (they get `superseded_by_run` and
/// `superseded_at`); nothing is deleted, so the history stays in the file.
public final class RegistryWriter {
    /// The registry path as given.
    public let path: String
    /// The registry file: `path` with its symbolic links followed.
    public let target: String
    private let writer: GeoPackageWriter
    /// Where the writer writes: `target`, or a temporary file beside it when the registry is new.
    private let workingPath: String
    private var runID: Int64?
    private var runAt = ""
    private var srsID: Int32 = 0
    private var addedRegions = Set<String>()

    /// Opens the registry at `path`, or prepares a new one when there is none, after removing
    /// the temporaries that killed runs left beside it.
    /// `busyTimeout` (milliseconds) is how long to wait for another writer.
    /// Throws `OutputFileError` for a path that cannot be a registry file (see
    /// `checkWritable(path:)`), `StoreError` (`.notAGeoPackage`, `.malformedGeoPackage` for a
    /// GeoPackage that is not a plan-check registry, `.sqlite`).
    public init(path: String, busyTimeout: Int32 = 10_000) throws {
        self.path = path
        let output = try Self.checkWritable(path: path)
        output.removeStaleTemporaries()
        target = output.target ?? path
        if access(target, F_OK) == 0 {
            workingPath = target
            writer = try GeoPackageWriter(path: target, create: false, busyTimeout: busyTimeout)
            try RegistrySchema.checkIsRegistry(try writer.database(), path: path)
        } else {
            workingPath = output.makeTemporaryPath()
            writer = try GeoPackageWriter(path: workingPath, create: true, busyTimeout: busyTimeout)
        }
    }

    /// Checks, before a run does its work, that `path` can be written as a registry: not a FIFO,
    /// a device, a socket or a folder (its links followed), in a folder that exists and is
    /// writable (SQLite keeps its write-ahead log beside the file). Returns the path resolved.
    /// - Throws: `OutputFileError` (exit 74).
    @discardableResult
    public static func checkWritable(path: String) throws -> OutputPath {
        let output = try OutputPath(path, dashIsStandardOutput: false)
        try output.checkFolder()
        return output
    }

    deinit {
        if runID != nil { try? writer.database().rollback() }
        writer.close()
        if workingPath != target { Self.removeDatabase(at: workingPath) }
    }

    /// Removes an SQLite file and its companions (`-journal`, `-wal`, `-shm`).
    static func removeDatabase(at path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// Starts the run: opens the write transaction (waiting up to the busy timeout for another
    /// writer), creates the registry tables when the file has none, adds the CRS, and records the
    /// run's provenance. Returns the run id.
    @discardableResult
    public func begin(_ run: RegistryRun) throws -> Int64 {
        precondition(runID == nil, "begin called twice")
        let database = try writer.database()
        try mappingBusy { try database.beginTransaction(.immediate) }
        do {
            try writer.addSpatialReference(
                srsID: run.srs.srsID, name: run.srs.name, organization: run.srs.organization,
                organizationCode: run.srs.organizationCode, definition: run.srs.definition)
            try RegistrySchema.create(in: writer, srsID: run.srs.srsID)
            let tableSRS = try database.scalar(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'regions'")?.integer
            if let tableSRS, tableSRS != Int64(run.srs.srsID) {
                throw StoreError(kind: .malformedGeoPackage,
                                 message: "the registry holds geometries in srs_id \(tableSRS), this run's CRS is \(run.srs.name) (srs_id \(run.srs.srsID)); assess in the registry's CRS (--crs) or use another registry",
                                 path: path)
            }
            srsID = run.srs.srsID
            try database.execute(
                """
                INSERT INTO assessment_runs (run_at, issued_by, rules_path, rules_sha256, rules_yaml, regions_path,
                    regions_sha256, working_crs, min_area_m2, plan_check_version, libraries)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [.text(run.runAt), run.issuedBy.map(DatabaseValue.text) ?? .null, .text(run.rulesPath),
                            .text(run.rulesSHA256), .text(run.rulesYAML), .text(run.regionsPath), .text(run.regionsSHA256),
                            .text(run.srs.crsDefinition), .real(run.minAreaM2), .text(run.planCheckVersion), .text(run.libraries)])
            let id = database.lastInsertedRowID
            for input in run.inputs {
                try database.execute(
                    """
                    INSERT INTO assessment_inputs (run_id, layer, path, sha256, features_read, features_repaired, features_rejected)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [.integer(id), .text(input.layer), .text(input.path), .text(input.sha256),
                                .integer(Int64(input.featuresRead)), .integer(Int64(input.featuresRepaired)),
                                .integer(Int64(input.featuresRejected))])
            }
            runID = id
            runAt = run.runAt
            return id
        } catch {
            try? database.rollback()
            throw error
        }
    }

    /// Adds one assessed region with its items and zones, superseding the region's current
    /// records. Inside the run's transaction: nothing shows until `commit`.
    public func add(region: RegistryRegion, items: [RegistryItem], zones: [RegistryZone]) throws {
        guard let runID else { preconditionFailure("add called outside begin/commit") }
        let database = try writer.database()
        guard addedRegions.insert(region.regionID).inserted else {
            throw StoreError(kind: .malformedGeoPackage, message: "region '\(region.regionID)' is given twice in one run", path: path)
        }
        for table in ["regions", "assessment_items", "zones"] {
            try database.execute(
                "UPDATE \(table) SET superseded_by_run = ?, superseded_at = ? WHERE region_id = ? AND superseded_by_run IS NULL",
                arguments: [.integer(runID), .text(runAt), .text(region.regionID)])
        }
        _ = try writer.insert(
            table: "regions", geometry: Self.multiPolygon(region.geometry),
            values: [.integer(runID), .text(region.regionID), region.name.map(DatabaseValue.text) ?? .null]
                + Self.areaValues(region.area) + [.null, .null])
        for item in items {
            try database.execute(
                """
                INSERT INTO assessment_items (run_id, region_id, item_id, title, issued_by, valid_from, valid_until,
                    default_outcome, conditions, excluded_project_types, constraint_layers, min_area_m2)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [.integer(runID), .text(item.regionID), .text(item.itemID), item.title.map(DatabaseValue.text) ?? .null,
                            item.issuedBy.map(DatabaseValue.text) ?? .null, .text(item.validFrom), .text(item.validUntil),
                            .text(item.defaultOutcome), .text(RegistryJSON.encode(item.conditions)),
                            .text(RegistryJSON.encode(item.excludedProjectTypes)), .text(RegistryJSON.encode(item.constraintLayers)),
                            .real(item.minAreaM2)])
        }
        for zone in zones {
            _ = try writer.insert(
                table: "zones", geometry: Self.multiPolygon(zone.geometry),
                values: [.integer(runID), .text(zone.regionID), .text(zone.itemID), .text(zone.outcome),
                         .integer(Int64(zone.outcomeRank)), .text(zone.source), zone.condition.map(DatabaseValue.text) ?? .null]
                    + Self.areaValues(zone.area) + [.null, .null])
        }
    }

    /// Commits the run, updates the layers' extents, and, for a new registry, moves the file into
    /// place. Returns the run id.
    @discardableResult
    public func commit() throws -> Int64 {
        guard let runID else { preconditionFailure("commit called outside begin") }
        try writer.updateExtent(table: "regions")
        try writer.updateExtent(table: "zones")
        try mappingBusy { try writer.database().commit() }
        self.runID = nil
        // Closed before the move: the checkpoint puts every commit into the main file and the
        // temporary -wal and -shm files go away with the last connection.
        writer.close()
        if workingPath != target {
            // link(2) fails when the target exists: another process created the registry meanwhile.
            guard link(workingPath, target) == 0 else {
                let code = errno
                Self.removeDatabase(at: workingPath)
                throw StoreError(kind: .sqlite, message: code == EEXIST
                    ? "another process created the registry while this run was assessing; run again to add to it"
                    : "cannot move the new registry into place: \(String(cString: strerror(code)))", path: path)
            }
            Self.removeDatabase(at: workingPath)
        }
        return runID
    }

    /// Abandons the run: rolls back, so the registry is as it was (a new one is not created).
    public func rollback() {
        if runID != nil { try? writer.database().rollback() }
        runID = nil
    }

    // MARK: Internals

    private func mappingBusy<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as StoreError where error.isBusy {
            error.message = "another process is writing to the registry (still locked after the busy timeout); try again when it has finished: \(error.message)"
            throw error
        }
    }

    static func multiPolygon(_ geometry: GeometryValue) -> GeometryValue {
        if case .multiPolygon = geometry { return geometry }
        return .multiPolygon(geometry.polygons)
    }

    static func areaValues(_ area: RegistryArea) -> [DatabaseValue] {
        [.real(area.planarM2), .real(area.ellipsoidalM2), .real(area.hectares), .real(area.mu)]
    }
}

@available(*, unavailable)
extension RegistryWriter: Sendable {}

/// JSON text for the registry's list and map columns (sorted keys, so equal values give equal text).
enum RegistryJSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}
