import PlanModel

/// A GeoPackage (OGC 12-128r18, versions 1.0–1.4, as GDAL and QGIS write them) opened
/// read-only, and its feature layers read into `Layer` values.
///
/// Like `Database`, it belongs to one task; concurrent readers each open their own.
public final class GeoPackageFile {
    /// `application_id` values that mark a GeoPackage: 'GPKG' (1.2+), 'GP10' (1.0), 'GP11' (1.1).
    public static let applicationIDs: [UInt32] = [0x4750_4B47, 0x4750_3130, 0x4750_3131]

    /// The path as given.
    public let path: String
    /// The file's `PRAGMA application_id`.
    public let applicationID: UInt32
    /// The file's `PRAGMA user_version` (e.g. 10200 for GeoPackage 1.2.0).
    public let userVersion: Int32
    let database: Database

    /// Opens `path` read-only and checks that it is a GeoPackage: the application_id is one of
    /// `applicationIDs` and the table gpkg_contents exists.
    ///
    /// Throws `StoreError` of kind `.fileNotFound` (no such file), `.notAGeoPackage` (not an
    /// SQLite file, or an SQLite file without those markers) or `.sqlite`.
    public init(path: String) throws {
        self.path = path
        database = try Database(path: path, mode: .readOnly)
        do {
            applicationID = UInt32(truncatingIfNeeded: try database.scalar("PRAGMA application_id").flatMap(\.integer) ?? 0)
            userVersion = Int32(truncatingIfNeeded: try database.scalar("PRAGMA user_version").flatMap(\.integer) ?? 0)
        } catch let error as StoreError where error.primaryResultCode == 26 /* SQLITE_NOTADB */ {
            throw StoreError(kind: .notAGeoPackage, resultCode: error.resultCode,
                             message: "the file is not an SQLite database (\(error.message))", path: path)
        }
        guard Self.applicationIDs.contains(applicationID) else {
            throw StoreError(kind: .notAGeoPackage,
                             message: "application_id is \(Self.fourCC(applicationID)), expected 'GPKG'", path: path)
        }
        let contents = try database.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'gpkg_contents'")
        guard contents == .integer(1) else {
            throw StoreError(kind: .notAGeoPackage, message: "the table gpkg_contents is missing", path: path)
        }
    }

    /// The names of the feature tables (gpkg_contents rows with data_type 'features'), in the
    /// order they were added to the file (gpkg_contents rowid): the order GDAL writes and
    /// lists them in, so the first layer a planner made stays first.
    public func featureLayerNames() throws -> [String] {
        let statement = try database.prepare(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid")
        var names: [String] = []
        while try statement.step() {
            if let name = statement.string(at: 0) { names.append(name) }
        }
        return names
    }

    /// Reads the feature table `name` with all its features in fid order: every feature of
    /// `openLayer(named:)`, collected.
    ///
    /// Throws `StoreError`: `.layerNotFound` (listing the file's layers), `.malformedGeoPackage`
    /// or `.sqlite`.
    public func readLayer(named name: String) throws -> Layer {
        let cursor = try openLayer(named: name)
        var layer = cursor.layer
        while let feature = try cursor.next() { layer.features.append(feature) }
        layer.readProblems = cursor.readProblems
        layer.droppedHigherDimensions = cursor.droppedHigherDimensions
        return layer
    }

    /// Opens the feature table `name` for reading feature by feature in fid order, through one
    /// prepared `SELECT` stepped row by row (memory independent of the table's size).
    ///
    /// Attributes are every column but the fid and geometry columns, in table order; their
    /// values follow what is stored (INTEGER → integer, REAL → double, TEXT → string, BLOB →
    /// blob, NULL → null), except that integers in a BOOLEAN column become booleans. A NULL
    /// geometry gives `geometry == nil`; a geometry that cannot be decoded also gives nil and a
    /// `.malformedGeometry` entry in `readProblems`.
    ///
    /// Throws `StoreError`: `.layerNotFound` (listing the file's layers), `.malformedGeoPackage`
    /// or `.sqlite`.
    ///
    /// With `region` (a `--tile` slice), only the rows the layer's R-tree finds in the region are
    /// read, in fid order (`LayerRegion`); `GeoPackageFeatureCursor.neighbours` lists those the
    /// slice does not own. A geometry that is not inside its index box, or a row with a geometry
    /// the index does not hold, is a stale index: `.malformedGeoPackage`.
    public func openLayer(named name: String, region: LayerRegion? = nil) throws -> GeoPackageFeatureCursor {
        let isFeatureTable = try database.scalar(
            "SELECT count(*) FROM gpkg_contents WHERE data_type = 'features' AND table_name = ?",
            arguments: [.text(name)])
        guard isFeatureTable == .integer(1) else {
            throw StoreError(kind: .layerNotFound(name: name, available: try featureLayerNames()),
                             message: "no feature layer '\(name)'", path: path)
        }

        // Geometry column and CRS.
        let geometryColumnSQL = """
            SELECT g.column_name, g.geometry_type_name, g.srs_id,
                   s.srs_name, s.organization, s.organization_coordsys_id, s.definition
            FROM gpkg_geometry_columns g LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
            WHERE g.table_name = ?
            """
        let geometryRows = try database.rows(geometryColumnSQL, arguments: [.text(name)])
        guard let geometryRow = geometryRows.first, let geometryColumn = geometryRow[0].text else {
            throw StoreError(kind: .malformedGeoPackage,
                             message: "feature table '\(name)' has no row in gpkg_geometry_columns",
                             sql: geometryColumnSQL, path: path)
        }
        let declaredGeometryType = geometryRow[1].text
        var crs: CRSReference?
        if let srsID = geometryRow[2].integer, let organization = geometryRow[4].text,
           let code = geometryRow[5].integer {
            crs = .geoPackage(srsID: srsID, organization: organization, organizationCode: code,
                              definition: geometryRow[6].text ?? "", name: geometryRow[3].text ?? "")
        }

        // Columns: the integer primary key is the fid, the geometry column is skipped.
        let tableInfo = try database.rows("PRAGMA table_info(\(Database.quote(identifier: name)))")
        // Only a lone INTEGER PRIMARY KEY is the rowid; with a composite key, rowid is the fid.
        let primaryKeyCount = tableInfo.filter { ($0[5].integer ?? 0) > 0 }.count
        var fidColumn: String?
        var attributeColumns: [(name: String, type: String)] = []
        for row in tableInfo {
            guard let column = row[1].text else { continue }
            let type = row[2].text ?? ""
            let primaryKey = row[5].integer ?? 0
            if primaryKey == 1, primaryKeyCount == 1, type.uppercased() == "INTEGER" {
                fidColumn = column
            } else if column.caseInsensitiveEquals(geometryColumn) {
                continue
            } else {
                attributeColumns.append((column, type))
            }
        }
        let fidExpression = fidColumn.map(Database.quote(identifier:)) ?? "rowid"
        let selected = [fidExpression, Database.quote(identifier: geometryColumn)]
            + attributeColumns.map { Database.quote(identifier: $0.name) }
        let sql = "SELECT \(selected.joined(separator: ", ")) FROM \(Database.quote(identifier: name)) ORDER BY \(fidExpression)"
        let header = Layer(
            name: name, path: path, format: .geoPackage, crs: crs,
            declaredGeometryType: declaredGeometryType,
            fields: attributeColumns.map { Field(name: $0.name, type: $0.type) },
            features: [])
        let isBoolean = attributeColumns.map { $0.type.uppercased() == "BOOLEAN" }
        guard let region else {
            return GeoPackageFeatureCursor(layer: header, statement: try database.prepare(sql), isBoolean: isBoolean)
        }
        guard let index = try spatialIndex(of: name) else {
            throw StoreError(kind: .malformedGeoPackage, message: "feature table '\(name)' has no R-tree (gpkg_rtree_index) to read a region by", path: path)
        }
        let lookup = "SELECT \(selected.joined(separator: ", ")) FROM \(Database.quote(identifier: name)) WHERE \(fidExpression) BETWEEN ? AND ? ORDER BY \(fidExpression)"
        let rows = try regionRows(of: name, fid: fidExpression, index: index, region: region)
        return GeoPackageFeatureCursor(layer: header, statement: try database.prepare(lookup), isBoolean: isBoolean,
                                       region: (rows, index.rtree))
    }

    /// An application_id as its four characters when they are printable, e.g. 'GPKG', else hex.
    static func fourCC(_ id: UInt32) -> String {
        let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: id >> $0) }
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return "'" + String(decoding: bytes, as: UTF8.self) + "'"
        }
        let hex = String(id, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}

@available(*, unavailable)
extension GeoPackageFile: Sendable {}

/// One feature table read row by row (`GeoPackageFile.openLayer(named:)`): one prepared
/// statement stepped, holding the file open until the cursor is released. Not Sendable.
public final class GeoPackageFeatureCursor {
    /// Name, path, format, crs, declared geometry type and fields; no features.
    public let layer: Layer
    /// Geometries that could not be decoded, so far.
    public private(set) var readProblems: [FeatureProblem] = []
    /// True once some geometry had Z or M.
    public private(set) var droppedHigherDimensions = false
    /// The fids of features read only as neighbours of a region's own features (a region
    /// read: `GeoPackageFile.openLayer(named:region:)`), so far.
    public private(set) var neighbours: Set<FeatureID> = []
    /// The whole table's statement, or a region read's range of fids.
    private let statement: Statement
    private let isBoolean: [Bool]
    private var finished = false
    /// A region read: its rows in fid order, the next one, the last fid of the range the
    /// statement is stepping (nil: no range open), and the R-tree's name (messages).
    private let regionRows: [RegionRow]?
    private var nextRow = 0
    private var rangeEnd: Int64?
    private let rtree: String

    /// Rows of the table a region read steps over rather than starting a new range: a range
    /// costs a descent of the table's B-tree, a skipped row only its step.
    static let rangeGap: Int64 = 32

    init(layer: Layer, statement: Statement, isBoolean: [Bool], region: (rows: [RegionRow], rtree: String)? = nil) {
        self.layer = layer
        self.statement = statement
        self.isBoolean = isBoolean
        regionRows = region?.rows
        rtree = region?.rtree ?? ""
    }

    /// The next feature in fid order, or nil after the last (`sqlite3_step`).
    /// Throws `StoreError` `.sqlite`, or `.malformedGeoPackage` for a stale R-tree (region read).
    public func next() throws -> Feature? {
        guard !finished else { return nil }
        do {
            guard let regionRows else {
                guard try statement.step() else { finished = true; return nil }
                return try feature()
            }
            while nextRow < regionRows.count {
                if rangeEnd == nil { try openRange(from: nextRow, of: regionRows) }
                guard try statement.step() else {
                    // The range is done: its rows not found are index entries whose row is gone.
                    while nextRow < regionRows.count, regionRows[nextRow].fid <= rangeEnd! { nextRow += 1 }
                    rangeEnd = nil
                    continue
                }
                let fid = statement.int64(at: 0)
                while nextRow < regionRows.count, regionRows[nextRow].fid < fid { nextRow += 1 }
                guard nextRow < regionRows.count, regionRows[nextRow].fid == fid else { continue }
                let row = regionRows[nextRow]
                nextRow += 1
                let feature = try feature()
                try check(feature, against: row)
                if !row.owned { neighbours.insert(feature.id) }
                return feature
            }
            finished = true
            return nil
        } catch {
            finished = true
            throw error
        }
    }

    /// Starts stepping the fids from `rows[first]` to the last row before a gap of more than
    /// `rangeGap` fids.
    private func openRange(from first: Int, of rows: [RegionRow]) throws {
        var last = first
        while last + 1 < rows.count, rows[last + 1].fid - rows[last].fid <= Self.rangeGap { last += 1 }
        try statement.reset()
        try statement.bind(rows[first].fid, at: 1)
        try statement.bind(rows[last].fid, at: 2)
        rangeEnd = rows[last].fid
    }

    /// A region read relies on the index: a geometry outside its index box, or one the index
    /// does not hold, would be missed by the slice that needs it.
    private func check(_ feature: Feature, against row: RegionRow) throws {
        guard let envelope = feature.geometry?.envelope, !envelope.isEmpty else { return }
        guard row.holds(envelope) else {
            let indexed = row.box.map { "its box there is \($0.minX), \($0.minY) – \($0.maxX), \($0.maxY)" } ?? "it has no entry there"
            throw StoreError(
                kind: .malformedGeoPackage,
                message: "layer '\(layer.name)', feature \(feature.id): the R-tree \(rtree) is out of date (the geometry spans \(envelope.minX), \(envelope.minY) – \(envelope.maxX), \(envelope.maxY); \(indexed)), so a --tile slice cannot read by region; rebuild the index (e.g. ogr2ogr -f GPKG new.gpkg old.gpkg) or convert the layer",
                path: layer.path)
        }
    }

    /// The feature of the statement's current row.
    private func feature() throws -> Feature {
        let id = FeatureID.int(statement.int64(at: 0))
        var geometry: GeometryValue?
        switch statement.columnType(at: 1) {
        case .null:
            geometry = nil
        case .blob:
            do {
                let decoded = try statement.withBlob(at: 1) { try GeoPackageBinary.decode($0) }
                geometry = decoded.geometry
                if decoded.droppedHigherDimensions { droppedHigherDimensions = true }
            } catch let error as GeoPackageBinary.DecodeError {
                readProblems.append(FeatureProblem(featureID: id, kind: .malformedGeometry, reason: error.description))
            }
        case let other:
            readProblems.append(FeatureProblem(featureID: id, kind: .malformedGeometry,
                                               reason: "GeoPackage geometry is stored as \(other), not as a blob"))
        }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(layer.fields.count)
        for (i, field) in layer.fields.enumerated() {
            let index = Int32(i + 2)
            let value: AttributeValue
            switch statement.columnType(at: index) {
            case .null: value = .null
            case .integer:
                let v = statement.int64(at: index)
                value = isBoolean[i] ? .bool(v != 0) : .integer(v)
            case .real: value = .double(statement.double(at: index))
            case .text: value = .string(statement.string(at: index) ?? "")
            case .blob: value = .blob(statement.blob(at: index) ?? [])
            }
            attributes.append(Attribute(field.name, value))
        }
        return Feature(id: id, geometry: geometry, attributes: attributes)
    }
}

@available(*, unavailable)
extension GeoPackageFeatureCursor: Sendable {}

extension DatabaseValue {
    /// The integer, when the value is one.
    public var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
    /// The text, when the value is text.
    public var text: String? { if case .text(let s) = self { s } else { nil } }
}

extension String {
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
