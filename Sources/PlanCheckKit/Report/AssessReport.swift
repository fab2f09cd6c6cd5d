import Foundation
import PlanCRS
import PlanModel
import PlanRegistry

/// The HTML report of an assessment run (`assess --html FILE`): one self-contained file, like the
/// overlay report (`ReportPage`, `ReportMap`), for the meeting that accepts a regional assessment.
///
/// It holds a map of the outcome zones (coloured by outcome, one item at a time, over the
/// regions' outlines and the constraint layers'), the region × item table of zone areas by
/// outcome (ellipsoidal, ha and 亩, with the region's area), the items with validity, issuer,
/// conditions and exclusions, the paged zone list (planar and ellipsoidal m², ha, 亩) and the
/// provenance (registry run id, rules SHA-256, every input). Every figure is a value of the
/// `AssessResult`, the records the same run wrote to the registry; this type only formats them.
public struct AssessReport: Sendable {
    public let result: AssessResult
    public let language: ReportLanguage

    /// Outcomes, best to worst (the registry's `outcome_rank` order).
    static let outcomes = ["reuse", "conditional", "individual", "prohibited"]

    public init(_ result: AssessResult, language: ReportLanguage = .zh) {
        self.result = result
        self.language = language
    }

    var labels: ReportLabels { ReportLabels(language) }

    /// The item ids in the order of the rule set (as the first region lists them).
    var itemIDs: [String] {
        var seen: [String] = []
        for region in result.regions { for item in region.items where !seen.contains(item.itemID) { seen.append(item.itemID) } }
        return seen
    }

    /// Every zone in map order: by item, then region, then outcome (best first).
    var zones: [RegistryZone] {
        let order = Dictionary(uniqueKeysWithValues: itemIDs.enumerated().map { ($1, $0) })
        let regionOrder = Dictionary(uniqueKeysWithValues: result.regions.enumerated().map { ($1.region.regionID, $0) })
        return result.regions.flatMap(\.zones).enumerated().sorted { x, y in
            let a = x.element, b = y.element
            let ka = (order[a.itemID] ?? 0, regionOrder[a.regionID] ?? 0, a.outcomeRank), kb = (order[b.itemID] ?? 0, regionOrder[b.regionID] ?? 0, b.outcomeRank)
            return ka != kb ? ka < kb : x.offset < y.offset
        }.map(\.element)
    }

    func itemTitle(_ id: String) -> String {
        result.regions.lazy.flatMap(\.items).first { $0.itemID == id }?.title ?? id
    }

    /// One row per zone (the map's shapes in the same order): the info panel and the zone list.
    func zoneTable(_ zones: [RegistryZone]) -> FeatureTable {
        let L = labels
        let names = Dictionary(uniqueKeysWithValues: result.regions.map { ($0.region.regionID, $0.region.name) })
        let columns: [FeatureTable.Column] = [
            .init(key: "zone", label: L["zoneId"]), .init(key: "region", label: L["region"]), .init(key: "regionName", label: L["regionName"]),
            .init(key: "item", label: L["item"]), .init(key: "outcome", label: L["outcome"]), .init(key: "source", label: L["source"]),
            .init(key: "condition", label: L["condition"]),
            .init(key: "areaM2", label: L["areaM2"], decimals: 1), .init(key: "areaEllipsoidalM2", label: L["areaEllipsoidalM2"], decimals: 1),
            .init(key: "areaHa", label: L["areaHa"], decimals: 4), .init(key: "areaMu", label: L["areaMu"], decimals: 2),
        ]
        let rows: [[FeatureTable.Cell]] = zones.map { z in
            [.text("\(z.regionID)/\(z.itemID)/\(z.source)"), .text(z.regionID), .text(names[z.regionID] ?? nil),
             .text("\(z.itemID) \(itemTitle(z.itemID))"), .text(L[z.outcome]), .text(z.source), .text(z.condition),
             .number(z.area.planarM2), .number(z.area.ellipsoidalM2), .number(z.area.hectares), .number(z.area.mu)]
        }
        return FeatureTable(id: "zone-list", columns: columns, rows: rows)
    }

    /// The map: zones by outcome, one item at a time, under the regions' outlines and over the
    /// constraint layers'.
    func map(_ zones: [RegistryZone]) -> ReportMap {
        var outlines = result.layers.enumerated().map { i, layer in
            ReportMap.Outline(
                id: "layer-\(i)", label: layer.definition.title.map { "\(layer.definition.name) \($0)" } ?? layer.definition.name,
                colour: ReportMap.outlineColours[i % ReportMap.outlineColours.count], dashed: false, above: false,
                geometries: layer.geometries, titles: nil)
        }
        outlines.append(ReportMap.Outline(
            id: "regions", label: labels["regions"], colour: "#222", dashed: true, above: true,
            geometries: result.regions.map(\.region.geometry),
            titles: result.regions.map { [$0.region.regionID, $0.region.name].compactMap { $0 }.joined(separator: " ") }))
        return ReportMap(
            shapes: zones.map { .init(geometry: $0.geometry, cssClass: "outcome-\($0.outcome)", group: $0.itemID) },
            outlines: outlines,
            swatches: Self.outcomes.map { .init(cssClass: "outcome-\($0)", label: labels[$0]) },
            groups: itemIDs.map { ($0, "\($0) \(itemTitle($0))") },
            title: labels["assessMap"], crsText: crsText, isGeographic: result.workingCRS.isGeographic, labels: labels)
    }

    var crsText: String {
        let srs = result.run.srs
        return srs.organization == "NONE" ? srs.name : "\(srs.organization):\(srs.organizationCode) \(srs.name)"
    }

    /// The whole HTML document.
    public func html() throws -> String {
        let L = labels
        let zones = self.zones
        let map = self.map(zones)
        let frame = map.makeFrame()
        let table = zoneTable(zones)
        var body = "<h2>\(esc(L["assessMap"]))</h2>\n" + map.html(frame) { OverlayReport.note($0, L) }
        body += areaTables() + itemTable()
        body += "<h2>\(esc(L["zoneList"]))</h2>\n" + table.html()
        body += provenance()
        var subtitle = "\(esc(L["registry"])) <code>\(esc(result.registryPath))</code> · \(esc(L["run"])) \(result.runID) · "
        subtitle += "\(esc(L["runAt"])) \(esc(result.run.runAt))"
        if let issuer = result.run.issuedBy { subtitle += " · \(esc(L["issuedBy"])) \(esc(issuer))" }
        return ReportPage.document(
            language: language, title: "\(L["assessTitle"]) – \((result.run.regionsPath as NSString).lastPathComponent)", subtitle: subtitle, body: body,
            data: [("labels", try ReportPage.json(L.forScript)), ("map", try ReportPage.json(ReportMap.embedded(frame))),
                   ("table", table.json())])
    }

    /// Region × item: the area of each outcome (ellipsoidal; the registry's official area) and
    /// the region's area, in ha and in 亩.
    func areaTables() -> String {
        let L = labels
        var h = ""
        for (unit, titleKey, decimals) in [("ha", "byRegionItem", 2), ("mu", "byRegionItemMu", 1)] {
            let key = unit == "ha" ? "areaHa" : "areaMu"
            let value: (RegistryArea) -> Double = { unit == "ha" ? $0.hectares : $0.mu }
            h += "<h2>\(esc(L[titleKey]))</h2>\n<table class=\"data sortable\" id=\"region-items-\(unit)\">\n"
            h += ReportPage.head([L["region"], L["regionName"], L["item"], L["validFrom"], L["validUntil"]] + Self.outcomes.map { L[$0] } + [L["regionArea"]])
            h += "<tbody>\n"
            for region in result.regions {
                for item in region.items {
                    h += "<tr data-region=\"\(esc(region.region.regionID))\" data-item=\"\(esc(item.itemID))\"><td>\(esc(region.region.regionID))</td>"
                    h += "<td>\(esc(region.region.name ?? "-"))</td><td>\(esc(item.itemID)) \(esc(item.title ?? ""))</td>"
                    h += "<td>\(esc(item.validFrom))</td><td>\(esc(item.validUntil))</td>"
                    for outcome in Self.outcomes {
                        let zones = region.zones.filter { $0.itemID == item.itemID && $0.outcome == outcome }
                        let area = RegistryArea(planarM2: zones.reduce(0) { $0 + $1.area.planarM2 }, ellipsoidalM2: zones.reduce(0) { $0 + $1.area.ellipsoidalM2 })
                        h += ReportPage.num("\(key)_\(outcome)", value(area), decimals)
                    }
                    h += ReportPage.num("\(key)_region", value(region.region.area), decimals) + "</tr>\n"
                }
            }
            h += "</tbody>\n</table>\n"
        }
        return h
    }

    /// Each region's items: validity, issuer, default outcome, the condition of each outcome,
    /// the excluded project types and the constraint layers.
    func itemTable() -> String {
        let L = labels
        var h = "<h2>\(esc(L["items"]))</h2>\n<table class=\"data\" id=\"items\">\n"
        h += ReportPage.head([L["region"], L["item"], L["validFrom"], L["validUntil"], L["issuedBy"], L["outcome"], L["condition"], L["excluded"], L["layers"]])
        h += "<tbody>\n"
        for region in result.regions {
            for item in region.items {
                let conditions = Self.outcomes.compactMap { o in item.conditions[o].map { "<li>\(esc(L[o])): \(esc($0))</li>" } }.joined()
                h += "<tr><td>\(esc(region.region.regionID))</td><td>\(esc(item.itemID)) \(esc(item.title ?? ""))</td>"
                h += "<td>\(esc(item.validFrom))</td><td>\(esc(item.validUntil))</td><td>\(esc(item.issuedBy ?? "-"))</td>"
                h += "<td>\(esc(L[item.defaultOutcome]))</td><td><ul>\(conditions)</ul></td>"
                h += "<td>\(esc(item.excludedProjectTypes.joined(separator: ", ")))</td><td>\(esc(item.constraintLayers.joined(separator: ", ")))</td></tr>\n"
            }
        }
        return h + "</tbody>\n</table>\n"
    }

    func provenance() -> String {
        let L = labels
        let run = result.run
        var h = "<h2>\(esc(L["provenance"]))</h2>\n<table class=\"data\" id=\"inputs\">\n"
        h += ReportPage.head([L["layer"], L["path"], L["sha256"], L["read"], L["repaired"], L["rejected"]]) + "<tbody>\n"
        for i in run.inputs {
            h += "<tr data-layer=\"\(esc(i.layer))\"><td>\(esc(i.layer))</td><td><code>\(esc(i.path))</code></td><td><code>\(esc(i.sha256))</code></td>"
            h += ReportPage.num("featuresRead", Double(i.featuresRead), 0) + ReportPage.num("repaired", Double(i.featuresRepaired), 0)
            h += ReportPage.num("rejected", Double(i.featuresRejected), 0) + "</tr>\n"
        }
        h += "</tbody>\n</table>\n<table class=\"data\" id=\"run\">\n"
        let time = result.timings.map { "\($0.stage) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", ")
        for (k, v) in [
            ("registry", result.registryPath), ("run", String(result.runID)), ("runAt", run.runAt), ("issuedBy", run.issuedBy ?? "-"),
            ("rules", run.rulesPath), ("rulesHash", "SHA-256 " + run.rulesSHA256), ("crs", crsText),
            ("minAreaQuery", grouped(run.minAreaM2, 2)), ("versions", "plan-check \(run.planCheckVersion)"), ("libraries", run.libraries),
            ("time", time),
        ] {
            h += "<tr data-k=\"\(k)\"><th>\(esc(L[k]))</th><td>\(esc(v))</td></tr>\n"
        }
        h += "</table>\n"
        if !result.warnings.isEmpty {
            h += "<h3>\(esc(L["warnings"]))</h3>\n<ul>\n" + result.warnings.map { "<li>\(esc($0))</li>\n" }.joined() + "</ul>\n"
        }
        return h
    }
}
