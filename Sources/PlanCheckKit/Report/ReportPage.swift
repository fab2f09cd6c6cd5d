import Foundation

/// The parts every HTML report shares (overlay and assess): the self-contained page around the
/// body (inline CSS and script, the data as JSON), number cells, and the feature table the map's
/// info panel and the paged list read.
enum ReportPage {
    /// The whole document: head with the CSS, the heading and subtitle, `body`, the data block
    /// (`id="report-data"`, the JSON object of `data`'s members in order) and the script.
    static func document(language: ReportLanguage, title: String, subtitle: String, body: String, data: [(String, String)]) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"\(language == .zh ? "zh-CN" : "en")\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<title>\(esc(title))</title>\n<style>\n\(ReportAssets.css)\n</style>\n</head>\n<body>\n"
        h += "<h1>\(esc(title))</h1>\n<p class=\"sub\">\(subtitle)</p>\n"
        h += body
        let json = "{" + data.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        h += "<script type=\"application/json\" id=\"report-data\">\(scriptSafe(json))</script>\n"
        h += "<script>\n\(ReportAssets.js)\n</script>\n</body>\n</html>\n"
        return h
    }

    /// `value` as JSON (sorted keys).
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// JSON that cannot end or confuse the script element it sits in (`</script>`, `<!--`): every
    /// `<` (which JSON only has inside strings) as `\u003c`, the same string to a JSON parser.
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// A number cell: the value unformatted in `data-v` (for sorting and checking), grouped in the text.
    static func num(_ key: String, _ value: Double, _ decimals: Int) -> String {
        "<td class=\"n\" data-k=\"\(key)\" data-v=\"\(value)\">\(grouped(value, decimals))</td>"
    }

    /// A table's heading row.
    static func head(_ labels: [String]) -> String {
        "<thead><tr>" + labels.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead>\n"
    }
}

/// The features of a report's map as a table: row `i` is shape `i` of the map. The info panel
/// shows a row when its shape is clicked; the paged, sortable list (`id`) shows them all, a page
/// at a time, so that 100 000 rows do not make 100 000 table rows in the page.
struct FeatureTable {
    struct Column {
        var key: String
        var label: String
        /// Decimals shown for a number column; nil for text.
        var decimals: Int? = nil
        /// For a column of few distinct texts (rule, severity, class, code): the texts, which its
        /// cells give by index (`Cell.choice`), so 100 000 rows do not repeat them.
        var values: [String]? = nil
    }

    enum Cell {
        case text(String?)
        case number(Double)
        /// An index into the column's `values`.
        case choice(Int)
    }

    /// Collects the distinct texts of a choice column, in order of first use.
    struct Choices {
        private(set) var values: [String] = []
        private var index: [String: Int] = [:]

        /// The cell for `text` (a null text stays a null cell).
        mutating func cell(_ text: String?) -> Cell {
            guard let text else { return .text(nil) }
            if let i = index[text] { return .choice(i) }
            index[text] = values.count
            values.append(text)
            return .choice(values.count - 1)
        }
    }

    /// The `<table>` the script fills.
    var id: String
    var columns: [Column]
    var rows: [[Cell]]
    static let pageSize = 100

    /// The text of a text or choice cell (nil for null or a number).
    func text(row: Int, column: Int) -> String? {
        switch rows[row][column] {
        case .text(let t): t
        case .choice(let i): columns[column].values?[i]
        case .number: nil
        }
    }

    /// The table shell: heading row, empty body, the pager.
    func html() -> String {
        var h = "<table class=\"data paged\" id=\"\(id)\">\n" + ReportPage.head(columns.map(\.label)) + "<tbody></tbody>\n</table>\n"
        h += "<div class=\"pager\" data-for=\"\(id)\"><button type=\"button\" data-step=\"-1\">◀</button> <span class=\"page\"></span> "
        h += "<button type=\"button\" data-step=\"1\">▶</button></div>\n"
        return h
    }

    /// `{"id":…,"columns":[{key,label,decimals,values}],"pageSize":…,"rows":[[…]]}`, written directly
    /// (a JSONEncoder pass over 100 000 rows costs seconds).
    func json() -> String {
        var s = "{\"id\":" + Self.string(id) + ",\"pageSize\":\(Self.pageSize),\"columns\":["
        s += columns.map { c in
            "{\"key\":" + Self.string(c.key) + ",\"label\":" + Self.string(c.label) + (c.decimals.map { ",\"decimals\":\($0)" } ?? "")
                + (c.values.map { ",\"values\":[" + $0.map(Self.string).joined(separator: ",") + "]" } ?? "") + "}"
        }.joined(separator: ",")
        s += "],\"rows\":["
        for (r, row) in rows.enumerated() {
            if r > 0 { s += "," }
            s += "["
            for (c, cell) in row.enumerated() {
                if c > 0 { s += "," }
                switch cell {
                case .text(let t): s += t.map(Self.string) ?? "null"
                case .number(let v): s += v.isFinite ? "\(v)" : "null"
                case .choice(let i): s += String(i)
                }
            }
            s += "]"
        }
        return s + "]}"
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029:
                out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// Text for HTML element content and attribute values.
func esc(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}
