import ArgumentParser
import PlanCheckKit

/// The options `query` and `serve` share: which registry, which conformity rules and layers, and
/// what to do with an invalid site polygon.
struct RegistryOptions: ParsableArguments {
    @Option(help: "The registry GeoPackage written by plan-check assess.")
    var registry: String

    @Option(help: "The rule set whose rules reading 'site' are checked (default: the rules stored with the latest run).",
            completion: .file(extensions: ["yaml", "yml"]))
    var rules: String?

    @Option(name: .customLong("layer"), help: ArgumentHelp("A layer file (repeatable): for conformity rules, and compared with the assessment's inputs.", valueName: "NAME=PATH"))
    var layers: [String] = []

    @Option(help: "What to do with an invalid site polygon: repair, reject or fail.")
    var invalid: InvalidFeaturePolicy = .repair

    func validate() throws {
        _ = try layerPaths(layers)
    }

    /// The query engine's set-up from these options.
    func request() throws -> QueryRequest {
        QueryRequest(registryPath: registry, rulesPath: rules, layerPaths: try layerPaths(layers), policy: invalid)
    }
}
