import Testing
import PlanStore
#if canImport(Glibc)
import Glibc
#endif

@Test func sqliteVersionIsReported() {
    #expect(sqliteVersion.hasPrefix("3."))
}

@Test func bindStepAndReadEveryStorageClass() throws {
    let dir = try TemporaryDirectory()
    let db = try Database(path: dir.path("t.sqlite"), mode: .create)
    try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
    let insert = try db.prepare("INSERT INTO t (i, r, s, b, n) VALUES (?, ?, ?, ?, ?)")
    try insert.bind(Int64.max, at: 1)
    try insert.bind(2.5, at: 2)
    try insert.bind("城市 \"规划\"\u{0}尾", at: 3)
    try insert.bind([0, 1, 2, 255] as [UInt8], at: 4)
    try insert.bind(nil as DatabaseValue?, at: 5)
    #expect(try insert.step() == false)
    #expect(db.changes == 1)
    #expect(db.lastInsertedRowID == 1)

    // Empty string and empty blob stay empty values, not NULL.
    try insert.reset()
    try insert.bind([.integer(-1), .real(-0.5), .text(""), .blob([]), .text("x")])
    try insert.step()

    let select = try db.prepare("SELECT i, r, s, b, n FROM t ORDER BY id")
    #expect(select.columnCount == 5)
    #expect(select.columnName(at: 2) == "s")
    #expect(select.declaredType(at: 1) == "REAL")
    #expect(try select.step())
    #expect(select.columnType(at: 0) == .integer)
    #expect(select.int64(at: 0) == Int64.max)
    #expect(select.double(at: 1) == 2.5)
    #expect(select.string(at: 2) == "城市 \"规划\"\u{0}尾")
    #expect(select.blob(at: 3) == [0, 1, 2, 255])
    #expect(select.isNull(at: 4))
    #expect(select.value(at: 4) == .null)
    #expect(try select.step())
    #expect(select.value(at: 2) == .text(""))
    #expect(select.value(at: 3) == .blob([]))
    #expect(try select.step() == false)
}

@Test func transactionsCommitAndRollBack() throws {
    let dir = try TemporaryDirectory()
    let db = try Database(path: dir.path("t.sqlite"), mode: .create)
    try db.execute("CREATE TABLE t (v INTEGER)")
    try db.inTransaction { try db.execute("INSERT INTO t VALUES (?)", arguments: [.integer(1)]) }
    struct Boom: Error {}
    #expect(throws: Boom.self) {
        try db.inTransaction {
            try db.execute("INSERT INTO t VALUES (2)")
            #expect(db.isInsideTransaction)
            throw Boom()
        }
    }
    #expect(db.isInsideTransaction == false)
    #expect(try db.rows("SELECT v FROM t") == [[.integer(1)]])

    try db.beginTransaction(.deferred)
    try db.execute("INSERT INTO t VALUES (3)")
    try db.rollback()
    #expect(try db.scalar("SELECT count(*) FROM t") == .integer(1))
}

@Test func storeErrorCarriesCodeMessageSQLAndPath() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("t.sqlite")
    let db = try Database(path: path, mode: .create)
    let error = try #require(throws: StoreError.self) { try db.prepare("SELECT * FROM no_such_table") }
    #expect(error.kind == .sqlite)
    #expect(error.resultCode == 1)  // SQLITE_ERROR
    #expect(error.message == "no such table: no_such_table")
    #expect(error.sql == "SELECT * FROM no_such_table")
    #expect(error.path == path)
    let line = error.description
    #expect(!line.contains("\n"))
    #expect(line.contains("SQLite error 1"))
    #expect(line.contains("no such table: no_such_table"))
    #expect(line.contains("SQL: SELECT * FROM no_such_table"))
    #expect(line.contains(path))

    // A constraint failure found by step carries the extended code.
    try db.execute("CREATE TABLE u (v INTEGER NOT NULL)")
    let insert = try db.prepare("INSERT INTO u VALUES (NULL)")
    let constraint = try #require(throws: StoreError.self) { try insert.step() }
    #expect(constraint.primaryResultCode == 19)  // SQLITE_CONSTRAINT
    #expect(constraint.resultCode == 1299)       // SQLITE_CONSTRAINT_NOTNULL
    #expect(constraint.description.contains("NOT NULL constraint failed: u.v"))
    #expect(constraint.description.contains("INSERT INTO u VALUES (NULL)"))
}

@Test func missingFileIsItsOwnError() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("nothing-here.gpkg")
    for mode in [Database.OpenMode.readOnly, .readWrite] {
        let error = try #require(throws: StoreError.self) { try Database(path: path, mode: mode) }
        #expect(error.kind == .fileNotFound)
        #expect(error.description.contains("nothing-here.gpkg"))
    }
}

@Test func readOnlyConnectionRefusesWrites() throws {
    let db = try Database(path: Fixture.parcels, mode: .readOnly)
    let error = try #require(throws: StoreError.self) { try db.execute("CREATE TABLE x (v)") }
    #expect(error.primaryResultCode == 8)  // SQLITE_READONLY
    #expect(error.sql == "CREATE TABLE x (v)")
}

@Test func quotingIdentifiers() {
    #expect(Database.quote(identifier: "parcels") == "\"parcels\"")
    #expect(Database.quote(identifier: "a\"b") == "\"a\"\"b\"")
}

@Test func bindingOutOfRangeIsAnError() throws {
    let dir = try TemporaryDirectory()
    let db = try Database(path: dir.path("t.sqlite"), mode: .create)
    let statement = try db.prepare("SELECT ?")
    let error = try #require(throws: StoreError.self) { try statement.bind(1 as Int64, at: 2) }
    #expect(error.primaryResultCode == 25)  // SQLITE_RANGE
    #expect(error.sql == "SELECT ?")
    // An empty statement is refused rather than returning a nil handle.
    #expect(throws: StoreError.self) { try db.prepare("  -- nothing") }
}

@Test func anotherConnectionsWriteLockTimesOut() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("t.sqlite")
    let writer = try Database(path: path, mode: .create)
    try writer.execute("CREATE TABLE t (v INTEGER)")
    try writer.beginTransaction(.immediate)
    let other = try Database(path: path, mode: .readWrite, busyTimeout: 50)
    let error = try #require(throws: StoreError.self) { try other.beginTransaction(.immediate) }
    #expect(error.primaryResultCode == 5)  // SQLITE_BUSY
    try writer.commit()
    try other.beginTransaction(.immediate)
    try other.rollback()
}

/// SQLite's open() of a FIFO waits for a writer forever: a registry or GeoPackage path that is a
/// FIFO or a folder is refused at once, saying what it is.
@Test func aFIFOOrAFolderIsRefusedBeforeSQLiteOpensIt() throws {
    let dir = try TemporaryDirectory()
    let fifo = dir.path("registry.gpkg")
    #expect(mkfifo(fifo, 0o644) == 0)
    for (path, kind) in [(fifo, "a FIFO"), (dir.path(""), "a folder")] {
        for mode in [Database.OpenMode.readOnly, .readWrite] {
            let error = #expect(throws: StoreError.self) { try Database(path: path, mode: mode) }
            #expect(error?.kind == .notAGeoPackage)
            #expect(error?.description.contains("it is \(kind), not a file") == true, "\(error.map(String.init(describing:)) ?? "")")
        }
    }
}
