import ArgumentParser
import Foundation
import PlanCheckKit

/// `plan-check query`: one answer for an applicant's site.
struct Query: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    static let configuration = CommandConfiguration(
        abstract: "Answer an applicant: plan conformity and, per assessment item, whether the regional result may be reused.",
        discussion: """
            SITE is a GeoJSON file (a FeatureCollection of the site's parts, one Feature, or a geometry; \
            any CRS, lon/lat WGS 84 without a crs member), or - for standard input (GeoJSON), or any \
            other layer file plan-check reads (a Shapefile, a .zip holding one, a GeoPackage). Exit 0 when every \
            item is reuse or conditional and no conformity patch is critical, 1 otherwise.
            """
    )

    @OptionGroup var source: RegistryOptions

    @OptionGroup var reading: LayerReadingOptions

    @Option(help: "The project type, checked against each item's exclusion list (负面清单).")
    var projectType: String?

    @Option(help: "The day validity is judged on, YYYY-MM-DD (default: today, UTC).")
    var at: String?

    @Option(help: "text or json (default: text on a terminal, json otherwise).")
    var format: Format?

    @Flag(help: "Also print the rule set's and the plan layers' warnings (unmatched codes, datum shifts) on stderr.")
    var verbose = false

    @Argument(help: "The site: a layer file (GeoJSON, Shapefile, .zip …), or - for GeoJSON on standard input.")
    var site: String

    func validate() throws {
        if let at, CalendarDate(at) == nil { throw ValidationError("--at \(at): not a date (write YYYY-MM-DD)") }
    }

    func run() async throws {
        try await runReportingErrors {
            let settings = try reading.settings()
            var request = try source.request()
            request.reading = settings
            let engine = try await QueryEngine.prepare(request)
            // Warnings about the rule set and the plan layers are for planners: --verbose shows them.
            if verbose { for warning in engine.warnings { StandardError.write("plan-check: \(warning)\n") } }
            let options = QueryOptions(projectType: projectType, at: at.flatMap(CalendarDate.init) ?? CalendarDate(Date()))
            let answer = try await engine.answer(try QuerySite.read(path: site, reading: settings), options: options)
            let format = format ?? (isatty(STDOUT_FILENO) == 1 ? .text : .json)
            switch format {
            case .text: print(answer.text(), terminator: "")
            case .json: print(try answer.json())
            }
            return answer.mayProceed ? .success : .findings
        }
    }
}
