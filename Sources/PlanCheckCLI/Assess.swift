import ArgumentParser
import Foundation
import PlanCheckKit
import PlanOutput

/// `plan-check assess`: regional assessments (区域评估) into the registry.
struct Assess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assess regions once (区域评估) and record the outcome zones in a GeoPackage registry.",
        discussion: """
            For every region of --regions and every item of the rule set's 'assessments', cuts the \
            region into outcome zones (reuse, conditional, individual, prohibited) by the item's \
            constraint layers, with planar and ellipsoidal areas, and records them in --registry with \
            their provenance (issuer, validity, SHA-256 of the rules and of every input). Assessing a \
            region again supersedes its earlier records; the history stays. One transaction: a run \
            that fails or is killed leaves the registry as it was. Exit 75 when another process \
            holds the registry beyond the busy timeout. --html writes a self-contained HTML report \
            of the run (map of the zones, areas by region, item and outcome, validity, conditions, \
            provenance; Chinese, or English with --lang en) after the registry is committed.
            """
    )

    @Option(help: "The rule set (YAML, version 1) with an 'assessments' section.", completion: .file(extensions: ["yaml", "yml"]))
    var rules: String

    @Option(help: "The regions to assess (any layer file plan-check reads: GeoJSON, GeoPackage, Shapefile …; id from 'region_id', name from 'name').")
    var regions: String

    @Option(help: "The registry GeoPackage (created when missing).")
    var registry: String

    @Option(name: .customLong("layer"), help: ArgumentHelp("A layer file for a layer of the rule set (repeatable).", valueName: "NAME=PATH"))
    var layers: [String] = []

    @Option(name: .customLong("region"), help: ArgumentHelp("Assess only this region id of the file (repeatable).", valueName: "ID"))
    var regionIDs: [String] = []

    @Option(help: "The attribute that holds region ids (default: region_id when present, else the feature id).")
    var regionIDField: String?

    @Option(help: "The issuing authority recorded with the assessment.")
    var issuedBy: String?

    @Option(help: "First valid day, YYYY-MM-DD (default: today, UTC).")
    var validFrom: String?

    @Option(help: "Last valid day, YYYY-MM-DD (default: each item's validity_years after --valid-from, less a day).")
    var validUntil: String?

    @Option(help: "CRS of a new registry (e.g. EPSG:4529); default: the first constraint layer's.")
    var crs: String?

    @OptionGroup var reading: LayerReadingOptions

    @Option(help: "Seconds to wait for another process writing the registry before giving up with exit 75.")
    var wait: Double = 10

    @Option(help: "Tasks to run at once (default: one per core).")
    var jobs: Int?

    @Option(help: "What to do with invalid features: repair, reject or fail.")
    var invalid: InvalidFeaturePolicy = .repair

    @Option(help: "Write a self-contained HTML report of the run (zone map, tables, provenance) to this file (- for stdout).")
    var html: String?

    @Option(help: "Language of the HTML report: zh (default) or en.")
    var lang: ReportLanguage = .zh

    @Flag(help: "No line per region and no table on stdout.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        if !(wait >= 0) { throw ValidationError("--wait must be 0 or more seconds (got \(wait))") }
        _ = try layerPaths(layers)
    }

    func run() async throws {
        try await runReportingErrors {
            let request = AssessRequest(
                rulesPath: rules, regionsPath: regions, registryPath: registry, layerPaths: try layerPaths(layers),
                workingCRS: crs, policy: invalid, jobs: jobs ?? defaultJobCount, issuedBy: issuedBy,
                validFrom: validFrom, validUntil: validUntil, regionIDs: regionIDs, regionIDField: regionIDField,
                waitSeconds: wait, reading: try reading.settings())
            // The report's path is checked before any work (a missing folder, a FIFO: exit 74).
            let report = try NamedOutputs([("--html", html)])["--html"]
            let quiet = self.quiet
            let result = try await AssessRunner(request).run { region in
                if !quiet { StandardError.write("plan-check: assessed \(AssessText.regionLine(region))\n") }
            }
            for warning in result.warnings { StandardError.write("plan-check: \(warning)\n") }
            if let report {
                try NamedOutputs.writeComplete(try AssessReport(result, language: lang).html(), to: report).commit()
            }
            if !quiet {
                if html == "-" {
                    StandardError.write(AssessText.summary(result))
                } else {
                    print(AssessText.summary(result), terminator: "")
                }
            }
            return .success
        }
    }
}

/// `--layer NAME=PATH` entries as a map; a usage error for a malformed one.
func layerPaths(_ entries: [String]) throws -> [String: String] {
    var paths: [String: String] = [:]
    for entry in entries {
        guard entry.contains("="), !entry.hasPrefix("="), !entry.hasSuffix("=") else {
            throw ValidationError("--layer takes NAME=PATH (got '\(entry)')")
        }
        let parts = entry.split(separator: "=", maxSplits: 1)
        paths[String(parts[0])] = String(parts[1])
    }
    return paths
}
