import Foundation
import PlanModel
import Yams

/// Reads a rules file (YAML, version 1) into a checked `RuleSet`.
///
/// Every problem is collected before anything is thrown, so a planner fixes the whole file in one
/// pass; each diagnostic carries the file's 1-based line and column.
public enum RuleSetLoader {
    /// The keys a rules file may have at the top level.
    public static let topLevelKeys = ["version", "min_area_m2", "grid_size_m", "project_types", "layers", "rules", "assessments", "dispositions"]
    /// The keys a layer may have.
    public static let layerKeys = ["title", "path", "layer_name", "class_field", "classes", "encoding", "assume_crs", "id_field"]
    /// The keys of `dispositions:`.
    public static let dispositionKeys = ["values", "area_tolerance_m2"]
    /// The keys a rule may have.
    public static let ruleKeys = ["id", "title", "severity", "relation", "a", "b", "min_area_m2", "grid_size_m"]
    /// The keys an assessment item may have.
    public static let assessmentKeys = [
        "id", "title", "validity_years", "default_outcome", "constraints", "conditions", "excluded_project_types",
        "min_area_m2",
    ]

    /// Reads and checks the rules file at `path`. Layer paths are resolved against its folder.
    /// Throws `RuleSetError.fileNotFound` when there is no such file, `.unreadable` when it cannot be
    /// read as UTF-8, `.invalid` with every diagnostic otherwise.
    public static func load(path: String) throws(RuleSetError) -> RuleSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a folder") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "it is not UTF-8 text")
        }
        return try load(yaml: text, path: path)
    }

    /// Checks the rules in `yaml` as if they had been read from `path` (used in diagnostics and as
    /// the folder layer paths are relative to).
    public static func load(yaml: String, path: String) throws(RuleSetError) -> RuleSet {
        var text = yaml
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let document = composeDocument(text, path: path)
        if let syntaxError = document.syntaxError {
            throw .invalid(path: path, diagnostics: [syntaxError])
        }
        var reader = RuleSetReader(path: path, duplicates: document.duplicates)
        let ruleSet = reader.read(document.root)
        let errors = sorted(reader.diagnostics.filter { $0.level == .error })
        guard errors.isEmpty, var ruleSet else { throw .invalid(path: path, diagnostics: errors) }
        ruleSet.warnings = sorted(reader.diagnostics.filter { $0.level == .warning })
        return ruleSet
    }

    /// The folder of `path` (`.` when it has none, `/` for a file at the root).
    public static func baseDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` when it is absolute, otherwise `path` inside `baseDirectory`.
    public static func resolve(_ path: String, against baseDirectory: String) -> String {
        if path.hasPrefix("/") || baseDirectory == "." || baseDirectory.isEmpty { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }

    /// Diagnostics in file order (those without a place first), keeping the order found for ties.
    static func sorted(_ diagnostics: [RuleSetDiagnostic]) -> [RuleSetDiagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let l = lhs.element.location ?? SourceLocation(line: 0, column: 0)
            let r = rhs.element.location ?? SourceLocation(line: 0, column: 0)
            return l == r ? lhs.offset < rhs.offset : l < r
        }.map(\.element)
    }
}

/// Walks the composed YAML nodes, building the rule set and collecting diagnostics.
struct RuleSetReader {
    let path: String
    let duplicates: [SourceLocation: DuplicateKey]
    var diagnostics: [RuleSetDiagnostic] = []

    init(path: String, duplicates: [SourceLocation: DuplicateKey]) {
        self.path = path
        self.duplicates = duplicates
    }

    // MARK: Diagnostics

    mutating func error(_ message: String, at node: Node?) {
        diagnostics.append(RuleSetDiagnostic(level: .error, path: path, location: node.flatMap(location), message: message))
    }

    mutating func error(_ message: String, at location: SourceLocation?) {
        diagnostics.append(RuleSetDiagnostic(level: .error, path: path, location: location, message: message))
    }

    mutating func warning(_ message: String, at location: SourceLocation?) {
        diagnostics.append(RuleSetDiagnostic(level: .warning, path: path, location: location, message: message))
    }

    func location(_ node: Node) -> SourceLocation? {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) }
    }

    // MARK: Values

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return node.tag.rawValue == Tag.Name.null.rawValue }
        return false
    }

    /// What a node is, for "found ..." in messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            switch node.tag.rawValue {
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "the number \(scalar.string)"
            case Tag.Name.bool.rawValue: return "the boolean \(scalar.string)"
            default: return "the text '\(scalar.string)'"
            }
        }
    }

    /// A scalar's text as written (numbers too: `id: 1` is the id "1").
    mutating func text(_ node: Node, _ what: String) -> String? {
        if case .scalar(let scalar) = node, !Self.isNull(node) { return scalar.string }
        error("\(what) must be text, found \(Self.describe(node))", at: node)
        return nil
    }

    /// A number (integer or real), finite.
    mutating func number(_ node: Node, _ what: String) -> Double? {
        let tag = node.tag.rawValue
        if case .scalar(let scalar) = node, tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue {
            if let value = node.float ?? node.int.map(Double.init) ?? Double(scalar.string), value.isFinite {
                return value
            }
        }
        error("\(what) must be a number, found \(Self.describe(node))", at: node)
        return nil
    }

    /// A number of metres or m² that may not be negative.
    mutating func nonNegative(_ node: Node, _ what: String) -> Double? {
        guard let value = number(node, what) else { return nil }
        if value < 0 {
            error("\(what) must not be negative, found \(Self.describeNumber(value))", at: node)
            return nil
        }
        return value
    }

    static func describeNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// The known keys of a mapping and their nodes. Unknown keys get a diagnostic with the nearest
    /// known key; repeated keys get one pointing at the first.
    mutating func fields(
        of mapping: Node.Mapping, known: [String], context: String
    ) -> [String: (key: Node, value: Node)] {
        var fields: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            if let repeated = repeatedKey(key) {
                error("duplicate key '\(repeated.name)' \(context) (first at line \(repeated.first.line))", at: repeated.location)
                continue
            }
            guard case .scalar(let scalar) = key else {
                error("a key \(context) must be text, found \(Self.describe(key))", at: key)
                continue
            }
            let name = scalar.string
            if known.contains(name) {
                fields[name] = (key, value)
            } else if let suggestion = nearest(to: name, among: known) {
                error("unknown key '\(name)' \(context) (did you mean '\(suggestion)'?)", at: key)
            } else {
                error("unknown key '\(name)' \(context) (known keys: \(quotedList(known)))", at: key)
            }
        }
        return fields
    }

    func repeatedKey(_ key: Node) -> DuplicateKey? {
        location(key).flatMap { duplicates[$0] }
    }

    // MARK: The rule set

    mutating func read(_ root: Node?) -> RuleSet? {
        guard let root, !Self.isNull(root) else {
            error("the rules file is empty; it needs 'version: 1', 'layers' and 'rules'", at: SourceLocation(line: 1, column: 1))
            return nil
        }
        guard case .mapping(let mapping) = root else {
            error("the rules file must be a mapping with 'version', 'layers' and 'rules', found \(Self.describe(root))", at: root)
            return nil
        }
        let fields = fields(of: mapping, known: RuleSetLoader.topLevelKeys, context: "at the top level")
        let top = location(root)

        var version = 1
        if let (_, node) = fields["version"] {
            if case .scalar = node, node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int {
                version = value
                if value != 1 { error("unsupported version \(value); plan-check reads rule sets of version 1", at: node) }
            } else {
                error("version must be the number 1, found \(Self.describe(node))", at: node)
            }
        } else {
            error("missing key 'version' at the top level (write 'version: 1')", at: top)
        }
        let minArea = fields["min_area_m2"].flatMap { nonNegative($0.value, "min_area_m2") } ?? 1
        let gridSize = fields["grid_size_m"].flatMap { nonNegative($0.value, "grid_size_m") } ?? 0

        let baseDirectory = RuleSetLoader.baseDirectory(of: path)
        var layers: [LayerDefinition] = []
        if let (_, node) = fields["layers"] {
            layers = readLayers(node, baseDirectory: baseDirectory)
        } else {
            error("missing key 'layers' at the top level", at: top)
        }
        warnAboutSharedCodes(layers)

        var rules: [ConflictRule] = []
        var used: Set<String> = []
        if let (_, node) = fields["rules"] {
            rules = readRules(node, layers: layers, used: &used)
        } else {
            error("missing key 'rules' at the top level", at: top)
        }
        var projectTypes: [ProjectType] = []
        if let (_, node) = fields["project_types"] {
            projectTypes = readProjectTypes(node)
        }
        var assessments: [AssessmentItem] = []
        if let (_, node) = fields["assessments"] {
            assessments = readAssessments(node, layers: layers, projectTypes: projectTypes, used: &used)
        }
        if fields["rules"] != nil {
            for layer in layers where !used.contains(layer.name) {
                warning("layer '\(layer.name)' is not used by any rule or assessment", at: SourceLocation(line: layer.line, column: layer.column))
            }
        }
        var ruleSet = RuleSet(
            version: version, minAreaM2: minArea, gridSizeM: gridSize, layers: layers, rules: rules,
            projectTypes: projectTypes, assessments: assessments, sourcePath: path, baseDirectory: baseDirectory)
        if let (_, node) = fields["dispositions"] { ruleSet.dispositions = readDispositions(node) }
        return ruleSet
    }

    // MARK: Dispositions

    /// `dispositions: {values: [...], area_tolerance_m2: N}`; what is not given keeps its default.
    mutating func readDispositions(_ node: Node) -> DispositionSettings {
        var settings = DispositionSettings()
        guard case .mapping(let mapping) = node else {
            error("'dispositions' must be a mapping with 'values' (the decisions allowed) and 'area_tolerance_m2', found \(Self.describe(node))", at: node)
            return settings
        }
        let fields = fields(of: mapping, known: RuleSetLoader.dispositionKeys, context: "in 'dispositions'")
        if let (_, list) = fields["values"] {
            guard case .sequence(let items) = list, !items.isEmpty else {
                error("'values' of 'dispositions' must be a non-empty list of texts (e.g. [调整城规, 调整土规, 保留]), found \(Self.describe(list))", at: list)
                return settings
            }
            var values: [String] = []
            for item in items {
                guard let value = text(item, "a value of 'dispositions'") else { continue }
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    error("a value of 'dispositions' must not be empty (an empty disposition means the patch is open)", at: item)
                } else if values.contains(trimmed) {
                    error("disposition '\(trimmed)' is listed twice", at: item)
                } else {
                    values.append(trimmed)
                }
            }
            settings.values = values
        }
        if let (_, value) = fields["area_tolerance_m2"], let tolerance = nonNegative(value, "area_tolerance_m2 of 'dispositions'") {
            settings.areaToleranceM2 = tolerance
        }
        return settings
    }

    // MARK: Layers

    mutating func readLayers(_ node: Node, baseDirectory: String) -> [LayerDefinition] {
        guard case .mapping(let mapping) = node else {
            error("'layers' must be a mapping from layer names to their settings, found \(Self.describe(node))", at: node)
            return []
        }
        if mapping.isEmpty { error("'layers' is empty; a rule set needs at least one layer", at: node) }
        var layers: [LayerDefinition] = []
        for (key, value) in mapping {
            if let repeated = repeatedKey(key) {
                error("duplicate layer name '\(repeated.name)' (first defined at line \(repeated.first.line))", at: repeated.location)
                continue
            }
            guard case .scalar(let scalar) = key, !Self.isNull(key), !scalar.string.isEmpty else {
                error("a layer name must be non-empty text, found \(Self.describe(key))", at: key)
                continue
            }
            layers.append(readLayer(named: scalar.string, key: key, value: value, baseDirectory: baseDirectory))
        }
        return layers
    }

    mutating func readLayer(named name: String, key: Node, value: Node, baseDirectory: String) -> LayerDefinition {
        let at = location(key) ?? SourceLocation(line: 0, column: 0)
        var layer = LayerDefinition(name: name, line: at.line, column: at.column)
        if Self.isNull(value) { return layer }  // no settings: the command line gives the file
        guard case .mapping(let mapping) = value else {
            error("layer '\(name)' must be a mapping (title, path, layer_name, class_field, classes), found \(Self.describe(value))", at: value)
            return layer
        }
        let fields = fields(of: mapping, known: RuleSetLoader.layerKeys, context: "in layer '\(name)'")
        layer.title = fields["title"].flatMap { text($0.value, "'title' of layer '\(name)'") }
        layer.path = fields["path"].flatMap { text($0.value, "'path' of layer '\(name)'") }
        layer.resolvedPath = layer.path.map { RuleSetLoader.resolve($0, against: baseDirectory) }
        layer.layerName = fields["layer_name"].flatMap { text($0.value, "'layer_name' of layer '\(name)'") }
        if let (_, node) = fields["encoding"], let written = text(node, "'encoding' of layer '\(name)'") {
            if let canonical = TextEncodingName.canonical(written) {
                layer.encoding = canonical
                layer.encodingLine = location(node)?.line ?? at.line
            } else {
                error("unknown encoding '\(written)' for layer '\(name)': iconv does not know it (Shapefiles from ArcGIS on Chinese Windows are GBK; others: GB18030, BIG5, UTF-8, or a code page such as 936)", at: node)
            }
        }
        if let (_, node) = fields["assume_crs"], let written = text(node, "'assume_crs' of layer '\(name)'") {
            layer.assumedCRS = written
            layer.assumedCRSLine = location(node)?.line ?? at.line
        }
        if let (_, node) = fields["id_field"], let written = text(node, "'id_field' of layer '\(name)'") {
            layer.idField = written
            layer.idFieldLine = location(node)?.line ?? at.line
        }
        if let (_, node) = fields["class_field"] {
            layer.classField = text(node, "'class_field' of layer '\(name)'")
            layer.classFieldLocation = location(node)
        }
        if let (classesKey, node) = fields["classes"] {
            layer.classes = readClasses(node, layer: name)
            if layer.classField == nil, fields["class_field"] == nil {
                error("layer '\(name)' has classes but no class_field naming the attribute that holds the codes", at: classesKey)
            }
        }
        if layer.classField != nil, layer.classes.isEmpty, fields["classes"].map({ !Self.isNull($0.value) }) ?? true {
            warning("layer '\(name)' has class_field '\(layer.classField!)' but no classes; no feature can be in a class",
                    at: layer.classFieldLocation)
        }
        return layer
    }

    mutating func readClasses(_ node: Node, layer: String) -> [ClassDefinition] {
        guard case .mapping(let mapping) = node else {
            error("'classes' of layer '\(layer)' must map class names to lists of codes, found \(Self.describe(node))", at: node)
            return []
        }
        var classes: [ClassDefinition] = []
        for (key, value) in mapping {
            if let repeated = repeatedKey(key) {
                error("duplicate class '\(repeated.name)' in layer '\(layer)' (first at line \(repeated.first.line))", at: repeated.location)
                continue
            }
            guard case .scalar(let scalar) = key, !Self.isNull(key), !scalar.string.isEmpty else {
                error("a class name in layer '\(layer)' must be non-empty text, found \(Self.describe(key))", at: key)
                continue
            }
            let name = scalar.string
            if name.contains(".") {
                error("class name '\(name)' in layer '\(layer)' must not contain a dot (rules write layer.class)", at: key)
            } else if name == LayerDefinition.allClassName {
                error("class name 'all' in layer '\(layer)' is reserved; write '\(layer)' in a rule to select every feature", at: key)
            }
            let at = location(key) ?? SourceLocation(line: 0, column: 0)
            classes.append(ClassDefinition(name: name, patterns: readPatterns(value, className: name, layer: layer),
                                           line: at.line, column: at.column))
        }
        return classes
    }

    mutating func readPatterns(_ node: Node, className: String, layer: String) -> [CodePattern] {
        guard case .sequence(let sequence) = node else {
            error("codes of class '\(className)' in layer '\(layer)' must be a list such as [\"20*\"], found \(Self.describe(node))", at: node)
            return []
        }
        if sequence.isEmpty {
            error("class '\(className)' in layer '\(layer)' has an empty list of codes", at: node)
            return []
        }
        var patterns: [CodePattern] = []
        for item in sequence {
            guard case .scalar(let scalar) = item, !Self.isNull(item) else {
                error("a code of class '\(className)' in layer '\(layer)' must be text, found \(Self.describe(item))", at: item)
                continue
            }
            let at = location(item) ?? SourceLocation(line: 0, column: 0)
            do {
                patterns.append(try CodePattern(scalar.string, line: at.line, column: at.column))
            } catch {
                switch error {
                case .empty:
                    self.error("empty code in class '\(className)' of layer '\(layer)'", at: item)
                case .misplacedWildcard:
                    self.error("code pattern '\(scalar.string)' of class '\(className)' in layer '\(layer)': '*' may only end a pattern (a prefix such as '20*')", at: item)
                }
            }
        }
        return patterns
    }

    /// Warns when one code can put a feature into two classes of a layer, or a pattern is repeated.
    mutating func warnAboutSharedCodes(_ layers: [LayerDefinition]) {
        for layer in layers {
            let entries = layer.classes.flatMap { cls in cls.patterns.map { (cls.name, $0) } }
            for (j, (laterClass, later)) in entries.enumerated() {
                for (earlierClass, earlier) in entries[..<j] {
                    let at = SourceLocation(line: later.line, column: later.column)
                    if earlierClass == laterClass {
                        if later.description == earlier.description {
                            warning("code pattern '\(later)' is listed twice in class '\(laterClass)' of layer '\(layer.name)'", at: at)
                        }
                    } else if later.description == earlier.description {
                        warning("code pattern '\(later)' is in class '\(earlierClass)' and class '\(laterClass)' of layer '\(layer.name)'; a feature with such a code is in both", at: at)
                    } else if later.isCovered(by: earlier) || earlier.isCovered(by: later) {
                        warning("code pattern '\(later)' of class '\(laterClass)' overlaps '\(earlier)' of class '\(earlierClass)' in layer '\(layer.name)'; a feature may be in both", at: at)
                    }
                }
            }
        }
    }

    // MARK: Rules

    mutating func readRules(_ node: Node, layers: [LayerDefinition], used: inout Set<String>) -> [ConflictRule] {
        if Self.isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            error("'rules' must be a list of rules, found \(Self.describe(node))", at: node)
            return []
        }
        let byName = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var rules: [ConflictRule] = []
        var firstLineOfID: [String: Int] = [:]
        for (index, item) in sequence.enumerated() {
            guard case .mapping(let mapping) = item else {
                error("rule \(index + 1) must be a mapping (id, title, severity, relation, a, b), found \(Self.describe(item))", at: item)
                continue
            }
            var id: String?
            if let idNode = mapping["id"], case .scalar(let scalar) = idNode, !Self.isNull(idNode), !scalar.string.isEmpty {
                id = scalar.string
            }
            let name = id.map { "rule '\($0)'" } ?? "rule \(index + 1)"
            let fields = fields(of: mapping, known: RuleSetLoader.ruleKeys, context: "in \(name)")
            let start = location(item)

            if let (_, node) = fields["id"] {
                if let id {
                    if let first = firstLineOfID[id] {
                        error("duplicate rule id '\(id)' (first at line \(first))", at: node)
                    } else {
                        firstLineOfID[id] = start?.line ?? 0
                    }
                } else {
                    error("the id of \(name) must be non-empty text, found \(Self.describe(node))", at: node)
                }
            } else {
                error("\(name) is missing 'id'", at: start)
            }
            let title = fields["title"].flatMap { text($0.value, "'title' of \(name)") }

            var severity: Severity?
            if let (_, node) = fields["severity"] {
                severity = choice(node, "severity", of: name)
            } else {
                error("\(name) is missing 'severity' (one of critical, major, minor)", at: start)
            }
            var relation: Relation?
            if let (_, node) = fields["relation"] {
                relation = choice(node, "relation", of: name)
            } else {
                error("\(name) is missing 'relation' (one of intersects, outside)", at: start)
            }
            var selectors: [LayerSelector?] = []
            for role in ["a", "b"] {
                if let (_, node) = fields[role] {
                    selectors.append(selector(node, role: role, of: name, layers: byName, order: layers.map(\.name), used: &used))
                } else {
                    error("\(name) is missing '\(role)' (a layer, or layer.class)", at: start)
                    selectors.append(nil)
                }
            }
            let minArea = fields["min_area_m2"].flatMap { nonNegative($0.value, "min_area_m2 of \(name)") }
            let gridSize = fields["grid_size_m"].flatMap { nonNegative($0.value, "grid_size_m of \(name)") }
            if let id, let severity, let relation, let a = selectors[0], let b = selectors[1] {
                rules.append(ConflictRule(
                    id: id, title: title, severity: severity, relation: relation, a: a, b: b,
                    minAreaM2: minArea, gridSizeM: gridSize, line: start?.line ?? 0))
            }
        }
        return rules
    }

    /// A severity or relation, with the allowed values listed when the text is none of them.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ key: String, of rule: String) -> Choice?
    where Choice.RawValue == String {
        guard let value = text(node, "'\(key)' of \(rule)") else { return nil }
        if let choice = Choice(rawValue: value) { return choice }
        var allowed = Choice.allCases.map(\.rawValue)
        if Choice.self == Severity.self { allowed.reverse() }  // most serious first
        let hint = nearest(to: value, among: allowed).map { "did you mean '\($0)'? " } ?? ""
        error("unknown \(key) '\(value)' in \(rule) (\(hint)allowed: \(allowed.joined(separator: ", ")))", at: node)
        return nil
    }

    /// The layer selector a rule's `a` or `b` names, checked against the layers and their classes.
    mutating func selector(
        _ node: Node, role: String, of rule: String, layers: [String: LayerDefinition], order: [String],
        used: inout Set<String>
    ) -> LayerSelector? {
        guard let text = text(node, "'\(role)' of \(rule)") else { return nil }
        let what = "'\(role)' of \(rule)"
        if text.isEmpty {
            error("\(what) is empty; write a layer, or layer.class", at: node)
            return nil
        }
        let selector = LayerSelector(parsing: text, layerNames: Set(layers.keys))
        guard let layer = layers[selector.layer] else {
            let known = order
            let hint = nearest(to: selector.layer, among: known).map { "did you mean '\($0)'? " } ?? ""
            error("\(what) names unknown layer '\(selector.layer)' (\(hint)known layers: \(known.isEmpty ? "none" : quotedList(known)))", at: node)
            return nil
        }
        used.insert(layer.name)
        guard let className = selector.className else { return selector }
        if layer.classField == nil {
            if className == LayerDefinition.allClassName { return selector }
            error("\(what): layer '\(layer.name)' has no class_field, so its only class is 'all'; write '\(layer.name)' to select all its features", at: node)
            return nil
        }
        if layer.classDefinition(named: className) == nil {
            let known = layer.classes.map(\.name)
            let hint = nearest(to: className, among: known).map { "did you mean '\($0)'? " } ?? ""
            error("\(what): layer '\(layer.name)' has no class '\(className)' (\(hint)known classes: \(known.isEmpty ? "none" : quotedList(known)))", at: node)
            return nil
        }
        return selector
    }
}
