import Testing
import PlanModel

private let square: PositionList = [Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)]
private let hole: PositionList = [Position(2, 2), Position(2, 4), Position(4, 4), Position(2, 2)]

private var everyType: [GeometryValue] { [
    .point(Position(1.5, -2.25)),
    .point(nil),
    .lineString([Position(0, 0), Position(1, 1), Position(2, 0)]),
    .lineString([]),
    .polygon([square, hole]),
    .polygon([]),
    .multiPoint([Position(1, 2), Position(3, 4)]),
    .multiLineString([[Position(0, 0), Position(1, 0)], [Position(5, 5), Position(6, 6), Position(7, 5)]]),
    .multiPolygon([[square], [[Position(20, 20), Position(30, 20), Position(25, 28), Position(20, 20)]]]),
    .multiPolygon([]),
    .geometryCollection([.point(Position(1, 1)), .lineString([Position(0, 0), Position(3, 3)]),
                         .geometryCollection([.polygon([square])])]),
    .geometryCollection([]),
] }

@Test(arguments: [WKBByteOrder.littleEndian, .bigEndian])
func wkbRoundTripsEveryGeometryType(byteOrder: WKBByteOrder) throws {
    for geometry in everyType {
        let bytes = WKB.encode(geometry, byteOrder: byteOrder)
        #expect(bytes[0] == byteOrder.rawValue)
        let decoded = try WKB.decodeWithDetails(bytes)
        #expect(decoded.geometry == geometry, "\(geometry.typeName)")
        #expect(decoded.droppedHigherDimensions == false)
        #expect(decoded.byteCount == bytes.count)
        #expect(decoded.srid == nil)
    }
}

@Test func wkbWritesTheStandardLayoutOfAPoint() {
    // 01 | 01000000 | x = 1.0 | y = 2.0, little-endian; 00 | 00000001 | ... big-endian.
    #expect(WKB.encode(.point(Position(1, 2)), byteOrder: .littleEndian)
        == [1, 1, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [0, 0, 0, 0, 0, 0, 0, 0x40])
    #expect(WKB.encode(.point(Position(1, 2)), byteOrder: .bigEndian)
        == [0, 0, 0, 0, 1] + [0x3F, 0xF0, 0, 0, 0, 0, 0, 0] + [0x40, 0, 0, 0, 0, 0, 0, 0])
}

@Test func wkbWritesTheStandardLayoutOfAPolygonWithAHoleInBothByteOrders() {
    let rings: PolygonRings = [
        [Position(0, 0), Position(10.5, -0.0), Position(10.5, 1e300), Position(0, 0)],
        [Position(1, 1), Position(2, 1), Position(1, 2), Position(1, 1)],
    ]
    for order in [WKBByteOrder.littleEndian, .bigEndian] {
        func word(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }.reversedIf(order == .bigEndian) }
        func double(_ d: Double) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: d.bitPattern >> (8 * UInt64($0))) }.reversedIf(order == .bigEndian) }
        var expected: [UInt8] = [order.rawValue] + word(3) + word(2)
        for ring in rings {
            expected += word(UInt32(ring.count))
            for p in ring { expected += double(p.x) + double(p.y) }
        }
        #expect(WKB.encode(.polygon(rings), byteOrder: order) == expected, "\(order)")
    }
}

private extension Array {
    func reversedIf(_ condition: Bool) -> [Element] { condition ? reversed() : self }
}

@Test func wkbEmptyPointIsNaNNaN() throws {
    let bytes = WKB.encode(.point(nil))
    #expect(bytes.count == 21)
    let x = Double(bitPattern: bytes[5..<13].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    #expect(x.isNaN)
    #expect(try WKB.decode(bytes) == .point(nil))
}

// MARK: Hand-made WKB with Z and M

private func u32(_ v: UInt32, big: Bool) -> [UInt8] {
    withUnsafeBytes(of: big ? v.bigEndian : v.littleEndian) { Array($0) }
}

private func f64(_ v: Double, big: Bool) -> [UInt8] {
    withUnsafeBytes(of: big ? v.bitPattern.bigEndian : v.bitPattern.littleEndian) { Array($0) }
}

private func lineWKB(typeCode: UInt32, dimensions: Int, big: Bool, srid: Int32? = nil) -> [UInt8] {
    var bytes: [UInt8] = [big ? 0 : 1] + u32(typeCode, big: big)
    if let srid { bytes += u32(UInt32(bitPattern: srid), big: big) }
    bytes += u32(2, big: big)
    for (i, p) in [Position(1, 2), Position(3, 4)].enumerated() {
        bytes += f64(p.x, big: big) + f64(p.y, big: big)
        for d in 2..<dimensions { bytes += f64(Double(100 * d + i), big: big) }
    }
    return bytes
}

@Test(arguments: [
    (UInt32(1002), 3), (UInt32(2002), 3), (UInt32(3002), 4),           // ISO Z, M, ZM
    (UInt32(0x8000_0002), 3), (UInt32(0x4000_0002), 3), (UInt32(0xC000_0002), 4), // EWKB flags
])
func wkbDropsZAndMButKeepsXY(typeCode: UInt32, dimensions: Int) throws {
    for big in [false, true] {
        let bytes = lineWKB(typeCode: typeCode, dimensions: dimensions, big: big)
        let decoded = try WKB.decodeWithDetails(bytes)
        #expect(decoded.geometry == .lineString([Position(1, 2), Position(3, 4)]))
        #expect(decoded.droppedHigherDimensions)
        #expect(decoded.byteCount == bytes.count)
    }
}

@Test func wkbReadsTheEWKBSRID() throws {
    let bytes = lineWKB(typeCode: 0xA000_0002, dimensions: 3, big: false, srid: 4529)
    let decoded = try WKB.decodeWithDetails(bytes)
    #expect(decoded.srid == 4529)
    #expect(decoded.droppedHigherDimensions)
    #expect(decoded.geometry == .lineString([Position(1, 2), Position(3, 4)]))
}

@Test func wkbZMembersOfAMultiPolygonAreFlattened() throws {
    // MultiPolygon Z (1006) with one Polygon Z (1003) of one 4-point ring.
    var bytes: [UInt8] = [1] + u32(1006, big: false) + u32(1, big: false)
    bytes += [1] + u32(1003, big: false) + u32(1, big: false) + u32(4, big: false)
    for p in [Position(0, 0), Position(1, 0), Position(0, 1), Position(0, 0)] {
        bytes += f64(p.x, big: false) + f64(p.y, big: false) + f64(9, big: false)
    }
    let decoded = try WKB.decodeWithDetails(bytes)
    #expect(decoded.geometry == .multiPolygon([[[Position(0, 0), Position(1, 0), Position(0, 1), Position(0, 0)]]]))
    #expect(decoded.droppedHigherDimensions)
}

// MARK: Errors

@Test func wkbTruncatedInputNamesTheOffset() throws {
    let bytes = WKB.encode(.polygon([square]))  // 1 + 4 + 4 + 4 + 5 * 16 = 93 bytes
    #expect(bytes.count == 93)
    // Cut inside the coordinates: the run of 5 positions starts at byte 13.
    let cut = Array(bytes[0..<50])
    let error = try #require(throws: WKBError.self) { try WKB.decode(cut) }
    #expect(error.offset == 13)
    #expect(error.kind == .truncated(needed: 80, available: 37))
    #expect(error.description.contains("at byte 13"))
    #expect(error.description.contains("truncated"))

    // Cut inside the type code.
    let short = try #require(throws: WKBError.self) { try WKB.decode([1, 3, 0]) }
    #expect(short.offset == 1)
    #expect(short.kind == .truncated(needed: 4, available: 2))

    // Nothing at all.
    let empty = try #require(throws: WKBError.self) { try WKB.decode([]) }
    #expect(empty.offset == 0)
}

@Test func wkbHugeCountFailsFastAsTruncated() throws {
    // A LineString claiming 2^31 positions in a 9-byte buffer.
    let bytes: [UInt8] = [1] + u32(2, big: false) + u32(0x8000_0000, big: false)
    let error = try #require(throws: WKBError.self) { try WKB.decode(bytes) }
    #expect(error.offset == 9)
    if case .truncated = error.kind {} else { Issue.record("expected truncated, got \(error.kind)") }
}

@Test func wkbUnknownTypeCodeAndByteOrderAreNamed() throws {
    let curve = try #require(throws: WKBError.self) { try WKB.decode([1] + u32(8, big: false) + u32(0, big: false)) }
    #expect(curve.offset == 1)
    #expect(curve.kind == .unknownTypeCode(8))
    #expect(curve.description.contains("unknown geometry type code 8"))

    let order = try #require(throws: WKBError.self) { try WKB.decode([7, 1, 0, 0, 0]) }
    #expect(order.offset == 0)
    #expect(order.kind == .invalidByteOrder(7))

    // A LineString inside a MultiPoint: offset of the member (byte 9).
    let bad = [1] + u32(4, big: false) + u32(1, big: false) + WKB.encode(.lineString([Position(0, 0), Position(1, 1)]))
    let member = try #require(throws: WKBError.self) { try WKB.decode(bad) }
    #expect(member.offset == 9)
    #expect(member.kind == .unexpectedMemberType(container: "MultiPoint", member: "LineString"))
}

@Test func wkbDeepNestingIsRefused() throws {
    var g = GeometryValue.point(Position(0, 0))
    for _ in 0..<40 { g = .geometryCollection([g]) }
    let error = try #require(throws: WKBError.self) { try WKB.decode(WKB.encode(g)) }
    #expect(error.kind == .nestedTooDeeply(WKB.maximumNestingDepth))
}

@Test func wkbErrorOffsetsShiftForEmbeddedWKB() {
    let e = WKBError(offset: 5, kind: .unknownTypeCode(99)).shifted(by: 40)
    #expect(e.offset == 45)
    #expect(e.description.hasPrefix("WKB at byte 45"))
}

@Test func wkbEmptyPointInsideAMultiPointIsKeptAsNaN() throws {
    let bytes = [1] + u32(4, big: false) + u32(2, big: false)
        + WKB.encode(.point(Position(1, 2))) + WKB.encode(.point(nil))
    let decoded = try WKB.decode(bytes)
    guard case .multiPoint(let points) = decoded else {
        Issue.record("expected a MultiPoint, got \(decoded.typeName)")
        return
    }
    #expect(points.count == 2)
    #expect(points[0] == Position(1, 2))
    #expect(points[1].x.isNaN && points[1].y.isNaN)
}
