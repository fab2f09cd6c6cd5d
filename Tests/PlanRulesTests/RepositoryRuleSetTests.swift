import Testing
@testable import PlanRules

/// The rule sets shipped in the repository load as written.
@Suite struct RepositoryRuleSetTests {
    @Test func sampleDistrictRuleSet() throws {
        let path = packageRoot + "/SampleLayers/rules.yaml"
        let rules = try RuleSetLoader.load(path: path)
        #expect(rules.version == 1)
        #expect(rules.minAreaM2 == 1)
        #expect(rules.gridSizeM == 0)
        #expect(rules.sourcePath == path)
        #expect(rules.baseDirectory == packageRoot + "/SampleLayers")
        #expect(rules.layers.map(\.name) == ["landuse", "urban", "farmland", "ecology", "boundary", "hazard", "flood", "site"])
        #expect(rules.warnings.isEmpty)

        let landuse = try #require(rules.layer(named: "landuse"))
        #expect(landuse.title == "土地利用总体规划")
        #expect(landuse.path == "landuse.geojson")
        #expect(landuse.resolvedPath == packageRoot + "/SampleLayers/landuse.geojson")
        #expect(landuse.classField == "DLBM")
        #expect(landuse.classes.map(\.name) == ["construction", "farmland", "forest", "water"])
        #expect(landuse.classes.map { $0.patterns.map(\.description) } == [["20*"], ["011*"], ["03*"], ["11*"]])
        #expect(landuse.line == 16)
        #expect(landuse.classes[2].line == 23)
        #expect(landuse.classes[2].patterns[0].line == 23)
        #expect(landuse.classes[2].patterns[0].column == 16)  // the opening quote of "03*"

        let urban = try #require(rules.layer(named: "urban"))
        #expect(urban.classes[0].patterns.map(\.description) == ["R*", "A*", "B*", "M*", "W*", "S*", "U*", "G*"])
        #expect(urban.classes[1].name == "non_construction")

        let farmland = try #require(rules.layer(named: "farmland"))
        #expect(farmland.classField == nil)
        #expect(farmland.classes.isEmpty)
        #expect(farmland.classNames == ["all"])
        #expect(farmland.resolvedPath == packageRoot + "/SampleLayers/farmland.gpkg")

        #expect(rules.rules.map(\.id) == ["A", "B", "C1", "C2", "C3", "S1", "S2", "S3", "S4"])
        #expect(rules.rules(involving: "site").map(\.id) == ["S1", "S2", "S3", "S4"])
        let a = try #require(rules.rule(id: "A"))
        #expect(a.title == "城规建设、土规非建设")
        #expect(a.severity == .major)
        #expect(a.relation == .outside)
        #expect(a.a == LayerSelector(layer: "urban", className: "construction"))
        #expect(a.b == LayerSelector(layer: "landuse", className: "construction"))
        #expect(a.minAreaM2 == 200)
        #expect(a.line == 54)
        #expect(rules.effectiveMinArea(for: a) == 200)
        #expect(rules.effectiveGridSize(for: a) == 0)

        let c1 = try #require(rules.rule(id: "C1"))
        #expect(c1.severity == .critical)
        #expect(c1.relation == .intersects)
        #expect(c1.b == LayerSelector(layer: "farmland"))
        #expect(c1.minAreaM2 == nil)
        #expect(rules.effectiveMinArea(for: c1) == 1)
        #expect(rules.rule(id: "C3")?.severity == .minor)

        // The regional assessments (区域评估) and the project types their exclusion lists use.
        #expect(rules.projectTypes.map(\.id) == ["industrial", "chemical", "hazardous_waste", "residential", "public_service", "logistics"])
        #expect(rules.projectTypes[1].title == "化工")
        #expect(rules.assessments.map(\.id) == ["geohazard", "eia", "flood", "mineral"])
        let geohazard = try #require(rules.assessment(id: "geohazard"))
        #expect(geohazard.title == "地质灾害危险性评估")
        #expect(geohazard.validityYears == 3)
        #expect(geohazard.defaultOutcome == .reuse)
        #expect(geohazard.constraints.map(\.selector) == [LayerSelector(layer: "hazard", className: "high"), LayerSelector(layer: "hazard", className: "medium")])
        #expect(geohazard.constraints.map(\.outcome) == [.individual, .conditional])
        #expect(geohazard.conditions[.conditional] == "落实区域评估提出的地质灾害防治措施，签署告知承诺书")
        let eia = try #require(rules.assessment(id: "eia"))
        #expect(eia.excludedProjectTypes == ["chemical", "hazardous_waste"])
        #expect(eia.constraints.first?.outcome == .prohibited)
        #expect(rules.assessment(id: "mineral")?.constraints.isEmpty == true)
        #expect(rules.effectiveMinArea(for: geohazard) == 1)
    }

    @Test func ny8RuleSet() throws {
        let rules = try RuleSetLoader.load(path: packageRoot + "/Tests/Fixtures/public/ny8.rules.yaml")
        #expect(rules.layers.map(\.name) == ["tracts", "bna"])
        #expect(rules.layers.map(\.resolvedPath) == [
            packageRoot + "/Tests/Fixtures/public/ny8_utm18.geojson",
            packageRoot + "/Tests/Fixtures/public/NY8_bna_utm18.gpkg",
        ])
        #expect(rules.layers.allSatisfy { $0.classField == nil && $0.classes.isEmpty })
        #expect(rules.rules.map(\.id) == ["X", "D"])
        #expect(rules.rules.map(\.relation) == [.intersects, .outside])
        #expect(rules.rules[1].a == LayerSelector(layer: "bna"))
        #expect(rules.rules[1].b == LayerSelector(layer: "tracts"))
        #expect(rules.warnings.isEmpty)
    }

    @Test func northCarolinaRuleSet() throws {
        let rules = try RuleSetLoader.load(path: packageRoot + "/Tests/Fixtures/public/nc.rules.yaml")
        #expect(rules.layers.map(\.name) == ["counties", "sheets"])
        #expect(rules.layers[1].title == "0.25° map sheets")
        #expect(rules.layers[0].resolvedPath == packageRoot + "/Tests/Fixtures/public/nc.gpkg")
        #expect(rules.rules.map(\.id) == ["S", "O"])
        #expect(rules.rules.allSatisfy { $0.severity == .minor })
        #expect(rules.rules.allSatisfy { rules.effectiveMinArea(for: $0) == 1 && rules.effectiveGridSize(for: $0) == 0 })
    }

    @Test func pathsResolveAgainstTheRulesFolder() throws {
        let yaml = validYAML(replacingLine: 14, with: "    path: /data/farmland.gpkg")
        let relative = try RuleSetLoader.load(yaml: yaml, path: "plans/dalian/rules.yaml")
        #expect(relative.baseDirectory == "plans/dalian")
        #expect(relative.layer(named: "landuse")?.resolvedPath == "plans/dalian/landuse.geojson")
        #expect(relative.layer(named: "farmland")?.path == "/data/farmland.gpkg")
        #expect(relative.layer(named: "farmland")?.resolvedPath == "/data/farmland.gpkg")
        #expect(relative.layer(named: "urban")?.path == nil)
        #expect(relative.layer(named: "urban")?.resolvedPath == nil)

        let here = try RuleSetLoader.load(yaml: validYAML, path: "rules.yaml")
        #expect(here.baseDirectory == ".")
        #expect(here.layer(named: "landuse")?.resolvedPath == "landuse.geojson")
    }

    @Test func missingFileIsItsOwnError() {
        let path = packageRoot + "/SampleLayers/no-such-rules.yaml"
        #expect {
            try RuleSetLoader.load(path: path)
        } throws: { error in
            guard let error = error as? RuleSetError, case .fileNotFound(let missing) = error else { return false }
            return missing == path && error.description == "\(path): error: rules file not found"
        }
    }

    @Test func folderIsUnreadable() {
        #expect {
            try RuleSetLoader.load(path: packageRoot + "/SampleLayers")
        } throws: { error in
            guard let error = error as? RuleSetError, case .unreadable = error else { return false }
            return true
        }
    }
}
