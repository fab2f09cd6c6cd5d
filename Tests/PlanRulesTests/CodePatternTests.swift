import Testing
@testable import PlanRules

@Suite struct CodePatternTests {
    @Test func prefixMatchesItselfAndLongerCodesOnly() throws {
        let pattern = try CodePattern("20*")
        #expect(pattern.kind == .prefix("20"))
        #expect(pattern.description == "20*")
        #expect(pattern.matches("201"))
        #expect(pattern.matches("20"))
        #expect(pattern.matches("2031"))
        #expect(!pattern.matches("120"))
        #expect(!pattern.matches("2"))
        #expect(!pattern.matches(""))
    }

    @Test func exactMatchesOnlyItself() throws {
        let pattern = try CodePattern("R2")
        #expect(pattern.kind == .exact("R2"))
        #expect(pattern.matches("R2"))
        #expect(!pattern.matches("R21"))
        #expect(!pattern.matches("r2"))
        #expect(!pattern.matches("R"))
        // Leading zeros are part of the code: 0101 is not 101.
        #expect(try CodePattern("0101").matches("0101"))
        #expect(try !CodePattern("0101").matches("101"))
    }

    @Test func loneStarMatchesEverything() throws {
        let all = try CodePattern("*")
        #expect(all.kind == .prefix(""))
        #expect(all.matches("") && all.matches("E9"))
    }

    @Test(arguments: [("2*1", 1), ("*0", 0), ("**", 0), ("用*地*", 1)])
    func starOnlyAtTheEnd(text: String, offset: Int) {
        #expect(throws: CodePattern.ParseError.misplacedWildcard(offset: offset)) { try CodePattern(text) }
    }

    @Test func emptyPatternIsRejected() {
        #expect(throws: CodePattern.ParseError.empty) { try CodePattern("") }
    }

    @Test func coverage() throws {
        let p20 = try CodePattern("20*"), p201 = try CodePattern("201"), p2011 = try CodePattern("2011*")
        #expect(p201.isCovered(by: p20))
        #expect(p2011.isCovered(by: p20))
        #expect(!p20.isCovered(by: p2011))
        #expect(!p20.isCovered(by: p201))
        #expect(p201.isCovered(by: p201))
    }

    @Test func severityOrderAndSelectors() {
        #expect(Severity.minor < .major && Severity.major < .critical)
        #expect(Severity.allCases.max() == .critical)
        #expect(Severity(rawValue: "major") == .major)
        #expect(Relation.allCases.map(\.rawValue) == ["intersects", "outside"])

        #expect(LayerSelector(parsing: "urban.construction") == LayerSelector(layer: "urban", className: "construction"))
        #expect(LayerSelector(parsing: "urban") == LayerSelector(layer: "urban"))
        // Layer names may contain dots, class names may not: split at the last dot...
        #expect(LayerSelector(parsing: "plan.2020.construction") == LayerSelector(layer: "plan.2020", className: "construction"))
        // ...unless the whole text is a layer's name.
        #expect(LayerSelector(parsing: "plan.2020", layerNames: ["plan.2020"]) == LayerSelector(layer: "plan.2020"))
        #expect(LayerSelector(layer: "urban", className: "construction").description == "urban.construction")
    }
}
