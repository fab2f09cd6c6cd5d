import Foundation
import Yams

/// How the codes of two versions of a plan map to common classes, for `plan-check diff
/// --classes`: the `classes:` of a rule set's layer, or a file of its own.
public struct ClassMapping: Sendable, Hashable {
    /// The classes of the old version's codes, and of the new version's (the same list when
    /// one mapping serves both), in file order.
    public var old: [ClassDefinition]
    public var new: [ClassDefinition]
    /// The file the classes come from, for diagnostics (without `:LAYER`).
    public var path: String

    public init(old: [ClassDefinition], new: [ClassDefinition], path: String) {
        self.old = old
        self.new = new
        self.path = path
    }
}

public enum ClassMappingLoader {
    /// Reads `spec`: `RULES.yaml:LAYER` (that layer's `classes:` of a rule set, for both
    /// versions), or a YAML file that is either a `classes:`-style mapping (class → codes, for
    /// both versions) or `{old: {class: [codes]}, new: {class: [codes]}}` when the versions use
    /// different code lists (e.g. 二调 DLBM codes and 用地用海分类 codes).
    /// - Throws: `RuleSetError` with every problem and its line.
    public static func load(_ spec: String) throws(RuleSetError) -> ClassMapping {
        var path = spec, layer: String?
        if !FileManager.default.fileExists(atPath: spec), let colon = spec.lastIndex(of: ":") {
            path = String(spec[..<colon])
            layer = String(spec[spec.index(after: colon)...])
        }
        if let layer {
            let ruleSet = try RuleSetLoader.load(path: path)
            guard let definition = ruleSet.layer(named: layer), !definition.classes.isEmpty else {
                let withClasses = ruleSet.layers.filter { !$0.classes.isEmpty }.map(\.name)
                throw .invalid(path: path, diagnostics: [RuleSetDiagnostic(
                    level: .error, path: path, location: nil,
                    message: "--classes \(spec): the rule set has no layer '\(layer)' with classes (layers with classes: \(withClasses.joined(separator: ", ")))")])
            }
            return ClassMapping(old: definition.classes, new: definition.classes, path: path)
        }
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "it is not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let document = composeDocument(text, path: path)
        if let syntaxError = document.syntaxError { throw .invalid(path: path, diagnostics: [syntaxError]) }
        var reader = RuleSetReader(path: path, duplicates: document.duplicates)
        let mapping = reader.readClassMapping(document.root)
        let errors = reader.diagnostics.filter { $0.level == .error }
        guard errors.isEmpty, let mapping else { throw .invalid(path: path, diagnostics: RuleSetLoader.sorted(errors)) }
        return mapping
    }
}

extension RuleSetReader {
    mutating func readClassMapping(_ root: Node?) -> ClassMapping? {
        guard let root, case .mapping(let mapping) = root else {
            error("a class mapping must map class names to lists of codes (e.g. construction: [\"20*\"]), or have 'old' and 'new' mappings", at: SourceLocation(line: 1, column: 1))
            return nil
        }
        if case .mapping(let top) = root, top.contains(where: { $0.key.string == "layers" || $0.key.string == "version" }) {
            error("this is a rule set: name the layer whose classes to use, as --classes \(path):LAYER", at: root)
            return nil
        }
        let keys = Set(mapping.keys.compactMap(\.string))
        if keys.contains("old") || keys.contains("new") {
            let fields = fields(of: mapping, known: ["old", "new"], context: "in the class mapping")
            guard let old = fields["old"], let new = fields["new"] else {
                error("a class mapping with 'old' or 'new' needs both", at: root)
                return nil
            }
            return ClassMapping(old: readClasses(old.value, layer: "old"), new: readClasses(new.value, layer: "new"), path: path)
        }
        let classes = readClasses(root, layer: "both versions")
        return ClassMapping(old: classes, new: classes, path: path)
    }
}
