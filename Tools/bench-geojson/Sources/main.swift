// plan-check-bench-read FILE.geojson
// Reads FILE with GeoJSONReader and prints one line: seconds, features, positions, peak RSS.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PlanLayers

/// Peak resident set size in kB (VmHWM from /proc/self/status), or -1 when unknown.
func peakResidentKilobytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
        }
    }
    return -1
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func printError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress!, $0.count - 1) }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    printError("usage: plan-check-bench-read FILE.geojson")
    exit(64)
}
let start = now()
do {
    let layer = try GeoJSONReader.read(path: arguments[1])
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
    print("seconds=\(seconds) features=\(layer.features.count) positions=\(positions) fields=\(layer.fields.count) problems=\(layer.readProblems.count) peak_rss_kb=\(peakResidentKilobytes()) sum_x=\(sumX) sum_y=\(sumY) crs=\(layer.crs.map(String.init(describing:)) ?? "none")")
} catch {
    printError("\(error)")
    exit(1)
}
