import CSQLite
import PlanModel

/// The SQL functions that GeoPackage R-tree triggers call (OGC 12-128r18, §F.3
/// "RTree Spatial Indexes"): `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty`, each
/// over one GeoPackage geometry blob.
///
/// - The envelope comes from the blob header when it carries one, otherwise from the WKB
///   (decoded with `WKB`, envelope from `GeometryValue.envelope`).
/// - `ST_IsEmpty` is 1 when the header's empty flag is set or the geometry has no positions.
/// - NULL gives NULL; an empty geometry gives NULL for the four bounds.
/// - A value that is not a GeoPackage geometry blob is an SQL error naming the function and the
///   byte where decoding failed, so a broken blob is refused instead of being indexed wrongly.
enum SpatialFunction: Int, CaseIterable {
    case minX = 1, maxX, minY, maxY, isEmpty

    var sqlName: String {
        switch self {
        case .minX: "ST_MinX"
        case .maxX: "ST_MaxX"
        case .minY: "ST_MinY"
        case .maxY: "ST_MaxY"
        case .isEmpty: "ST_IsEmpty"
        }
    }

    /// What the function returns for one blob: nil is SQL NULL.
    func evaluate(_ blob: UnsafeRawBufferPointer) throws -> Double? {
        let header = try GeoPackageBinary.parseHeader(blob)
        var envelope: Envelope?
        var empty = header.isEmpty
        if !empty {
            if header.envelopeKind != .none, header.envelope.count >= 4 {
                let e = header.envelope  // file order: minx, maxx, miny, maxy
                envelope = Envelope(minX: e[0], minY: e[2], maxX: e[1], maxY: e[3])
                if envelope!.minX.isNaN || envelope!.minY.isNaN { envelope = nil; empty = true }
            } else {
                let geometry = try GeoPackageBinary.decode(blob).geometry
                envelope = geometry.envelope
                empty = geometry.isEmpty || envelope == nil
            }
        }
        switch self {
        case .isEmpty: return empty ? 1 : 0
        case .minX: return envelope?.minX
        case .maxX: return envelope?.maxX
        case .minY: return envelope?.minY
        case .maxY: return envelope?.maxY
        }
    }
}

/// The one C entry point for all five functions; `sqlite3_user_data` says which one.
private func spatialFunctionCallback(
    _ context: OpaquePointer?, _ argc: Int32, _ argv: UnsafeMutablePointer<OpaquePointer?>?
) {
    let tag = Int(bitPattern: sqlite3_user_data(context))
    guard let function = SpatialFunction(rawValue: tag), argc == 1, let argument = argv?[0] else {
        sqlite3_result_error(context, "GeoPackage spatial function called wrongly", -1)
        return
    }
    switch sqlite3_value_type(argument) {
    case SQLITE_NULL:
        sqlite3_result_null(context)
        return
    case SQLITE_BLOB:
        break
    default:
        let message = "\(function.sqlName): the argument is not a GeoPackage geometry blob"
        sqlite3_result_error(context, message, -1)
        return
    }
    // sqlite3_value_blob first, then sqlite3_value_bytes, as SQLite's documentation asks.
    let pointer = sqlite3_value_blob(argument)
    let count = Int(sqlite3_value_bytes(argument))
    let blob = UnsafeRawBufferPointer(start: count == 0 ? nil : pointer, count: count)
    do {
        switch try function.evaluate(blob) {
        case nil: sqlite3_result_null(context)
        case let value? where function == .isEmpty: sqlite3_result_int(context, Int32(value))
        case let value?: sqlite3_result_double(context, value)
        }
    } catch {
        sqlite3_result_error(context, "\(function.sqlName): \(error)", -1)
    }
}

extension Database {
    /// Registers `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` over GeoPackage
    /// geometry blobs on this connection (`sqlite3_create_function_v2`, deterministic), so
    /// that the R-tree triggers of a GeoPackage run when rows are written through it.
    ///
    /// Every connection that writes to a feature table with a spatial index needs them;
    /// without them a write fails with "no such function: ST_IsEmpty".
    public func registerGeoPackageFunctions() throws {
        for function in SpatialFunction.allCases {
            let rc = sqlite3_create_function_v2(
                handle, function.sqlName, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                UnsafeMutableRawPointer(bitPattern: function.rawValue),
                spatialFunctionCallback, nil, nil, nil)
            if rc != SQLITE_OK {
                throw error(code: rc, sql: nil)
            }
        }
    }
}
