import Foundation
import PlanModel

extension OverlaySummary {
    /// The `districts` section of the summary (`--districts`): patch area by district and rule,
    /// from `DistrictTabulation`. Areas in m² (planar in the working CRS, ellipsoidal on its
    /// ellipsoid), ha and 亩 from the planar area.
    public struct Districts: Sendable, Codable {
        /// One cell: a rule (or all rules) in a district (or outside every district, or everywhere).
        public struct Cell: Sendable, Codable {
            /// The district's name (the `field` value); absent for outside and totals.
            public var district: String?
            /// Patches with a part of positive area here (a patch split between districts counts in each).
            public var patches: Int
            public var areaM2: Double
            public var areaEllipsoidalM2: Double
            public var areaHa: Double
            public var areaMu: Double

            init(_ district: String?, _ cell: DistrictTabulation.Cell) {
                self.district = district
                patches = cell.patches
                areaM2 = cell.areaM2
                areaEllipsoidalM2 = cell.areaEllipsoidalM2
                areaHa = cell.areaHa
                areaMu = cell.areaMu
            }
        }

        /// One rule across the districts.
        public struct Rule: Sendable, Codable {
            public var rule: String
            /// One cell per district, in `names` order (districts without patches included, with 0).
            public var districts: [Cell]
            /// The part of the rule's patches in no district.
            public var outside: Cell
            /// Σ districts + outside (equals the rule's totals to `reconciliation`).
            public var total: Cell
        }

        public struct Overlap: Sendable, Codable {
            public var a: String
            public var b: String
            public var aFeature: String
            public var bFeature: String
            public var areaM2: Double
        }

        public var path: String
        public var sha256: String
        public var field: String
        /// The districts file's CRS (reprojected into the working CRS when it differs).
        public var crs: String
        public var featuresRead: Int
        public var featuresKept: Int
        /// District names in order of first appearance in the file.
        public var names: [String]
        public var rules: [Rule]
        /// All rules per district (column totals of the table), in `names` order.
        public var totals: [Cell]
        /// All rules outside every district.
        public var outside: Cell
        /// All rules everywhere.
        public var total: Cell
        /// District features that overlap each other; their common area is counted in both.
        public var overlaps: [Overlap]
        /// Largest relative difference, over the rules, between Σ districts + outside and the
        /// rule's total area: planar and ellipsoidal.
        public var reconciliationPlanar: Double
        public var reconciliationEllipsoidal: Double

        init(_ table: DistrictTabulation, layer: DistrictLayer) {
            path = layer.path
            sha256 = layer.sha256
            field = table.field
            crs = layer.sourceCRS.identifier ?? layer.sourceCRS.name
            featuresRead = layer.checked.layer.features.count
            featuresKept = layer.checked.features.count
            names = table.names
            rules = table.rules.indices.map { r in
                Rule(rule: table.rules[r], districts: table.names.indices.map { Cell(table.names[$0], table.cells[r][$0]) },
                     outside: Cell(nil, table.outside[r]), total: Cell(nil, table.ruleTotals[r]))
            }
            totals = table.names.indices.map { Cell(table.names[$0], table.districtTotals[$0]) }
            outside = Cell(nil, table.outsideTotal)
            total = Cell(nil, table.total)
            overlaps = table.overlaps.map { Overlap(a: $0.a, b: $0.b, aFeature: $0.aFeature, bFeature: $0.bFeature, areaM2: $0.areaM2) }
            reconciliationPlanar = table.reconciliation.planar
            reconciliationEllipsoidal = table.reconciliation.ellipsoidal
        }

        /// Two tables, ha and 亩: one row per district, then outside every district and the
        /// total; one column per rule, then all rules.
        func text() -> [String] {
            var lines: [String] = []
            for (unit, value, decimals) in [("ha", \Cell.areaHa, 2), ("亩", \Cell.areaMu, 1)] {
                lines.append("")
                lines.append("patch area by district (\(field), \(path)), \(unit):")
                let header = ["district"] + rules.map(\.rule) + ["all rules"]
                var rows = [header]
                for (d, name) in names.enumerated() {
                    rows.append([name] + rules.map { grouped($0.districts[d][keyPath: value], decimals) } + [grouped(totals[d][keyPath: value], decimals)])
                }
                rows.append(["outside every district"] + rules.map { grouped($0.outside[keyPath: value], decimals) } + [grouped(outside[keyPath: value], decimals)])
                rows.append(["total"] + rules.map { grouped($0.total[keyPath: value], decimals) } + [grouped(total[keyPath: value], decimals)])
                lines += TextTable.lines(rows, rightAligned: 1..<header.count, separatorBefore: [rows.count - 1])
            }
            return lines
        }
    }
}

/// Columns padded to the widest cell, counting East Asian wide characters (汉字, full-width
/// forms) as two columns, as a terminal shows them.
enum TextTable {
    static func lines(_ rows: [[String]], rightAligned: Range<Int>, separatorBefore: Set<Int> = []) -> [String] {
        guard let header = rows.first else { return [] }
        let widths = header.indices.map { c in rows.map { width($0[c]) }.max() ?? 0 }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var lines: [String] = []
        for (n, row) in rows.enumerated() {
            if separatorBefore.contains(n) { lines.append(rule) }
            let cells = row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - width(cell))
                return rightAligned.contains(c) ? pad + cell : cell + pad
            }
            lines.append(String(cells.joined(separator: "  ").reversed().drop { $0 == " " }.reversed()))
            if n == 0 { lines.append(rule) }
        }
        return lines
    }

    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            return total + (wide ? 2 : 1)
        }
    }
}
