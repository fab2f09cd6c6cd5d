import Foundation
import PlanRegistry

/// The text `plan-check assess` prints: a line per region as it is stored, then a table.
public enum AssessText {
    /// `R1 临港产业园: 312.40 ha, 4 items, 9 zones`.
    public static func regionLine(_ region: AssessedRegion) -> String {
        let name = region.region.name.map { " \($0)" } ?? ""
        return "\(region.region.regionID)\(name): \(String(format: "%.2f", region.region.area.hectares)) ha, \(region.items.count) items, \(region.zones.count) zones"
    }

    /// The run's provenance and, per region and item, the area in each outcome.
    public static func summary(_ result: AssessResult) -> String {
        var out = "registry \(result.registryPath): run \(result.runID) at \(result.run.runAt)"
        if let issuer = result.run.issuedBy { out += " issued by \(issuer)" }
        out += "\nCRS \(result.run.srs.organization):\(result.run.srs.organizationCode) \(result.run.srs.name); rules sha256 \(result.run.rulesSHA256.prefix(16))…\n"
        let outcomes = ["reuse", "conditional", "individual", "prohibited"]
        out += "region  item        valid                     " + outcomes.map { pad($0 + " ha", 15, right: true) }.joined() + "\n"
        for region in result.regions {
            for item in region.items {
                var line = pad(region.region.regionID, 8) + pad(item.itemID, 12) + pad("\(item.validFrom)..\(item.validUntil)", 26)
                for outcome in outcomes {
                    let area = region.zones.filter { $0.itemID == item.itemID && $0.outcome == outcome }
                        .reduce(0) { $0 + $1.area.hectares }
                    line += pad(area == 0 ? "-" : String(format: "%.2f", area), 15, right: true)
                }
                out += line + "\n"
            }
        }
        return out
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E7F ? 2 : 1) }
        let fill = String(repeating: " ", count: max(1, width - count))
        return right ? fill + text : text + fill
    }
}
