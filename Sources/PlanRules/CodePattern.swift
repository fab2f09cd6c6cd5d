/// One raw class code of a rule set, as written: an exact code (`"0101"`, `"R2"`) or a prefix
/// ending in `*` (`"20*"` matches `20`, `201`, `2011`; `"*"` alone matches every code).
///
/// Codes are compared as text, so `"0101"` and `"101"` differ; a feature's integer code is turned
/// into text (`201`) before it is compared (see `AttributeValue.textValue`).
public struct CodePattern: Sendable, Hashable, CustomStringConvertible {
    /// What a pattern matches.
    public enum Kind: Sendable, Hashable {
        /// The code itself, nothing more: `R2` does not match `R21`.
        case exact(String)
        /// Every code that starts with the text before the `*` (including that text itself).
        case prefix(String)
    }

    /// Why a text is not a code pattern.
    public enum ParseError: Error, Sendable, Hashable {
        /// The pattern is the empty string.
        case empty
        /// A `*` somewhere other than at the end; `offset` counts characters from 0.
        case misplacedWildcard(offset: Int)
    }

    public var kind: Kind
    /// The pattern exactly as the rules file wrote it.
    public var description: String
    /// 1-based line of the pattern in the rules file (0 when it was not read from a file).
    public var line: Int
    /// 1-based column of the pattern in the rules file, in Unicode scalars (0 when not from a file).
    public var column: Int

    /// Parses `text`: a trailing `*` makes a prefix pattern; a `*` anywhere else is an error.
    public init(_ text: String, line: Int = 0, column: Int = 0) throws(ParseError) {
        guard !text.isEmpty else { throw .empty }
        let characters = Array(text)
        if let star = characters.firstIndex(of: "*"), star != characters.count - 1 {
            throw .misplacedWildcard(offset: star)
        }
        if characters.last == "*" {
            kind = .prefix(String(characters.dropLast()))
        } else {
            kind = .exact(text)
        }
        description = text
        self.line = line
        self.column = column
    }

    /// True when `code` is this pattern's code (exact) or starts with its prefix.
    public func matches(_ code: String) -> Bool {
        switch kind {
        case .exact(let exact): code == exact
        case .prefix(let prefix): code.hasPrefix(prefix)
        }
    }

    /// True when every code this pattern matches is also matched by `other`
    /// (`"201"` and `"2011*"` are covered by `"20*"`; a pattern covers itself).
    public func isCovered(by other: CodePattern) -> Bool {
        switch (kind, other.kind) {
        case (.exact(let a), .exact(let b)): a == b
        case (.exact(let a), .prefix(let p)): a.hasPrefix(p)
        case (.prefix(let a), .prefix(let p)): a.hasPrefix(p)
        case (.prefix, .exact): false
        }
    }
}
