import Foundation
import PlanModel

/// The language of the HTML report's labels (`--lang`).
public enum ReportLanguage: String, Sendable, CaseIterable {
    case zh, en
}

/// The HTML report of an overlay run (`overlay --html FILE`): one self-contained file (inline CSS,
/// script and SVG; no network) a planning meeting opens from a USB stick.
///
/// It holds a map of the patches coloured by severity over the outlines of the input layers and
/// the districts (legend beside the map, scale bar, north arrow, CRS; zoom and pan; a click shows
/// a patch's properties), the per-rule statistics, the class pairs and the ten largest patches of
/// each rule, the district × rule table, the paged sortable patch list and the provenance.
///
/// Every figure comes from `OverlaySummary` (the values `--summary` writes) or from the patches of
/// the `OverlayResult` (the values of `--out` and `--csv`); this type only formats them. The map is
/// simplified for display only (`ReportMap`); the data is never simplified.
public struct OverlayReport: Sendable {
    public let result: OverlayResult
    public let summary: OverlaySummary
    public let language: ReportLanguage

    public init(_ result: OverlayResult, summary: OverlaySummary, language: ReportLanguage = .zh) {
        self.result = result
        self.summary = summary
        self.language = language
    }

    var labels: ReportLabels { ReportLabels(language) }

    /// One row per patch (the map's shapes in the same order): the info panel and the patch list.
    /// Rule, severity, layer/class and code columns are choice columns (their texts once).
    func patchTable() -> FeatureTable {
        let L = labels
        var rule = FeatureTable.Choices(), severity = FeatureTable.Choices(), aClass = FeatureTable.Choices()
        var aCode = FeatureTable.Choices(), bClass = FeatureTable.Choices(), bCode = FeatureTable.Choices()
        var rows: [[FeatureTable.Cell]] = []
        rows.reserveCapacity(result.outcomes.reduce(0) { $0 + $1.patches.count })
        for outcome in result.outcomes {
            let r = outcome.rule
            let a = result.layer(named: r.a.layer), b = result.layer(named: r.b.layer)
            let ruleCell = rule.cell(r.id), severityCell = severity.cell(L.severity(r.severity.rawValue))
            let aClassCell = aClass.cell(r.a.layer + " / " + (r.a.className ?? L["all"]))
            let bClassCell = bClass.cell(r.b.layer + " / " + (r.b.className ?? L["all"]))
            for patch in outcome.patches {
                rows.append([
                    .text(patch.id), ruleCell, severityCell, aClassCell, aCode.cell(a.flatMap { $0.codes[patch.aIndex] }),
                    bClassCell, bCode.cell(patch.bIndex.flatMap { i in b.flatMap { $0.codes[i] } }),
                    .number(patch.area), .number(AreaUnit.hectares(patch.area)), .number(AreaUnit.mu(patch.area)), .number(patch.ellipsoidalArea),
                ])
            }
        }
        let columns: [FeatureTable.Column] = [
            .init(key: "id", label: L["id"]), .init(key: "rule", label: L["rule"], values: rule.values),
            .init(key: "severity", label: L["severity"], values: severity.values),
            .init(key: "aClass", label: L["aClass"], values: aClass.values), .init(key: "aCode", label: L["aCode"], values: aCode.values),
            .init(key: "bClass", label: L["bClass"], values: bClass.values), .init(key: "bCode", label: L["bCode"], values: bCode.values),
            .init(key: "areaM2", label: L["areaM2"], decimals: 1), .init(key: "areaHa", label: L["areaHa"], decimals: 4),
            .init(key: "areaMu", label: L["areaMu"], decimals: 2), .init(key: "areaEllipsoidalM2", label: L["areaEllipsoidalM2"], decimals: 1),
        ]
        return FeatureTable(id: "patch-list", columns: columns, rows: rows)
    }

    /// The map: patches by severity over the input layers' outlines, the districts on top.
    func map() -> ReportMap {
        var outlines = result.layers.enumerated().map { i, layer in
            ReportMap.Outline(
                id: "layer-\(i)", label: layer.definition.title.map { "\(layer.definition.name) \($0)" } ?? layer.definition.name,
                colour: ReportMap.outlineColours[i % ReportMap.outlineColours.count], dashed: false, above: false,
                geometries: layer.geometries, titles: nil)
        }
        if let districts = result.districts {
            let titles = districts.districtOfFeature.map { districts.names.indices.contains($0) ? districts.names[$0] : "" }
            outlines.append(ReportMap.Outline(
                id: "districts", label: labels["districts"], colour: "#555", dashed: true, above: true,
                geometries: districts.geometries, titles: titles))
        }
        var shapes: [ReportMap.Shape] = []
        for outcome in result.outcomes {
            for patch in outcome.patches {
                shapes.append(.init(geometry: patch.geometry, cssClass: "sev-\(outcome.rule.severity.rawValue)"))
            }
        }
        return ReportMap(
            shapes: shapes, outlines: outlines,
            swatches: ["critical", "major", "minor"].map { .init(cssClass: "sev-\($0)", label: labels.severity($0)) },
            title: labels["map"], crsText: crsText, isGeographic: result.workingCRS.isGeographic, labels: labels)
    }

    /// The whole HTML document.
    public func html() throws -> String {
        let L = labels
        let map = self.map()
        let frame = map.makeFrame()
        let table = patchTable()
        var body = "<h2>\(esc(L["map"]))</h2>\n" + map.html(frame) { Self.note($0, L) }
        body += ruleTable() + classPairTables() + largestTables(table) + districtTables()
        body += "<h2>\(esc(L["patchList"]))</h2>\n" + table.html()
        body += provenance()
        let subtitle = "\(esc(L["rules"])) <code>\(esc(summary.rulesFile.path))</code> · \(esc(L["crs"])) \(esc(crsText)) · \(esc(L["patches"])) \(table.rows.count)"
        return ReportPage.document(
            language: language, title: "\(L["title"]) – \(summary.rulesFile.path)", subtitle: subtitle, body: body,
            data: [("labels", try ReportPage.json(L.forScript)), ("map", try ReportPage.json(ReportMap.embedded(frame))),
                   ("table", table.json()), ("summary", try ReportPage.json(summary))])
    }

    /// The sentence under the map on what the display simplification did.
    static func note(_ d: ReportMap.Detail, _ L: ReportLabels) -> String {
        L.format("lodNote", [String(d.shapes), String(d.verticesIn), String(d.verticesDrawn), String(d.squares), String(d.outlineFeaturesSkipped)])
    }

    var crsText: String {
        [summary.workingCrs.identifier, summary.workingCrs.name].compactMap { $0 }.joined(separator: " ")
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

    /// Per rule: the patches by the codes of their `a` and `b` features (the summary's
    /// `classPairs`), with the rule's total under them.
    func classPairTables() -> String {
        let L = labels
        var h = "<h2>\(esc(L["classPairs"]))</h2>\n"
        for (i, r) in summary.rules.enumerated() where !r.classPairs.isEmpty {
            h += "<table class=\"data\" id=\"class-pairs-\(i)\" data-rule=\"\(esc(r.id))\">\n"
            h += "<caption>\(esc(r.id)) \(esc(r.title)): \(esc(r.a)) × \(esc(r.b))</caption>\n"
            h += ReportPage.head([L["aCodeShort"], L["bCodeShort"], L["patches"], L["areaM2"], L["areaHa"], L["areaMu"], L["areaEllipsoidalM2"]])
            h += "<tbody>\n"
            for c in r.classPairs {
                h += "<tr><td>\(esc(c.aCode ?? L["none"]))</td><td>\(esc(c.bCode ?? L["none"]))</td>"
                h += num("patches", Double(c.patches), 0) + num("areaM2", c.areaM2, 1) + num("areaHa", c.areaHa, 2)
                h += num("areaMu", c.areaMu, 1) + num("areaEllipsoidalM2", c.areaEllipsoidalM2, 1) + "</tr>\n"
            }
            h += "<tr class=\"total\"><td colspan=\"2\">\(esc(L["total"]))</td>" + num("patches", Double(r.patches), 0)
            h += num("areaM2", r.areaM2, 1) + num("areaHa", r.areaHa, 2) + num("areaMu", r.areaMu, 1)
            h += num("areaEllipsoidalM2", r.areaEllipsoidalM2, 1) + "</tr>\n</tbody>\n</table>\n"
        }
        return h
    }

    /// Per rule: its ten largest patches (planar area; ties by id), rows of the patch table.
    func largestTables(_ table: FeatureTable) -> String {
        let L = labels
        var h = "<h2>\(esc(L["largest"]))</h2>\n"
        var first = 0
        for (i, outcome) in result.outcomes.enumerated() {
            let indices = Array(first..<(first + outcome.patches.count))
            first += outcome.patches.count
            guard !indices.isEmpty else { continue }
            let top = indices.sorted { x, y in
                let p = outcome.patches[x - indices[0]], q = outcome.patches[y - indices[0]]
                return p.area != q.area ? p.area > q.area : p.id < q.id
            }.prefix(10)
            h += "<table class=\"data\" id=\"largest-\(i)\" data-rule=\"\(esc(outcome.rule.id))\">\n"
            h += "<caption>\(esc(outcome.rule.id)) \(esc(outcome.rule.title ?? outcome.rule.id))</caption>\n"
            h += ReportPage.head([L["rank"], L["id"], L["aCodeShort"], L["bCodeShort"], L["areaM2"], L["areaHa"], L["areaMu"], L["areaEllipsoidalM2"]])
            h += "<tbody>\n"
            for (rank, row) in top.enumerated() {
                let patch = outcome.patches[row - indices[0]]
                h += "<tr data-i=\"\(row)\"><td>\(rank + 1)</td><td>\(esc(patch.id))</td><td>\(esc(table.text(row: row, column: 4) ?? "-"))</td><td>\(esc(table.text(row: row, column: 6) ?? "-"))</td>"
                h += num("areaM2", patch.area, 1) + num("areaHa", AreaUnit.hectares(patch.area), 4) + num("areaMu", AreaUnit.mu(patch.area), 2)
                h += num("areaEllipsoidalM2", patch.ellipsoidalArea, 1) + "</tr>\n"
            }
            h += "</tbody>\n</table>\n"
        }
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
            ("invalidPolicy", summary.invalidPolicy), ("gridSize", grid + " m"), ("engine", summary.engineLine()),
            ("minArea", sliver + " m²"),
            ("versions", "plan-check \(summary.planCheckVersion), GEOS \(summary.geosVersion), PROJ \(summary.projVersion), Clipper \(summary.clipperVersion)"),
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

    func num(_ key: String, _ value: Double, _ decimals: Int) -> String { ReportPage.num(key, value, decimals) }
}
