import ArgumentParser
import PlanCheckKit

/// `--encoding` and `--assume-crs`: how to read layer files that do not say their text encoding
/// or their CRS. Shared by every command that reads layer files (inspect, overlay, assess, query).
struct LayerReadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Text encoding of Shapefiles that have no .cpg, e.g. GBK (ArcGIS on Chinese Windows), GB18030, BIG5, 936, UTF-8. A rule set's per-layer 'encoding:' wins.",
        valueName: "NAME"))
    var encoding: String?

    @Option(name: .customLong("assume-crs"), help: ArgumentHelp(
        "CRS of layer files that declare none (a Shapefile without .prj, GeoJSON without crs), e.g. EPSG:4529. A file that declares another CRS is an error; a rule set's per-layer 'assume_crs:' wins.",
        valueName: "CRS"))
    var assumeCRS: String?

    func validate() throws {
        do { _ = try settings() } catch let error as ReadingSettingsError {
            throw ValidationError(error.message)
        }
    }

    /// The engine's settings from these options (encoding names canonical).
    func settings() throws -> ReadingSettings {
        try ReadingSettings.validated(encoding: encoding, assumedCRS: assumeCRS)
    }
}
