import Testing
@testable import PlanRules

/// `project_types` and `assessments`: what loads, and the line-numbered diagnostics of what is wrong.
@Suite struct AssessmentSectionTests {
    /// `validYAML` with a `project_types` and an `assessments` section appended (items from line 28).
    func yaml(_ assessments: String, projectTypes: String = "project_types: {industrial: 一般工业, chemical: 化工}") -> String {
        validYAML + "\n" + projectTypes + "\nassessments:\n" + assessments
    }

    func load(_ text: String) throws -> RuleSet {
        try RuleSetLoader.load(yaml: text, path: "rules.yaml")
    }

    func errors(_ text: String) -> [String] {
        do throws(RuleSetError) {
            _ = try RuleSetLoader.load(yaml: text, path: "rules.yaml")
            return []
        } catch {
            if case .invalid(_, let diagnostics) = error { return diagnostics.map(\.description) }
            return ["\(error)"]
        }
    }

    @Test func itemLoadsWithConstraintsWorstFirst() throws {
        let rules = try load(yaml("""
              - id: geohazard
                title: 地质灾害危险性评估
                validity_years: 3
                default_outcome: reuse
                constraints:
                  farmland: conditional
                  landuse.construction: prohibited
                  urban.construction: conditional
                conditions: {conditional: 签署告知承诺书}
                excluded_project_types: [chemical]
                min_area_m2: 5
            """))
        let item = try #require(rules.assessments.first)
        #expect(item.id == "geohazard")
        #expect(item.line == 28)
        #expect(item.constraints.map(\.selector.description) == ["farmland", "landuse.construction", "urban.construction"])
        #expect(item.constraintsWorstFirst.map(\.selector.description) == ["landuse.construction", "farmland", "urban.construction"])
        #expect(item.constraintLayers == ["farmland", "landuse", "urban"])
        #expect(item.excludedProjectTypes == ["chemical"])
        #expect(rules.effectiveMinArea(for: item) == 5)
        #expect(rules.projectTypes.map(\.id) == ["industrial", "chemical"])
        // Layers read only by assessments are used: no "unused layer" warning.
        #expect(rules.warnings.isEmpty)
    }

    @Test func everyMistakeIsReportedWithItsLine() {
        let found = errors(yaml("""
              - id: eia
                validity_years: 0
                default_outcome: reuse
                constraints:
                  farmlnd: prohibited
                  urban.construction: forbidden
                conditions: {conditionl: x}
                excluded_project_types: [chemcial]
                colour: red
              - id: eia
                default_outcome: resue
            """))
        #expect(found == [
            "rules.yaml:29:21: error: 'validity_years' of assessment 'eia' must be a whole number of years above 0, found the number 0",
            "rules.yaml:32:7: error: 'constraint' of assessment 'eia' names unknown layer 'farmlnd' (did you mean 'farmland'? known layers: 'landuse', 'urban', 'farmland')",
            "rules.yaml:33:27: error: unknown outcome 'forbidden' for the outcome of constraint 'urban.construction' in assessment 'eia' (allowed: reuse, conditional, individual, prohibited)",
            "rules.yaml:34:18: error: unknown outcome 'conditionl' for a key of 'conditions' in assessment 'eia' (did you mean 'conditional'? allowed: reuse, conditional, individual, prohibited)",
            "rules.yaml:35:30: error: excluded project type 'chemcial' of assessment 'eia' is not in project_types (did you mean 'chemical'? known: 'industrial', 'chemical')",
            "rules.yaml:36:5: error: unknown key 'colour' in assessment 'eia' (known keys: 'id', 'title', 'validity_years', 'default_outcome', 'constraints', 'conditions', 'excluded_project_types', 'min_area_m2')",
            "rules.yaml:37:5: error: assessment 'eia' is missing 'validity_years' (the validity period 时效期 in whole years, e.g. 3)",
            "rules.yaml:37:9: error: duplicate assessment id 'eia' (first at line 28)",
            "rules.yaml:38:22: error: unknown outcome 'resue' for 'default_outcome' of assessment 'eia' (did you mean 'reuse'? allowed: reuse, conditional, individual, prohibited)",
        ])
    }

    @Test func theSiteIsNotAConstraint() {
        let text = validYAML.replacingOccurrences(of: "rules:\n", with: "  site:\nrules:\n")
            + "\nassessments:\n  - {id: x, validity_years: 1, default_outcome: reuse, constraints: {site: individual}}\n"
        #expect(errors(text).contains { $0.contains("reads the layer 'site', which is the applicant's site, not a constraint") })
    }

    @Test func withoutProjectTypesAnyExcludedTypeIsAccepted() throws {
        let rules = try load(validYAML + "\nassessments:\n  - {id: eia, validity_years: 5, default_outcome: reuse, excluded_project_types: [chemical]}\n")
        #expect(rules.assessments.first?.excludedProjectTypes == ["chemical"])
        #expect(rules.projectTypes.isEmpty)
    }

    @Test func outcomesAreOrdered() {
        #expect(AssessmentOutcome.allCases.sorted() == [.reuse, .conditional, .individual, .prohibited])
        #expect(AssessmentOutcome(rank: 2) == .individual)
        #expect(AssessmentOutcome.conditional.allowsReuse && !AssessmentOutcome.individual.allowsReuse)
    }
}
