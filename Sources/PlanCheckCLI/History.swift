import ArgumentParser
import Foundation
import PlanCheckKit

/// `plan-check history`: every run and every item record a registry holds, current or superseded.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a registry's assessment runs and every item record, current or superseded."
    )

    @Option(help: "The registry GeoPackage.")
    var registry: String

    @Option(help: "Only the records of this region.")
    var region: String?

    @Option(help: "Only the records of this assessment item.")
    var item: String?

    @Option(help: "text or json (default: text on a terminal, json otherwise).")
    var format: Query.Format?

    func run() async throws {
        try await runReportingErrors {
            let history = try RegistryHistory.read(registry: registry, regionID: region, itemID: item)
            switch format ?? (isatty(STDOUT_FILENO) == 1 ? .text : .json) {
            case .text: print(history.text(), terminator: "")
            case .json: print(try history.json())
            }
            return .success
        }
    }
}
