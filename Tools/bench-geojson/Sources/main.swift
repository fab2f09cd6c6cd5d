// plan-check-bench-read FILE
// Reads FILE as plan-check does (LayerReader: GeoJSON and GeoPackage natively, a Shapefile and
// everything else through GDAL) and prints one line: seconds, features, positions, peak RSS.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PlanCheckBenchSupport
import PlanLayers

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    printError("usage: plan-check-bench-read FILE (.geojson, .gpkg, .shp, …)")
    exit(64)
}
let start = now()
do {
    let layer = try LayerReader.read(path: arguments[1])
    let seconds = now() - start
    // Counts and coordinate sums, to compare with GDAL's reading of the same file.
    var positions = 0
    var sumX = 0.0, sumY = 0.0
    for feature in layer.features {
        feature.geometry?.forEachPosition { p in
            positions += 1
            sumX += p.x
            sumY += p.y
        }
    }
    print("seconds=\(seconds) features=\(layer.features.count) positions=\(positions) fields=\(layer.fields.count) problems=\(layer.readProblems.count) peak_rss_kb=\(peakResidentKilobytes()) sum_x=\(sumX) sum_y=\(sumY) crs=\(layer.crs.map(String.init(describing:)) ?? "none") format=\(layer.formatName.replacingOccurrences(of: " ", with: "_"))")
} catch {
    printError("\(error)")
    exit(1)
}
