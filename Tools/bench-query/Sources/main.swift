// plan-check-bench-query --registry REGISTRY.gpkg --sites DIR [--at YYYY-MM-DD] [--concurrency N]
//                        [--warmup K] [--limit N]
//
// The in-process floor of `plan-check query` and `plan-check serve`: prepares one QueryEngine
// (as `serve` does at start), reads every `*.geojson` of DIR into memory, then answers each site
// in turn, the way a request is answered: GeoJSON bytes → QuerySite → QueryEngine.answer → JSON.
// With --concurrency N, N tasks take every N-th site at once (as N clients of `serve` would).
// The first K sites (--warmup, default 20) are answered once before the clock starts.
// Prints one line: prepare seconds, query count, latency p50/p90/p99/max in ms, queries per
// second, the count of answers with may_proceed, and peak RSS (VmHWM).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PlanCheckBenchSupport
import PlanCheckKit

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

guard let registry = option("--registry"), let sitesDirectory = option("--sites") else {
    printError("usage: plan-check-bench-query --registry REGISTRY.gpkg --sites DIR [--at YYYY-MM-DD] [--concurrency N] [--warmup K] [--limit N]")
    exit(64)
}
let at = CalendarDate(option("--at") ?? "2026-12-01") ?? CalendarDate(Date())
let concurrency = max(1, Int(option("--concurrency") ?? "1") ?? 1)
let warmup = max(0, Int(option("--warmup") ?? "20") ?? 20)
let limit = Int(option("--limit") ?? "") ?? Int.max

/// Nearest-rank percentile of sorted values.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

do {
    let names = try FileManager.default.contentsOfDirectory(atPath: sitesDirectory)
        .filter { $0.hasSuffix(".geojson") }.sorted().prefix(limit)
    let sites: [(name: String, bytes: [UInt8])] = try names.map { name in
        (name, Array(try Data(contentsOf: URL(fileURLWithPath: sitesDirectory + "/" + name))))
    }
    let started = now()
    let engine = try await QueryEngine.prepare(QueryRequest(registryPath: registry, jobs: concurrency))
    let prepareSeconds = now() - started
    let options = QueryOptions(at: at)

    /// One request's work: parse the body, answer, encode the JSON.
    @Sendable func answer(_ site: (name: String, bytes: [UInt8])) async throws -> Bool {
        let answer = try await engine.answer(try QuerySite.read(bytes: site.bytes, name: site.name), options: options)
        _ = try answer.json()
        return answer.mayProceed
    }

    for site in sites.prefix(warmup) { _ = try await answer(site) }

    let clockStart = now()
    let results = try await withThrowingTaskGroup(of: [(Double, Bool)].self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var mine: [(Double, Bool)] = []
                for i in stride(from: worker, to: sites.count, by: concurrency) {
                    let t0 = now()
                    let mayProceed = try await answer(sites[i])
                    mine.append((now() - t0, mayProceed))
                }
                return mine
            }
        }
        var all: [(Double, Bool)] = []
        for try await mine in group { all += mine }
        return all
    }
    let wall = now() - clockStart
    let latencies = results.map { $0.0 * 1000 }.sorted()
    let f = { (x: Double) in String(format: "%.3f", x) }
    print("concurrency=\(concurrency) queries=\(latencies.count) prepare_s=\(f(prepareSeconds)) "
        + "p50_ms=\(f(percentile(latencies, 50))) p90_ms=\(f(percentile(latencies, 90))) "
        + "p99_ms=\(f(percentile(latencies, 99))) max_ms=\(f(latencies.last ?? .nan)) "
        + "mean_ms=\(f(latencies.reduce(0, +) / Double(max(1, latencies.count)))) "
        + "qps=\(String(format: "%.1f", Double(latencies.count) / wall)) wall_s=\(f(wall)) "
        + "may_proceed=\(results.filter(\.1).count) peak_rss_kb=\(peakResidentKilobytes())")
} catch {
    printError("plan-check-bench-query: \(error)")
    exit(1)
}
