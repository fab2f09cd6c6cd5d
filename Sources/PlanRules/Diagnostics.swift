/// A place in a rules file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based column number, in Unicode scalars.
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One message about a rules file, pointing at the line and column it concerns.
///
/// Printed the way compilers print them, so editors can jump to the place:
/// `rules.yaml:12:5: error: unknown key 'sevrity' in rule 'A' (did you mean 'severity'?)`.
public struct RuleSetDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is. Errors stop a rule set from loading; warnings are kept in
    /// `RuleSet.warnings` (or returned by a classification report) for the caller to show.
    public enum Level: String, Sendable, Hashable, Comparable {
        case warning
        case error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs == .warning && rhs == .error }
    }

    public var level: Level
    /// The rules file as the caller named it (nil when the text did not come from a file).
    public var path: String?
    /// Where in the rules file; nil when the diagnostic concerns the file as a whole.
    public var location: SourceLocation?
    /// One line a planner understands.
    public var message: String

    public init(level: Level, path: String?, location: SourceLocation?, message: String) {
        self.level = level
        self.path = path
        self.location = location
        self.message = message
    }

    /// The 1-based line, or nil.
    public var line: Int? { location?.line }
    /// The 1-based column, or nil.
    public var column: Int? { location?.column }

    public var description: String {
        var prefix = ""
        if let path { prefix += path + ":" }
        if let location { prefix += "\(location.line):\(location.column):" }
        return (prefix.isEmpty ? "" : prefix + " ") + "\(level.rawValue): \(message)"
    }
}

/// Why a rule set could not be loaded.
public enum RuleSetError: Error, Sendable, CustomStringConvertible {
    /// The rules file does not exist (the command exits 66, EX_NOINPUT).
    case fileNotFound(path: String)
    /// The rules file exists but could not be read as UTF-8 text (a folder, no permission, bad bytes).
    case unreadable(path: String, reason: String)
    /// The file was read but is not a valid version-1 rule set: every error found, in file order.
    /// A YAML syntax error is one diagnostic at the place libyaml gave.
    case invalid(path: String, diagnostics: [RuleSetDiagnostic])

    /// The rules file as the caller named it.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .unreadable(let path, _), .invalid(let path, _): path
        }
    }

    /// The diagnostics of an invalid rule set (empty for the other cases).
    public var diagnostics: [RuleSetDiagnostic] {
        if case .invalid(_, let diagnostics) = self { return diagnostics }
        return []
    }

    /// One line per diagnostic.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): error: rules file not found"
        case .unreadable(let path, let reason):
            "\(path): error: cannot read the rules file: \(reason)"
        case .invalid(_, let diagnostics):
            diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}
