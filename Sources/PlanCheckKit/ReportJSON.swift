import Foundation

/// The one JSON layout of plan-check's reports (overlay summary, inspect report, query answer,
/// registry history, the web service's bodies): snake_case keys, sorted, indented, slashes
/// unescaped, so every document a planner or a program reads looks alike.
public enum ReportJSON {
    /// An encoder with that layout (callers may add to it, e.g. a non-finite number strategy).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `value` as text in that layout.
    public static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }
}
