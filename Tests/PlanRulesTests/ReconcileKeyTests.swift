import PlanRules
import Testing

/// `id_field:` per layer and the `dispositions:` section.
@Suite struct ReconcileKeyTests {
    static let head = "version: 1\nlayers:\n  landuse:\n    path: l.geojson\n    id_field: BSM\n    class_field: DLBM\n    classes: {construction: [\"20*\"]}\nrules:\n  - {id: A, severity: major, relation: outside, a: landuse.construction, b: landuse}\n"

    @Test func idFieldAndDefaultVocabulary() throws {
        let rules = try RuleSetLoader.load(yaml: Self.head, path: "rules.yaml")
        #expect(rules.layers[0].idField == "BSM" && rules.layers[0].idFieldLine == 5)
        #expect(rules.dispositions.values == ["调整城规", "调整土规", "保留", "规划修改", "核实无误"])
        #expect(rules.dispositions.areaToleranceM2 == 1)
    }

    @Test func aVocabularyOfItsOwn() throws {
        let rules = try RuleSetLoader.load(yaml: Self.head + "dispositions:\n  values: [调整城规, 保留]\n  area_tolerance_m2: 0.5\n", path: "rules.yaml")
        #expect(rules.dispositions == DispositionSettings(values: ["调整城规", "保留"], areaToleranceM2: 0.5))
    }

    @Test func badDispositionsAreErrorsWithTheirLines() throws {
        let yaml = Self.head + "dispositions:\n  values: [保留, 保留, \"\"]\n  area_tolerance_m2: -1\n  colours: red\n"
        let error = try #require(throws: RuleSetError.self) { try RuleSetLoader.load(yaml: yaml, path: "rules.yaml") }
        #expect(error.diagnostics.map(\.description) == [
            "rules.yaml:11:16: error: disposition '保留' is listed twice",
            "rules.yaml:11:20: error: a value of 'dispositions' must not be empty (an empty disposition means the patch is open)",
            "rules.yaml:12:22: error: area_tolerance_m2 of 'dispositions' must not be negative, found -1",
            "rules.yaml:13:3: error: unknown key 'colours' in 'dispositions' (known keys: 'values', 'area_tolerance_m2')",
        ])
        let empty = try #require(throws: RuleSetError.self) {
            try RuleSetLoader.load(yaml: Self.head + "dispositions: {values: []}\n", path: "rules.yaml")
        }
        #expect(empty.diagnostics.first?.message.hasPrefix("'values' of 'dispositions' must be a non-empty list") == true)
    }

    @Test func classMappingWithOldAndNew() throws {
        let error = try #require(throws: RuleSetError.self) { try ClassMappingLoader.load("/nonexistent/classes.yaml") }
        #expect(error.exitStatus.rawValue == 66)
    }
}
