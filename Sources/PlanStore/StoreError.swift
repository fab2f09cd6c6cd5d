import CSQLite

/// Every failure of the store layer: SQLite calls, files that cannot be opened, files that are
/// not GeoPackages, layers that do not exist.
///
/// `description` is one line with everything known: what went wrong, the SQLite result code
/// and message (`sqlite3_errmsg`), the SQL and the file, e.g.
/// `SQLite error 1 (SQL logic error): no such table: nope — SQL: SELECT * FROM nope — file: a.gpkg`.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// An SQLite call failed; `resultCode` and `message` say how.
        case sqlite
        /// The file does not exist and was opened read-only or read-write (the CLI exits 66).
        case fileNotFound
        /// The file is not an SQLite database, or is one without the GeoPackage markers.
        case notAGeoPackage
        /// The GeoPackage has no feature table of that name; `available` lists the ones it has.
        case layerNotFound(name: String, available: [String])
        /// The GeoPackage's own tables contradict each other (e.g. a feature table that is not
        /// in gpkg_geometry_columns).
        case malformedGeoPackage
    }

    public var kind: Kind
    /// The SQLite (extended) result code, or nil when SQLite was not the one who failed.
    public var resultCode: Int32?
    /// The message: `sqlite3_errmsg` for SQLite failures, otherwise plan-check's own words.
    public var message: String
    /// The SQL statement that failed, when there was one.
    public var sql: String?
    /// The database file involved.
    public var path: String?

    public init(kind: Kind, resultCode: Int32? = nil, message: String, sql: String? = nil, path: String? = nil) {
        self.kind = kind
        self.resultCode = resultCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// The primary result code (the low 8 bits of the extended code), e.g. 1 for SQLITE_ERROR.
    public var primaryResultCode: Int32? { resultCode.map { $0 & 0xFF } }

    public var description: String {
        var parts: [String] = []
        switch kind {
        case .sqlite:
            if let resultCode {
                let name = String(cString: sqlite3_errstr(resultCode))
                parts.append("SQLite error \(resultCode) (\(name)): \(message)")
            } else {
                parts.append("SQLite error: \(message)")
            }
        case .fileNotFound:
            parts.append(message)
        case .notAGeoPackage:
            parts.append("not a GeoPackage: \(message)")
        case .layerNotFound(let name, let available):
            let list = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
            parts.append("no feature layer '\(name)'; the file has: \(list)")
        case .malformedGeoPackage:
            parts.append("malformed GeoPackage: \(message)")
        }
        if kind != .sqlite, let resultCode {
            parts.append("SQLite code \(resultCode) (\(String(cString: sqlite3_errstr(resultCode))))")
        }
        if let sql { parts.append("SQL: \(sql.split(whereSeparator: \.isNewline).joined(separator: " "))") }
        if let path { parts.append("file: \(path)") }
        return parts.joined(separator: " — ")
    }
}
