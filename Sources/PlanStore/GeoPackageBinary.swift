import PlanModel

/// The GeoPackage geometry encoding (OGC 12-128r18, §2.1.3 "GeoPackageBinary"): a header
/// (magic "GP", version, flags, srs_id, optional envelope) followed by standard WKB.
///
/// Flags byte: bit 0 byte order of the header (1 little-endian), bits 1–3 envelope indicator
/// (0 none, 1 xy = 32 bytes, 2 xyz = 48, 3 xym = 48, 4 xyzm = 64), bit 4 empty geometry,
/// bit 5 extended GeoPackage geometry (a non-standard WKB type follows).
public enum GeoPackageBinary {
    /// The envelope a blob header carries.
    public enum EnvelopeKind: UInt8, Sendable, Hashable {
        case none = 0, xy, xyz, xym, xyzm

        /// Bytes the envelope takes in the header.
        public var byteCount: Int {
            switch self {
            case .none: 0
            case .xy: 32
            case .xyz, .xym: 48
            case .xyzm: 64
            }
        }
    }

    /// A parsed blob header.
    public struct Header: Sendable, Hashable {
        /// The version byte; 0 means version 1 (every GeoPackage so far).
        public var version: UInt8
        public var byteOrder: WKBByteOrder
        public var envelopeKind: EnvelopeKind
        /// The envelope values in file order (minx, maxx, miny, maxy[, minz, maxz][, minm, maxm]).
        public var envelope: [Double]
        public var isEmpty: Bool
        public var isExtended: Bool
        public var srsID: Int32
        /// Where the WKB starts: 8 + the envelope's size.
        public var wkbOffset: Int
    }

    /// A geometry read from a blob.
    public struct Decoded: Sendable, Equatable {
        public var header: Header
        public var geometry: GeometryValue
        public var droppedHigherDimensions: Bool
    }

    /// A blob that could not be read: `offset` is the byte within the whole blob.
    public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var reason: String

        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }

        public var description: String { "GeoPackage geometry at byte \(offset): \(reason)" }
    }

    /// Reads the header of a blob. Throws `DecodeError`.
    public static func parseHeader(_ blob: UnsafeRawBufferPointer) throws -> Header {
        guard blob.count >= 8 else {
            throw DecodeError(offset: blob.count, reason: "truncated header: \(blob.count) of 8 bytes")
        }
        guard blob[0] == 0x47, blob[1] == 0x50 else {
            throw DecodeError(offset: 0, reason: "no 'GP' magic (found 0x\(hex(blob[0]))\(hex(blob[1])))")
        }
        let version = blob[2]
        let flags = blob[3]
        let littleEndian = flags & 0x01 != 0
        guard let envelopeKind = EnvelopeKind(rawValue: (flags >> 1) & 0x07) else {
            throw DecodeError(offset: 3, reason: "invalid envelope indicator \((flags >> 1) & 0x07) in flags 0x\(hex(flags))")
        }
        let rawSRS = blob.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let srsID = Int32(bitPattern: littleEndian ? UInt32(littleEndian: rawSRS) : UInt32(bigEndian: rawSRS))
        let wkbOffset = 8 + envelopeKind.byteCount
        guard blob.count >= wkbOffset else {
            throw DecodeError(offset: blob.count,
                              reason: "truncated envelope: needed \(envelopeKind.byteCount) bytes, \(blob.count - 8) left")
        }
        var envelope: [Double] = []
        envelope.reserveCapacity(envelopeKind.byteCount / 8)
        for i in stride(from: 8, to: wkbOffset, by: 8) {
            let raw = blob.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            envelope.append(Double(bitPattern: littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw)))
        }
        return Header(version: version, byteOrder: littleEndian ? .littleEndian : .bigEndian,
                      envelopeKind: envelopeKind, envelope: envelope, isEmpty: flags & 0x10 != 0,
                      isExtended: flags & 0x20 != 0, srsID: srsID, wkbOffset: wkbOffset)
    }

    /// Decodes a whole blob, straight from the memory it lies in. Throws `DecodeError`.
    ///
    /// An empty-flagged blob with no WKB after the header decodes as an empty collection.
    public static func decode(_ blob: UnsafeRawBufferPointer) throws -> Decoded {
        let header = try parseHeader(blob)
        if header.isEmpty, blob.count == header.wkbOffset {
            return Decoded(header: header, geometry: .geometryCollection([]), droppedHigherDimensions: false)
        }
        do {
            let wkb = UnsafeRawBufferPointer(rebasing: blob[header.wkbOffset...])
            let decoded = try WKB.decodeWithDetails(wkb)
            return Decoded(header: header, geometry: decoded.geometry,
                           droppedHigherDimensions: decoded.droppedHigherDimensions)
        } catch let error as WKBError {
            let shifted = error.shifted(by: header.wkbOffset)
            var reason = shifted.description
            if header.isExtended { reason += " (extended GeoPackage geometry type)" }
            throw DecodeError(offset: shifted.offset, reason: reason)
        }
    }

    /// Decodes a whole blob held in an array. Throws `DecodeError`.
    public static func decode(_ blob: [UInt8]) throws -> Decoded {
        try blob.withUnsafeBytes { try decode($0) }
    }

    /// Encodes a geometry as a GeoPackage blob: version 0, little-endian, an xy envelope
    /// (none, and the empty flag, for an empty geometry), then little-endian ISO 2D WKB.
    public static func encode(geometry: GeometryValue, srsID: Int32) -> [UInt8] {
        let envelope = geometry.envelope
        var flags: UInt8 = 0x01
        if let _ = envelope { flags |= EnvelopeKind.xy.rawValue << 1 } else { flags |= 0x10 }
        var bytes: [UInt8] = [0x47, 0x50, 0x00, flags]
        withUnsafeBytes(of: UInt32(bitPattern: srsID).littleEndian) { bytes.append(contentsOf: $0) }
        if let e = envelope {
            for v in [e.minX, e.maxX, e.minY, e.maxY] {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        bytes.append(contentsOf: WKB.encode(geometry, byteOrder: .littleEndian))
        return bytes
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}
