import PlanCheckTestSupport
import PlanLayers
import PlanModel
import Testing

@Suite("JSON numbers and syntax errors")
struct NumberAndSyntaxTests {
    /// Parses `numbers` (JSON number texts) as one array property and as Point coordinates and
    /// returns the values as Doubles, in order.
    private func parse(_ numbers: [String]) throws -> (attributes: [AttributeValue], coordinates: [Double]) {
        let list = numbers.joined(separator: ",")
        let points = numbers.map { #"{"type":"Point","coordinates":[\#($0),0]}"# }.joined(separator: ",")
        let text = #"{"type":"Feature","properties":{"n":[\#(list)]},"geometry":{"type":"GeometryCollection","geometries":[\#(points)]}}"#
        let feature = try #require(try readGeoJSON(text).features.first)
        guard case .array(let values)? = feature[attribute: "n"],
              case .geometryCollection(let members)? = feature.geometry else {
            Issue.record("unexpected shape")
            return ([], [])
        }
        let xs = members.compactMap { member -> Double? in
            if case .point(let p?) = member { return p.x }
            return nil
        }
        return (values, xs)
    }

    private func expectSameAsStrtod(_ numbers: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (values, xs) = try parse(numbers)
        #expect(values.count == numbers.count, sourceLocation: sourceLocation)
        #expect(xs.count == numbers.count, sourceLocation: sourceLocation)
        for (i, text) in numbers.enumerated() where i < values.count && i < xs.count {
            let expected = strtodReference(text)
            let got: Double
            switch values[i] {
            case .double(let d): got = d
            case .integer(let n):
                // "-0" is the integer 0; integers compare by value.
                #expect(Double(n) == expected, "attribute \(text): \(n) != strtod \(expected)", sourceLocation: sourceLocation)
                #expect(xs[i] == expected, "coordinate \(text): \(xs[i]) != strtod \(expected)", sourceLocation: sourceLocation)
                continue
            default: Issue.record("\(text) is not a number: \(values[i])", sourceLocation: sourceLocation); continue
            }
            #expect(got.bitPattern == expected.bitPattern, "attribute \(text): \(got) != strtod \(expected)", sourceLocation: sourceLocation)
            #expect(xs[i].bitPattern == expected.bitPattern, "coordinate \(text): \(xs[i]) != strtod \(expected)", sourceLocation: sourceLocation)
        }
    }

    @Test func edgeCasesEqualStrtod() throws {
        try expectSameAsStrtod([
            "0", "-0", "0.0", "-0.0", "0e0", "0E-999", "1", "-1", "0.1", "0.2", "0.3", "1.5", "41482797.309",
            "4366692.375", "1e-320", "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
            "2.2250738585072011e-308", "2.2250738585072014e-308", "1.7976931348623157e308",
            "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "-1e309", "1e400",
            "123456789012345678901234", "123456789012345678901234.5", "9007199254740993",
            "9007199254740992.0", "9007199254740993.0", "9007199254740993.00000000000001",
            "18446744073709551615", "18446744073709551616.0", "1e22", "1e23", "1.0e22", "123e20",
            "12345678901234567e10", "1e-22", "1e-23", "3.14159265358979323846264338327950288",
            "0.000000000000000000000000000000000000000000001", "100000000000000000000000000000.0",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "7.2057594037927933e16", "2e-1", "5e+3", "5E3", "0.000001", "1234.56", "-41482797.309e0",
        ])
    }

    @Test func integersStayIntegersAndFractionsStayReal() throws {
        let (values, _) = try parse(["1", "1.0", "-0", "1e2", "9223372036854775807", "9223372036854775808"])
        #expect(values == [.integer(1), .double(1), .integer(0), .double(100), .integer(.max), .double(9223372036854775808)])
        guard case .double(let negativeZero) = try parse(["-0.0"]).attributes[0] else {
            Issue.record("-0.0 should be real")
            return
        }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test func randomDigitStringsEqualStrtod() throws {
        var rng = SeededGenerator(seed: 4529)
        var numbers: [String] = []
        for _ in 0..<4000 {
            let integerDigits = Int.random(in: 1...25, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            text.append(String(Int.random(in: 1...9, using: &rng)))
            for _ in 1..<integerDigits { text.append(String(Int.random(in: 0...9, using: &rng))) }
            if Int.random(in: 0..<4, using: &rng) != 0 {
                text.append(".")
                for _ in 0..<Int.random(in: 1...20, using: &rng) { text.append(String(Int.random(in: 0...9, using: &rng))) }
            }
            if Bool.random(using: &rng) {
                text.append(Bool.random(using: &rng) ? "e" : "E")
                text.append(["", "+", "-"].randomElement(using: &rng)!)
                text.append(String(Int.random(in: 0...340, using: &rng)))
            }
            numbers.append(text)
        }
        try expectSameAsStrtod(numbers)
    }

    @Test func randomDoublesRoundTrip() throws {
        var rng = SeededGenerator(seed: 4490)
        var numbers: [String] = []
        while numbers.count < 4000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            numbers.append(d.description)  // shortest round-trip text, e.g. "1.2e-05"
            numbers.append(String(Double.random(in: 41_480_000..<41_520_000, using: &rng)))
        }
        try expectSameAsStrtod(numbers)
        let (values, _) = try parse(numbers)
        for (text, value) in zip(numbers, values) {
            if case .double(let d) = value { #expect(d.description == text) }
        }
    }

    @Test(arguments: [
        ("{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1}}\n{\"type\":\"Feature\"}]}", 4, 1, "expected ',' or ']' after array element"),
        ("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null,\"properties\":null} {}]}", 1, 94, "expected ',' or ']' after array element"),
        ("{\"type\":\"FeatureCollection\",\"features\":[]", 1, 42, "expected ',' or '}' after object member"),
        ("{\"type\":\"FeatureCollection\" \"features\":[]}", 1, 29, "expected ',' or '}' after object member"),
        ("{\"type\":\"Feature\",\"properties\":{\"名称\":\"土地\" ,}}", 1, 44, "expected a string key"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":01}}", 1, 38, "expected ',' or '}' after object member"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":-}}", 1, 38, "expected a digit"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":1.}}", 1, 39, "expected a digit after '.'"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":tru}}", 1, 37, "expected 'true'"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":\"x\ty\"}}", 1, 39, "control character"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":\"\\x\"}}", 1, 38, "invalid escape"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":\"\\u12G4\"}}", 1, 42, "4 hex digits"),
        ("{\"type\":\"Feature\",\"properties\":{\"a\":\"open}}", 1, 44, "close the string"),
        ("{\"type\":\"Feature\",\"properties\":{}} x", 1, 36, "expected end of file"),
        ("", 1, 1, "found end of file"),
        ("  \n  ", 2, 3, "found end of file"),
    ])
    func brokenJSONGivesLineAndColumn(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(readError(text))
        guard case .syntax(let path, let l, let c, let m) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(path == "test.geojson")
        #expect((l, c) == (line, column), "\(error)")
        #expect(m.contains(message), "\(m)")
        #expect(error.description == "test.geojson:\(l):\(c): \(m)")
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000)
        let error = try #require(readError(#"{"type":"Feature","geometry":null,"properties":{"a":\#(deep)}}"#))
        guard case .syntax(_, _, _, let message) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(message.contains("nesting"))
    }
}
