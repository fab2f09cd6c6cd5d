import CGEOS
import PlanModel

extension Geometry {
    /// Reads a geometry from WKB (ISO or extended, either byte order; Z/M values are read by GEOS
    /// and dropped when converting to a value). Wraps `GEOSWKBReader_read_r`.
    /// - Throws: `GeometryError.library(operation: "GEOSWKBReader_read_r", ...)` for bytes GEOS
    ///   cannot parse, with GEOS's message.
    public convenience init(wkb: [UInt8], context: GeometryContext) throws {
        let reader = try context.wkbReader()
        // GEOS needs a non-null pointer even for zero bytes (it then reports the parse error).
        let bytes = wkb.isEmpty ? [0] : wkb
        let h = try bytes.withUnsafeBufferPointer { buffer in
            try context.pointer("GEOSWKBReader_read_r") {
                GEOSWKBReader_read_r($0, reader, buffer.baseAddress, wkb.count)
            }
        }
        self.init(owning: h, context: context)
    }

    /// Reads a geometry from WKT, e.g. `POLYGON((0 0, 1 0, 1 1, 0 0))`. Wraps `GEOSWKTReader_read_r`.
    /// - Throws: `GeometryError.library(operation: "GEOSWKTReader_read_r", ...)` with GEOS's
    ///   parse message.
    public convenience init(wkt: String, context: GeometryContext) throws {
        let reader = try context.wktReader()
        let h = try context.pointer("GEOSWKTReader_read_r") { GEOSWKTReader_read_r($0, reader, wkt) }
        self.init(owning: h, context: context)
    }

    /// The geometry as 2D little-endian WKB. Wraps `GEOSWKBWriter_write_r`; the GEOS buffer is
    /// copied and freed with `GEOSFree_r`.
    public func wkb() throws -> [UInt8] {
        let writer = try context.wkbWriter()
        var size = 0
        let buffer = try context.pointer("GEOSWKBWriter_write_r") { GEOSWKBWriter_write_r($0, writer, handle, &size) }
        defer { GEOSFree_r(context.handle, buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }

    /// The geometry as 2D WKT in its CRS units.
    /// - Parameters:
    ///   - roundingPrecision: digits after the decimal point, or nil for full precision.
    ///   - trim: drop trailing zeros (`1` rather than `1.000000`).
    /// Wraps `GEOSWKTWriter_setRoundingPrecision_r`, `GEOSWKTWriter_setTrim_r` and
    /// `GEOSWKTWriter_write_r`; the string is freed with `GEOSFree_r`.
    public func wkt(roundingPrecision: Int? = nil, trim: Bool = true) throws -> String {
        let writer = try context.wktWriter()
        GEOSWKTWriter_setRoundingPrecision_r(context.handle, writer, Int32(clamping: roundingPrecision ?? -1))
        GEOSWKTWriter_setTrim_r(context.handle, writer, trim ? 1 : 0)
        let s = try context.pointer("GEOSWKTWriter_write_r") { GEOSWKTWriter_write_r($0, writer, handle) }
        defer { GEOSFree_r(context.handle, s) }
        return String(cString: s)
    }
}

extension Geometry: CustomStringConvertible {
    /// The WKT, or a note that it could not be written.
    public var description: String {
        (try? wkt()) ?? "<Geometry: WKT unavailable>"
    }
}
