import PlanModel

/// Puts a layer's features into the canonical classes of its rule-set definition, by the raw code
/// in the layer's `class_field` (compared as text: an integer 201 is the code "201").
///
/// Pure Swift on `PlanModel.Feature`: it reads attributes only, never geometry.
public struct LayerClassifier: Sendable {
    public let definition: LayerDefinition

    public init(definition: LayerDefinition) {
        self.definition = definition
    }

    /// The raw code of `feature`: the text of its `class_field` value, or nil when the layer has no
    /// class field, or the feature lacks the attribute or has null (or a list, object, blob) there.
    public func code(of feature: Feature) -> String? {
        guard let field = definition.classField else { return nil }
        return feature[attribute: field]?.textValue
    }

    /// The names of the classes `feature` is in, in the rule set's order: `["all"]` for a layer
    /// without `class_field`; otherwise every class with a pattern matching its code (possibly none,
    /// possibly several).
    public func classes(of feature: Feature) -> [String] {
        guard definition.classField != nil else { return [LayerDefinition.allClassName] }
        guard let code = code(of: feature) else { return [] }
        return definition.classes.filter { $0.matches(code) }.map(\.name)
    }

    /// Classifies every feature and notes what did not fit: features in no class and patterns that
    /// matched no feature.
    public func classify(_ features: [Feature]) -> ClassificationReport {
        var report = ClassificationReport(
            layer: definition, featureCount: features.count,
            classes: definition.classNames.map { ClassificationReport.ClassMembers(name: $0, featureIDs: []) })
        guard let field = definition.classField else {
            report.classes[0].featureIDs = features.map(\.id)
            return report
        }
        // Codes repeat a lot in a plan layer: match each distinct code once.
        var matchesByCode: [String: [(classIndex: Int, patternIndex: Int)]] = [:]
        var patternUsed = definition.classes.map { [Bool](repeating: false, count: $0.patterns.count) }
        var anyFeatureHasField = false
        for feature in features {
            let value = feature[attribute: field]
            if value != nil { anyFeatureHasField = true }
            guard let code = value?.textValue else {
                report.unclassified.append(.init(featureID: feature.id, code: nil))
                continue
            }
            let matches: [(classIndex: Int, patternIndex: Int)]
            if let known = matchesByCode[code] {
                matches = known
            } else {
                var found: [(classIndex: Int, patternIndex: Int)] = []
                for (c, cls) in definition.classes.enumerated() {
                    for (p, pattern) in cls.patterns.enumerated() where pattern.matches(code) {
                        found.append((c, p))
                    }
                }
                matchesByCode[code] = found
                matches = found
            }
            if matches.isEmpty {
                report.unclassified.append(.init(featureID: feature.id, code: code))
                continue
            }
            var lastClass = -1
            for match in matches {
                patternUsed[match.classIndex][match.patternIndex] = true
                if match.classIndex != lastClass {
                    report.classes[match.classIndex].featureIDs.append(feature.id)
                    lastClass = match.classIndex
                }
            }
        }
        report.fieldMissingEverywhere = !features.isEmpty && !anyFeatureHasField
        for (c, cls) in definition.classes.enumerated() {
            for (p, pattern) in cls.patterns.enumerated() where !patternUsed[c][p] {
                report.unmatchedPatterns.append(.init(className: cls.name, pattern: pattern))
            }
        }
        if report.fieldMissingEverywhere {
            var seen: [String] = []
            for feature in features.prefix(100) {
                for attribute in feature.attributes where !seen.contains(attribute.name) { seen.append(attribute.name) }
            }
            report.fieldsSeen = seen
        }
        return report
    }
}

/// How a layer's features fell into its classes.
public struct ClassificationReport: Sendable {
    /// The features of one class, in input order.
    public struct ClassMembers: Sendable, Hashable {
        public var name: String
        public var featureIDs: [FeatureID]
    }

    /// A feature whose code matches no class.
    public struct UnclassifiedFeature: Sendable, Hashable {
        public var featureID: FeatureID
        /// The raw code as text; nil when the feature lacks the field or it is null.
        public var code: String?
    }

    /// A code pattern that matched no feature of the layer (often a typo or another city's coding).
    public struct UnmatchedPattern: Sendable, Hashable {
        public var className: String
        /// The pattern, with its line and column in the rules file.
        public var pattern: CodePattern
    }

    /// The layer definition the features were classified by.
    public var layer: LayerDefinition
    /// How many features were classified.
    public var featureCount: Int
    /// Every class of the layer, in the rule set's order (`all` alone without `class_field`).
    public var classes: [ClassMembers]
    /// Features in no class, in input order.
    public var unclassified: [UnclassifiedFeature] = []
    /// Patterns that matched no feature, in the rule set's order.
    public var unmatchedPatterns: [UnmatchedPattern] = []
    /// True when there were features and none of them has the `class_field` attribute at all
    /// (the field name is probably wrong).
    public var fieldMissingEverywhere = false
    /// The attribute names the features do have, when `fieldMissingEverywhere` (for the message).
    public var fieldsSeen: [String] = []

    /// The ids of the features in class `name`, in input order (empty for an unknown class).
    public func featureIDs(inClass name: String) -> [FeatureID] {
        classes.first { $0.name == name }?.featureIDs ?? []
    }

    /// The problems as diagnostics pointing into the rules file at `path`: an error when the class
    /// field is missing from every feature (the caller decides whether to stop), otherwise warnings
    /// for each unmatched pattern and one for the unclassified features.
    public func diagnostics(path: String?) -> [RuleSetDiagnostic] {
        let layerName = layer.name
        let layerLocation = SourceLocation(line: layer.line, column: layer.column)
        if fieldMissingEverywhere, let field = layer.classField {
            let seen = fieldsSeen.isEmpty ? "the features have no attributes" : "fields: \(fieldsSeen.prefix(12).joined(separator: ", "))"
            return [RuleSetDiagnostic(
                level: .error, path: path, location: layer.classFieldLocation ?? layerLocation,
                message: "layer '\(layerName)': class_field '\(field)' is missing from all \(featureCount) features (\(seen))")]
        }
        var diagnostics: [RuleSetDiagnostic] = []
        for unmatched in unmatchedPatterns {
            diagnostics.append(RuleSetDiagnostic(
                level: .warning, path: path,
                location: SourceLocation(line: unmatched.pattern.line, column: unmatched.pattern.column),
                message: "code pattern '\(unmatched.pattern)' of class '\(unmatched.className)' in layer '\(layerName)' matches no feature"))
        }
        if !unclassified.isEmpty {
            var codes: [String] = []
            for feature in unclassified {
                let code = feature.code ?? "(none)"
                if !codes.contains(code) { codes.append(code) }
                if codes.count > 5 { break }
            }
            let codeList = codes.prefix(5).joined(separator: ", ") + (codes.count > 5 ? ", ..." : "")
            let ids = unclassified.prefix(3).map(\.featureID.description).joined(separator: ", ")
            let count = unclassified.count
            let what = count == 1 ? "1 feature matches" : "\(count) features match"
            diagnostics.append(RuleSetDiagnostic(
                level: .warning, path: path, location: layer.classFieldLocation ?? layerLocation,
                message: "layer '\(layerName)': \(what) no class (codes \(codeList); first ids \(ids))"))
        }
        return diagnostics
    }
}
