import PlanLayers
import PlanModel
import Testing

@Suite("GeoJSON properties and fields")
struct PropertyReadingTests {
    private func properties(_ json: String) throws -> [Attribute] {
        let layer = try readGeoJSON(#"{"type":"Feature","geometry":null,"properties":\#(json)}"#)
        return try #require(layer.features.first).attributes
    }

    @Test func everyJSONTypeIsKept() throws {
        let attributes = try properties(#"""
        {"s":"0101","i":123,"neg":-45,"r":1234.56,"one":1.0,"t":true,"f":false,"n":null,
         "a":[1,"x",[null]],"o":{"z":1,"a":{"m":2,"b":3}},"e":1e3}
        """#)
        #expect(attributes == [
            Attribute("s", .string("0101")),
            Attribute("i", .integer(123)),
            Attribute("neg", .integer(-45)),
            Attribute("r", .double(1234.56)),
            Attribute("one", .double(1.0)),
            Attribute("t", .bool(true)),
            Attribute("f", .bool(false)),
            Attribute("n", .null),
            Attribute("a", .array([.integer(1), .string("x"), .array([.null])])),
            Attribute("o", .object([Attribute("z", .integer(1)), Attribute("a", .object([Attribute("m", .integer(2)), Attribute("b", .integer(3))]))])),
            Attribute("e", .double(1000)),
        ])
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        let attributes = try properties(#"{"max":9223372036854775807,"over":9223372036854775808,"min":-9223372036854775808,"under":-9223372036854775809,"big":123456789012345678901234}"#)
        #expect(attributes == [
            Attribute("max", .integer(Int64.max)),
            Attribute("over", .double(9223372036854775808.0)),
            Attribute("min", .integer(Int64.min)),
            Attribute("under", .double(-9223372036854775809.0)),
            Attribute("big", .double(strtodReference("123456789012345678901234"))),
        ])
    }

    @Test func escapesAndUnicode() throws {
        let attributes = try properties(#"""
        {"q":"say \"hi\"\\ \/ \b\f\n\r\t","u":"\u571f\u5730\u5229\u7528","raw":"土地利用","emoji":"\ud83d\ude00","mixed":"a\u00e9b😀c","lone":"x\ud800y","键":"值"}
        """#)
        #expect(attributes == [
            Attribute("q", .string("say \"hi\"\\ / \u{08}\u{0C}\n\r\t")),
            Attribute("u", .string("土地利用")),
            Attribute("raw", .string("土地利用")),
            Attribute("emoji", .string("😀")),
            Attribute("mixed", .string("aéb😀c")),
            Attribute("lone", .string("x\u{FFFD}y")),
            Attribute("键", .string("值")),
        ])
    }

    @Test func escapedKeyIsTheSameFieldAsPlainKey() throws {
        let text = #"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"土地":1}},{"type":"Feature","geometry":null,"properties":{"\u571f\u5730":2}}]}"#
        let layer = try readGeoJSON(text)
        #expect(layer.fields == [Field(name: "土地", type: "integer")])
        #expect(layer.features[1].attributes == [Attribute("土地", .integer(2))])
    }

    @Test func nullAndEmptyProperties() throws {
        #expect(try properties("null").isEmpty)
        #expect(try properties("{}").isEmpty)
    }

    @Test func fieldsAreTheUnionInOrderWithTypesSeen() throws {
        let text = #"""
        {"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":null,"properties":{"DLBM":"0101","BSM":1,"TBMJ":12}},
          {"type":"Feature","geometry":null,"properties":{"BSM":2,"QSDWMC":"某村","TBMJ":12.5,"DLBM":"0102"}},
          {"type":"Feature","geometry":null,"properties":{"TBMJ":null,"X":{"a":1},"Y":[1]}},
          {"type":"Feature","geometry":null,"properties":null},
          {"type":"Feature","geometry":null,"properties":{"BSM":true}}
        ]}
        """#
        let layer = try readGeoJSON(text)
        #expect(layer.fields == [
            Field(name: "DLBM", type: "string"),
            Field(name: "BSM", type: "integer|boolean"),
            Field(name: "TBMJ", type: "integer|real|null"),
            Field(name: "QSDWMC", type: "string"),
            Field(name: "X", type: "object"),
            Field(name: "Y", type: "array"),
        ])
        // Each feature keeps its own order.
        #expect(layer.features[1].attributes.map(\.name) == ["BSM", "QSDWMC", "TBMJ", "DLBM"])
        #expect(layer.features[3].attributes.isEmpty)
    }
}
