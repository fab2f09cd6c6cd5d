import PlanModel

/// A feature table's R-tree (GeoPackage extension `gpkg_rtree_index`): the virtual table
/// `rtree_<table>_<column>` holding each row's bounding box (32-bit floats, rounded outward)
/// under its fid.
public struct GeoPackageSpatialIndex: Sendable {
    /// The feature table.
    public var table: String
    /// The R-tree's virtual table.
    public var rtree: String
}

extension GeoPackageFile {
    /// The R-tree of the feature table `name`, or nil when the file registers none for its
    /// geometry column (`gpkg_extensions`) or the registered table is missing.
    /// Throws `StoreError` (`.sqlite`) when the file cannot be queried.
    public func spatialIndex(of name: String) throws -> GeoPackageSpatialIndex? {
        guard let column = try database.scalar(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", arguments: [.text(name)])?.text else { return nil }
        let hasExtensions = try database.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_extensions'") == .integer(1)
        guard hasExtensions, try database.scalar(
            "SELECT count(*) FROM gpkg_extensions WHERE lower(table_name) = lower(?) AND lower(column_name) = lower(?) AND extension_name = 'gpkg_rtree_index'",
            arguments: [.text(name), .text(column)]).flatMap(\.integer).map({ $0 > 0 }) == true else { return nil }
        let rtree = "rtree_\(name)_\(column)"
        guard try database.scalar("SELECT count(*) FROM sqlite_master WHERE name = ?", arguments: [.text(rtree)]) == .integer(1) else { return nil }
        return GeoPackageSpatialIndex(table: name, rtree: rtree)
    }

    /// The union of all the index boxes (layer CRS); empty when the index holds no row. One pass
    /// over the R-tree (about 0.2 s per 10⁶ rows).
    public func indexExtent(_ index: GeoPackageSpatialIndex) throws -> Envelope {
        try indexBounds(index, meeting: Envelope(minX: -.infinity, minY: -.infinity, maxX: .infinity, maxY: .infinity))
    }

    /// The smallest fid of the table `name` (nil when it has no row).
    public func smallestFid(of name: String) throws -> Int64? {
        try database.scalar("SELECT min(rowid) FROM \(Database.quote(identifier: name))")?.integer
    }

    /// The union of the index boxes that meet `box` (layer CRS); empty when none does.
    public func indexBounds(_ index: GeoPackageSpatialIndex, meeting box: Envelope) throws -> Envelope {
        let (condition, arguments) = Self.meeting(box)
        let row = try database.rows(
            "SELECT min(minx), min(miny), max(maxx), max(maxy) FROM \(Database.quote(identifier: index.rtree)) WHERE \(condition)",
            arguments: arguments)[0]
        guard case .real(let minX) = row[0], case .real(let minY) = row[1], case .real(let maxX) = row[2], case .real(let maxY) = row[3] else {
            return .empty
        }
        return Envelope(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
    }

    /// The R-tree condition "the box meets `box`", widened by `RegionRow.slack` so that an index
    /// box a writer rounded to the nearest float (not outward) is still found; infinite sides
    /// give no condition.
    static func meeting(_ box: Envelope) -> (String, [DatabaseValue]) {
        var terms = ["1"]
        var arguments: [DatabaseValue] = []
        func term(_ sql: String, _ value: Double) {
            guard value.isFinite else { return }
            terms.append(sql)
            arguments.append(.real(value))
        }
        term("maxx >= ?", box.minX - RegionRow.slack(box.minX))
        term("minx <= ?", box.maxX + RegionRow.slack(box.maxX))
        term("maxy >= ?", box.minY - RegionRow.slack(box.minY))
        term("miny <= ?", box.maxY + RegionRow.slack(box.maxY))
        return (terms.joined(separator: " AND "), arguments)
    }

    /// The rows of `region` in fid order: the index entries meeting its box, and with
    /// `readsUnindexed` the table's rows the index does not hold.
    func regionRows(of table: String, fid: String, index: GeoPackageSpatialIndex, region: LayerRegion) throws -> [RegionRow] {
        var rows: [RegionRow] = []
        if !region.box.isEmpty {
            let (condition, arguments) = Self.meeting(region.box)
            let statement = try database.prepare(
                "SELECT id, minx, miny, maxx, maxy FROM \(Database.quote(identifier: index.rtree)) WHERE \(condition)")
            try statement.bind(arguments)
            while try statement.step() {
                let box = Envelope(minX: statement.double(at: 1), minY: statement.double(at: 2),
                                   maxX: statement.double(at: 3), maxY: statement.double(at: 4))
                rows.append(RegionRow(fid: statement.int64(at: 0), box: box,
                                      owned: region.owner.contains(x: box.minX, y: box.minY)))
            }
        }
        if region.readsUnindexed {
            for fid in try unindexedFids(of: table, fid: fid, index: index) { rows.append(RegionRow(fid: fid, box: nil, owned: true)) }
        }
        rows.sort { $0.fid < $1.fid }
        return rows
    }

    /// The fids of `table` the R-tree holds no entry for: the table's fids and the R-tree's
    /// `_rowid` shadow table (which SQLite's R-tree module always keeps), both stepped in order
    /// and compared (two sequential passes, a fraction of a second per 10⁶ rows; a lookup in the
    /// R-tree per row takes several times longer).
    func unindexedFids(of table: String, fid: String, index: GeoPackageSpatialIndex) throws -> [Int64] {
        let shadow = index.rtree + "_rowid"
        let rows = try database.prepare("SELECT \(fid) FROM \(Database.quote(identifier: table)) ORDER BY \(fid)")
        let entries = try database.prepare("SELECT rowid FROM \(Database.quote(identifier: shadow)) ORDER BY rowid")
        var unindexed: [Int64] = []
        var entry: Int64? = try entries.step() ? entries.int64(at: 0) : nil
        while try rows.step() {
            let row = rows.int64(at: 0)
            while let e = entry, e < row { entry = try entries.step() ? entries.int64(at: 0) : nil }
            if entry != row { unindexed.append(row) }
        }
        return unindexed
    }
}

/// One row a region read takes: its fid, its index box (nil for a row the index does not
/// hold) and whether the reading slice owns it.
struct RegionRow: Sendable {
    var fid: Int64
    var box: Envelope?
    var owned: Bool

    /// How far a geometry's envelope may stick out of its index box (CRS units): a few 32-bit
    /// float steps at that magnitude. R-trees written by SQLite round outward and need none.
    static func slack(_ value: Double) -> Double {
        guard value.isFinite else { return 0 }
        return Swift.max(1e-9, Swift.abs(value) * 1e-6)
    }

    /// True when `envelope` lies in the index box (with `slack`).
    func holds(_ envelope: Envelope) -> Bool {
        guard let box else { return false }
        return envelope.minX >= box.minX - Self.slack(box.minX) && envelope.minY >= box.minY - Self.slack(box.minY)
            && envelope.maxX <= box.maxX + Self.slack(box.maxX) && envelope.maxY <= box.maxY + Self.slack(box.maxY)
    }
}

extension GeoPackageFile {
    /// The number of rows of the table `name`.
    public func rowCount(of name: String) throws -> Int {
        Int(try database.scalar("SELECT count(*) FROM \(Database.quote(identifier: name))")?.integer ?? 0)
    }

    /// The columns of the table `name`, in table order.
    public func columnNames(of name: String) throws -> [String] {
        try database.rows("PRAGMA table_info(\(Database.quote(identifier: name)))").compactMap { $0[1].text }
    }

    /// The rows of table `name` whose `field` is null or blank, and the values (trimmed text)
    /// that several rows hold, with their fids in order; nil when the table has no such column.
    /// Grouped by SQLite, so memory does not grow with the table.
    public func identifierProblems(of name: String, field: String) throws -> (missing: [Int64], repeated: [(value: String, fids: [Int64])])? {
        guard try columnNames(of: name).contains(field) else { return nil }
        let table = Database.quote(identifier: name)
        let value = "trim(CAST(\(Database.quote(identifier: field)) AS TEXT))"
        let missing = try database.rows("SELECT rowid FROM \(table) WHERE coalesce(\(value), '') = '' ORDER BY rowid").compactMap { $0[0].integer }
        let groups = try database.rows("""
            SELECT v, group_concat(r) FROM (SELECT rowid AS r, \(value) AS v FROM \(table) ORDER BY rowid)
            WHERE coalesce(v, '') <> '' GROUP BY v HAVING count(*) > 1 ORDER BY v
            """)
        let repeated = groups.compactMap { row -> (value: String, fids: [Int64])? in
            guard let v = row[0].text, let list = row[1].text else { return nil }
            return (v, list.split(separator: ",").compactMap { Int64($0) }.sorted())
        }
        return (missing, repeated)
    }
}

extension GeoPackageFile {
    /// The distinct values of `column` of table `name` as text (`CAST … AS TEXT`; nil for
    /// NULL) with the number of rows holding each: one pass over the table, which also counts
    /// its rows. Nil when the table has no such column.
    public func valueCounts(of name: String, column: String) throws -> [(value: String?, rows: Int)]? {
        guard try columnNames(of: name).contains(column) else { return nil }
        return try database.rows("""
            SELECT CAST(\(Database.quote(identifier: column)) AS TEXT) AS v, count(*) FROM \(Database.quote(identifier: name)) GROUP BY v
            """).map { ($0[0].text, Int($0[1].integer ?? 0)) }
    }
}
