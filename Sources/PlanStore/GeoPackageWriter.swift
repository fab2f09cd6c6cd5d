import PlanModel

/// The write side of an OGC GeoPackage (12-128r18): creates the file with its mandatory
/// tables, feature tables with the R-tree spatial index extension, and writes features, so
/// that GDAL, QGIS and `GeoPackageFile` open the result as it is.
///
/// The tables, the R-tree and its triggers are written as GDAL 3.6 writes them (the 1.2/1.3
/// triggers `insert`, `update1`…`update4`, `delete`, which GDAL's validator checks for).
/// The connection registers `ST_MinX`… `ST_IsEmpty` (`Database.registerGeoPackageFunctions`),
/// so the triggers keep the index right for every write made through it.
///
/// Like `Database`, a writer belongs to the task that opened it; it is not Sendable.
public final class GeoPackageWriter {
    /// Column types a feature table may have (GeoPackage data types, §1.1.1.1.1).
    public enum ColumnType: String, Sendable, CaseIterable {
        case text = "TEXT", integer = "INTEGER", real = "REAL", boolean = "BOOLEAN"
        case date = "DATE", dateTime = "DATETIME"
    }

    /// Geometry type names a geometry column may declare (§2.1.5, core types only).
    public static let geometryTypeNames: Set<String> = [
        "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
        "MULTIPOLYGON", "GEOMETRYCOLLECTION",
    ]

    /// `PRAGMA application_id` of a GeoPackage 1.2+: 'GPKG'.
    public static let applicationID: Int32 = 0x4750_4B47
    /// `PRAGMA user_version` written: GeoPackage 1.3.0.
    public static let userVersion: Int32 = 10300

    /// The path as given to `init`.
    public let path: String
    private var openDatabase: Database?
    /// What `insert` needs to know about a feature table, read once per table.
    private var tables: [String: TableInfo] = [:]

    private struct TableInfo {
        var geometryColumn: String
        var geometryType: String
        var srsID: Int32
        var attributeColumns: [String]
        var insert: Statement
    }

    /// The connection, for reads and plain SQL; the GeoPackage functions are registered on it.
    /// Throws after `close()`.
    public func database() throws -> Database {
        guard let openDatabase else {
            throw StoreError(kind: .sqlite, message: "the GeoPackage writer is closed", path: path)
        }
        return openDatabase
    }

    /// Opens the GeoPackage at `path` read-write, or creates it when `create` is true (a file
    /// that already exists is opened as it is and must be a GeoPackage).
    ///
    /// On creation: `application_id` 'GPKG', `user_version` 10300 (1.3, the newest GDAL 3.6 and QGIS 3.22 open without a warning), WAL journal, and the
    /// mandatory tables gpkg_spatial_ref_sys (with the rows 4326, -1 and 0), gpkg_contents,
    /// gpkg_geometry_columns and gpkg_extensions. `busyTimeout` (milliseconds) is how long a
    /// write waits for another process's write before failing with `StoreError.isBusy`.
    ///
    /// Throws `StoreError` (`.fileNotFound` when `create` is false and there is no file,
    /// `.notAGeoPackage`, `.sqlite`).
    public init(path: String, create: Bool, busyTimeout milliseconds: Int32 = 5_000) throws {
        self.path = path
        let database = try Database(path: path, mode: create ? .create : .readWrite, busyTimeout: milliseconds)
        try database.registerGeoPackageFunctions()
        // The R-tree triggers call the functions above; they must be allowed in schema code.
        try database.execute("PRAGMA trusted_schema = ON")
        let hasContents = try database.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'") == .integer(1)
        if !hasContents {
            let objects = try database.scalar("SELECT count(*) FROM sqlite_master")
            guard create, objects == .integer(0) else {
                throw StoreError(kind: .notAGeoPackage, message: "the table gpkg_contents is missing", path: path)
            }
            // The header fields first, in rollback-journal mode, so that they are in the main
            // file at once: GDAL's validator reads them from the file's bytes, not through SQLite.
            try database.inTransaction(.immediate) {
                try database.execute("PRAGMA application_id = \(Self.applicationID)")
                try database.execute("PRAGMA user_version = \(Self.userVersion)")
                try database.execute(Self.mandatoryTablesSQL)
            }
            try database.execute("PRAGMA journal_mode = WAL")
        } else {
            let id = try database.scalar("PRAGMA application_id")?.integer ?? 0
            guard GeoPackageFile.applicationIDs.contains(UInt32(truncatingIfNeeded: id)) else {
                throw StoreError(kind: .notAGeoPackage,
                                 message: "application_id is \(GeoPackageFile.fourCC(UInt32(truncatingIfNeeded: id))), expected 'GPKG'",
                                 path: path)
            }
            try database.execute("PRAGMA journal_mode = WAL")
        }
        openDatabase = database
    }

    /// Checkpoints the WAL into the file (`PRAGMA wal_checkpoint(TRUNCATE)`, so that tools
    /// reading the file's bytes see every commit) and closes the connection. Further calls
    /// throw; closing twice does nothing. A `Database` obtained from `database()` and still
    /// held keeps the connection open until it is released.
    public func close() {
        tables = [:]
        // Best effort: another connection reading the file can keep parts of the WAL alive;
        // the commits are safe in the WAL either way.
        _ = try? openDatabase?.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        openDatabase = nil  // the last reference: Database.deinit calls sqlite3_close_v2
    }

    // MARK: Spatial reference systems

    /// Adds a row to gpkg_spatial_ref_sys unless one with `srsID` is there already
    /// (INSERT OR IGNORE). `definition` is the CRS as WKT (WKT1 as GDAL writes, or WKT2).
    public func addSpatialReference(srsID: Int32, name: String, organization: String, organizationCode: Int32,
                                    definition: String, description: String? = nil) throws {
        try busyMapped {
            try database().execute(
                """
                INSERT OR IGNORE INTO gpkg_spatial_ref_sys
                    (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                arguments: [.text(name), .integer(Int64(srsID)), .text(organization),
                            .integer(Int64(organizationCode)), .text(definition),
                            description.map(DatabaseValue.text) ?? .null])
        }
    }

    // MARK: Feature tables

    /// Creates the feature table `name`: `fid INTEGER PRIMARY KEY AUTOINCREMENT`, the geometry
    /// column, then `columns` in order. Registers it in gpkg_contents (data_type 'features')
    /// and gpkg_geometry_columns (z = 0, m = 0), and adds its R-tree spatial index
    /// (`rtree_<name>_<geometryColumn>`, its gpkg_extensions row and its seven triggers).
    ///
    /// Throws `StoreError`: `.malformedGeoPackage` when `srsID` is not in
    /// gpkg_spatial_ref_sys, the geometry type is not a GeoPackage one, or a column is named
    /// like the fid or geometry column; `.sqlite` when the table exists already.
    public func createFeatureTable(
        name: String, geometryColumn: String = "geom", geometryType: String = "MULTIPOLYGON", srsID: Int32,
        columns: [(name: String, type: ColumnType)] = [], identifier: String? = nil, description: String = ""
    ) throws {
        let database = try database()
        let geometryType = geometryType.uppercased()
        guard Self.geometryTypeNames.contains(geometryType) else {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "table '\(name)': '\(geometryType)' is not a GeoPackage geometry type", path: path)
        }
        let reserved = ["fid", geometryColumn.lowercased()]
        var seen = Set<String>()
        for column in columns {
            let lower = column.name.lowercased()
            guard !reserved.contains(lower), seen.insert(lower).inserted else {
                throw StoreError(kind: .malformedGeoPackage,
                                 message: "table '\(name)': column '\(column.name)' is reserved or given twice", path: path)
            }
        }
        let srsKnown = try database.scalar("SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                                           arguments: [.integer(Int64(srsID))])
        guard srsKnown == .integer(1) else {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "table '\(name)': srs_id \(srsID) is not in gpkg_spatial_ref_sys (add it first)",
                             path: path)
        }

        let t = Database.quote(identifier: name)
        let g = Database.quote(identifier: geometryColumn)
        let columnSQL = (["\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "\(g) \(geometryType)"]
            + columns.map { "\(Database.quote(identifier: $0.name)) \($0.type.rawValue)" }).joined(separator: ", ")
        try busyMapped {
            try atomically(database) {
                try database.execute("CREATE TABLE \(t) (\(columnSQL))")
                try database.execute(
                    """
                    INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
                    VALUES (?, 'features', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)
                    """,
                    arguments: [.text(name), .text(identifier ?? name), .text(description), .integer(Int64(srsID))])
                try database.execute(
                    """
                    INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
                    VALUES (?, ?, ?, ?, 0, 0)
                    """,
                    arguments: [.text(name), .text(geometryColumn), .text(geometryType), .integer(Int64(srsID))])
                try database.execute(
                    """
                    INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
                    VALUES (?, ?, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')
                    """,
                    arguments: [.text(name), .text(geometryColumn)])
                for sql in Self.rtreeSQL(table: name, geometryColumn: geometryColumn) {
                    try database.execute(sql)
                }
            }
        }
    }

    /// Creates the attributes table `name` (a table without geometry, §2.4): `id INTEGER PRIMARY
    /// KEY AUTOINCREMENT`, then `columns`, each with its SQL constraint text (e.g. `NOT NULL`), and
    /// registers it in gpkg_contents with data_type 'attributes', so GDAL and QGIS list it as a
    /// table. Throws `StoreError` (`.malformedGeoPackage` for a reserved or repeated column,
    /// `.sqlite` when the table exists already).
    public func createAttributeTable(
        name: String, columns: [(name: String, type: ColumnType, constraint: String)], identifier: String? = nil,
        description: String = ""
    ) throws {
        let database = try database()
        var seen = Set<String>()
        for column in columns {
            guard column.name.lowercased() != "id", seen.insert(column.name.lowercased()).inserted else {
                throw StoreError(kind: .malformedGeoPackage,
                                 message: "table '\(name)': column '\(column.name)' is reserved or given twice", path: path)
            }
        }
        let columnSQL = (["\"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"]
            + columns.map { "\(Database.quote(identifier: $0.name)) \($0.type.rawValue) \($0.constraint)" })
            .joined(separator: ", ")
        try busyMapped {
            try atomically(database) {
                try database.execute("CREATE TABLE \(Database.quote(identifier: name)) (\(columnSQL))")
                try database.execute(
                    """
                    INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)
                    VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                    """,
                    arguments: [.text(name), .text(identifier ?? name), .text(description)])
            }
        }
    }

    /// Inserts one feature into `table` and returns its fid. `values` go to the attribute
    /// columns in table order (every column but fid and geometry). The geometry is written
    /// with `GeoPackageBinary.encode`; nil writes NULL. The R-tree triggers index it.
    ///
    /// `srsID` defaults to the table's; another one is refused (GeoPackage requires the blob's
    /// srs_id to be the column's). So is a geometry whose type the column does not allow
    /// (e.g. a Polygon in a MULTIPOLYGON column: wrap it as a one-part MultiPolygon first).
    public func insert(table: String, geometry: GeometryValue?, srsID: Int32? = nil,
                       values: [DatabaseValue]) throws -> Int64 {
        let database = try database()
        let info = try tableInfo(table)
        if let srsID, srsID != info.srsID {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "table '\(table)': geometry srs_id \(srsID) is not the column's \(info.srsID)", path: path)
        }
        guard values.count == info.attributeColumns.count else {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "table '\(table)': \(values.count) values for \(info.attributeColumns.count) columns (\(info.attributeColumns.joined(separator: ", ")))",
                             path: path)
        }
        var arguments: [DatabaseValue] = [.null]
        if let geometry {
            guard Self.allows(declared: info.geometryType, geometry) else {
                throw StoreError(kind: .malformedGeoPackage,
                                 message: "table '\(table)': a \(geometry.typeName) cannot go into a \(info.geometryType) column",
                                 path: path)
            }
            arguments[0] = .blob(GeoPackageBinary.encode(geometry: geometry, srsID: info.srsID))
        }
        arguments += values
        return try busyMapped {
            try info.insert.reset()
            try info.insert.bind(arguments)
            try info.insert.step()
            return database.lastInsertedRowID
        }
    }

    /// Sets the extent (min_x, min_y, max_x, max_y) of `table` in gpkg_contents from its
    /// geometries (exact doubles; the R-tree holds 32-bit floats rounded outwards), NULL when
    /// it has none, and `last_change` to now.
    public func updateExtent(table: String) throws {
        let database = try database()
        let info = try tableInfo(table)
        let g = Database.quote(identifier: info.geometryColumn)
        try busyMapped {
            try database.execute(
                """
                UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) =
                    (SELECT min(ST_MinX(\(g))), min(ST_MinY(\(g))), max(ST_MaxX(\(g))), max(ST_MaxY(\(g)))
                     FROM \(Database.quote(identifier: table)) WHERE \(g) NOT NULL AND NOT ST_IsEmpty(\(g))),
                    last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE table_name = ?
                """,
                arguments: [.text(table)])
        }
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction (BEGIN IMMEDIATE … COMMIT); when it throws, rolls
    /// back, so the file stays exactly as it was, and rethrows its error.
    ///
    /// When another connection is writing and does not finish within the busy timeout, throws
    /// a `StoreError` whose `isBusy` is true ("another process is writing …").
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let database = try database()
        guard !database.isInsideTransaction else {
            throw StoreError(kind: .sqlite, message: "a GeoPackage write transaction is already open", path: path)
        }
        return try busyMapped { try database.inTransaction(.immediate, body) }
    }

    // MARK: Internals

    /// Runs `body` all or nothing: in its own IMMEDIATE transaction, or in a savepoint when
    /// the caller's `transaction` is open (so a table can be created inside a registry run).
    private func atomically(_ database: Database, _ body: () throws -> Void) throws {
        guard database.isInsideTransaction else {
            return try database.inTransaction(.immediate, body)
        }
        try database.execute("SAVEPOINT gpkg_writer")
        do {
            try body()
        } catch {
            try? database.execute("ROLLBACK TO gpkg_writer")
            try? database.execute("RELEASE gpkg_writer")
            throw error
        }
        try database.execute("RELEASE gpkg_writer")
    }

    private func busyMapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as StoreError where error.isBusy {
            error.message = "another process is writing to this GeoPackage (still locked after the busy timeout): \(error.message)"
            throw error
        }
    }

    private func tableInfo(_ table: String) throws -> TableInfo {
        if let info = tables[table] { return info }
        let database = try database()
        let rows = try database.rows(
            "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
            arguments: [.text(table)])
        guard let row = rows.first, let column = row[0].text, let type = row[1].text, let srs = row[2].integer else {
            throw StoreError(kind: .layerNotFound(name: table, available: try GeoPackageWriter.featureTables(database)),
                             message: "no feature table '\(table)'", path: path)
        }
        let attributeColumns = try database.rows("PRAGMA table_info(\(Database.quote(identifier: table)))")
            .filter { ($0[5].integer ?? 0) == 0 }
            .compactMap { $0[1].text }
            .filter { $0.lowercased() != column.lowercased() }
        let names = [column] + attributeColumns
        let sql = "INSERT INTO \(Database.quote(identifier: table)) (\(names.map(Database.quote(identifier:)).joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        let info = TableInfo(geometryColumn: column, geometryType: type.uppercased(), srsID: Int32(truncatingIfNeeded: srs),
                             attributeColumns: attributeColumns, insert: try database.prepare(sql))
        tables[table] = info
        return info
    }

    private static func featureTables(_ database: Database) throws -> [String] {
        try database.rows("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid")
            .compactMap { $0[0].text }
    }

    /// Whether a column declared `declared` may hold `geometry` (§2.1.5: the type or one
    /// assignable to it; no promotion of single to multi types).
    static func allows(declared: String, _ geometry: GeometryValue) -> Bool {
        switch (declared, geometry) {
        case ("GEOMETRY", _): true
        case ("POINT", .point), ("LINESTRING", .lineString), ("POLYGON", .polygon),
             ("MULTIPOINT", .multiPoint), ("MULTILINESTRING", .multiLineString), ("MULTIPOLYGON", .multiPolygon):
            true
        case ("GEOMETRYCOLLECTION", .multiPoint), ("GEOMETRYCOLLECTION", .multiLineString),
             ("GEOMETRYCOLLECTION", .multiPolygon), ("GEOMETRYCOLLECTION", .geometryCollection):
            true
        default: false
        }
    }

    /// The R-tree table and its seven triggers, as GDAL 3.6 writes them.
    static func rtreeSQL(table: String, geometryColumn: String) -> [String] {
        let rtreeName = "rtree_\(table)_\(geometryColumn)"
        let r = Database.quote(identifier: rtreeName)
        let t = Database.quote(identifier: table)
        let c = Database.quote(identifier: geometryColumn)
        func trigger(_ suffix: String) -> String { Database.quote(identifier: "\(rtreeName)_\(suffix)") }
        let bounds = "ST_MinX(NEW.\(c)), ST_MaxX(NEW.\(c)),ST_MinY(NEW.\(c)), ST_MaxY(NEW.\(c))"
        return [
            "CREATE VIRTUAL TABLE \(r) USING rtree(id, minx, maxx, miny, maxy)",
            "CREATE TRIGGER \(trigger("insert")) AFTER INSERT ON \(t) WHEN (new.\(c) NOT NULL AND NOT ST_IsEmpty(NEW.\(c))) BEGIN INSERT OR REPLACE INTO \(r) VALUES (NEW.\"fid\",\(bounds)); END",
            "CREATE TRIGGER \(trigger("update1")) AFTER UPDATE OF \(c) ON \(t) WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\(c) NOTNULL AND NOT ST_IsEmpty(NEW.\(c))) BEGIN INSERT OR REPLACE INTO \(r) VALUES (NEW.\"fid\",\(bounds)); END",
            "CREATE TRIGGER \(trigger("update2")) AFTER UPDATE OF \(c) ON \(t) WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\(c) ISNULL OR ST_IsEmpty(NEW.\(c))) BEGIN DELETE FROM \(r) WHERE id = OLD.\"fid\"; END",
            "CREATE TRIGGER \(trigger("update3")) AFTER UPDATE ON \(t) WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\(c) NOTNULL AND NOT ST_IsEmpty(NEW.\(c))) BEGIN DELETE FROM \(r) WHERE id = OLD.\"fid\"; INSERT OR REPLACE INTO \(r) VALUES (NEW.\"fid\",\(bounds)); END",
            "CREATE TRIGGER \(trigger("update4")) AFTER UPDATE ON \(t) WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\(c) ISNULL OR ST_IsEmpty(NEW.\(c))) BEGIN DELETE FROM \(r) WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END",
            "CREATE TRIGGER \(trigger("delete")) AFTER DELETE ON \(t) WHEN old.\(c) NOT NULL BEGIN DELETE FROM \(r) WHERE id = OLD.\"fid\"; END",
        ]
    }

    /// The mandatory tables (§1.1.2, §1.1.3, §2.1.5, §2.3.2) as GDAL 3.6 declares them, and the
    /// three required gpkg_spatial_ref_sys rows.
    static let mandatoryTablesSQL = """
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL,srs_id INTEGER NOT NULL PRIMARY KEY,organization TEXT NOT NULL,organization_coordsys_id INTEGER NOT NULL,definition  TEXT NOT NULL,description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY,data_type TEXT NOT NULL,identifier TEXT UNIQUE,description TEXT DEFAULT '',last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),min_x DOUBLE, min_y DOUBLE,max_x DOUBLE, max_y DOUBLE,srs_id INTEGER,CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL,column_name TEXT NOT NULL,geometry_type_name TEXT NOT NULL,srs_id INTEGER NOT NULL,z TINYINT NOT NULL,m TINYINT NOT NULL,CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),CONSTRAINT uk_gc_table_name UNIQUE (table_name),CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
        CREATE TABLE gpkg_extensions (table_name TEXT,column_name TEXT,extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES
            ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian coordinate reference system'),
            ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
            ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
        """
}

@available(*, unavailable)
extension GeoPackageWriter: Sendable {}

extension StoreError {
    /// True when SQLite gave up waiting for another connection's lock (SQLITE_BUSY, or
    /// SQLITE_LOCKED): another process is writing to the file.
    public var isBusy: Bool { kind == .sqlite && (primaryResultCode == 5 || primaryResultCode == 6) }
}
