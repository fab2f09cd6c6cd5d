import PlanModel
import Testing
@testable import PlanRules

@Suite struct ClassificationTests {
    /// The sample district's land-use layer definition, from the repository's rule set.
    func landuse() throws -> LayerDefinition {
        let rules = try RuleSetLoader.load(path: packageRoot + "/SampleLayers/rules.yaml")
        return try #require(rules.layer(named: "landuse"))
    }

    func feature(_ id: Int64, _ attributes: [Attribute]) -> Feature {
        Feature(id: .int(id), geometry: nil, attributes: attributes)
    }

    @Test func stringIntegerAndMissingCodes() throws {
        let classifier = LayerClassifier(definition: try landuse())
        #expect(classifier.classes(of: feature(1, [Attribute("DLBM", .string("203"))])) == ["construction"])
        #expect(classifier.classes(of: feature(2, [Attribute("DLBM", .integer(201))])) == ["construction"])
        #expect(classifier.classes(of: feature(3, [Attribute("DLBM", .string("0111"))])) == ["farmland"])
        // An integer loses its leading zero: 111 is not the farmland code 0111.
        #expect(classifier.classes(of: feature(4, [Attribute("DLBM", .integer(111))])) == ["water"])
        #expect(classifier.classes(of: feature(5, [Attribute("DLBM", .double(202.0))])) == ["construction"])
        #expect(classifier.classes(of: feature(6, [Attribute("DLBM", .null)])) == [])
        #expect(classifier.classes(of: feature(7, [Attribute("OTHER", .string("201"))])) == [])
        #expect(classifier.classes(of: feature(8, [Attribute("DLBM", .string("120"))])) == [])
        #expect(classifier.code(of: feature(2, [Attribute("DLBM", .integer(201))])) == "201")
    }

    @Test func layerWithoutClassFieldPutsEverythingInAll() throws {
        let definition = LayerDefinition(name: "farmland")
        let classifier = LayerClassifier(definition: definition)
        let features = [feature(10, []), feature(11, [Attribute("DLBM", .string("x"))])]
        #expect(classifier.classes(of: features[0]) == ["all"])
        let report = classifier.classify(features)
        #expect(report.classes.map(\.name) == ["all"])
        #expect(report.featureIDs(inClass: "all") == [.int(10), .int(11)])
        #expect(report.unclassified.isEmpty && report.unmatchedPatterns.isEmpty)
        #expect(report.diagnostics(path: "rules.yaml").isEmpty)
    }

    @Test func featureInSeveralClasses() throws {
        let definition = LayerDefinition(
            name: "urban", classField: "YDDM",
            classes: [
                ClassDefinition(name: "construction", patterns: [try CodePattern("R*"), try CodePattern("G*")]),
                ClassDefinition(name: "green", patterns: [try CodePattern("G1")]),
                ClassDefinition(name: "residential", patterns: [try CodePattern("R2")]),
            ])
        let classifier = LayerClassifier(definition: definition)
        #expect(classifier.classes(of: feature(1, [Attribute("YDDM", .string("G1"))])) == ["construction", "green"])
        #expect(classifier.classes(of: feature(2, [Attribute("YDDM", .string("R21"))])) == ["construction"])
        #expect(classifier.classes(of: feature(3, [Attribute("YDDM", .string("R2"))])) == ["construction", "residential"])
    }

    @Test func reportListsMembersUnclassifiedAndUnmatched() throws {
        let definition = try landuse()
        let features = [
            feature(4, [Attribute("DLBM", .string("999"))]),
            feature(1, [Attribute("DLBM", .integer(201))]),
            feature(17, [Attribute("DLBM", .string("123*"))]),
            feature(2, [Attribute("DLBM", .string("0112"))]),
            feature(33, [Attribute("DLBM", .null)]),
            feature(3, [Attribute("DLBM", .string("202"))]),
            Feature(id: .string("x9"), geometry: nil, attributes: [Attribute("DLBM", .string("999"))]),
        ]
        let report = LayerClassifier(definition: definition).classify(features)
        #expect(report.featureCount == 7)
        #expect(report.classes.map(\.name) == ["construction", "farmland", "forest", "water"])
        #expect(report.featureIDs(inClass: "construction") == [.int(1), .int(3)])
        #expect(report.featureIDs(inClass: "farmland") == [.int(2)])
        #expect(report.featureIDs(inClass: "forest").isEmpty)
        #expect(report.unclassified == [
            .init(featureID: .int(4), code: "999"),
            .init(featureID: .int(17), code: "123*"),
            .init(featureID: .int(33), code: nil),
            .init(featureID: .string("x9"), code: "999"),
        ])
        #expect(report.unmatchedPatterns.map(\.className) == ["forest", "water"])
        #expect(report.unmatchedPatterns.map(\.pattern.description) == ["03*", "11*"])
        #expect(!report.fieldMissingEverywhere)

        let diagnostics = report.diagnostics(path: "rules.yaml")
        #expect(diagnostics.map(\.description) == [
            "rules.yaml:23:16: warning: code pattern '03*' of class 'forest' in layer 'landuse' matches no feature",
            "rules.yaml:24:15: warning: code pattern '11*' of class 'water' in layer 'landuse' matches no feature",
            "rules.yaml:19:18: warning: layer 'landuse': 4 features match no class (codes 999, 123*, (none); first ids 4, 17, 33)",
        ])
    }

    @Test func manyUnclassifiedCodesAreShortened() throws {
        let definition = try landuse()
        let features = (1...8).map { feature(Int64($0), [Attribute("DLBM", .string("9\($0)"))]) }
        let report = LayerClassifier(definition: definition).classify(features)
        let message = try #require(report.diagnostics(path: nil).last?.message)
        #expect(message == "layer 'landuse': 8 features match no class (codes 91, 92, 93, 94, 95, ...; first ids 1, 2, 3)")
    }

    @Test func fieldMissingFromEveryFeatureIsAnError() throws {
        let definition = try landuse()
        let features = [
            feature(1, [Attribute("dlbm", .string("201")), Attribute("MJ", .double(12.5))]),
            feature(2, [Attribute("dlbm", .string("011"))]),
        ]
        let report = LayerClassifier(definition: definition).classify(features)
        #expect(report.fieldMissingEverywhere)
        #expect(report.unclassified.count == 2)
        let diagnostics = report.diagnostics(path: "rules.yaml")
        #expect(diagnostics.map(\.description) == [
            "rules.yaml:19:18: error: layer 'landuse': class_field 'DLBM' is missing from all 2 features (fields: dlbm, MJ)",
        ])
        #expect(diagnostics.first?.level == .error)

        // Null everywhere is not "missing": the field exists, the codes are just empty.
        let nulls = LayerClassifier(definition: definition).classify([feature(1, [Attribute("DLBM", .null)])])
        #expect(!nulls.fieldMissingEverywhere)
        #expect(nulls.diagnostics(path: nil).allSatisfy { $0.level == .warning })
        // No features, nothing to say about the field.
        #expect(!LayerClassifier(definition: definition).classify([]).fieldMissingEverywhere)
    }
}
