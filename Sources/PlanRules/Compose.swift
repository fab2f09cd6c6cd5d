import Yams

/// A key written twice in one mapping. Yams refuses such a document outright, so the loader
/// renames the repeat and composes again; the walk then reports the repeat where it stands.
struct DuplicateKey {
    /// The key as written.
    var name: String
    /// Where the key first appears.
    var first: SourceLocation
    /// Where the repeat appears.
    var location: SourceLocation
}

/// The composed document, the repeated keys found on the way, or the one syntax error that
/// stopped libyaml.
struct ComposedDocument {
    var root: Node?
    var duplicates: [SourceLocation: DuplicateKey] = [:]
    var syntaxError: RuleSetDiagnostic?
}

/// Composes `yaml` into nodes with marks. Repeated keys in block mappings are renamed one at a time
/// (at most `limit` of them) so that every other problem in the file can still be reported.
func composeDocument(_ yaml: String, path: String?, limit: Int = 200) -> ComposedDocument {
    var text = yaml
    var result = ComposedDocument()
    for round in 0...limit {
        do {
            result.root = try Yams.compose(yaml: text)
            return result
        } catch let error as YamlError {
            switch error {
            case .duplicatedKeysInMapping(let names, let context):
                let name = names.first ?? ""
                let first = SourceLocation(line: context.mark.line, column: context.mark.column)
                if round < limit, let (patched, repeated) = renameRepeat(of: name, firstAt: first, in: text, round: round) {
                    text = patched
                    result.duplicates[repeated] = DuplicateKey(name: name, first: first, location: repeated)
                } else {
                    result.syntaxError = RuleSetDiagnostic(
                        level: .error, path: path, location: first, message: "duplicate key '\(name)' in one mapping")
                    return result
                }
            case .scanner(let context, let problem, let mark, _),
                 .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                var message = "YAML syntax error: \(problem)"
                if let context {
                    message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
                }
                result.syntaxError = RuleSetDiagnostic(
                    level: .error, path: path, location: SourceLocation(line: mark.line, column: mark.column),
                    message: message)
                return result
            case .reader(let problem, let offset, _, _):
                result.syntaxError = RuleSetDiagnostic(
                    level: .error, path: path, location: offset.map { location(ofCharacterOffset: $0, in: text) },
                    message: "YAML syntax error: \(problem)")
                return result
            default:
                result.syntaxError = RuleSetDiagnostic(
                    level: .error, path: path, location: nil, message: "YAML error: \(error)")
                return result
            }
        } catch {
            result.syntaxError = RuleSetDiagnostic(level: .error, path: path, location: nil, message: "YAML error: \(error)")
            return result
        }
    }
    return result
}

/// The line and column of the character at `offset` (in Characters from the start).
private func location(ofCharacterOffset offset: Int, in text: String) -> SourceLocation {
    var line = 1, column = 1
    for character in text.prefix(offset) {
        if character == "\n" || character == "\r\n" {
            line += 1
            column = 1
        } else {
            column += character.unicodeScalars.count
        }
    }
    return SourceLocation(line: line, column: column)
}

/// Finds the next key `name` in the same block mapping as the key at `first` (a later line, the
/// same column, nothing less indented in between) and gives it a unique name. Returns the patched
/// text and where the repeat is, or nil when the repeat cannot be found (e.g. a flow mapping).
private func renameRepeat(of name: String, firstAt first: SourceLocation, in text: String, round: Int)
    -> (String, SourceLocation)?
{
    // Split on the scalar: "\r\n" is one Character, so splitting the String would miss CRLF lines.
    var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
    let column = first.column - 1
    guard first.line >= 1 else { return nil }
    var index = first.line  // 0-based index of the line after the first occurrence
    while index < lines.count {
        let line = lines[index]
        guard let indent = line.firstIndex(where: { $0 != " " }), line[indent] != "#", line[indent] != "\r" else {
            index += 1
            continue
        }
        if indent < column { return nil }
        if indent == column, let end = keyEnd(in: line, at: column, matching: name) {
            let replacement = Array("__duplicate_key_\(round)__".unicodeScalars)
            lines[index].replaceSubrange(column..<end, with: replacement)
            var scalars = String.UnicodeScalarView()
            for (i, line) in lines.enumerated() {
                if i > 0 { scalars.append("\n") }
                scalars.append(contentsOf: line)
            }
            return (String(scalars), SourceLocation(line: index + 1, column: column + 1))
        }
        index += 1
    }
    return nil
}

/// When the block-mapping key starting at `start` is `name` (plain or quoted), the index just past
/// the key's text.
private func keyEnd(in line: [Unicode.Scalar], at start: Int, matching name: String) -> Int? {
    guard start < line.count else { return nil }
    let quote = line[start]
    if quote == "\"" || quote == "'" {
        guard let close = line[(start + 1)...].firstIndex(of: quote) else { return nil }
        var key = String.UnicodeScalarView()
        key.append(contentsOf: line[(start + 1)..<close])
        return String(key) == name ? close + 1 : nil
    }
    var end = start
    while end < line.count {
        if line[end] == ":" && (end + 1 == line.count || line[end + 1] == " " || line[end + 1] == "\t" || line[end + 1] == "\r") {
            break
        }
        end += 1
    }
    guard end < line.count else { return nil }
    var keyEnd = end
    while keyEnd > start && (line[keyEnd - 1] == " " || line[keyEnd - 1] == "\t") { keyEnd -= 1 }
    var key = String.UnicodeScalarView()
    key.append(contentsOf: line[start..<keyEnd])
    return String(key) == name ? keyEnd : nil
}
