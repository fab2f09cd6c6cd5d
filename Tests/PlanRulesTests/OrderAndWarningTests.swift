import Testing
@testable import PlanRules

@Suite struct OrderAndWarningTests {
    @Test func fileOrderIsKept() throws {
        let yaml = """
        version: 1
        min_area_m2: 400
        grid_size_m: 0.01
        layers:
          zeta:
            class_field: CODE
            classes:
              water: ["11*"]
              construction: ["2*"]
              farmland: ["01*", "0101"]
          alpha: ~
          mid.2020:
            layer_name: farmland
        rules:
          - id: Z
            severity: minor
            relation: intersects
            a: zeta.water
            b: alpha
          - id: A
            title: 建设占用
            severity: critical
            relation: outside
            a: mid.2020
            b: zeta.construction
            grid_size_m: 0.001
          - id: M
            severity: major
            relation: intersects
            a: alpha
            b: mid.2020
            min_area_m2: 0
        """
        let rules = try RuleSetLoader.load(yaml: yaml, path: "/srv/plans/rules.yaml")
        #expect(rules.layers.map(\.name) == ["zeta", "alpha", "mid.2020"])
        #expect(rules.layers[0].classes.map(\.name) == ["water", "construction", "farmland"])
        #expect(rules.layers[0].classes[2].patterns.map(\.description) == ["01*", "0101"])
        #expect(rules.layers[1].path == nil && rules.layers[1].classNames == ["all"])
        #expect(rules.layers[2].layerName == "farmland")
        #expect(rules.rules.map(\.id) == ["Z", "A", "M"])
        #expect(rules.rules[1].a == LayerSelector(layer: "mid.2020"))
        #expect(rules.rules[1].title == "建设占用")
        #expect(rules.minAreaM2 == 400 && rules.gridSizeM == 0.01)
        #expect(rules.effectiveGridSize(for: rules.rules[1]) == 0.001)
        #expect(rules.effectiveGridSize(for: rules.rules[0]) == 0.01)
        #expect(rules.effectiveMinArea(for: rules.rules[2]) == 0)
        #expect(rules.effectiveMinArea(for: rules.rules[0]) == 400)
        #expect(rules.baseDirectory == "/srv/plans")
        // 0101 sits inside 01* of the same class: no warning for that.
        #expect(rules.warnings.isEmpty)
    }

    @Test func defaultsWhenThresholdsAreAbsent() throws {
        let yaml = validYAML
        let rules = try RuleSetLoader.load(yaml: yaml, path: "rules.yaml")
        #expect(rules.minAreaM2 == 1)
        #expect(rules.gridSizeM == 0)
    }

    @Test func unusedLayerIsAWarning() throws {
        let rules = try RuleSetLoader.load(
            yaml: validYAML(replacingLine: 14, with: "    path: farmland.gpkg\n  ecology:\n    title: 生态保护红线"),
            path: "rules.yaml")
        #expect(rules.warnings.map(\.description) == ["rules.yaml:15:3: warning: layer 'ecology' is not used by any rule or assessment"])
        #expect(rules.layer(named: "ecology")?.title == "生态保护红线")
    }

    @Test func codeInTwoClassesIsAWarning() throws {
        let same = try RuleSetLoader.load(yaml: validYAML(replacingLine: 8, with: "      farmland: [\"011*\", \"20*\"]"), path: "rules.yaml")
        #expect(same.warnings.map(\.description) == [
            "rules.yaml:8:26: warning: code pattern '20*' is in class 'construction' and class 'farmland' of layer 'landuse'; a feature with such a code is in both",
        ])
        let overlap = try RuleSetLoader.load(yaml: validYAML(replacingLine: 8, with: "      farmland: [\"011*\", \"201\"]"), path: "rules.yaml")
        #expect(overlap.warnings.map(\.location) == [Place(line: 8, column: 26)])
        #expect(overlap.warnings.first?.message == "code pattern '201' of class 'farmland' overlaps '20*' of class 'construction' in layer 'landuse'; a feature may be in both")
        #expect(overlap.warnings.allSatisfy { $0.level == .warning })
    }

    @Test func warningsAreNotThrownWithErrors() {
        let yaml = validYAML(replacingLine: 8, with: "      farmland: [\"011*\", \"20*\"]")
            .replacingOccurrences(of: "relation: outside", with: "relation: outsid")
        let found = diagnostics(yaml)
        #expect(found.map(\.level) == [.error])
        #expect(found.first?.message.contains("did you mean 'outside'?") == true)
    }
}
