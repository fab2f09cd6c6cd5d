#if canImport(Glibc)
import PlanCheckTestSupport
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PlanLayers
import PlanModel
import PlanOutput
import Testing

@Suite("GeoJSON writing")
struct GeoJSONWriterTests {
    /// Writes `features` to a fresh file and returns its path.
    private func written(
        _ features: [Feature], name: String? = nil, crsName: String? = "urn:ogc:def:crs:EPSG::4529",
        coordinateDecimals: Int? = nil, foreignMembers: [(String, AttributeValue)] = []
    ) throws -> String {
        let path = makeTemporaryDirectory() + "/out.geojson"
        let writer = try GeoJSONWriter(path: path, name: name, crsName: crsName,
                                       coordinateDecimals: coordinateDecimals, foreignMembers: foreignMembers)
        for feature in features { try writer.write(feature) }
        try writer.finish()
        return path
    }

    private func fileBytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    private func folderEntries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    private static let square: PositionList = [Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)]
    private static let hole: PositionList = [Position(2, 2), Position(2, 4), Position(4, 4), Position(2, 2)]

    private static let everyGeometry: [GeometryValue?] = [
        .point(Position(41482797.309, 3321456.7)),
        .point(nil),
        .lineString([Position(1, 2), Position(3.5, -4.25)]),
        .lineString([]),
        .polygon([square, hole]),
        .polygon([]),
        .multiPoint([Position(0.1, 0.2), Position(-0.0, 1e-7)]),
        .multiLineString([[Position(1, 1), Position(2, 2)], [Position(5e15, 1.5)]]),
        .multiPolygon([[square, hole], [[Position(20, 20), Position(30, 20), Position(30, 30), Position(20, 20)]]]),
        .multiPolygon([]),
        .geometryCollection([.point(Position(1, 2)), .polygon([square]), .geometryCollection([])]),
        .geometryCollection([]),
        nil,
    ]

    @Test func everyGeometryTypeReadsBackBitExact() throws {
        let features = Self.everyGeometry.enumerated().map { Feature(id: .int(Int64($0.offset + 1)), geometry: $0.element) }
        let layer = try GeoJSONReader.read(path: try written(features))
        #expect(layer.readProblems.isEmpty)
        #expect(layer.features.count == features.count)
        for (read, wrote) in zip(layer.features, features) {
            #expect(read.id == wrote.id)
            #expect(read.geometry == wrote.geometry)
            // Equatable treats -0.0 == 0.0; compare the bits too.
            var readBits: [UInt64] = [], wroteBits: [UInt64] = []
            read.geometry?.forEachPosition { readBits += [$0.x.bitPattern, $0.y.bitPattern] }
            wrote.geometry?.forEachPosition { wroteBits += [$0.x.bitPattern, $0.y.bitPattern] }
            #expect(readBits == wroteBits)
        }
    }

    @Test func everyAttributeTypeReadsBackExactly() throws {
        let properties: [Attribute] = [
            Attribute("用地性质", .string("城镇建设用地")),
            Attribute("escapes", .string("say \"hi\"\\ / \u{08}\u{0C}\n\r\t \u{01}\u{1F}\u{7F} 😀")),
            Attribute("empty", .string("")),
            Attribute("int", .integer(42)),
            Attribute("max", .integer(Int64.max)),
            Attribute("min", .integer(Int64.min)),
            Attribute("whole", .double(5)),
            Attribute("big", .double(1.2345678901234568e+17)),
            Attribute("huge", .double(-1e300)),
            Attribute("tiny", .double(.leastNonzeroMagnitude)),
            Attribute("small", .double(0.000123)),
            Attribute("area", .double(314.159)),
            Attribute("third", .double(1.0 / 3.0)),
            Attribute("negativeZero", .double(-0.0)),
            Attribute("yes", .bool(true)),
            Attribute("no", .bool(false)),
            Attribute("nothing", .null),
            Attribute("list", .array([.integer(1), .string("二"), .array([.null, .double(2.5)]), .array([])])),
            Attribute("nested", .object([Attribute("z", .integer(1)), Attribute("a", .object([Attribute("键\n", .string("值"))])), Attribute("o", .object([]))])),
            Attribute("quote\"key", .integer(0)),
        ]
        let features = [
            Feature(id: .string("patch-甲-1"), geometry: nil, attributes: properties),
            Feature(id: .int(-7), geometry: .point(Position(1, 2)), attributes: []),
        ]
        let layer = try GeoJSONReader.read(path: try written(features))
        #expect(layer.features.map(\.id) == [.string("patch-甲-1"), .int(-7)])
        #expect(layer.features[0].attributes == properties)
        #expect(layer.features[1].attributes.isEmpty)
        // Bit-exact doubles (Hashable equality treats -0.0 and 0.0 alike).
        guard case .double(let zero)? = layer.features[0][attribute: "negativeZero"] else {
            Issue.record("negativeZero did not read back as a double")
            return
        }
        #expect(zero.sign == .minus)
    }

    @Test func chineseTextIsWrittenRawAndControlCharactersEscaped() throws {
        let text = GeoJSONWriter.document(
            features: [Feature(id: .int(1), geometry: nil, attributes: [Attribute("名称", .string("基本农田\t\u{01}"))])],
            crsName: nil)
        #expect(text.contains(#""名称":"基本农田\t\u0001""#))
    }

    @Test func crsMemberReadsBackAsIdentifier() throws {
        let layer = try GeoJSONReader.read(path: try written([], name: "冲突图斑", crsName: "urn:ogc:def:crs:EPSG::4529"))
        #expect(layer.crs == .identifier("urn:ogc:def:crs:EPSG::4529"))
        #expect(layer.name == "冲突图斑")
        #expect(layer.features.isEmpty)
    }

    @Test func rfc7946ModeHasNoCRSMember() throws {
        let path = try written([Feature(id: .int(1), geometry: .point(Position(116.391_234_567, 39.907_654_321)))], crsName: nil)
        let layer = try GeoJSONReader.read(path: path)
        #expect(layer.crs == nil)
        #expect(layer.features.first?.geometry == .point(Position(116.391_234_567, 39.907_654_321)))
        let text = String(decoding: try #require(fileBytes(path)), as: UTF8.self)
        #expect(!text.contains("\"crs\""))
    }

    @Test func foreignMembersAreWrittenInOrder() throws {
        let text = GeoJSONWriter.document(features: [], crsName: nil,
                                          foreignMembers: [("rule_set", .string("nc.rules.yaml")), ("count", .integer(0))])
        #expect(text.hasPrefix(#"{"type":"FeatureCollection","rule_set":"nc.rules.yaml","count":0,"features":["#))
    }

    @Test func coordinateDecimalsRoundWithoutTrailingZeros() throws {
        let geometry = GeometryValue.lineString([Position(41482797.30949, 3321456.7), Position(1.0005, -2.0004), Position(12, 0.1)])
        let text = GeoJSONWriter.document(features: [Feature(id: .int(1), geometry: geometry)], crsName: nil, coordinateDecimals: 3)
        #expect(text.contains("[[41482797.309,3321456.7],[1.001,-2],[12,0.1]]"))
        let layer = try GeoJSONReader.read(bytes: Array(text.utf8), path: "rounded.geojson")
        #expect(layer.features.first?.geometry == .lineString([Position(41482797.309, 3321456.7), Position(1.001, -2), Position(12, 0.1)]))
        let degrees = GeoJSONWriter.document(features: [Feature(id: .int(1), geometry: .point(Position(116.39123456789, 39.9)))],
                                             crsName: nil, coordinateDecimals: 9)
        #expect(degrees.contains("[116.391234568,39.9]"))
    }

    @Test func numbersArePlainAndShortest() throws {
        let positions = [Position(41482797.309, 1e-7), Position(0.1, 123456.789), Position(-0.5, 2.5e15)]
        let text = GeoJSONWriter.document(features: [Feature(id: .int(1), geometry: .lineString(positions))], crsName: nil)
        #expect(text.contains("[[41482797.309,1e-07],[0.1,123456.789],[-0.5,2500000000000000]]"))
    }

    @Test func randomDoublesRoundTripWithShortestText() throws {
        var generator = SeededGenerator(seed: 4529)
        var values: [Double] = []
        for _ in 0..<20_000 {
            // Across the plain-decimal range and beyond, and raw bit patterns.
            let scale = [1e-4, 0.001, 0.5, 1, 180, 1e6, 4e7, 1e15, 9e15, 1e20][Int(generator.next() % 10)]
            values.append(Double.random(in: -scale...scale, using: &generator))
            let bits = Double(bitPattern: generator.next())
            if bits.isFinite { values.append(bits) }
        }
        let properties = values.enumerated().map { Attribute("v\($0.offset)", .double($0.element)) }
        let text = GeoJSONWriter.document(features: [Feature(id: .int(1), geometry: nil, attributes: properties)], crsName: nil)
        let layer = try GeoJSONReader.read(bytes: Array(text.utf8), path: "random.geojson")
        let read = try #require(layer.features.first).attributes
        #expect(read.count == values.count)
        var mismatches = 0
        var longer = 0
        for (attribute, value) in zip(read, values) {
            guard case .double(let d) = attribute.value, d.bitPattern == value.bitPattern else {
                mismatches += 1
                continue
            }
        }
        // Shortest: never more significant digits than Swift's own shortest `description`.
        // The members are `"v0":…,"v1":…` in order and the numbers hold no commas.
        let members = try #require(text.split(separator: "\"properties\":{").last?.split(separator: "}").first)
        let texts = members.split(separator: ",").map { $0.split(separator: ":").last.map(String.init) ?? "" }
        #expect(texts.count == values.count)
        for (written, value) in zip(texts, values) where significantDigits(written) > significantDigits(value.description) {
            longer += 1
        }
        #expect(mismatches == 0)
        #expect(longer == 0)
    }

    private func significantDigits(_ text: String) -> Int {
        let mantissa = text.split(separator: "e").first.map(String.init) ?? text
        let digits = mantissa.filter(\.isNumber).drop { $0 == "0" }
        var trimmed = Substring(digits)
        while trimmed.last == "0" { trimmed = trimmed.dropLast() }
        return trimmed.count
    }

    @Test func nonFiniteAttributesAreWrittenAsNull() throws {
        let features = [Feature(id: .int(1), geometry: nil, attributes: [
            Attribute("nan", .double(.nan)), Attribute("inf", .double(.infinity)), Attribute("ninf", .double(-.infinity)),
        ])]
        let layer = try GeoJSONReader.read(path: try written(features))
        #expect(layer.features.first?.attributes == [Attribute("nan", .null), Attribute("inf", .null), Attribute("ninf", .null)])
    }

    @Test func nonFiniteCoordinateIsNullAndReadsAsMalformed() throws {
        let text = GeoJSONWriter.document(features: [Feature(id: .int(1), geometry: .point(Position(.nan, 1)))], crsName: nil)
        #expect(text.contains(#""coordinates":[null,1]"#))
        let layer = try GeoJSONReader.read(bytes: Array(text.utf8), path: "nan.geojson")
        #expect(layer.features.first?.geometry == nil)
        #expect(layer.readProblems.map(\.kind) == [.malformedGeometry])
    }

    @Test func blobIsWrittenAsBase64() throws {
        let text = GeoJSONWriter.document(
            features: [Feature(id: .int(1), geometry: nil, attributes: [
                Attribute("b1", .blob([0xFF])), Attribute("b2", .blob([0, 1])), Attribute("b3", .blob(Array("Man".utf8))),
            ])], crsName: nil)
        #expect(text.contains(#""b1":"/w==","b2":"AAE=","b3":"TWFu""#))
    }

    @Test func outputParsesWithFoundation() throws {
        let features = Self.everyGeometry.enumerated().map {
            Feature(id: .int(Int64($0.offset + 1)), geometry: $0.element,
                    attributes: [Attribute("名", .string("\"村\"\n")), Attribute("r", .double(0.1)), Attribute("nan", .double(.nan))])
        }
        let path = try written(features, name: "all", foreignMembers: [("meta", .object([Attribute("k", .array([.bool(true)]))]))])
        let data = try #require(FileManager.default.contents(atPath: path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["type"] as? String == "FeatureCollection")
        let list = try #require(root["features"] as? [[String: Any]])
        #expect(list.count == features.count)
        let first = try #require(list.first?["properties"] as? [String: Any])
        #expect(first["名"] as? String == "\"村\"\n")
        #expect(first["r"] as? Double == 0.1)
        #expect(first["nan"] is NSNull)
        let crs = try #require(root["crs"] as? [String: Any])
        #expect((crs["properties"] as? [String: Any])?["name"] as? String == "urn:ogc:def:crs:EPSG::4529")
    }

    @Test func manyFeaturesCrossBlockBoundaries() throws {
        var generator = SeededGenerator(seed: 7)
        let features = (0..<3_000).map { i in
            let ring = (0..<40).map { _ in Position(Double.random(in: 4e7...4.2e7, using: &generator), Double.random(in: 3e6...3.1e6, using: &generator)) }
            return Feature(id: .int(Int64(i + 1)), geometry: .polygon([ring + [ring[0]]]), attributes: [Attribute("i", .integer(Int64(i)))])
        }
        let path = try written(features)
        let size = try #require(fileBytes(path)).count
        #expect(size > 2 << 20)  // more than two 1 MiB blocks
        let layer = try GeoJSONReader.read(path: path)
        #expect(layer.features.count == features.count)
        #expect(zip(layer.features, features).allSatisfy { $0.geometry == $1.geometry && $0.attributes == $1.attributes })
    }

    @Test func writerReleasedWithoutFinishLeavesExistingFileUntouched() throws {
        let folder = makeTemporaryDirectory()
        let path = folder + "/patches.geojson"
        writeFile(path, "the planner's previous result\n")
        let before = try #require(fileBytes(path))
        do {
            let writer = try GeoJSONWriter(path: path, crsName: nil)
            try writer.write(id: .int(1), geometry: .point(Position(1, 2)), properties: [])
            // While writing, only a hidden temporary file sits next to the old one.
            #expect(folderEntries(folder).count == 2)
            #expect(folderEntries(folder).contains { $0.hasPrefix(".patches.geojson.plan-check-\(getpid())-") })
        }
        #expect(fileBytes(path) == before)
        #expect(folderEntries(folder) == ["patches.geojson"])
    }

    @Test func abandonRemovesTheTemporaryFile() throws {
        let folder = makeTemporaryDirectory()
        let path = folder + "/patches.geojson"
        let writer = try GeoJSONWriter(path: path, crsName: nil)
        try writer.write(id: .int(1), geometry: nil, properties: [])
        writer.abandon()
        writer.abandon()
        #expect(folderEntries(folder).isEmpty)
    }

    @Test func finishReplacesAnExistingFile() throws {
        let folder = makeTemporaryDirectory()
        let path = folder + "/patches.geojson"
        writeFile(path, "old")
        let writer = try GeoJSONWriter(path: path, crsName: nil)
        try writer.write(id: .int(1), geometry: .point(Position(1, 2)), properties: [])
        try writer.finish()
        #expect(folderEntries(folder) == ["patches.geojson"])
        #expect(try GeoJSONReader.read(path: path).features.count == 1)
    }

    @Test func missingFolderFailsAtInitNamingThePath() throws {
        let path = makeTemporaryDirectory() + "/no-such-folder/patches.geojson"
        let error = try #require(throws: OutputFileError.self) {
            _ = try GeoJSONWriter(path: path, crsName: nil)
        }
        #expect(error.path == path)
        #expect(error.operation == .create)
        #expect(error.code == ENOENT)
        #expect(error.description.hasPrefix(path + ": cannot create"))
        #expect(error.description.hasSuffix(": No such file or directory"))
    }

    @Test func readOnlyFolderFailsAtInit() throws {
        // Root ignores directory permissions, so chmod cannot make the failure happen there;
        // the tests usually run as root in CI containers, where this case is skipped.
        guard getuid() != 0 else { return }
        let folder = makeTemporaryDirectory()
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }
        let path = folder + "/patches.geojson"
        let error = try #require(throws: OutputFileError.self) {
            _ = try GeoJSONWriter(path: path, crsName: nil)
        }
        #expect(error.code == EACCES)
        #expect(error.description.contains(path))
    }

    @Test func writeErrorNamesThePathAndTheSystemReason() throws {
        // A full disk cannot be arranged portably in a test; this checks the message it gives.
        let error = OutputFileError(path: "out/patches.geojson", temporaryPath: "out/.patches.geojson.plan-check-1-a-host.tmp",
                                    operation: .write, code: ENOSPC)
        #expect(error.description == "out/patches.geojson: cannot write: No space left on device")
    }

    /// Properties spliced in as pre-encoded members must give the bytes the attributes give:
    /// commas between parts, none around empty parts, prefixes, escaping, every value type.
    @Test func encodedMembersGiveTheSameBytesAsTheAttributes() throws {
        let lineage = [Attribute("rule", .string("C1")), Attribute("title", .string("城规建设占用\"农田\"\n"))]
        let source = [Attribute("DLBM", .string("0111")), Attribute("BSM", .integer(4_100_000_001)),
                      Attribute("AREA", .double(1.5)), Attribute("NOTE", .null), Attribute("OK", .bool(true)),
                      Attribute("TAGS", .array([.integer(1), .string("a")]))]
        let areas = [Attribute("area_m2", .double(28_862.791789276096))]
        let geometry = GeometryValue.polygon([[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]])
        for (first, second) in [(source, source), ([], source), (source, []), ([], [])] {
            let plain = EncodableFeature(
                id: .string("C1:U010:11"), geometry: geometry, properties: lineage + areas,
                groups: [PrefixedAttributes(prefix: "a.", attributes: first), PrefixedAttributes(prefix: "b.", attributes: second)])
            let spliced = EncodableFeature(
                id: .string("C1:U010:11"), geometry: geometry,
                parts: [.encoded(EncodedMembers(lineage)), .members(areas), .encoded(EncodedMembers([])),
                        .encoded(EncodedMembers(first, prefix: "a.")), .encoded(EncodedMembers(second, prefix: "b."))])
            let expected = GeoJSONWriter.encodeFeatures([plain])
            #expect(GeoJSONWriter.encodeFeatures([spliced]) == expected)
            // And the text is valid JSON with the members in order.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(expected)) as? [String: Any])
            let properties = try #require(object["properties"] as? [String: Any])
            #expect(properties.count == 3 + first.count + second.count)
            #expect(properties["title"] as? String == "城规建设占用\"农田\"\n")
        }
    }
}
