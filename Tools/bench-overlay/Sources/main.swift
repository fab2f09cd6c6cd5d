// plan-check-bench-bareloop URBAN.geojson LANDUSE.geojson
//
// The floor plan-check's overlay is measured against: the single-threaded bare loop of
// STRtree query + GEOSIntersection_r over the same data, with no checks, no predicates, no
// attributes, no output file. Reads both files with GeoJSONReader, converts every geometry to
// GEOS in one context, builds a SpatialIndex over the landuse envelopes, and for each urban
// feature intersects it with every candidate the index returns, summing the areas.
// Prints one line: seconds for read+convert, loop and total, the pair counts, the area sum and
// peak RSS (VmHWM).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PlanGeometry
import PlanCheckBenchSupport
import PlanLayers
import PlanModel

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    printError("usage: plan-check-bench-bareloop URBAN.geojson LANDUSE.geojson")
    exit(64)
}

do {
    let start = now()
    let urban = try GeoJSONReader.read(path: arguments[1])
    let landuse = try GeoJSONReader.read(path: arguments[2])
    let context = try GeometryContext()
    // Features without geometry are skipped (the generated layers have none).
    let a: [Geometry] = try urban.features.compactMap { f in try f.geometry.map { try Geometry($0, context: context) } }
    let b: [Geometry] = try landuse.features.compactMap { f in try f.geometry.map { try Geometry($0, context: context) } }
    let bEnvelopes: [Envelope] = try b.map { try $0.envelope() ?? .empty }
    let index = try SpatialIndex(envelopes: bEnvelopes, context: context)
    let loaded = now()

    var candidates = 0, nonEmpty = 0, atLeast1 = 0
    var areaSum = 0.0, areaAtLeast1 = 0.0
    for g in a {
        guard let envelope = try g.envelope() else { continue }
        for k in try index.query(envelope) {
            candidates += 1
            let piece = try g.intersection(with: b[k])
            let area = try piece.area()
            if area > 0 { nonEmpty += 1 }
            areaSum += area
            if area >= 1 { atLeast1 += 1; areaAtLeast1 += area }
        }
    }
    let end = now()
    print("read_convert_seconds=\(loaded - start) loop_seconds=\(end - loaded) seconds=\(end - start) "
        + "a=\(a.count) b=\(b.count) candidates=\(candidates) nonempty=\(nonEmpty) "
        + "features_ge_1m2=\(atLeast1) area_ge_1m2=\(areaAtLeast1) area_sum=\(areaSum) peak_rss_kb=\(peakResidentKilobytes())")
} catch {
    printError("\(error)")
    exit(1)
}
