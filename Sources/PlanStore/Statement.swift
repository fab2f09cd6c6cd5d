import CSQLite

/// A compiled SQL statement (`sqlite3_stmt*`), finalized exactly once in `deinit`.
///
/// Parameters are numbered from 1 (as in SQLite); result columns from 0.
public final class Statement {
    /// The SQL text the statement was compiled from.
    public let sql: String
    /// Keeps the connection open for as long as the statement lives.
    public let database: Database
    let handle: OpaquePointer

    init(handle: OpaquePointer, database: Database, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    private func check(_ rc: Int32) throws {
        if rc != SQLITE_OK { throw database.error(code: rc, sql: sql) }
    }

    // MARK: Binding

    /// Binds an integer to parameter `index` (1-based; `sqlite3_bind_int64`).
    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds a double (`sqlite3_bind_double`).
    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    /// Binds UTF-8 text, copied by SQLite (`sqlite3_bind_text` with SQLITE_TRANSIENT).
    public func bind(_ value: String, at index: Int32) throws {
        let count = Int32(value.utf8.count)
        let rc = value.withCString { sqlite3_bind_text(handle, index, $0, count, plancheck_sqlite_transient) }
        try check(rc)
    }

    /// Binds a blob, copied by SQLite (`sqlite3_bind_blob`); an empty array binds an empty blob,
    /// not NULL.
    public func bind(_ value: [UInt8], at index: Int32) throws {
        let rc: Int32
        if value.isEmpty {
            rc = sqlite3_bind_zeroblob(handle, index, 0)
        } else {
            rc = value.withUnsafeBytes {
                sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), plancheck_sqlite_transient)
            }
        }
        try check(rc)
    }

    /// Binds NULL (`sqlite3_bind_null`).
    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds any value; `nil` binds NULL.
    public func bind(_ value: DatabaseValue?, at index: Int32) throws {
        switch value {
        case nil, .null?: try bindNull(at: index)
        case .integer(let i)?: try bind(i, at: index)
        case .real(let d)?: try bind(d, at: index)
        case .text(let s)?: try bind(s, at: index)
        case .blob(let b)?: try bind(b, at: index)
        }
    }

    /// Binds `values` to parameters 1, 2, …
    public func bind(_ values: [DatabaseValue]) throws {
        for (i, v) in values.enumerated() { try bind(v, at: Int32(i + 1)) }
    }

    /// Resets the statement so it can run again; bindings stay (`sqlite3_reset`).
    public func reset() throws {
        try check(sqlite3_reset(handle))
    }

    /// Sets every parameter back to NULL (`sqlite3_clear_bindings`).
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Stepping

    /// Advances to the next row (`sqlite3_step`): true when a row is ready, false when done.
    @discardableResult
    public func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw database.error(code: rc, sql: sql)
        }
    }

    // MARK: Columns of the current row

    /// Number of result columns.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of result column `index` (0-based).
    public func columnName(at index: Int32) -> String {
        sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
    }

    /// The declared type of result column `index` when it is a table column
    /// (`sqlite3_column_decltype`), e.g. "BOOLEAN".
    public func declaredType(at index: Int32) -> String? {
        sqlite3_column_decltype(handle, index).map { String(cString: $0) }
    }

    /// The storage class of the value in column `index` of the current row.
    public func columnType(at index: Int32) -> ColumnType {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    /// True when the value in column `index` is NULL.
    public func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// The value as an integer (`sqlite3_column_int64`; SQLite converts other classes).
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// The value as a double (`sqlite3_column_double`).
    public func double(at index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// The value as UTF-8 text, nil when NULL. Embedded NUL characters are kept.
    public func string(at index: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The value as bytes (copied), nil when NULL.
    public func blob(at index: Int32) -> [UInt8]? {
        if isNull(at: index) { return nil }
        return withBlob(at: index) { Array($0) }
    }

    /// Calls `body` with the bytes of column `index` as SQLite holds them, without copying.
    /// The buffer is only valid inside `body`. NULL gives an empty buffer.
    public func withBlob<R>(at index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // sqlite3_column_blob first, then sqlite3_column_bytes, as SQLite's documentation asks.
        let pointer = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeRawBufferPointer(start: count == 0 ? nil : pointer, count: count))
    }

    /// The value in its own storage class.
    public func value(at index: Int32) -> DatabaseValue {
        switch columnType(at: index) {
        case .null: .null
        case .integer: .integer(int64(at: index))
        case .real: .real(double(at: index))
        case .text: .text(string(at: index) ?? "")
        case .blob: .blob(blob(at: index) ?? [])
        }
    }
}

@available(*, unavailable)
extension Statement: Sendable {}
