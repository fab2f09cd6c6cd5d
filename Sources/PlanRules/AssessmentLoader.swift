import Yams

/// Reading `project_types` and `assessments` (regional pre-assessment items) of a rules file.
extension RuleSetReader {
    // MARK: Project types

    /// `project_types`: a mapping from type ids to titles (`chemical: 化工`), or a list of ids.
    mutating func readProjectTypes(_ node: Node) -> [ProjectType] {
        if Self.isNull(node) { return [] }
        switch node {
        case .sequence(let sequence):
            var types: [ProjectType] = []
            for item in sequence {
                guard let id = text(item, "a project type"), !id.isEmpty else { continue }
                if types.contains(where: { $0.id == id }) {
                    error("project type '\(id)' is listed twice", at: item)
                } else {
                    types.append(ProjectType(id: id))
                }
            }
            return types
        case .mapping(let mapping):
            var types: [ProjectType] = []
            for (key, value) in mapping {
                if let repeated = repeatedKey(key) {
                    error("duplicate project type '\(repeated.name)' (first at line \(repeated.first.line))", at: repeated.location)
                    continue
                }
                guard let id = text(key, "a project type id"), !id.isEmpty else { continue }
                let title = Self.isNull(value) ? nil : text(value, "the title of project type '\(id)'")
                types.append(ProjectType(id: id, title: title))
            }
            return types
        default:
            error("'project_types' must map type ids to titles (chemical: 化工) or list the ids, found \(Self.describe(node))", at: node)
            return []
        }
    }

    // MARK: Assessment items

    mutating func readAssessments(
        _ node: Node, layers: [LayerDefinition], projectTypes: [ProjectType], used: inout Set<String>
    ) -> [AssessmentItem] {
        if Self.isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            error("'assessments' must be a list of assessment items, found \(Self.describe(node))", at: node)
            return []
        }
        let byName = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var items: [AssessmentItem] = []
        var firstLineOfID: [String: Int] = [:]
        for (index, entry) in sequence.enumerated() {
            guard case .mapping(let mapping) = entry else {
                error("assessment \(index + 1) must be a mapping (id, title, validity_years, default_outcome, constraints, conditions, excluded_project_types), found \(Self.describe(entry))", at: entry)
                continue
            }
            var id: String?
            if let idNode = mapping["id"], case .scalar(let scalar) = idNode, !Self.isNull(idNode), !scalar.string.isEmpty {
                id = scalar.string
            }
            let name = id.map { "assessment '\($0)'" } ?? "assessment \(index + 1)"
            let fields = fields(of: mapping, known: RuleSetLoader.assessmentKeys, context: "in \(name)")
            let start = location(entry)

            if let (_, idNode) = fields["id"] {
                if let id {
                    if let first = firstLineOfID[id] {
                        error("duplicate assessment id '\(id)' (first at line \(first))", at: idNode)
                    } else {
                        firstLineOfID[id] = start?.line ?? 0
                    }
                } else {
                    error("the id of \(name) must be non-empty text, found \(Self.describe(idNode))", at: idNode)
                }
            } else {
                error("\(name) is missing 'id'", at: start)
            }
            let title = fields["title"].flatMap { text($0.value, "'title' of \(name)") }

            var validity: Int?
            if let (_, yearsNode) = fields["validity_years"] {
                if case .scalar = yearsNode, yearsNode.tag.rawValue == Tag.Name.int.rawValue, let years = yearsNode.int, years > 0 {
                    validity = years
                } else {
                    error("'validity_years' of \(name) must be a whole number of years above 0, found \(Self.describe(yearsNode))", at: yearsNode)
                }
            } else {
                error("\(name) is missing 'validity_years' (the validity period 时效期 in whole years, e.g. 3)", at: start)
            }

            var defaultOutcome: AssessmentOutcome?
            if let (_, outcomeNode) = fields["default_outcome"] {
                defaultOutcome = outcome(outcomeNode, "'default_outcome' of \(name)")
            } else {
                error("\(name) is missing 'default_outcome' (the outcome of region land no constraint covers, usually reuse)", at: start)
            }

            var constraints: [AssessmentConstraint] = []
            if let (_, constraintsNode) = fields["constraints"] {
                constraints = readConstraints(constraintsNode, of: name, layers: byName, order: layers.map(\.name), used: &used)
            }
            var conditions: [AssessmentOutcome: String] = [:]
            if let (_, conditionsNode) = fields["conditions"] {
                conditions = readConditions(conditionsNode, of: name)
            }
            var excluded: [String] = []
            if let (_, excludedNode) = fields["excluded_project_types"] {
                excluded = readExcluded(excludedNode, of: name, projectTypes: projectTypes)
            }
            let minArea = fields["min_area_m2"].flatMap { nonNegative($0.value, "min_area_m2 of \(name)") }
            if let id, let validity, let defaultOutcome {
                items.append(AssessmentItem(
                    id: id, title: title, validityYears: validity, defaultOutcome: defaultOutcome,
                    constraints: constraints, conditions: conditions, excludedProjectTypes: excluded,
                    minAreaM2: minArea, line: start?.line ?? 0))
            }
        }
        return items
    }

    /// `constraints`: a mapping from selectors (`hazard.high`, `ecology`) to outcomes.
    mutating func readConstraints(
        _ node: Node, of item: String, layers: [String: LayerDefinition], order: [String], used: inout Set<String>
    ) -> [AssessmentConstraint] {
        if Self.isNull(node) { return [] }
        guard case .mapping(let mapping) = node else {
            error("'constraints' of \(item) must map layers or layer.class to outcomes (hazard.high: individual), found \(Self.describe(node))", at: node)
            return []
        }
        var constraints: [AssessmentConstraint] = []
        for (key, value) in mapping {
            if let repeated = repeatedKey(key) {
                error("duplicate constraint '\(repeated.name)' in \(item) (first at line \(repeated.first.line))", at: repeated.location)
                continue
            }
            let selector = selector(key, role: "constraint", of: item, layers: layers, order: order, used: &used)
            if selector?.layer == LayerDefinition.siteLayerName {
                error("a constraint of \(item) reads the layer 'site', which is the applicant's site, not a constraint", at: key)
                continue
            }
            let outcome = outcome(value, "the outcome of constraint '\(key.string ?? "")' in \(item)")
            if let selector, let outcome {
                constraints.append(AssessmentConstraint(selector: selector, outcome: outcome, line: location(key)?.line ?? 0))
            }
        }
        return constraints
    }

    /// `conditions`: a mapping from outcomes to the text attached to them.
    mutating func readConditions(_ node: Node, of item: String) -> [AssessmentOutcome: String] {
        if Self.isNull(node) { return [:] }
        guard case .mapping(let mapping) = node else {
            error("'conditions' of \(item) must map outcomes to their text (conditional: 签署告知承诺书), found \(Self.describe(node))", at: node)
            return [:]
        }
        var conditions: [AssessmentOutcome: String] = [:]
        for (key, value) in mapping {
            if let repeated = repeatedKey(key) {
                error("duplicate condition '\(repeated.name)' in \(item) (first at line \(repeated.first.line))", at: repeated.location)
                continue
            }
            guard let outcome = outcome(key, "a key of 'conditions' in \(item)"),
                  let condition = text(value, "the condition for \(outcome) in \(item)") else { continue }
            conditions[outcome] = condition
        }
        return conditions
    }

    /// `excluded_project_types`: a list of project type ids, checked against `project_types`.
    mutating func readExcluded(_ node: Node, of item: String, projectTypes: [ProjectType]) -> [String] {
        if Self.isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            error("'excluded_project_types' of \(item) must be a list of project types such as [chemical], found \(Self.describe(node))", at: node)
            return []
        }
        let known = projectTypes.map(\.id)
        var excluded: [String] = []
        for entry in sequence {
            guard let id = text(entry, "an excluded project type of \(item)"), !id.isEmpty else { continue }
            if !known.isEmpty, !known.contains(id) {
                let hint = nearest(to: id, among: known).map { "did you mean '\($0)'? " } ?? ""
                error("excluded project type '\(id)' of \(item) is not in project_types (\(hint)known: \(quotedList(known)))", at: entry)
                continue
            }
            if excluded.contains(id) {
                warning("project type '\(id)' is excluded twice in \(item)", at: location(entry))
                continue
            }
            excluded.append(id)
        }
        return excluded
    }

    /// One of reuse, conditional, individual, prohibited.
    mutating func outcome(_ node: Node, _ what: String) -> AssessmentOutcome? {
        guard let value = text(node, what) else { return nil }
        if let outcome = AssessmentOutcome(rawValue: value) { return outcome }
        let allowed = AssessmentOutcome.allCases.map(\.rawValue)
        let hint = nearest(to: value, among: allowed).map { "did you mean '\($0)'? " } ?? ""
        error("unknown outcome '\(value)' for \(what) (\(hint)allowed: \(allowed.joined(separator: ", ")))", at: node)
        return nil
    }
}
