import Testing
import PlanModel
import PlanStore

private var polygon: GeometryValue { GeometryValue.polygon([[Position(1, 2), Position(5, 2), Position(5, 7), Position(1, 2)]]) }

private func header(flags: UInt8, srsID: Int32, bigEndian: Bool, envelope: [Double] = []) -> [UInt8] {
    var bytes: [UInt8] = [0x47, 0x50, 0, flags]
    let srs = UInt32(bitPattern: srsID)
    withUnsafeBytes(of: bigEndian ? srs.bigEndian : srs.littleEndian) { bytes += $0 }
    for v in envelope {
        withUnsafeBytes(of: bigEndian ? v.bitPattern.bigEndian : v.bitPattern.littleEndian) { bytes += $0 }
    }
    return bytes
}

@Test func encodeWritesLittleEndianHeaderWithXYEnvelope() throws {
    let blob = GeoPackageBinary.encode(geometry: polygon, srsID: 4529)
    #expect(Array(blob[0..<4]) == [0x47, 0x50, 0x00, 0x03])
    #expect(Array(blob[4..<8]) == [0xB1, 0x11, 0, 0])  // 4529 little-endian
    let decoded = try GeoPackageBinary.decode(blob)
    #expect(decoded.header.byteOrder == .littleEndian)
    #expect(decoded.header.envelopeKind == .xy)
    #expect(decoded.header.envelope == [1, 5, 2, 7])  // minx, maxx, miny, maxy
    #expect(decoded.header.srsID == 4529)
    #expect(decoded.header.isEmpty == false)
    #expect(decoded.header.wkbOffset == 40)
    #expect(decoded.geometry == polygon)
}

@Test func encodeMarksEmptyGeometries() throws {
    let blob = GeoPackageBinary.encode(geometry: .point(nil), srsID: 4490)
    #expect(blob[3] == 0x11)  // empty flag + little-endian, no envelope
    let decoded = try GeoPackageBinary.decode(blob)
    #expect(decoded.header.isEmpty)
    #expect(decoded.header.envelopeKind == .none)
    #expect(decoded.geometry == .point(nil))
}

@Test(arguments: [false, true])
func decodeHeaderWithoutEnvelopeInBothByteOrders(bigEndian: Bool) throws {
    let blob = header(flags: bigEndian ? 0x00 : 0x01, srsID: -1, bigEndian: bigEndian)
        + WKB.encode(polygon, byteOrder: bigEndian ? .bigEndian : .littleEndian)
    let decoded = try GeoPackageBinary.decode(blob)
    #expect(decoded.header.byteOrder == (bigEndian ? .bigEndian : .littleEndian))
    #expect(decoded.header.srsID == -1)
    #expect(decoded.header.wkbOffset == 8)
    #expect(decoded.geometry == polygon)
}

@Test(arguments: [(UInt8(1), 4), (UInt8(2), 6), (UInt8(3), 6), (UInt8(4), 8)])
func decodeEveryEnvelopeKind(indicator: UInt8, values: Int) throws {
    for bigEndian in [false, true] {
        let envelope = (0..<values).map(Double.init)
        let flags = indicator << 1 | (bigEndian ? 0 : 1)
        // The header's byte order and the WKB's are independent: mix them on purpose.
        let blob = header(flags: flags, srsID: 4529, bigEndian: bigEndian, envelope: envelope)
            + WKB.encode(polygon, byteOrder: bigEndian ? .littleEndian : .bigEndian)
        let decoded = try GeoPackageBinary.decode(blob)
        #expect(decoded.header.envelope == envelope)
        #expect(decoded.header.wkbOffset == 8 + 8 * values)
        #expect(decoded.header.srsID == 4529)
        #expect(decoded.geometry == polygon)
    }
}

@Test func emptyFlagWithEmptyWKBAndWithoutWKB() throws {
    let withWKB = header(flags: 0x11, srsID: 0, bigEndian: false) + WKB.encode(.multiPolygon([]))
    let a = try GeoPackageBinary.decode(withWKB)
    #expect(a.header.isEmpty)
    #expect(a.geometry == .multiPolygon([]))
    let bare = try GeoPackageBinary.decode(header(flags: 0x11, srsID: 0, bigEndian: false))
    #expect(bare.geometry.isEmpty)
}

@Test func badBlobsNameTheirOffsets() throws {
    let noMagic = try #require(throws: GeoPackageBinary.DecodeError.self) {
        try GeoPackageBinary.decode([0x01, 0x02, 0, 1, 0, 0, 0, 0])
    }
    #expect(noMagic.offset == 0)
    #expect(noMagic.description.contains("'GP'"))

    let shortHeader = try #require(throws: GeoPackageBinary.DecodeError.self) { try GeoPackageBinary.decode([0x47, 0x50, 0]) }
    #expect(shortHeader.reason.contains("truncated header"))

    let badEnvelope = try #require(throws: GeoPackageBinary.DecodeError.self) {
        try GeoPackageBinary.decode(header(flags: 0x0B, srsID: 0, bigEndian: false) + [UInt8](repeating: 0, count: 64))
    }
    #expect(badEnvelope.offset == 3)
    #expect(badEnvelope.reason.contains("envelope indicator 5"))

    // WKB cut inside its coordinates: offsets count from the start of the blob (40-byte header).
    let full = GeoPackageBinary.encode(geometry: polygon, srsID: 4529)
    let cut = try #require(throws: GeoPackageBinary.DecodeError.self) { try GeoPackageBinary.decode(Array(full.dropLast(20))) }
    #expect(cut.offset == 40 + 13)
    #expect(cut.description.contains("at byte 53"))
    #expect(cut.description.contains("truncated"))
}
