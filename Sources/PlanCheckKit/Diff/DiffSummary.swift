import Foundation
import PlanModel

/// The statistics of a `diff` (`--summary FILE` as JSON; a table on stdout; `--html`): every
/// number is here once, and the renderers only format it.
public struct DiffSummary: Sendable, Codable {
    public struct Version: Sendable, Codable {
        public var path: String
        public var sha256: String
        public var classField: String?
        public var idField: String?
        public var featuresRead: Int
        public var featuresKept: Int
        /// The version's kept features measured whole.
        public var area: LandArea
        /// Its row (old) or column (new) sums plus its land only in this version, minus `area`:
        /// zero up to rounding unless its features overlap each other.
        public var closureM2: Double
    }

    public struct Cell: Sendable, Codable {
        public var oldClass: String
        public var newClass: String
        public var area: LandArea
    }

    public struct ClassArea: Sendable, Codable {
        public var className: String
        public var area: LandArea
    }

    public var planCheckVersion: String
    public var workingCrs: OverlaySummary.CRS
    public var classes: String?
    public var old: Version
    public var new: Version
    /// The transition matrix, pairs that meet only, old class then new class order.
    public var matrix: [Cell]
    /// Land dropped from the plan (only in the old version) and added (only in the new).
    public var onlyOld: [ClassArea]
    public var onlyNew: [ClassArea]
    /// Area in both versions, and in both versions under the same class.
    public var overlapArea: LandArea
    public var unchangedClassArea: LandArea
    /// Ids per kind of change, and ids in both versions with no change.
    public var changeCounts: [String: Int]
    public var unchanged: Int
    public var changes: [FeatureChange]
    public var warnings: [String]
    public var timings: [String: Double]

    public init(_ result: DiffResult) {
        planCheckVersion = PlanCheckVersion.current
        workingCrs = OverlaySummary.CRS(identifier: result.workingCRS.identifier, name: result.workingCRS.name, geographic: result.workingCRS.isGeographic)
        classes = result.request.classes
        let m = result.matrix
        func version(_ layer: OverlayLayer, _ byClass: [String: LandArea], totals: [LandArea]) -> Version {
            let area = TransitionMatrix.sum(byClass.values)
            return Version(
                path: layer.path, sha256: layer.sha256, classField: layer.definition.classField, idField: layer.definition.idField,
                featuresRead: layer.checked.layer.features.count, featuresKept: layer.checked.features.count,
                area: area, closureM2: TransitionMatrix.sum(totals).areaM2 - area.areaM2)
        }
        old = version(result.old, m.oldArea, totals: m.oldClasses.map(m.oldRowTotal))
        new = version(result.new, m.newArea, totals: m.newClasses.map(m.newColumnTotal))
        matrix = m.oldClasses.flatMap { o in
            m.newClasses.compactMap { n in m.cells[o]?[n].map { Cell(oldClass: o, newClass: n, area: $0) } }
        }
        onlyOld = m.onlyOld.keys.sorted().map { ClassArea(className: $0, area: m.onlyOld[$0]!) }
        onlyNew = m.onlyNew.keys.sorted().map { ClassArea(className: $0, area: m.onlyNew[$0]!) }
        overlapArea = TransitionMatrix.sum(matrix.map(\.area))
        unchangedClassArea = TransitionMatrix.sum(matrix.filter { $0.oldClass == $0.newClass }.map(\.area))
        var counts = Dictionary(uniqueKeysWithValues: FeatureChange.Kind.allCases.map { ($0.rawValue, 0) })
        for change in result.changes { for kind in change.kinds { counts[kind.rawValue, default: 0] += 1 } }
        changeCounts = counts
        unchanged = result.unchanged
        changes = result.changes
        warnings = result.warnings
        timings = Dictionary(result.timings.map { ($0.stage, $0.seconds) }, uniquingKeysWith: +)
    }

    /// JSON with snake_case keys, sorted, pretty-printed.
    public func json() throws -> String { try ReportJSON.text(self) }

    /// The matrix in hectares (rows old classes, columns new classes, with the land only in one
    /// version as the last column and row), then the changes by kind.
    public func text() -> String {
        let table = grid()
        var lines = ["working CRS \(workingCrs.identifier ?? "-")  \(workingCrs.name)",
                     "old \(old.path): \(old.featuresKept) of \(old.featuresRead) features, \(grouped(old.area.areaHa, 2)) ha",
                     "new \(new.path): \(new.featuresKept) of \(new.featuresRead) features, \(grouped(new.area.areaHa, 2)) ha",
                     "transition matrix (ha; rows: old class, columns: new class):"]
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        for (n, row) in table.enumerated() {
            lines.append(row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if n == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("same class in both: \(grouped(unchangedClassArea.areaHa, 2)) ha of \(grouped(overlapArea.areaHa, 2)) ha in both versions")
        let counted = FeatureChange.Kind.allCases.map { "\(changeCounts[$0.rawValue] ?? 0) \($0.rawValue)" }
        lines.append("features by id: " + counted.joined(separator: ", ") + ", \(unchanged) unchanged")
        lines += warnings
        return lines.joined(separator: "\n") + "\n"
    }

    /// The matrix as text cells in ha: a header row, one row per old class with "only old" at
    /// the end, an "only new" row and a "new total" row.
    func grid() -> [[String]] {
        let oldClasses = Array(Set(matrix.map(\.oldClass) + onlyOld.map(\.className))).sorted()
        let newClasses = Array(Set(matrix.map(\.newClass) + onlyNew.map(\.className))).sorted()
        func ha(_ area: LandArea?) -> String { area.map { grouped($0.areaHa, 2) } ?? "-" }
        var rows = [["old \\ new"] + newClasses + ["only old", "old total"]]
        for o in oldClasses {
            var total = LandArea()
            var row = [o]
            for n in newClasses {
                let cell = matrix.first { $0.oldClass == o && $0.newClass == n }?.area
                if let cell { total.add(cell.areaM2, cell.areaEllipsoidalM2) }
                row.append(ha(cell))
            }
            let only = onlyOld.first { $0.className == o }?.area
            if let only { total.add(only.areaM2, only.areaEllipsoidalM2) }
            rows.append(row + [ha(only), ha(total)])
        }
        rows.append(["only new"] + newClasses.map { n in ha(onlyNew.first { $0.className == n }?.area) } + ["", ""])
        rows.append(["new total"] + newClasses.map { n in
            var total = onlyNew.first { $0.className == n }?.area ?? LandArea()
            for cell in matrix where cell.newClass == n { total.add(cell.area.areaM2, cell.area.areaEllipsoidalM2) }
            return ha(total)
        } + ["", ha(new.area)])
        return rows
    }

    /// A self-contained HTML page: the matrix (ha and 亩), the land only in one version, and the
    /// changes by id. No script, no external resource.
    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func table(_ rows: [[String]], caption: String) -> String {
            var out = "<table><caption>\(esc(caption))</caption>\n<tr>" + rows[0].map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
            for row in rows.dropFirst() {
                out += "<tr>" + row.enumerated().map { c, cell in c == 0 ? "<th>\(esc(cell))</th>" : "<td>\(esc(cell))</td>" }.joined() + "</tr>\n"
            }
            return out + "</table>\n"
        }
        let changeRows = [["id", "change", "old class", "new class", "old m²", "new m²", "from ids", "to ids"]] + changes.map { c in
            [c.id, c.kinds.map(\.rawValue).joined(separator: ", "), c.oldClass ?? "", c.newClass ?? "",
             c.oldAreaM2.map { grouped($0, 1) } ?? "", c.newAreaM2.map { grouped($0, 1) } ?? "",
             c.fromIds.joined(separator: ", "), c.toIds.joined(separator: ", ")]
        }
        let muRows = [["old class", "new class", "m²", "ha", "亩", "ellipsoidal m²"]] + matrix.map { c in
            [c.oldClass, c.newClass, grouped(c.area.areaM2, 1), grouped(c.area.areaHa, 2), grouped(c.area.areaMu, 1), grouped(c.area.areaEllipsoidalM2, 1)]
        }
        let counted = FeatureChange.Kind.allCases.map { "\(changeCounts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html lang="zh"><head><meta charset="utf-8"><title>土地利用转移矩阵 plan-check diff</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:2px 6px}td{text-align:right}caption{font-weight:bold;text-align:left}</style>
            </head><body>
            <h1>土地利用转移矩阵 Transition matrix</h1>
            <p>old: \(esc(old.path)) (\(old.featuresKept) features, \(grouped(old.area.areaHa, 2)) ha) · new: \(esc(new.path)) (\(new.featuresKept) features, \(grouped(new.area.areaHa, 2)) ha) · CRS \(esc(workingCrs.identifier ?? workingCrs.name))</p>
            \(table(grid(), caption: "ha; rows: old class, columns: new class"))\(table(muRows, caption: "by pair of classes"))<p>features by id: \(esc(counted)), \(unchanged) unchanged</p>
            \(table(changeRows, caption: "changes by id"))</body></html>

            """
    }
}
