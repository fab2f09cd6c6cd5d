// plan-check-bench-read [--stream] FILE
// Reads FILE as plan-check does (LayerReader: GeoJSON and GeoPackage natively, a Shapefile and
// everything else through GDAL) and prints one line: seconds, features, positions, peak RSS.
// --stream: reads it feature by feature (LayerReader.stream) and keeps no feature.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PlanCheckBenchSupport
import PlanLayers
import PlanModel

var arguments = Array(CommandLine.arguments.dropFirst())
let streaming = arguments.first == "--stream"
if streaming { arguments.removeFirst() }
guard arguments.count == 1 else {
    printError("usage: plan-check-bench-read [--stream] FILE (.geojson, .gpkg, .shp, …)")
    exit(64)
}
let start = now()
do {
    // Counts and coordinate sums, to compare with GDAL's reading of the same file.
    var features = 0
    var positions = 0
    var sumX = 0.0, sumY = 0.0
    func add(_ feature: Feature) {
        features += 1
        feature.geometry?.forEachPosition { p in
            positions += 1
            sumX += p.x
            sumY += p.y
        }
    }
    let layer: Layer
    let seconds: Double
    if streaming {
        let stream = try LayerReader.stream(path: arguments[0])
        while let feature = try stream.next() { add(feature) }
        seconds = now() - start
        layer = try stream.collect()  // the header, fields and problems: the features were handed out
    } else {
        layer = try LayerReader.read(path: arguments[0])
        seconds = now() - start
        layer.features.forEach(add)
    }
    print("seconds=\(seconds) features=\(features) positions=\(positions) fields=\(layer.fields.count) problems=\(layer.readProblems.count) peak_rss_kb=\(peakResidentKilobytes()) sum_x=\(sumX) sum_y=\(sumY) crs=\(layer.crs.map(String.init(describing:)) ?? "none") format=\(layer.formatName.replacingOccurrences(of: " ", with: "_"))")
} catch {
    printError("\(error)")
    exit(1)
}
