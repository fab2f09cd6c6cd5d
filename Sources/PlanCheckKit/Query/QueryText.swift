import Foundation
import PlanRules

extension QueryAnswer {
    /// The answer as JSON (snake_case keys, sorted, indented), the layout of
    /// `query-answer.schema.json`.
    public func json() throws -> String {
        try ReportJSON.text(self)
    }

    /// Reads an answer back from its JSON.
    public static func decode(json: Data) throws -> QueryAnswer {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(QueryAnswer.self, from: json)
    }

    /// The answer as a planner or applicant reads it on a terminal (一张表单).
    public func text() -> String {
        var out = "Site \(query.site): \(site.parts) part\(site.parts == 1 ? "" : "s"), \(Self.areaText(site.area))"
        out += "; project type \(query.projectType ?? "not given"); judged on \(query.at)\n"
        out += "Registry \(registry.path) (\(registry.crs)), latest run \(registry.latestRunId) at \(registry.latestRunAt)\n"
        if site.regions.isEmpty {
            out += "Regions: none: the site lies outside every assessed region\n"
        } else {
            out += "Regions: " + site.regions.map { "\($0.regionId)\($0.name.map { " \($0)" } ?? "") (\(Self.areaText($0.area)))" }
                .joined(separator: "; ") + "\n"
        }
        if site.outsideRegions.m2 > 0 { out += "Outside every region: \(Self.areaText(site.outsideRegions))\n" }
        for line in site.repaired { out += "Repaired: \(line)\n" }
        for line in site.rejected { out += "Rejected: \(line)\n" }

        out += "\nPlan conformity (rules: \(query.rules))\n"
        if conformity.rules.isEmpty { out += "  no rule reads the site\n" }
        for rule in conformity.rules {
            let head = "  \(rule.rule) \(rule.title ?? "") [\(rule.severity)]"
            if rule.patches.isEmpty {
                out += "\(head): no patch\n"
            } else {
                out += "\(head): \(rule.patches.count) patch\(rule.patches.count == 1 ? "" : "es"), \(Self.areaText(rule.area))\n"
                for patch in rule.patches.prefix(10) {
                    out += "      \(patch.id)\(patch.bCode.map { " code \($0)" } ?? ""): \(Self.areaText(patch.area))\n"
                }
                if rule.patches.count > 10 { out += "      … \(rule.patches.count - 10) more in the JSON answer\n" }
            }
        }

        out += "\nRegional assessments (区域评估)\n"
        if items.isEmpty { out += "  the registry has no current assessment item\n" }
        for item in items {
            out += "  \(item.itemId) \(item.title ?? ""): \(item.outcome.rawValue) \(item.outcomeTerm)\(item.mayReuse ? "" : "  ✗")\n"
            for zone in item.zones {
                out += "      zone \(zone.regionId) \(zone.source) → \(zone.outcome.rawValue): \(Self.areaText(zone.area))\n"
            }
            for reason in item.reasons where reason.code != "zone" {
                out += "      why: \(reason.message)\n"
            }
            if item.mayReuse {
                for condition in item.conditions { out += "      condition: \(condition)\n" }
            } else {
                // Only what the worst zones say; the reuse texts of the other zones do not apply.
                let worst = Set(item.zones.filter { $0.outcome == item.zoneOutcome && $0.outcome > .reuse }.compactMap(\.condition))
                for condition in item.conditions where worst.contains(condition) { out += "      note: \(condition)\n" }
            }
        }
        for note in notes { out += "\nNote: \(note)\n" }
        if mayProceed {
            out += "\nVerdict: the site may rely on the regional assessments (with the conditions above); no critical conformity patch.\n"
        } else {
            var why: [String] = []
            let blocked = items.filter { !$0.mayReuse }
            if !blocked.isEmpty { why.append(blocked.map { "\($0.itemId) \($0.outcome.rawValue)" }.joined(separator: ", ")) }
            if conformity.criticalPatches > 0 { why.append("\(conformity.criticalPatches) critical conformity patch\(conformity.criticalPatches == 1 ? "" : "es")") }
            out += "\nVerdict: the site may NOT rely on the regional assessments alone: \(why.joined(separator: "; ")).\n"
        }
        return out
    }

    static func areaText(_ area: Area) -> String {
        String(format: "%.2f ha / %.2f 亩 (%.1f m²)", area.ha, area.mu, area.ellipsoidalM2)
    }
}
