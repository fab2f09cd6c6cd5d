// Well-Known Binary (OGC Simple Features / ISO 13249 SQL/MM) in plain Swift, no C.
//
// Reads both byte orders, the 2D type codes 1–7, the ISO Z (1001–1007), M (2001–2007) and
// ZM (3001–3007) codes, and the PostGIS EWKB flags (0x80000000 Z, 0x40000000 M,
// 0x20000000 SRID). plan-check works in 2D: only x and y are kept, and the result says when a
// third or fourth value was dropped. Writes ISO 2D WKB.

/// The byte order of a WKB geometry: the first byte of every (sub)geometry, 0 = XDR, 1 = NDR.
public enum WKBByteOrder: UInt8, Sendable, Hashable {
    /// XDR, most significant byte first (byte value 0).
    case bigEndian = 0
    /// NDR, least significant byte first (byte value 1).
    case littleEndian = 1
}

/// Why a WKB buffer could not be read, and where: `offset` counts bytes from the start of the
/// buffer given to the decoder (GeoPackage readers add their header length).
public struct WKBError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `needed` more bytes were needed at `offset` but only `available` were left.
        case truncated(needed: Int, available: Int)
        /// The byte-order byte was neither 0 nor 1.
        case invalidByteOrder(UInt8)
        /// The geometry type code is not a simple-feature type this reader knows
        /// (curves, surfaces, TINs and garbage all land here).
        case unknownTypeCode(UInt32)
        /// A member of a Multi* geometry has the wrong type, e.g. a LineString in a MultiPoint.
        case unexpectedMemberType(container: String, member: String)
        /// Geometry collections nested deeper than `WKB.maximumNestingDepth`.
        case nestedTooDeeply(Int)
    }

    /// Byte offset (0-based) of the value that could not be read.
    public var offset: Int
    public var kind: Kind

    public init(offset: Int, kind: Kind) {
        self.offset = offset
        self.kind = kind
    }

    /// The same error with its offset moved by `delta` bytes (for WKB embedded in a larger blob).
    public func shifted(by delta: Int) -> WKBError {
        WKBError(offset: offset + delta, kind: kind)
    }

    public var description: String {
        let what: String
        switch kind {
        case .truncated(let needed, let available):
            what = "truncated: needed \(needed) byte\(needed == 1 ? "" : "s"), \(available) left"
        case .invalidByteOrder(let b):
            what = "invalid byte order \(b) (expected 0 or 1)"
        case .unknownTypeCode(let code):
            what = "unknown geometry type code \(code) (0x\(String(code, radix: 16, uppercase: true)))"
        case .unexpectedMemberType(let container, let member):
            what = "\(container) contains a \(member)"
        case .nestedTooDeeply(let depth):
            what = "geometry collections nested more than \(depth) deep"
        }
        return "WKB at byte \(offset): \(what)"
    }
}

/// WKB encoding and decoding of `GeometryValue`.
public enum WKB {
    /// Deepest nesting of geometry collections the decoder accepts (a guard against hostile input).
    public static let maximumNestingDepth = 32

    /// A decoded geometry with what the decoder saw on the way.
    public struct Decoded: Sendable, Equatable {
        public var geometry: GeometryValue
        /// True when some (sub)geometry had Z and/or M values, which were dropped.
        public var droppedHigherDimensions: Bool
        /// The EWKB SRID, when the outermost geometry carried the SRID flag.
        public var srid: Int32?
        /// Bytes the geometry occupied; anything after it in the buffer was not looked at.
        public var byteCount: Int
    }

    /// Decodes WKB bytes into a geometry, keeping x and y. Throws `WKBError`.
    public static func decode(_ bytes: [UInt8]) throws -> GeometryValue {
        try decodeWithDetails(bytes).geometry
    }

    /// Decodes WKB bytes and also reports dropped dimensions, SRID and length. Throws `WKBError`.
    public static func decodeWithDetails(_ bytes: [UInt8]) throws -> Decoded {
        try bytes.withUnsafeBytes { try decodeWithDetails($0) }
    }

    /// Decodes WKB bytes from a slice. Offsets in errors count from the slice's start.
    public static func decodeWithDetails(_ bytes: ArraySlice<UInt8>) throws -> Decoded {
        try bytes.withUnsafeBytes { try decodeWithDetails($0) }
    }

    /// Decodes WKB straight from memory someone else owns (e.g. an SQLite blob), without copying.
    /// Throws `WKBError`.
    public static func decodeWithDetails(_ buffer: UnsafeRawBufferPointer) throws -> Decoded {
        var reader = Reader(buffer: buffer)
        var dropped = false
        let (geometry, srid) = try reader.readGeometry(depth: 0, dropped: &dropped)
        return Decoded(geometry: geometry, droppedHigherDimensions: dropped, srid: srid, byteCount: reader.offset)
    }

    /// Encodes a geometry as ISO 2D WKB. An empty point is written as `NaN NaN`.
    public static func encode(_ geometry: GeometryValue, byteOrder: WKBByteOrder = .littleEndian) -> [UInt8] {
        var writer = Writer(byteOrder: byteOrder)
        writer.bytes.reserveCapacity(9 + geometry.positionCount * 16)
        writer.write(geometry)
        return writer.bytes
    }

    // MARK: - Reading

    private enum Kind: UInt32 {
        case point = 1, lineString, polygon, multiPoint, multiLineString, multiPolygon, geometryCollection

        var name: String {
            switch self {
            case .point: "Point"
            case .lineString: "LineString"
            case .polygon: "Polygon"
            case .multiPoint: "MultiPoint"
            case .multiLineString: "MultiLineString"
            case .multiPolygon: "MultiPolygon"
            case .geometryCollection: "GeometryCollection"
            }
        }
    }

    private struct Header {
        var kind: Kind
        var bigEndian: Bool
        /// Number of doubles per position: 2, 3 or 4.
        var dimensions: Int
        var srid: Int32?
    }

    private struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        init(buffer: UnsafeRawBufferPointer) {
            self.buffer = buffer
        }

        private func require(_ n: Int) throws {
            let available = buffer.count - offset
            if available < n {
                throw WKBError(offset: offset, kind: .truncated(needed: n, available: max(available, 0)))
            }
        }

        mutating func readByte() throws -> UInt8 {
            try require(1)
            defer { offset += 1 }
            return buffer[offset]
        }

        mutating func readUInt32(bigEndian: Bool) throws -> UInt32 {
            try require(4)
            let raw = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        }

        mutating func readDouble(bigEndian: Bool) -> Double {
            // Callers have checked the length for the whole run of doubles.
            let raw = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return Double(bitPattern: bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
        }

        /// Reads a count and checks that `count * minimumBytesEach` bytes remain, so that a
        /// corrupt count fails fast instead of allocating a huge array.
        mutating func readCount(bigEndian: Bool, minimumBytesEach: Int) throws -> Int {
            let countOffset = offset
            let count = Int(try readUInt32(bigEndian: bigEndian))
            let available = buffer.count - offset
            if count > 0, count > available / minimumBytesEach {
                throw WKBError(offset: countOffset + 4,
                               kind: .truncated(needed: count * minimumBytesEach, available: available))
            }
            return count
        }

        mutating func readHeader(dropped: inout Bool) throws -> Header {
            let orderOffset = offset
            let order = try readByte()
            guard order <= 1 else { throw WKBError(offset: orderOffset, kind: .invalidByteOrder(order)) }
            let bigEndian = order == 0
            let typeOffset = offset
            let code = try readUInt32(bigEndian: bigEndian)
            // EWKB (PostGIS) flags in the high bits.
            let ewkbZ = code & 0x8000_0000 != 0
            let ewkbM = code & 0x4000_0000 != 0
            let ewkbSRID = code & 0x2000_0000 != 0
            let base = code & 0x0FFF_FFFF
            let iso = base / 1000
            guard iso <= 3, let kind = Kind(rawValue: base % 1000) else {
                throw WKBError(offset: typeOffset, kind: .unknownTypeCode(code))
            }
            let hasZ = ewkbZ || iso == 1 || iso == 3
            let hasM = ewkbM || iso == 2 || iso == 3
            if hasZ || hasM { dropped = true }
            var srid: Int32?
            if ewkbSRID {
                srid = Int32(bitPattern: try readUInt32(bigEndian: bigEndian))
            }
            return Header(kind: kind, bigEndian: bigEndian, dimensions: 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0), srid: srid)
        }

        mutating func readPositions(count: Int, header: Header) throws -> [Position] {
            let stride = 8 * header.dimensions
            try require(count * stride)
            var positions = [Position]()
            positions.reserveCapacity(count)
            for _ in 0..<count {
                let x = readDouble(bigEndian: header.bigEndian)
                let y = readDouble(bigEndian: header.bigEndian)
                offset += stride - 16
                positions.append(Position(x: x, y: y))
            }
            return positions
        }

        mutating func readPositionList(header: Header) throws -> [Position] {
            let count = try readCount(bigEndian: header.bigEndian, minimumBytesEach: 8 * header.dimensions)
            return try readPositions(count: count, header: header)
        }

        mutating func readRings(header: Header) throws -> PolygonRings {
            let count = try readCount(bigEndian: header.bigEndian, minimumBytesEach: 4)
            var rings = PolygonRings()
            rings.reserveCapacity(count)
            for _ in 0..<count { rings.append(try readPositionList(header: header)) }
            return rings
        }

        mutating func readGeometry(depth: Int, dropped: inout Bool) throws -> (GeometryValue, Int32?) {
            let header = try readHeader(dropped: &dropped)
            let geometry: GeometryValue
            switch header.kind {
            case .point:
                let p = try readPositions(count: 1, header: header)[0]
                geometry = .point(p.x.isNaN && p.y.isNaN ? nil : p)
            case .lineString:
                geometry = .lineString(try readPositionList(header: header))
            case .polygon:
                geometry = .polygon(try readRings(header: header))
            case .multiPoint:
                let members = try readMembers(of: header, expecting: .point, minimumBytesEach: 21, depth: depth, dropped: &dropped)
                // An empty point inside a MultiPoint stays as a NaN position rather than being
                // dropped silently: the layer check then reports it as a non-finite coordinate.
                geometry = .multiPoint(members.compactMap {
                    if case .point(let p) = $0 { p ?? Position(x: .nan, y: .nan) } else { nil }
                })
            case .multiLineString:
                let members = try readMembers(of: header, expecting: .lineString, minimumBytesEach: 9, depth: depth, dropped: &dropped)
                geometry = .multiLineString(members.compactMap { if case .lineString(let l) = $0 { l } else { nil } })
            case .multiPolygon:
                let members = try readMembers(of: header, expecting: .polygon, minimumBytesEach: 9, depth: depth, dropped: &dropped)
                geometry = .multiPolygon(members.compactMap { if case .polygon(let r) = $0 { r } else { nil } })
            case .geometryCollection:
                geometry = .geometryCollection(
                    try readMembers(of: header, expecting: nil, minimumBytesEach: 9, depth: depth, dropped: &dropped))
            }
            return (geometry, header.srid)
        }

        mutating func readMembers(
            of header: Header, expecting memberKind: Kind?, minimumBytesEach: Int, depth: Int, dropped: inout Bool
        ) throws -> [GeometryValue] {
            if depth >= WKB.maximumNestingDepth {
                throw WKBError(offset: offset, kind: .nestedTooDeeply(WKB.maximumNestingDepth))
            }
            let count = try readCount(bigEndian: header.bigEndian, minimumBytesEach: minimumBytesEach)
            var members = [GeometryValue]()
            members.reserveCapacity(count)
            for _ in 0..<count {
                let memberOffset = offset
                let (member, _) = try readGeometry(depth: depth + 1, dropped: &dropped)
                if let memberKind, member.typeName != memberKind.name {
                    throw WKBError(offset: memberOffset,
                                   kind: .unexpectedMemberType(container: header.kind.name, member: member.typeName))
                }
                members.append(member)
            }
            return members
        }
    }

    // MARK: - Writing

    private struct Writer {
        let byteOrder: WKBByteOrder
        var bytes: [UInt8] = []

        mutating func write(_ v: UInt32) {
            let ordered = byteOrder == .bigEndian ? v.bigEndian : v.littleEndian
            withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
        }

        mutating func write(_ d: Double) {
            let bits = d.bitPattern
            let ordered = byteOrder == .bigEndian ? bits.bigEndian : bits.littleEndian
            withUnsafeBytes(of: ordered) { bytes.append(contentsOf: $0) }
        }

        mutating func writeHeader(_ kind: Kind) {
            bytes.append(byteOrder.rawValue)
            write(kind.rawValue)
        }

        mutating func write(_ p: Position) {
            write(p.x)
            write(p.y)
        }

        mutating func write(_ list: [Position]) {
            write(UInt32(list.count))
            if byteOrder == .littleEndian, Self.positionsAreLittleEndianPairs {
                // The points' bytes as they lie in memory are already the WKB's.
                list.withUnsafeBytes { bytes.append(contentsOf: $0) }
            } else {
                for p in list { write(p) }
            }
        }

        /// True when a `[Position]` is laid out as WKB's little-endian (x, y) doubles: each point
        /// 16 bytes, x then y, on a little-endian machine.
        static let positionsAreLittleEndianPairs = 1.littleEndian == 1
            && MemoryLayout<Position>.stride == 16 && MemoryLayout<Position>.offset(of: \Position.y) == 8

        mutating func write(rings: PolygonRings) {
            write(UInt32(rings.count))
            for r in rings { write(r) }
        }

        mutating func write(_ g: GeometryValue) {
            switch g {
            case .point(let p):
                writeHeader(.point)
                write(p ?? Position(x: .nan, y: .nan))
            case .lineString(let l):
                writeHeader(.lineString)
                write(l)
            case .polygon(let rings):
                writeHeader(.polygon)
                write(rings: rings)
            case .multiPoint(let ps):
                writeHeader(.multiPoint)
                write(UInt32(ps.count))
                for p in ps { write(GeometryValue.point(p)) }
            case .multiLineString(let ls):
                writeHeader(.multiLineString)
                write(UInt32(ls.count))
                for l in ls { write(GeometryValue.lineString(l)) }
            case .multiPolygon(let polys):
                writeHeader(.multiPolygon)
                write(UInt32(polys.count))
                for p in polys { write(GeometryValue.polygon(p)) }
            case .geometryCollection(let gs):
                writeHeader(.geometryCollection)
                write(UInt32(gs.count))
                for member in gs { write(member) }
            }
        }
    }
}
