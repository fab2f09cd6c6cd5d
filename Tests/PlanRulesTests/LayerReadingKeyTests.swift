import Testing
@testable import PlanRules

/// `encoding:` and `assume_crs:` of a layer: the files planners are given say neither reliably.
@Suite struct LayerReadingKeyTests {
    @Test func encodingAndAssumedCRSAreReadWithTheirLines() throws {
        let yaml = validYAML(replacingLine: 4, with: "    path: landuse.shp\n    encoding: gbk\n    assume_crs: EPSG:4529")
        let rules = try RuleSetLoader.load(yaml: yaml, path: "rules.yaml")
        let landuse = try #require(rules.layer(named: "landuse"))
        #expect(landuse.encoding == "GBK")
        #expect(landuse.encodingLine == 5)
        #expect(landuse.assumedCRS == "EPSG:4529")
        #expect(landuse.assumedCRSLine == 6)
        #expect(rules.layer(named: "urban")?.encoding == nil)
    }

    @Test func aCodePageNumberIsSpeltAsGDALTakesIt() throws {
        let rules = try RuleSetLoader.load(yaml: validYAML(replacingLine: 4, with: "    path: landuse.shp\n    encoding: 936"), path: "rules.yaml")
        #expect(rules.layer(named: "landuse")?.encoding == "CP936")
    }

    @Test func anUnknownEncodingIsAnErrorAtItsLine() throws {
        let found = diagnostics(validYAML(replacingLine: 4, with: "    path: landuse.shp\n    encoding: GBKK"))
        #expect(found.count == 1)
        let error = try #require(found.first)
        #expect(error.location == Place(line: 5, column: 15))
        #expect(error.description.hasPrefix("rules.yaml:5:15: error: unknown encoding 'GBKK' for layer 'landuse': iconv does not know it"), "\(error)")
    }

    @Test func bothMustBeText() throws {
        let found = diagnostics(validYAML(replacingLine: 4, with: "    path: landuse.shp\n    assume_crs: [EPSG:4529]"))
        #expect(found.map(\.message) == ["'assume_crs' of layer 'landuse' must be text, found a list"])
    }
}
