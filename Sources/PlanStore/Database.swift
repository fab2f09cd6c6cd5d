import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite version this build runs against (`sqlite3_libversion`).
public var sqliteVersion: String { String(cString: sqlite3_libversion()) }

/// A value as SQLite stores it: one of its five storage classes.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// The storage class of a column value in the current row (`sqlite3_column_type`).
public enum ColumnType: Sendable, Hashable {
    case integer, real, text, blob, null
}

/// One SQLite connection (`sqlite3*`). It belongs to the task that opened it: it is not
/// Sendable, and concurrent readers each open their own.
///
/// The handle is closed exactly once, in `deinit` (`sqlite3_close_v2`); statements keep their
/// database alive, so it is never closed under them.
public final class Database {
    /// How to open the file.
    public enum OpenMode: Sendable, Hashable {
        /// `SQLITE_OPEN_READONLY`; a missing file is `StoreError.Kind.fileNotFound`.
        case readOnly
        /// `SQLITE_OPEN_READWRITE`; a missing file is `StoreError.Kind.fileNotFound`.
        case readWrite
        /// `SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE`.
        case create
    }

    /// The kind of `BEGIN`.
    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    /// The path as given to `init`.
    public let path: String
    public let mode: OpenMode
    let handle: OpaquePointer

    /// Opens (`sqlite3_open_v2`) the file at `path`. The handle is closed again when opening
    /// fails. `busyTimeout` is in milliseconds (`sqlite3_busy_timeout`).
    public init(path: String, mode: OpenMode = .readOnly, busyTimeout milliseconds: Int32 = 5_000) throws {
        _ = Self.configureLibrary
        var flags: Int32 = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        // SQLite opens whatever the path names; on a FIFO its open() waits for a writer forever.
        if let kind = Self.specialFileKind(path) {
            throw StoreError(kind: .notAGeoPackage, message: "it is \(kind), not a file", path: path)
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // sqlite3_open_v2 usually hands back a handle even on failure; it must be closed.
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            let code = db.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(db)
            if mode != .create, !Database.fileExists(path) {
                throw StoreError(kind: .fileNotFound, resultCode: code, message: "no such file (opened \(mode == .readOnly ? "read-only" : "read-write"))", path: path)
            }
            throw StoreError(kind: .sqlite, resultCode: code, message: message, path: path)
        }
        self.handle = db
        self.path = path
        self.mode = mode
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, milliseconds)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Process-wide SQLite settings, made once before the first connection opens: memory
    /// statistics off (each connection is used by one task, `SQLITE_OPEN_NOMUTEX`, but with
    /// statistics on every allocation of every connection still takes one global mutex). Has no
    /// effect when something else in the process (GDAL's GeoPackage driver) opened SQLite first.
    private static let configureLibrary: Void = { _ = plancheck_sqlite_disable_memory_statistics() }()

    /// "a FIFO", "a folder", … when `path` (its links followed) exists and is not a regular
    /// file; nil for a regular file or no file at all.
    static func specialFileKind(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    static func fileExists(_ path: String) -> Bool {
        // A `file:` URI names a file we cannot check cheaply; let SQLite's answer stand.
        if path.hasPrefix("file:") { return true }
        return access(path, F_OK) == 0
    }

    /// Sets how long a statement waits for another connection's lock, in milliseconds.
    public func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Compiles one SQL statement (`sqlite3_prepare_v2`).
    public func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK else {
            sqlite3_finalize(stmt)
            throw error(code: rc, sql: sql)
        }
        guard let stmt else {
            // Only whitespace or comments: SQLite returns OK and no statement.
            throw StoreError(kind: .sqlite, resultCode: SQLITE_MISUSE, message: "no SQL statement in the text", sql: sql, path: path)
        }
        return Statement(handle: stmt, database: self, sql: sql)
    }

    /// Runs one or more SQL statements that return no rows of interest (`sqlite3_exec`).
    public func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errmsg)
            throw StoreError(kind: .sqlite, resultCode: sqlite3_extended_errcode(handle), message: message, sql: sql, path: path)
        }
    }

    /// Runs one statement with arguments, ignoring any rows.
    public func execute(_ sql: String, arguments: [DatabaseValue]) throws {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// All rows of a query, each as its column values.
    public func rows(_ sql: String, arguments: [DatabaseValue] = []) throws -> [[DatabaseValue]] {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        var rows: [[DatabaseValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return rows
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, arguments: [DatabaseValue] = []) throws -> DatabaseValue? {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        return try statement.step() ? statement.value(at: 0) : nil
    }

    // MARK: Transactions

    /// `BEGIN <kind> TRANSACTION`.
    public func beginTransaction(_ kind: TransactionKind = .immediate) throws {
        try execute("BEGIN \(kind.rawValue) TRANSACTION")
    }

    /// `COMMIT TRANSACTION`.
    public func commit() throws {
        try execute("COMMIT TRANSACTION")
    }

    /// `ROLLBACK TRANSACTION`.
    public func rollback() throws {
        try execute("ROLLBACK TRANSACTION")
    }

    /// True while a transaction is open (`sqlite3_get_autocommit` is 0).
    public var isInsideTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside a transaction: commits when it returns, rolls back when it throws
    /// (and rethrows the body's error, not a rollback error).
    public func inTransaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try beginTransaction(kind)
        let result: T
        do {
            result = try body()
        } catch {
            if isInsideTransaction { try? rollback() }
            throw error
        }
        do {
            try commit()
        } catch {
            if isInsideTransaction { try? rollback() }
            throw error
        }
        return result
    }

    /// Number of rows the last INSERT, UPDATE or DELETE changed (`sqlite3_changes64`).
    public var changes: Int64 { sqlite3_changes64(handle) }

    /// The rowid of the last INSERT (`sqlite3_last_insert_rowid`).
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// A `StoreError` for a failed call that returned `code`, with the connection's message.
    func error(code: Int32, sql: String?) -> StoreError {
        let extended = sqlite3_extended_errcode(handle)
        // The extended code refines the primary one when they agree; otherwise keep the call's.
        let resultCode = extended & 0xFF == code & 0xFF ? extended : code
        return StoreError(kind: .sqlite, resultCode: resultCode, message: String(cString: sqlite3_errmsg(handle)),
                          sql: sql, path: path)
    }

    /// Quotes an identifier for SQL: `"name"` with inner quotes doubled.
    public static func quote(identifier: String) -> String {
        "\"" + identifier.replacingQuotes() + "\""
    }
}

@available(*, unavailable)
extension Database: Sendable {}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for c in self {
            if c == "\"" { out.append("\"\"") } else { out.append(c) }
        }
        return out
    }
}
