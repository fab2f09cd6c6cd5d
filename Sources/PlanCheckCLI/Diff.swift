import ArgumentParser
import Foundation
import PlanCheckKit

/// `plan-check diff`: what land changed class between two versions of a plan.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two versions of a plan layer: the transition matrix (土地利用转移矩阵) and the changes by feature.",
        discussion: """
            Overlays OLD and NEW (any format plan-check reads; checked and repaired as overlay does, \
            in the working CRS: OLD's, or --crs) and tabulates the land by old class × new class in \
            m², ha and 亩 (planar and ellipsoidal), with the land only in one version; then compares \
            the features by id (--id-field, e.g. BSM): added, removed, reshaped, reclassified, merged, \
            split. --classes maps codes to classes as a rule set's classes: do (RULES.yaml:LAYER, or \
            a YAML mapping, with old: and new: when the versions use different code lists). \
            Table on stdout; --summary JSON, --out GeoJSON of the changed features, --html a page.
            """
    )

    @Option(help: "The earlier version of the plan layer.")
    var old: String

    @Option(help: "The revised version.")
    var new: String

    @Option(help: "The field holding the class code (of NEW, and of OLD unless --old-class-field).")
    var classField: String

    @Option(help: "The class field of OLD when it differs.")
    var oldClassField: String?

    @Option(help: "The field that identifies a feature in both versions (e.g. BSM).")
    var idField: String?

    @Option(help: ArgumentHelp("Class mapping: RULES.yaml:LAYER or a YAML file (class: [codes], or old: and new: mappings).", valueName: "MAPPING"))
    var classes: String?

    @Option(help: "Write the changed features as GeoJSON (- for stdout).")
    var out: String?

    @Option(help: "Write the statistics as JSON (- for stdout).")
    var summary: String?

    @Option(help: "Write a self-contained HTML page of the tables (- for stdout).")
    var html: String?

    @Option(help: "Working CRS (e.g. EPSG:4529); default: OLD's.")
    var crs: String?

    @OptionGroup var reading: LayerReadingOptions

    @Option(help: "Tasks to run at once (default: one per core).")
    var jobs: Int?

    @Option(help: "What to do with invalid features: repair, reject or fail.")
    var invalid: InvalidFeaturePolicy = .repair

    @Option(help: "An overlap of an old and a new feature links them (merged, split) from this area on, m².")
    var minLinkArea: Double = 1

    @Flag(help: "No table on stdout.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        if !(minLinkArea >= 0) || !minLinkArea.isFinite { throw ValidationError("--min-link-area must be a number of m² ≥ 0 (got \(minLinkArea))") }
        if classField.isEmpty { throw ValidationError("--class-field must name a field") }
    }

    func run() async throws {
        try await runReportingErrors {
            let request = DiffRequest(
                oldPath: old, newPath: new, classField: classField, oldClassField: oldClassField, idField: idField,
                classes: classes, workingCRS: crs, policy: invalid, jobs: jobs ?? defaultJobCount, reading: try reading.settings(),
                minLinkAreaM2: minLinkArea)
            let outputs = try DiffOutputs(out: out, summary: summary, html: html)
            let result = try await DiffRunner(request).run()
            let statistics = DiffSummary(result)
            try outputs.write(result, summary: statistics)
            if !quiet {
                if out == "-" || summary == "-" || html == "-" {
                    StandardError.write(statistics.text())
                } else {
                    print(statistics.text(), terminator: "")
                }
            } else {
                for warning in result.warnings { StandardError.write("plan-check: \(warning)\n") }
            }
            return .success
        }
    }
}
