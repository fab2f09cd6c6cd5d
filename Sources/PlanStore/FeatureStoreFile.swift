/// The SQLite file of an on-disk feature store: one table per layer, one row per feature,
/// keyed by its 0-based position, holding the feature's identifier (text), its record (an
/// opaque blob the caller encodes) and its geometry (WKB). Written once by one connection
/// (`FeatureStoreWriter`), then read by any number of read-only connections
/// (`FeatureStoreReader`), one per task.
///
/// The file is a scratch file: no journal, no syncs (`journal_mode=OFF`, `synchronous=OFF`).
/// A crash leaves a file nobody reads again.
public enum FeatureStoreFile {
    /// The table of layer number `layer`.
    static func table(_ layer: Int) -> String { "layer_\(layer)" }
}

/// Fills a feature store, one connection on one task.
public final class FeatureStoreWriter {
    public let path: String
    private let database: Database
    private var insert: Statement?
    private var insertLayer = -1

    /// Creates the file at `path` (it must not exist: the caller picks a fresh name).
    public init(path: String) throws {
        self.path = path
        database = try Database(path: path, mode: .create)
        try database.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192")
    }

    /// Creates the table of layer number `layer`.
    public func createLayer(_ layer: Int) throws {
        try database.execute("CREATE TABLE \(FeatureStoreFile.table(layer)) (position INTEGER PRIMARY KEY, identifier TEXT NOT NULL, record BLOB NOT NULL, geometry BLOB NOT NULL)")
    }

    /// Starts a batch of `append`s (one transaction).
    public func beginBatch() throws { try database.beginTransaction(.immediate) }

    /// Ends the batch: its rows are in the file.
    public func commitBatch() throws { try database.commit() }

    /// Adds the feature at `position` of layer `layer`.
    public func append(layer: Int, position: Int, identifier: String, record: [UInt8], geometry: [UInt8]) throws {
        if insertLayer != layer || insert == nil {
            insert = try database.prepare("INSERT INTO \(FeatureStoreFile.table(layer)) (position, identifier, record, geometry) VALUES (?, ?, ?, ?)")
            insertLayer = layer
        }
        guard let insert else { return }
        try insert.reset()
        try insert.bind(Int64(position), at: 1)
        try insert.bind(identifier, at: 2)
        try insert.bind(record, at: 3)
        try insert.bind(geometry, at: 4)
        while try insert.step() {}
    }

    /// Identifiers of layer `layer` held by more than one feature, each with the positions
    /// holding it (ascending), in identifier order (by an index built for the question).
    public func repeatedIdentifiers(layer: Int) throws -> [(identifier: String, positions: [Int])] {
        let table = FeatureStoreFile.table(layer)
        try database.execute("CREATE INDEX \(table)_identifier ON \(table) (identifier)")
        let rows = try database.rows("""
            SELECT identifier, position FROM \(table) WHERE identifier IN
              (SELECT identifier FROM \(table) WHERE identifier <> '' GROUP BY identifier HAVING count(*) > 1)
            ORDER BY identifier, position
            """)
        var repeated: [(identifier: String, positions: [Int])] = []
        for row in rows {
            guard case .text(let identifier) = row[0], case .integer(let position) = row[1] else { continue }
            if repeated.last?.identifier == identifier {
                repeated[repeated.count - 1].positions.append(Int(position))
            } else {
                repeated.append((identifier, [Int(position)]))
            }
        }
        return repeated
    }
}

@available(*, unavailable) extension FeatureStoreWriter: Sendable {}

/// One read-only connection to a filled feature store; belongs to the task that opened it.
public final class FeatureStoreReader {
    private let database: Database
    private var byPosition: [Int: Statement] = [:]
    private var byRange: [Int: Statement] = [:]

    public init(path: String) throws {
        database = try Database(path: path, mode: .readOnly)
        // Nothing writes the file once it is read: the shared lock is taken at the first read
        // and kept, instead of taken, checked against the file and dropped by every statement
        // (a tenth of the overlay's time in a disk-mode run).
        try database.execute("PRAGMA locking_mode=EXCLUSIVE")
    }

    /// Calls `body` with the record and geometry bytes of the feature at `position` of layer
    /// `layer` (valid only inside `body`); false when there is no such feature.
    public func withFeature(layer: Int, position: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        let statement = try statement(&byPosition, layer: layer, "SELECT record, geometry FROM \(FeatureStoreFile.table(layer)) WHERE position = ?")
        try statement.reset()
        try statement.bind(Int64(position), at: 1)
        guard try statement.step() else { return false }
        try statement.withBlob(at: 0) { record in try statement.withBlob(at: 1) { geometry in try body(record, geometry) } }
        return true
    }

    /// Calls `body` with the position, record and geometry bytes of every feature of layer
    /// `layer` whose position is in `positions`, in position order.
    public func forEachFeature(layer: Int, positions: ClosedRange<Int>, _ body: (Int, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let statement = try statement(&byRange, layer: layer, "SELECT position, record, geometry FROM \(FeatureStoreFile.table(layer)) WHERE position BETWEEN ? AND ? ORDER BY position")
        try statement.reset()
        try statement.bind(Int64(positions.lowerBound), at: 1)
        try statement.bind(Int64(positions.upperBound), at: 2)
        while try statement.step() {
            let position = Int(statement.int64(at: 0))
            try statement.withBlob(at: 1) { record in try statement.withBlob(at: 2) { geometry in try body(position, record, geometry) } }
        }
    }

    private func statement(_ cache: inout [Int: Statement], layer: Int, _ sql: String) throws -> Statement {
        if let made = cache[layer] { return made }
        let made = try database.prepare(sql)
        cache[layer] = made
        return made
    }
}

@available(*, unavailable) extension FeatureStoreReader: Sendable {}
