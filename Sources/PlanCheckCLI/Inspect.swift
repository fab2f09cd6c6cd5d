import ArgumentParser
import PlanCheckKit

extension InvalidFeaturePolicy: ExpressibleByArgument {}

/// `plan-check inspect FILE...`: what is in each layer, and what is wrong with it.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report format, CRS, features, fields, problems and area totals of layer files.",
        discussion: """
            Reads GeoJSON (.geojson, .json) and GeoPackage (.gpkg) itself, and through GDAL Shapefile \
            (.shp, or a .zip holding one), File Geodatabase (.gdb folder), FlatGeobuf, KML, GML, MapInfo \
            and the other vector formats GDAL reads. Every layer of a GeoPackage or File Geodatabase \
            is inspected unless --layer-name picks some. Reports the text encoding and where it came \
            from, and the CRS (a .prj identified as its EPSG code). Areas are totals over the features \
            kept after --invalid: planar in the layer's CRS and ellipsoidal on its ellipsoid, in m², ha and 亩.
            """
    )

    @Argument(help: "Layer files to inspect.", completion: .file())
    var files: [String]

    @Option(name: .customLong("layer-name"), help: "Only the layer(s) with this name of a GeoPackage or File Geodatabase (repeatable).")
    var layerNames: [String] = []

    @OptionGroup var reading: LayerReadingOptions

    @Option(help: "What to do with invalid features: repair, reject or fail.")
    var invalid: InvalidFeaturePolicy = .repair

    @Option(help: "Tasks to run at once (default: one per core).")
    var jobs: Int?

    @Flag(help: "Print the report as JSON instead of text.")
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
    }

    func run() async throws {
        try await runReportingErrors {
            let inspector = Inspector(policy: invalid, jobs: jobs ?? defaultJobCount, reading: try reading.settings())
            let report = try await inspector.inspect(paths: files, layerNames: layerNames)
            print(json ? try report.json() : report.text(), terminator: json ? "\n" : "")
            return .success
        }
    }
}
