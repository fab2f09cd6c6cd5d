import Foundation
import PlanLayers
import PlanModel
import PlanRules

/// Reads `--dispositions PREVIOUS`: a patch file of an earlier run in any format plan-check
/// writes (GeoJSON, GeoPackage, Shapefile with its `.fields.csv`, File Geodatabase), as the
/// planners edited it in QGIS, or its `--csv` table as edited in Excel.
public enum DispositionReader {
    /// The decisions of `path` for a run of the rule set hashed `rulesSHA256`.
    /// - Throws: `ReconcileError` (.dispositions, exit 65) when the file was written for another
    ///   rule set, has no `rules_sha256` or `id`, repeats an id, or holds a disposition not in
    ///   `settings.values` (every such row is named); the reading errors of `LayerReader` for a
    ///   file that cannot be read.
    public static func read(path: String, rulesSHA256: String, settings: DispositionSettings) throws -> DispositionLedger {
        let rows = try table(at: path)
        var problems: [String] = []
        var records: [DispositionRecord] = []
        var rowsByID: [String: [Int]] = [:]
        var foreignHashes: Set<String> = []
        var missingHash = 0
        for (n, row) in rows.enumerated() {
            let line = n + 1
            let id = row["id"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !id.isEmpty else {
                problems.append("row \(line) has no patch id")
                continue
            }
            rowsByID[id, default: []].append(line)
            switch row["rules_sha256"]?.trimmingCharacters(in: .whitespaces) ?? "" {
            case "": missingHash += 1
            case rulesSHA256: break
            case let other: foreignHashes.insert(other)
            }
            let disposition = row["disposition"]?.trimmingCharacters(in: .whitespaces) ?? ""
            if !disposition.isEmpty, !settings.values.contains(disposition) {
                problems.append("patch \(id): disposition '\(disposition)' is not one of the rule set's (\(settings.values.joined(separator: ", ")))")
            }
            records.append(record(id: id, disposition: disposition, row))
        }
        // A run with no patches writes an empty file: nothing to carry, nothing to check.
        if rows.isEmpty { return DispositionLedger(rulesSHA256: rulesSHA256, settings: settings, sourcePath: path) }
        if missingHash == rows.count {
            throw ReconcileError(.dispositions, "\(path): no rules_sha256 column: not a patch file written by plan-check overlay (give its --out file or its --csv table)")
        }
        if !foreignHashes.isEmpty || missingHash > 0 {
            let theirs = foreignHashes.sorted().map { String($0.prefix(12)) + "…" }.joined(separator: ", ")
            throw ReconcileError(.dispositions, "\(path): written for another rule set (rules sha256 \(theirs.isEmpty ? "missing in \(missingHash) row(s)" : theirs), this run's \(rulesSHA256.prefix(12))…): its patch ids and decisions do not carry over; rerun with the rules file that made it")
        }
        let repeated = rowsByID.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        if !repeated.isEmpty {
            problems.insert("patch ids repeated: " + FeatureIdentifiers.listed(repeated.map { "\($0.key) (rows \($0.value.map(String.init).joined(separator: ", ")))" }, separator: "; "), at: 0)
        }
        guard problems.isEmpty else {
            throw ReconcileError(.dispositions, "\(path): " + FeatureIdentifiers.listed(problems, separator: "; "))
        }
        return DispositionLedger(rulesSHA256: rulesSHA256, settings: settings, sourcePath: path, records: records)
    }

    static func record(id: String, disposition: String, _ row: [String: String]) -> DispositionRecord {
        func text(_ name: String) -> String { row[name]?.trimmingCharacters(in: .whitespaces) ?? "" }
        func number(_ name: String) -> Double? { Double(text(name)).flatMap { $0.isFinite ? $0 : nil } }
        let carriedHash = text("disposed_hash"), ownHash = text("geometry_hash")
        let decided = !disposition.isEmpty
        return DispositionRecord(
            id: id, rule: row["rule"], disposition: disposition, dispositionNote: text("disposition_note"),
            disposedBy: text("disposed_by"), disposedOn: text("disposed_on"),
            decidedHash: decided ? (carriedHash.isEmpty ? (ownHash.isEmpty ? nil : ownHash) : carriedHash) : nil,
            decidedAreaM2: decided ? (carriedHash.isEmpty ? number("area_m2") : number("disposed_area_m2") ?? number("area_m2")) : nil)
    }

    /// The rows of the file as text by column name.
    static func table(at path: String) throws -> [[String: String]] {
        if path.lowercased().hasSuffix(".csv") { return try csvTable(at: path) }
        let layerName = try LayerReader.holdsSeveralLayers(path: path) ? "patches" : nil
        let layer = try LayerReader.read(path: path, layerName: layerName)
        let names = try shapefileNames(besides: path)
        return layer.features.map { feature in
            var row: [String: String] = [:]
            for attribute in feature.attributes {
                row[names[attribute.name] ?? attribute.name] = attribute.value.textValue ?? ""
            }
            if row["id"] == nil { row["id"] = feature.id.description }  // GeoJSON: the Feature's id
            return row
        }
    }

    /// A Shapefile's short field names and the full names they stand for, from the
    /// `NAME.fields.csv` plan-check writes beside it; without it, the short names of the
    /// columns every patch file starts with (they come first, so their short names never
    /// depend on the source attributes). Empty for other files.
    static func shapefileNames(besides path: String) throws -> [String: String] {
        guard path.lowercased().hasSuffix(".shp") else { return [:] }
        let mapping = String(path.dropLast(4)) + ".fields.csv"
        guard FileManager.default.fileExists(atPath: mapping) else {
            let leading = ["id", "rule", "title", "severity", "relation", "a_layer", "a_fid", "a_class", "a_code", "b_layer", "b_fid",
                           "b_class", "b_code", "area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu"] + DispositionLedger.columnNames
            return Dictionary(uniqueKeysWithValues: zip(ShapefileNames.short(leading, encoding: "UTF-8"), leading))
        }
        let rows = try CSVText.rows(of: String(decoding: try Data(contentsOf: URL(fileURLWithPath: mapping)), as: UTF8.self))
        return Dictionary(rows.dropFirst().filter { $0.count >= 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
    }

    static func csvTable(at path: String) throws -> [[String: String]] {
        _ = try LayerReader.format(of: path)  // a missing file: the readers' "no such file" (exit 66)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReconcileError(.dispositions, "\(path): cannot be read (a folder, or no permission)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix(PatchCSV.byteOrderMark) { text.removeFirst() }
        let rows = try CSVText.rows(of: text)
        guard let header = rows.first, header.contains("id"), header.contains("rules_sha256") else {
            throw ReconcileError(.dispositions, "\(path): no id and rules_sha256 columns: not a patch table written by plan-check overlay --csv")
        }
        return rows.dropFirst().filter { $0 != [""] }.map { cells in
            Dictionary(zip(header, cells).map { ($0, unguarded($1)) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

extension DispositionReader {
    /// A cell without the `'` a spreadsheet guard puts before text that starts like a formula
    /// (`=`, `+`, `-`, `@`).
    static func unguarded(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let next = cell.dropFirst().first, "=+-@\t\r".contains(next) else { return cell }
        return String(cell.dropFirst())
    }
}

/// RFC 4180 text: fields separated by commas, quoted with `"` (doubled inside), rows ended by
/// CRLF or LF.
enum CSVText {
    static func rows(of text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
