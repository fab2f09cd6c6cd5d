import Foundation
import PlanModel

/// The language of the HTML report's labels (`--lang`).
public enum ReportLanguage: String, Sendable, CaseIterable {
    case zh, en
}

/// The HTML report of an overlay run (`overlay --html FILE`): one self-contained file (inline CSS,
/// script and SVG; no network) a planning meeting opens from a USB stick.
///
/// It holds a map of the patches coloured by severity over the district outlines (legend, scale
/// bar, north arrow, CRS; zoom and pan; a click shows a patch's properties), the per-rule
/// statistics, the district × rule table, the sortable patch list and the provenance.
///
/// Every figure comes from `OverlaySummary` (the values `--summary` writes) or from the patches of
/// the `OverlayResult` (the values of `--out` and `--csv`); this type only formats them. The map is
/// simplified for display only: coordinates are rounded to a tenth of a pixel of the drawing and
/// repeated points dropped; the data is never simplified.
public struct OverlayReport: Sendable {
    public let result: OverlayResult
    public let summary: OverlaySummary
    public let language: ReportLanguage

    /// Width and height of the map drawing (SVG user units, about pixels).
    static let mapWidth = 900.0, mapHeight = 600.0, margin = 20.0

    public init(_ result: OverlayResult, summary: OverlaySummary, language: ReportLanguage = .zh) {
        self.result = result
        self.summary = summary
        self.language = language
    }

    /// One patch as the report's script shows it (the embedded JSON).
    struct PatchRow: Encodable {
        var id: String
        var rule: String
        var severity: String
        var severityLabel: String
        var aLayer: String
        var aClass: String
        var aCode: String?
        var bLayer: String
        var bClass: String
        var bCode: String?
        var areaM2: Double
        var areaEllipsoidalM2: Double
        var areaHa: Double
        var areaMu: Double
    }

    /// What the report's script reads: labels, the map transform, the patches and the summary.
    struct Embedded: Encodable {
        struct MapFrame: Encodable {
            /// SVG units per CRS unit, and metres per CRS unit (for the scale bar).
            var scale: Double
            var metresPerUnit: Double
        }
        var labels: [String: String]
        var map: MapFrame
        var patches: [PatchRow]
        var summary: OverlaySummary
    }

    var labels: Labels { Labels(language) }

    var patchRows: [PatchRow] {
        var rows: [PatchRow] = []
        for outcome in result.outcomes {
            let rule = outcome.rule
            guard let a = result.layer(named: rule.a.layer), let b = result.layer(named: rule.b.layer) else { continue }
            for patch in outcome.patches {
                rows.append(PatchRow(
                    id: patch.id, rule: rule.id, severity: rule.severity.rawValue, severityLabel: labels.severity(rule.severity.rawValue),
                    aLayer: rule.a.layer, aClass: rule.a.className ?? labels["all"], aCode: a.codes[patch.aIndex],
                    bLayer: rule.b.layer, bClass: rule.b.className ?? labels["all"], bCode: patch.bIndex.flatMap { b.codes[$0] },
                    areaM2: patch.area, areaEllipsoidalM2: patch.ellipsoidalArea,
                    areaHa: AreaUnit.hectares(patch.area), areaMu: AreaUnit.mu(patch.area)))
            }
        }
        return rows
    }

    /// The whole HTML document.
    public func html() throws -> String {
        let L = labels
        let rows = patchRows
        let frame = MapFrame(result)
        let embedded = Embedded(
            labels: L.forScript, map: .init(scale: frame.scale, metresPerUnit: frame.metresPerUnit), patches: rows, summary: summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // `</` would end the script element; `<\/` is the same JSON string.
        let json = String(decoding: try encoder.encode(embedded), as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")

        var h = "<!DOCTYPE html>\n<html lang=\"\(language == .zh ? "zh-CN" : "en")\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<title>\(esc(L["title"])) – \(esc(summary.rulesFile.path))</title>\n<style>\n\(ReportAssets.css)\n</style>\n</head>\n<body>\n"
        h += "<h1>\(esc(L["title"]))</h1>\n<p class=\"sub\">\(esc(L["rules"])) <code>\(esc(summary.rulesFile.path))</code> · "
        h += "\(esc(L["crs"])) \(esc(crsText)) · \(esc(L["patches"])) \(rows.count)</p>\n"
        h += "<h2>\(esc(L["map"]))</h2>\n<div class=\"mapbox\">\n\(mapSVG(frame))\n"
        h += "<div id=\"info\">\(esc(L["clickHint"]))</div>\n</div>\n"
        h += ruleTable()
        h += districtTables()
        h += patchTable(rows)
        h += provenance()
        h += "<script type=\"application/json\" id=\"report-data\">\(json)</script>\n"
        h += "<script>\n\(ReportAssets.js)\n</script>\n</body>\n</html>\n"
        return h
    }

    var crsText: String {
        [summary.workingCrs.identifier, summary.workingCrs.name].compactMap { $0 }.joined(separator: " ")
    }

    // MARK: Map

    /// The drawing's transform: CRS units to SVG units, y flipped, the extent of the patches and
    /// districts fitted into the map with a margin.
    struct MapFrame {
        var minX = 0.0, maxY = 0.0, scale = 1.0, metresPerUnit = 1.0

        init(_ result: OverlayResult) {
            var lo = Position(.infinity, .infinity), hi = Position(-.infinity, -.infinity)
            let geometries = result.patches.map(\.geometry) + (result.districts?.geometries ?? [])
            for g in geometries { for poly in g.polygons { for ring in poly { for p in ring {
                lo = Position(min(lo.x, p.x), min(lo.y, p.y)); hi = Position(max(hi.x, p.x), max(hi.y, p.y))
            } } } }
            guard lo.x.isFinite, hi.x > lo.x || hi.y > lo.y else { return }
            let w = max(hi.x - lo.x, 1e-12), hgt = max(hi.y - lo.y, 1e-12)
            scale = min((OverlayReport.mapWidth - 2 * OverlayReport.margin) / w, (OverlayReport.mapHeight - 2 * OverlayReport.margin) / hgt)
            // Centre the extent in the drawing.
            minX = lo.x - ((OverlayReport.mapWidth / scale) - w) / 2
            maxY = hi.y + ((OverlayReport.mapHeight / scale) - hgt) / 2
            if result.workingCRS.isGeographic {
                // Degrees: metres along the parallel at the middle latitude (for the scale bar only).
                metresPerUnit = 111_319.49 * cos((lo.y + hi.y) / 2 * .pi / 180)
            }
        }

        /// An SVG path of the polygons: rounded to 0.1 unit, repeated points dropped.
        func path(_ geometry: GeometryValue) -> String {
            var d = ""
            for poly in geometry.polygons {
                for ring in poly {
                    var last: (Int, Int)? = nil
                    var count = 0
                    for p in ring {
                        let x = Int(((p.x - minX) * scale * 10).rounded()), y = Int(((maxY - p.y) * scale * 10).rounded())
                        if let last, last == (x, y) { continue }
                        d += (count == 0 ? "M" : "L") + tenths(x) + " " + tenths(y)
                        last = (x, y)
                        count += 1
                    }
                    if count > 0 { d += "Z" }
                }
            }
            return d
        }

        private func tenths(_ v: Int) -> String {
            let whole = v / 10, frac = abs(v % 10)
            let sign = v < 0 && whole == 0 ? "-" : ""
            return frac == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
        }
    }

    func mapSVG(_ frame: MapFrame) -> String {
        let L = labels, W = Self.mapWidth, H = Self.mapHeight
        var s = "<svg id=\"map\" viewBox=\"0 0 \(Int(W)) \(Int(H))\" width=\"\(Int(W))\" height=\"\(Int(H))\" role=\"img\" aria-label=\"\(esc(L["map"]))\">\n"
        s += "<svg id=\"view\" x=\"0\" y=\"0\" width=\"\(Int(W))\" height=\"\(Int(H))\" viewBox=\"0 0 \(Int(W)) \(Int(H))\">\n"
        s += "<rect width=\"\(Int(W))\" height=\"\(Int(H))\" fill=\"transparent\"/>\n"
        var i = 0
        s += "<g id=\"patches\">\n"
        for outcome in result.outcomes {
            for patch in outcome.patches {
                s += "<path class=\"patch sev-\(outcome.rule.severity.rawValue)\" data-i=\"\(i)\" d=\"\(frame.path(patch.geometry))\"/>\n"
                i += 1
            }
        }
        s += "</g>\n"
        if let districts = result.districts {
            s += "<g id=\"districts\">\n"
            for (k, g) in districts.geometries.enumerated() {
                let name = districts.districtOfFeature.indices.contains(k) && districts.names.indices.contains(districts.districtOfFeature[k])
                    ? districts.names[districts.districtOfFeature[k]] : ""
                s += "<path class=\"district\" d=\"\(frame.path(g))\"><title>\(esc(name))</title></path>\n"
            }
            s += "</g>\n"
        }
        s += "</svg>\n"
        // The frame: legend, north arrow, scale bar (its length set by the script for the zoom), CRS.
        let severities = ["critical", "major", "minor"]
        s += "<g id=\"legend\" font-size=\"12\"><rect x=\"\(Int(W) - 150)\" y=\"\(Int(H) - 30 - 18 * severities.count - (result.districts == nil ? 0 : 18))\" width=\"140\" height=\"\(26 + 18 * severities.count + (result.districts == nil ? 0 : 18))\" fill=\"#fff\" fill-opacity=\".85\" stroke=\"#999\"/>\n"
        var y = Int(H) - 14 - 18 * severities.count - (result.districts == nil ? 0 : 18)
        s += "<text x=\"\(Int(W) - 142)\" y=\"\(y)\" font-weight=\"bold\">\(esc(L["legend"]))</text>\n"
        for sev in severities {
            y += 18
            s += "<rect class=\"sev-\(sev)\" x=\"\(Int(W) - 142)\" y=\"\(y - 10)\" width=\"14\" height=\"12\" stroke=\"#333\"/><text x=\"\(Int(W) - 122)\" y=\"\(y)\">\(esc(L.severity(sev)))</text>\n"
        }
        if result.districts != nil {
            y += 18
            s += "<line x1=\"\(Int(W) - 142)\" y1=\"\(y - 4)\" x2=\"\(Int(W) - 128)\" y2=\"\(y - 4)\" stroke=\"#555\" stroke-dasharray=\"4 2\"/><text x=\"\(Int(W) - 122)\" y=\"\(y)\">\(esc(L["districts"]))</text>\n"
        }
        s += "</g>\n"
        s += "<g id=\"north\" transform=\"translate(\(Int(W) - 30),22)\"><path d=\"M0 -12 L7 10 L0 5 L-7 10 Z\" fill=\"#222\"/><text y=\"24\" text-anchor=\"middle\" font-size=\"12\">N</text><title>\(esc(L["north"]))</title></g>\n"
        s += "<g id=\"scale\" font-size=\"12\"><text x=\"20\" y=\"\(Int(H) - 28)\">\(esc(L["scaleBar"]))</text>"
        s += "<rect id=\"scale-bar\" x=\"20\" y=\"\(Int(H) - 22)\" width=\"100\" height=\"5\" fill=\"#222\"/>"
        s += "<text id=\"scale-label\" x=\"20\" y=\"\(Int(H) - 6)\"></text></g>\n"
        s += "<text x=\"10\" y=\"16\" font-size=\"11\" fill=\"#444\">\(esc(L["crs"])): \(esc(crsText))</text>\n"
        s += "<g id=\"reset\" cursor=\"pointer\"><rect x=\"10\" y=\"24\" width=\"60\" height=\"18\" fill=\"#fff\" stroke=\"#999\"/><text x=\"40\" y=\"37\" font-size=\"11\" text-anchor=\"middle\">\(esc(L["reset"]))</text></g>\n"
        s += "</svg>"
        return s
    }

    // MARK: Tables

    func ruleTable() -> String {
        let L = labels
        var h = "<h2>\(esc(L["byRule"]))</h2>\n<table class=\"data\" id=\"rules\">\n<thead><tr>"
        for k in ["rule", "title_", "severity", "relation", "patches", "areaM2", "areaHa", "areaMu", "areaEllipsoidalM2", "dissolvedM2", "minArea", "sliversDropped", "sliverArea"] {
            h += "<th>\(esc(L[k]))</th>"
        }
        h += "</tr></thead>\n<tbody>\n"
        for r in summary.rules {
            h += "<tr data-rule=\"\(esc(r.id))\"><td>\(esc(r.id))</td><td>\(esc(r.title))</td><td><span class=\"sw sev-\(esc(r.severity))\"></span>\(esc(L.severity(r.severity)))</td>"
            h += "<td>\(esc(r.relation))</td>"
            h += num("patches", Double(r.patches), 0) + num("areaM2", r.areaM2, 1) + num("areaHa", r.areaHa, 2) + num("areaMu", r.areaMu, 1)
            h += num("areaEllipsoidalM2", r.areaEllipsoidalM2, 1)
            h += r.dissolvedAreaM2.map { num("dissolvedAreaM2", $0, 1) } ?? "<td class=\"n\">-</td>"
            h += num("minAreaM2", r.minAreaM2, 2) + num("sliversDropped", Double(r.sliversDropped), 0) + num("sliverAreaM2", r.sliverAreaM2, 1)
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n"
        return h
    }

    func districtTables() -> String {
        guard let d = summary.districts else { return "" }
        let L = labels
        var h = "<h2>\(esc(L["byDistrict"])) (\(esc(d.field)))</h2>\n"
        for (unit, key, decimals) in [("ha", "areaHa", 2), ("mu", "areaMu", 1)] {
            let value: (OverlaySummary.Districts.Cell) -> Double = { unit == "ha" ? $0.areaHa : $0.areaMu }
            h += "<table class=\"data\" id=\"districts-\(unit)\">\n<caption>\(esc(L[key]))</caption>\n<thead><tr><th>\(esc(L["district"]))</th>"
            for r in d.rules { h += "<th>\(esc(r.rule))</th>" }
            h += "<th>\(esc(L["allRules"]))</th></tr></thead>\n<tbody>\n"
            for (i, name) in d.names.enumerated() {
                h += "<tr data-district=\"\(esc(name))\"><td>\(esc(name))</td>"
                for r in d.rules { h += num(key, value(r.districts[i]), decimals) }
                h += num(key, value(d.totals[i]), decimals) + "</tr>\n"
            }
            h += "<tr data-district=\"\" class=\"outside\"><td>\(esc(L["outside"]))</td>"
            for r in d.rules { h += num(key, value(r.outside), decimals) }
            h += num(key, value(d.outside), decimals) + "</tr>\n"
            h += "<tr class=\"total\"><td>\(esc(L["total"]))</td>"
            for r in d.rules { h += num(key, value(r.total), decimals) }
            h += num(key, value(d.total), decimals) + "</tr>\n</tbody>\n</table>\n"
        }
        return h
    }

    func patchTable(_ rows: [PatchRow]) -> String {
        let L = labels
        var h = "<h2>\(esc(L["patchList"]))</h2>\n<table class=\"data sortable\" id=\"patch-list\">\n<thead><tr>"
        for k in ["id", "rule", "severity", "aClass", "aCode", "bClass", "bCode", "areaM2", "areaHa", "areaMu", "areaEllipsoidalM2"] {
            h += "<th>\(esc(L[k]))</th>"
        }
        h += "</tr></thead>\n<tbody>\n"
        let rank = ["critical": 3, "major": 2, "minor": 1]
        for p in rows {
            h += "<tr><td>\(esc(p.id))</td><td>\(esc(p.rule))</td><td data-v=\"\(rank[p.severity] ?? 0)\">\(esc(p.severityLabel))</td>"
            h += "<td>\(esc(p.aLayer)) / \(esc(p.aClass))</td><td>\(esc(p.aCode ?? "-"))</td><td>\(esc(p.bLayer)) / \(esc(p.bClass))</td><td>\(esc(p.bCode ?? "-"))</td>"
            h += num("areaM2", p.areaM2, 1) + num("areaHa", p.areaHa, 4) + num("areaMu", p.areaMu, 2) + num("areaEllipsoidalM2", p.areaEllipsoidalM2, 1)
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n"
        return h
    }

    func provenance() -> String {
        let L = labels
        var h = "<h2>\(esc(L["provenance"]))</h2>\n<table class=\"data\" id=\"inputs\">\n<thead><tr>"
        for k in ["layer", "path", "format", "sourceCrs", "sha256", "read", "kept", "repaired", "rejected"] { h += "<th>\(esc(L[k]))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for i in summary.inputs {
            let rejected = i.rejected.map { "\($0.featureId.id): \($0.reasons.joined(separator: "; "))" }.joined(separator: " | ")
            h += "<tr data-layer=\"\(esc(i.layer))\"><td>\(esc(i.layer))</td><td><code>\(esc(i.path))</code></td><td>\(esc(i.format))</td><td>\(esc(i.crs ?? "-"))</td>"
            h += "<td><code>\(esc(i.sha256))</code></td>" + num("featuresRead", Double(i.featuresRead), 0) + num("featuresKept", Double(i.featuresKept), 0)
            h += num("repaired", Double(i.repaired.count), 0) + "<td data-k=\"rejected\" data-v=\"\(i.rejected.count)\">\(i.rejected.count)\(rejected.isEmpty ? "" : ": " + esc(rejected))</td></tr>\n"
        }
        if let d = summary.districts {
            h += "<tr data-layer=\"\"><td>\(esc(L["districts"]))</td><td><code>\(esc(d.path))</code></td><td></td><td>\(esc(d.crs))</td>"
            h += "<td><code>\(esc(d.sha256))</code></td>" + num("featuresRead", Double(d.featuresRead), 0) + num("featuresKept", Double(d.featuresKept), 0)
            h += "<td></td><td></td></tr>\n"
        }
        h += "</tbody>\n</table>\n<table class=\"data\" id=\"run\">\n"
        let grid = Set(summary.rules.map(\.gridSizeM)).sorted().map { grouped($0, 3) }.joined(separator: ", ")
        let sliver = Set(summary.rules.map(\.minAreaM2)).sorted().map { grouped($0, 2) }.joined(separator: ", ")
        let order = ["read", "check", "reproject", "districts", "overlay", "write"]
        let time = order.compactMap { s in summary.timings[s].map { "\(s) \(String(format: "%.2f", $0)) s" } }.joined(separator: ", ")
        for (k, v) in [
            ("rules", summary.rulesFile.path), ("rulesHash", "SHA-256 " + summary.rulesFile.sha256), ("crs", crsText),
            ("invalidPolicy", summary.invalidPolicy), ("gridSize", grid + " m"), ("minArea", sliver + " m²"),
            ("versions", "plan-check \(summary.planCheckVersion), GEOS \(summary.geosVersion), PROJ \(summary.projVersion)"),
            ("time", time),
        ] {
            h += "<tr><th>\(esc(L[k]))</th><td>\(esc(v))</td></tr>\n"
        }
        h += "</table>\n"
        if !summary.warnings.isEmpty {
            h += "<h3>\(esc(L["warnings"]))</h3>\n<ul>\n" + summary.warnings.map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        return h
    }

    /// A number cell: the value unformatted in `data-v` (for sorting and checking), grouped in the text.
    func num(_ key: String, _ value: Double, _ decimals: Int) -> String {
        "<td class=\"n\" data-k=\"\(key)\" data-v=\"\(value)\">\(grouped(value, decimals))</td>"
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
