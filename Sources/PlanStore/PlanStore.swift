import CSQLite
/// The SQLite version this build runs against.
public var sqliteVersion: String { String(cString: sqlite3_libversion()) }
