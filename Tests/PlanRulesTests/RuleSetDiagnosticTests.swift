import Testing
@testable import PlanRules

/// Every error the loader reports, each at its exact line and column (see the line numbers of
/// `validYAML` in Support.swift).
@Suite struct RuleSetDiagnosticTests {
    @Test func validBaseLoadsWithoutWarnings() throws {
        let rules = try RuleSetLoader.load(yaml: validYAML, path: "rules.yaml")
        #expect(rules.rules.count == 2)
        #expect(rules.warnings.isEmpty)
    }

    @Test func misspeltRuleKeySuggestsTheNearestAndPrintsLikeACompiler() throws {
        let found = diagnostics(validYAML(replacingLine: 17, with: "    sevrity: major"))
        let unknown = try #require(diagnostic(containing: "sevrity", in: found))
        #expect(unknown.location == Place(line: 17, column: 5))
        #expect(unknown.level == .error)
        #expect(unknown.description == "rules.yaml:17:5: error: unknown key 'sevrity' in rule 'A' (did you mean 'severity'?)")
        let missing = try #require(diagnostic(containing: "missing 'severity'", in: found))
        #expect(missing.location == Place(line: 16, column: 5))
        #expect(missing.message == "rule 'A' is missing 'severity' (one of critical, major, minor)")
        #expect(found.count == 2)
    }

    @Test func unknownTopLevelKey() throws {
        let near = diagnostics(validYAML(replacingLine: 1, with: "version: 1\nrule: []"))
        #expect(near.map(\.description) == ["rules.yaml:2:1: error: unknown key 'rule' at the top level (did you mean 'rules'?)"])

        let far = diagnostics(validYAML(replacingLine: 1, with: "version: 1\ncolour: red"))
        let d = try #require(far.first)
        #expect(d.location == Place(line: 2, column: 1))
        #expect(d.message == "unknown key 'colour' at the top level (known keys: 'version', 'min_area_m2', 'grid_size_m', 'project_types', 'layers', 'rules', 'assessments', 'dispositions')")
    }

    @Test func unknownLayerKey() throws {
        let found = diagnostics(validYAML(replacingLine: 4, with: "    pth: landuse.geojson"))
        #expect(found.count == 1)
        #expect(found.first?.location == Place(line: 4, column: 5))
        #expect(found.first?.message == "unknown key 'pth' in layer 'landuse' (did you mean 'path'?)")
    }

    @Test func versionMustBeTheNumberOne() throws {
        let two = diagnostics(validYAML(replacingLine: 1, with: "version: 2"))
        #expect(two.map(\.location) == [Place(line: 1, column: 10)])
        #expect(two.first?.message == "unsupported version 2; plan-check reads rule sets of version 1")

        let quoted = diagnostics(validYAML(replacingLine: 1, with: "version: \"1\""))
        #expect(quoted.map(\.location) == [Place(line: 1, column: 10)])
        #expect(quoted.first?.message == "version must be the number 1, found the text '1'")
    }

    @Test func wrongValueTypes() throws {
        let area = diagnostics(validYAML(replacingLine: 1, with: "version: 1\nmin_area_m2: big"))
        #expect(area.map(\.location) == [Place(line: 2, column: 14)])
        #expect(area.first?.message == "min_area_m2 must be a number, found the text 'big'")

        let title = diagnostics(validYAML(replacingLine: 4, with: "    title: [a, b]"))
        #expect(title.map(\.location) == [Place(line: 4, column: 12)])
        #expect(title.first?.message == "'title' of layer 'landuse' must be text, found a list")

        let codes = diagnostics(validYAML(replacingLine: 7, with: "      construction: 20*"))
        let notList = try #require(diagnostic(containing: "must be a list", in: codes))
        #expect(notList.location == Place(line: 7, column: 21))
        #expect(notList.message == "codes of class 'construction' in layer 'landuse' must be a list such as [\"20*\"], found the text '20*'")

        let ruleArea = diagnostics(validYAML(replacingLine: 20, with: "    b: landuse.construction\n    min_area_m2: [200]"))
        #expect(ruleArea.map(\.location) == [Place(line: 21, column: 18)])
        #expect(ruleArea.first?.message == "min_area_m2 of rule 'A' must be a number, found a list")

        let rulesMapping = diagnostics("version: 1\nlayers:\n  l:\nrules:\n  a: 1\n")
        #expect(rulesMapping.map(\.location) == [Place(line: 5, column: 3)])
        #expect(rulesMapping.first?.message == "'rules' must be a list of rules, found a mapping")
    }

    @Test func missingTopLevelKeys() {
        let found = diagnostics("min_area_m2: 5\n")
        #expect(found.map(\.message) == [
            "missing key 'version' at the top level (write 'version: 1')",
            "missing key 'layers' at the top level",
            "missing key 'rules' at the top level",
        ])
        #expect(found.allSatisfy { $0.location == Place(line: 1, column: 1) })
    }

    @Test func emptyFileAndNonMappingRoot() {
        #expect(diagnostics("# nothing yet\n").map(\.description) == [
            "rules.yaml:1:1: error: the rules file is empty; it needs 'version: 1', 'layers' and 'rules'",
        ])
        #expect(diagnostics("- a\n- b\n").first?.message.contains("found a list") == true)
    }

    @Test func missingRuleKeys() throws {
        let yaml = validYAML(replacingLine: 23, with: "    title: 农田").replacingOccurrences(of: "    b: farmland", with: "")
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == [
            "rule 'C' is missing 'relation' (one of intersects, outside)",
            "rule 'C' is missing 'b' (a layer, or layer.class)",
        ])
        #expect(found.allSatisfy { $0.location == Place(line: 21, column: 5) })

        let noID = diagnostics(validYAML(replacingLine: 21, with: "  - title: no id"))
        #expect(noID.map(\.message) == ["rule 2 is missing 'id'"])
        #expect(noID.first?.location == Place(line: 21, column: 5))
    }

    @Test func unknownSeverityAndRelationListTheAllowed() {
        let severity = diagnostics(validYAML(replacingLine: 17, with: "    severity: high"))
        #expect(severity.map(\.description) == [
            "rules.yaml:17:15: error: unknown severity 'high' in rule 'A' (allowed: critical, major, minor)",
        ])
        let typo = diagnostics(validYAML(replacingLine: 22, with: "    severity: critcal"))
        #expect(typo.first?.message == "unknown severity 'critcal' in rule 'C' (did you mean 'critical'? allowed: critical, major, minor)")
        #expect(typo.first?.location == Place(line: 22, column: 15))

        let relation = diagnostics(validYAML(replacingLine: 18, with: "    relation: within"))
        #expect(relation.map(\.description) == [
            "rules.yaml:18:15: error: unknown relation 'within' in rule 'A' (allowed: intersects, outside)",
        ])
    }

    @Test func duplicateRuleIDs() {
        let found = diagnostics(validYAML(replacingLine: 21, with: "  - id: A"))
        #expect(found.map(\.description) == ["rules.yaml:21:9: error: duplicate rule id 'A' (first at line 16)"])
    }

    @Test func selectorsNameKnownLayersAndClasses() {
        let layer = diagnostics(validYAML(replacingLine: 19, with: "    a: urbn.construction"))
        #expect(layer.map(\.description) == [
            "rules.yaml:19:8: error: 'a' of rule 'A' names unknown layer 'urbn' (did you mean 'urban'? known layers: 'landuse', 'urban', 'farmland')",
        ])
        let wholeLayer = diagnostics(validYAML(replacingLine: 25, with: "    b: ecology"))
        #expect(wholeLayer.first?.message == "'b' of rule 'C' names unknown layer 'ecology' (known layers: 'landuse', 'urban', 'farmland')")
        #expect(wholeLayer.first?.location == Place(line: 25, column: 8))

        let cls = diagnostics(validYAML(replacingLine: 20, with: "    b: landuse.constrution"))
        #expect(cls.map(\.description) == [
            "rules.yaml:20:8: error: 'b' of rule 'A': layer 'landuse' has no class 'constrution' (did you mean 'construction'? known classes: 'construction', 'farmland')",
        ])
    }

    @Test func classSelectorOnLayerWithoutClassField() throws {
        let found = diagnostics(validYAML(replacingLine: 25, with: "    b: farmland.basic"))
        #expect(found.map(\.description) == [
            "rules.yaml:25:8: error: 'b' of rule 'C': layer 'farmland' has no class_field, so its only class is 'all'; write 'farmland' to select all its features",
        ])
        let all = try RuleSetLoader.load(yaml: validYAML(replacingLine: 25, with: "    b: farmland.all"), path: "rules.yaml")
        #expect(all.rules[1].b == LayerSelector(layer: "farmland", className: "all"))
    }

    @Test func negativeThresholds() {
        let rule = diagnostics(validYAML(replacingLine: 20, with: "    b: landuse.construction\n    min_area_m2: -5"))
        #expect(rule.map(\.description) == ["rules.yaml:21:18: error: min_area_m2 of rule 'A' must not be negative, found -5"])
        let top = diagnostics(validYAML(replacingLine: 1, with: "version: 1\ngrid_size_m: -0.5"))
        #expect(top.map(\.description) == ["rules.yaml:2:14: error: grid_size_m must not be negative, found -0.5"])
    }

    @Test func emptyCodeList() {
        let found = diagnostics(validYAML(replacingLine: 8, with: "      farmland: []"))
        #expect(found.map(\.description) == ["rules.yaml:8:17: error: class 'farmland' in layer 'landuse' has an empty list of codes"])
    }

    @Test func wildcardOnlyAtTheEnd() {
        let found = diagnostics(validYAML(replacingLine: 7, with: "      construction: [\"2*1\", \"*0\", \"*\", \"\"]"))
        #expect(found.map(\.location) == [Place(line: 7, column: 22), Place(line: 7, column: 29), Place(line: 7, column: 40)])
        #expect(found.map(\.message) == [
            "code pattern '2*1' of class 'construction' in layer 'landuse': '*' may only end a pattern (a prefix such as '20*')",
            "code pattern '*0' of class 'construction' in layer 'landuse': '*' may only end a pattern (a prefix such as '20*')",
            "empty code in class 'construction' of layer 'landuse'",
        ])
    }

    @Test func duplicateLayerNamesAreReportedWithTheOtherErrors() throws {
        let yaml = validYAML(replacingLine: 13, with: "  urban:\n    class_field: X\n  farmland:")
            .replacingOccurrences(of: "severity: major", with: "severity: hgih")
        let found = diagnostics(yaml)
        #expect(found.map(\.description) == [
            "rules.yaml:13:3: error: duplicate layer name 'urban' (first defined at line 9)",
            "rules.yaml:19:15: error: unknown severity 'hgih' in rule 'A' (allowed: critical, major, minor)",
        ])
    }

    @Test func duplicateKeysInARuleAndAClassList() {
        let rule = diagnostics(validYAML(replacingLine: 18, with: "    relation: outside\n    relation: intersects"))
        #expect(rule.map(\.description) == ["rules.yaml:19:5: error: duplicate key 'relation' in rule 'A' (first at line 18)"])
        let cls = diagnostics(validYAML(replacingLine: 8, with: "      farmland: [\"011*\"]\n      \"construction\": [\"21*\"]"))
        #expect(cls.map(\.description) == ["rules.yaml:9:7: error: duplicate class 'construction' in layer 'landuse' (first at line 7)"])
    }

    @Test func classNamesAndClassesWithoutField() {
        let dotted = diagnostics(validYAML(replacingLine: 8, with: "      farm.land: [\"011*\"]"))
        #expect(dotted.first?.location == Place(line: 8, column: 7))
        #expect(dotted.first?.message == "class name 'farm.land' in layer 'landuse' must not contain a dot (rules write layer.class)")

        let reserved = diagnostics(validYAML(replacingLine: 8, with: "      all: [\"011*\"]"))
        #expect(reserved.first?.message.hasPrefix("class name 'all' in layer 'landuse' is reserved") == true)

        let noField = diagnostics(validYAML(replacingLine: 10, with: "    title: 城市总体规划"))
        #expect(noField.first?.description == "rules.yaml:11:5: error: layer 'urban' has classes but no class_field naming the attribute that holds the codes")
    }

    @Test func severalErrorsReportedTogetherInFileOrder() {
        var yaml = validYAML(replacingLine: 19, with: "    a: urbn.construction")
        yaml = yaml.replacingOccurrences(of: "    severity: major", with: "    sevrity: major")
        yaml = yaml.replacingOccurrences(of: "[\"20*\"]", with: "[\"2*0\"]")
        let error: RuleSetError
        do {
            _ = try RuleSetLoader.load(yaml: yaml, path: "x/rules.yaml")
            Issue.record("expected an error")
            return
        } catch let thrown {
            error = thrown
        }
        #expect(error.path == "x/rules.yaml")
        #expect(error.diagnostics.map(\.location) == [
            Place(line: 7, column: 22), Place(line: 16, column: 5), Place(line: 17, column: 5), Place(line: 19, column: 8),
        ])
        let lines = error.description.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.hasPrefix("x/rules.yaml:") && $0.contains(": error: ") })
    }

    @Test func yamlSyntaxErrorGivesLibyamlsPlace() throws {
        let found = diagnostics(validYAML(replacingLine: 17, with: "    severity: major: x"))
        let d = try #require(found.first)
        #expect(found.count == 1)
        #expect(d.location?.line == 17)
        #expect(d.location?.column == 20)
        #expect(d.message.hasPrefix("YAML syntax error: mapping values are not allowed"))

        let unclosed = diagnostics(validYAML(replacingLine: 12, with: "      construction: [\"R*\", \"M*\""))
        #expect(unclosed.first?.message.hasPrefix("YAML syntax error:") == true)
        #expect((unclosed.first?.location?.line ?? 0) >= 12)
    }
}
