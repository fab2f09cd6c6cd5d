import Foundation
import PlanModel

/// The patches as a CSV table for Excel (`overlay --csv FILE`): one row per patch, in the order
/// of the GeoJSON output, with its lineage properties and areas, and its centroid.
///
/// Columns: `id`, `rule`, `title`, `severity`, `relation`, `a_layer`, `a_fid`, `a_class`, `a_code`,
/// `b_layer`, `b_fid`, `b_class`, `b_code`, `area_m2`, `area_ellipsoidal_m2`, `area_ha`, `area_mu`,
/// `centroid_x`, `centroid_y`; with districts also `district` (the district with the largest
/// planar share of the patch; empty when the patch lies in no district) and `district_share`
/// (that share, 0…1); then the disposition columns `status` … `rules_sha256` (see
/// `DispositionLedger.columnNames`), which `overlay --dispositions` reads back. The source
/// features' attributes (`a.*`, `b.*` in the GeoJSON) are not repeated here.
///
/// UTF-8 with a byte-order mark (so Excel shows Chinese), RFC 4180: comma-separated, CRLF line
/// ends, a field quoted (with `""` for `"`) when it holds a comma, a quote or a line break. Numbers
/// are unformatted: Swift's shortest text that reads back to the same Double, `.` as decimal
/// point. A null (an `outside` patch's `b_fid` and `b_code`) is an empty field.
///
/// Formula-injection guard (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a single quote `'` in front, so Excel shows it as text
/// instead of running it as a formula. Number cells (areas, centroid, share, integer feature ids)
/// are never prefixed: a negative number stays a number.
public struct PatchCSV: Sendable {
    public static let byteOrderMark = "\u{FEFF}"

    public let result: OverlayResult

    public init(_ result: OverlayResult) { self.result = result }

    public var header: [String] {
        ["id", "rule", "title", "severity", "relation", "a_layer", "a_fid", "a_class", "a_code",
         "b_layer", "b_fid", "b_class", "b_code", "area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu",
         "centroid_x", "centroid_y"] + (result.districtTable == nil ? [] : ["district", "district_share"])
            + DispositionLedger.columnNames
    }

    /// The whole file: BOM, header, one row per patch.
    public func text() -> String {
        var out = Self.byteOrderMark + Self.line(header)
        var n = 0
        for outcome in result.outcomes {
            let rule = outcome.rule
            guard result.layer(named: rule.a.layer) != nil, result.layer(named: rule.b.layer) != nil else { continue }
            let lineage = PatchLineage(rule: rule, layers: result.layers, ledger: result.ledger)
            for patch in outcome.patches {
                var districtCells: [String] = []
                if let table = result.districtTable {
                    if let best = table.splits[n].largestShare(of: patch.area) {
                        districtCells = [Self.text(table.names[best.district]), Self.number(best.share)]
                    } else {
                        districtCells = ["", "0"]
                    }
                }
                out += Self.row(patch, lineage: lineage, districtCells: districtCells)
                n += 1
            }
        }
        return out
    }

    /// The BOM and header of a table without district columns (`rows(_:lineage:)` follow).
    static var headerWithoutDistricts: String {
        byteOrderMark + line(
            ["id", "rule", "title", "severity", "relation", "a_layer", "a_fid", "a_class", "a_code",
             "b_layer", "b_fid", "b_class", "b_code", "area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu",
             "centroid_x", "centroid_y"] + DispositionLedger.columnNames)
    }

    /// The rows of `patches` (one rule's, `lineage`) in a table without district columns: what
    /// `text()` writes for them, so a run can write the table as the patches are made.
    static func rows<Patches: Sequence<DiscrepancyPatch>>(_ patches: Patches, lineage: PatchLineage) -> String {
        var out = ""
        for patch in patches { out += row(patch, lineage: lineage, districtCells: []) }
        return out
    }

    /// One patch's row: lineage, areas, centroid, `districtCells`, the disposition columns.
    static func row(_ patch: DiscrepancyPatch, lineage: PatchLineage, districtCells: [String]) -> String {
        let rule = lineage.rule
        let centroid = centroid(of: patch.geometry)
        let head = [patch.id, rule.id, rule.title ?? rule.id, rule.severity.rawValue, rule.relation.rawValue, rule.a.layer]
        var row: [String] = head.map(text) + [
            featureID(lineage.aFeatures[patch.aIndex].id), text(rule.a.className ?? "all"),
            text(lineage.aCodes[patch.aIndex] ?? ""), text(rule.b.layer),
            patch.bIndex.map { featureID(lineage.bFeatures[$0].id) } ?? "", text(rule.b.className ?? "all"),
            text(patch.bIndex.flatMap { lineage.bCodes[$0] } ?? ""),
            number(patch.area), number(patch.ellipsoidalArea),
            number(AreaUnit.hectares(patch.area)), number(AreaUnit.mu(patch.area)),
            centroid.map { number($0.x) } ?? "", centroid.map { number($0.y) } ?? "",
        ]
        row += districtCells
        // The decisions are planners' text: guarded like every other text cell.
        row += lineage.ledger.columns(of: patch).map { column in
            switch column.value {
            case .double(let d): number(d)
            case .string(let s): text(s)
            default: ""
            }
        }
        return line(row)
    }

    static func line(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\r\n"
    }

    /// RFC 4180: quoted when it holds a comma, a double quote, CR or LF.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The characters a spreadsheet reads as the start of a formula (OWASP's list).
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// A text cell with the formula-injection guard: `'` before a leading `=`, `+`, `-`, `@`, tab or CR.
    static func text(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, formulaStarts.contains(Character(first)) else { return value }
        return "'" + value
    }

    /// An integer feature id is a number cell (never prefixed, `-1` stays `-1`); a text id is a text cell.
    static func featureID(_ id: FeatureID) -> String {
        switch id {
        case .int(let i): String(i)
        case .string(let s): text(s)
        }
    }

    /// The shortest text that reads back as `value` (`1234.5`, `0.1`, `41483520.25`).
    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "" }

    /// The area-weighted centroid of the polygons of `geometry` (holes subtracted), in its CRS, as
    /// GEOS's `GEOSGetCentroid_r` computes it; computed about the first position so that large
    /// Gauss-Krüger coordinates lose no digits. Nil for a geometry with no area.
    static func centroid(of geometry: GeometryValue) -> Position? {
        var area = 0.0, cx = 0.0, cy = 0.0
        var origin: Position?
        for polygon in geometry.polygons {
            for (r, ring) in polygon.enumerated() where ring.count >= 3 {
                let o = origin ?? ring[0]
                origin = o
                // Shoelace sums over the ring; holes run the other way round in valid GEOS
                // output, but orientation is not relied on: exterior positive, holes negative.
                var a = 0.0, x = 0.0, y = 0.0
                for k in 0..<(ring.count - 1) {
                    let p = Position(ring[k].x - o.x, ring[k].y - o.y), q = Position(ring[k + 1].x - o.x, ring[k + 1].y - o.y)
                    let cross = p.x * q.y - q.x * p.y
                    a += cross
                    x += (p.x + q.x) * cross
                    y += (p.y + q.y) * cross
                }
                let sign: Double = (r == 0) == (a >= 0) ? 1 : -1
                area += sign * a
                cx += sign * x
                cy += sign * y
            }
        }
        guard let origin, area != 0 else { return nil }
        return Position(origin.x + cx / (3 * area), origin.y + cy / (3 * area))
    }
}
