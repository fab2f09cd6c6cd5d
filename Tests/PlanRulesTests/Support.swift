import Foundation
import Testing
@testable import PlanRules

/// The package root, found from this file's place (Tests/PlanRulesTests/Support.swift).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A valid rule set; the tests change one line or a few to provoke one diagnostic.
/// Line numbers are written at the right.
let validYAML = """
version: 1
layers:
  landuse:
    path: landuse.geojson
    class_field: DLBM
    classes:
      construction: ["20*"]
      farmland: ["011*"]
  urban:
    class_field: YDDM
    classes:
      construction: ["R*", "M*"]
  farmland:
    path: farmland.gpkg
rules:
  - id: A
    severity: major
    relation: outside
    a: urban.construction
    b: landuse.construction
  - id: C
    severity: critical
    relation: intersects
    a: urban.construction
    b: farmland
"""

/// `validYAML` with line `number` (1-based) replaced by `replacement` (which may hold several lines).
func validYAML(replacingLine number: Int, with replacement: String) -> String {
    var lines = validYAML.components(separatedBy: "\n")
    lines[number - 1] = replacement
    return lines.joined(separator: "\n")
}

/// The diagnostics the loader throws for `yaml`; records an issue when it loads or fails otherwise.
func diagnostics(_ yaml: String, path: String = "rules.yaml", sourceLocation: SourceLocation = #_sourceLocation)
    -> [RuleSetDiagnostic]
{
    do {
        _ = try RuleSetLoader.load(yaml: yaml, path: path)
        Issue.record("expected the rule set to be rejected", sourceLocation: sourceLocation)
    } catch {
        if case .invalid(_, let diagnostics) = error { return diagnostics }
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return []
}

/// The one diagnostic whose message contains `text`, with its line and column.
func diagnostic(containing text: String, in diagnostics: [RuleSetDiagnostic]) -> RuleSetDiagnostic? {
    diagnostics.first { $0.message.contains(text) }
}

typealias SourceLocation = Testing.SourceLocation
typealias Place = PlanRules.SourceLocation
