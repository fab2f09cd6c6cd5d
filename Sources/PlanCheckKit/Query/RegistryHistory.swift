import Foundation
import PlanRegistry

/// What the registry holds and held: every run with its provenance, and every item record of
/// every region, current or superseded (`plan-check history`).
public struct RegistryHistory: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var runId: Int64
        public var runAt: String
        public var issuedBy: String?
        public var rulesPath: String
        public var rulesSha256: String
        public var regionsPath: String
        public var planCheckVersion: String
        public var inputs: [Input]
    }

    public struct Input: Codable, Sendable {
        public var layer: String
        public var path: String
        public var sha256: String
    }

    public struct Record: Codable, Sendable {
        public var regionId: String
        public var itemId: String
        public var runId: Int64
        public var validFrom: String
        public var validUntil: String
        public var issuedBy: String?
        /// nil while current.
        public var supersededByRun: Int64?
        public var supersededAt: String?
    }

    public var registry: String
    public var runs: [Run]
    public var records: [Record]

    /// Reads the history of the registry at `path`, optionally of one region and/or item.
    public static func read(registry path: String, regionID: String? = nil, itemID: String? = nil) throws -> RegistryHistory {
        let reader = try RegistryReader(path: path)
        let runs = try reader.allRuns().map { stored in
            Run(runId: stored.runID, runAt: stored.run.runAt, issuedBy: stored.run.issuedBy, rulesPath: stored.run.rulesPath,
                rulesSha256: stored.run.rulesSHA256, regionsPath: stored.run.regionsPath,
                planCheckVersion: stored.run.planCheckVersion,
                inputs: stored.run.inputs.map { Input(layer: $0.layer, path: $0.path, sha256: $0.sha256) })
        }
        let records = try reader.itemHistory(regionID: regionID, itemID: itemID).map { stored in
            Record(regionId: stored.item.regionID, itemId: stored.item.itemID, runId: stored.runID,
                   validFrom: stored.item.validFrom, validUntil: stored.item.validUntil, issuedBy: stored.item.issuedBy,
                   supersededByRun: stored.supersededByRun, supersededAt: stored.supersededAt)
        }
        return RegistryHistory(registry: path, runs: runs, records: records)
    }

    public func json() throws -> String {
        try ReportJSON.text(self)
    }

    public func text() -> String {
        var out = "Registry \(registry): \(runs.count) run\(runs.count == 1 ? "" : "s")\n"
        for run in runs {
            out += "  run \(run.runId) at \(run.runAt)\(run.issuedBy.map { " by \($0)" } ?? ""): rules \(run.rulesPath) (sha256 \(run.rulesSha256.prefix(12))…), regions \(run.regionsPath)\n"
        }
        out += "Records (region, item, run, validity, status)\n"
        for record in records {
            let status = record.supersededByRun.map { "superseded by run \($0) at \(record.supersededAt ?? "?")" } ?? "current"
            out += "  \(record.regionId)  \(record.itemId)  run \(record.runId)  \(record.validFrom)..\(record.validUntil)  \(status)\n"
        }
        return out
    }
}
