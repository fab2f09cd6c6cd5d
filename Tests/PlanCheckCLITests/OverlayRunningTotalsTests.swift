import Foundation
import PlanModel
import Testing

/// A run whose outputs are all written as the patches are made (GeoJSON `--out`, `--summary`,
/// `--csv`) keeps no patch: the summary comes from running totals and the CSV is written during
/// the run. It must say exactly what a run that keeps every patch (here: one that also writes
/// `--html`, and so the CSV at the end) says, and the files must be the same bytes.
@Suite struct OverlayRunningTotals {
    struct Run {
        var status: Int32
        var geojson: Data
        var csv: Data
        var summary: [String: Any]
    }

    static func overlay(_ arguments: [String], extra: [String], in dir: URL) throws -> Run {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("\(name).geojson"), summary = dir.appendingPathComponent("\(name).json")
        let csv = dir.appendingPathComponent("\(name).csv")
        let run = try CLI.run(["overlay"] + arguments + extra + ["--out", out.path, "--summary", summary.path, "--csv", csv.path, "--quiet"])
        try #require(run.status == 0 || run.status == 1, "\(arguments): \(run.stderr)")
        var stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        // Times differ from run to run, and each run writes its own file.
        stats["timings"] = nil
        stats["output"] = nil
        stats["rules"] = (stats["rules"] as? [[String: Any]])?.map { rule in
            rule.filter { $0.key != "seconds" && $0.key != "overlay_seconds" }
        }
        return Run(status: run.status, geojson: try Data(contentsOf: out), csv: try Data(contentsOf: csv), summary: stats)
    }

    /// The summary as JSON text with sorted keys, for comparing two summaries whole.
    static func canonical(_ summary: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Runs `arguments` with and without kept patches, on 1 and 2 jobs, and compares.
    static func compare(_ arguments: [String], in dir: URL) throws {
        var geojson: Data?
        for jobs in ["1", "2"] {
            let common = arguments + ["--jobs", jobs, "--fail-on", "minor"]
            let totals = try overlay(common, extra: [], in: dir)
            let kept = try overlay(common, extra: ["--html", dir.appendingPathComponent("\(UUID()).html").path], in: dir)
            #expect(totals.geojson == kept.geojson, "jobs \(jobs): the patches file differs")
            #expect(totals.csv == kept.csv, "jobs \(jobs): the CSV table differs")
            #expect(try Self.canonical(totals.summary) == Self.canonical(kept.summary), "jobs \(jobs): the summaries differ")
            #expect(totals.status == kept.status, "--fail-on: \(totals.status) vs \(kept.status)")
            if let geojson { #expect(totals.geojson == geojson, "jobs 1 and 2 differ") }
            geojson = totals.geojson
            // One CSV row per patch (header first; no line break inside the generated fields).
            let rows = String(decoding: totals.csv, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let features = try #require(try JSONSerialization.jsonObject(with: totals.geojson) as? [String: Any])["features"] as? [Any]
            #expect(rows.count == (features?.count ?? -1) + 1)
            try checkTotals(totals)
        }
    }

    /// The summary's per-rule counts and areas against the patches file itself: the same count,
    /// and the exactly rounded sum of the areas written (the file's numbers read back exactly).
    static func checkTotals(_ run: Run) throws {
        let collection = try #require(try JSONSerialization.jsonObject(with: run.geojson) as? [String: Any])
        let features = try #require(collection["features"] as? [[String: Any]])
        var byRule: [String: (count: Int, atLeast1: Int, area: ExactSum, ellipsoidal: ExactSum)] = [:]
        for feature in features {
            let p = try #require(feature["properties"] as? [String: Any])
            let rule = try #require(p["rule"] as? String)
            let area = try #require((p["area_m2"] as? NSNumber)?.doubleValue)
            let ellipsoidal = try #require((p["area_ellipsoidal_m2"] as? NSNumber)?.doubleValue)
            var cell = byRule[rule] ?? (0, 0, ExactSum(), ExactSum())
            cell.count += 1
            if area >= 1 { cell.atLeast1 += 1 }
            cell.area.add(area)
            cell.ellipsoidal.add(ellipsoidal)
            byRule[rule] = cell
        }
        let rules = try #require(run.summary["rules"] as? [[String: Any]])
        #expect(rules.contains { ($0["patches"] as? Int ?? 0) > 0 })
        for rule in rules {
            let id = try #require(rule["id"] as? String)
            let mine = byRule[id] ?? (0, 0, ExactSum(), ExactSum())
            #expect(rule["patches"] as? Int == mine.count, "rule \(id)")
            #expect(rule["patches_at_least1_m2"] as? Int == mine.atLeast1, "rule \(id)")
            // The summary's total is the exactly rounded sum of the areas; Foundation's JSON
            // reader may miss the last bit of a number, so a few units in the last place.
            let area = try #require((rule["area_m2"] as? NSNumber)?.doubleValue)
            let ellipsoidal = try #require((rule["area_ellipsoidal_m2"] as? NSNumber)?.doubleValue)
            #expect(abs(area - mine.area.value) <= 4 * mine.area.value.ulp, "rule \(id) area")
            #expect(abs(ellipsoidal - mine.ellipsoidal.value) <= 4 * mine.ellipsoidal.value.ulp, "rule \(id) ellipsoidal area")
            let pairs = try #require(rule["class_pairs"] as? [[String: Any]])
            #expect(pairs.reduce(0) { $0 + ($1["patches"] as? Int ?? 0) } == mine.count, "rule \(id) class pairs")
        }
    }

    @Test func sampleDistrict() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.compare(["--rules", CLI.path("SampleLayers/rules.yaml")], in: dir)
    }

    @Test func generatedPlansWithRepairs() throws {
        let dir = try CLI.temporaryDirectory()
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        generator.arguments = ["python3", CLI.path("Tools/gen_layers.py"), "--parcels", "3000", "--seed", "7",
                               "--invalid-rate", "0.002", "--out", dir.path]
        generator.standardError = FileHandle.nullDevice
        generator.standardOutput = FileHandle.nullDevice
        try generator.run()
        generator.waitUntilExit()
        try #require(generator.terminationStatus == 0)
        let layers = ["--layer", "landuse=\(dir.appendingPathComponent("landuse.geojson").path)",
                      "--layer", "urban=\(dir.appendingPathComponent("urban.geojson").path)"]
        try Self.compare(["--rules", CLI.path("Tools/bench-overlay/rules.yaml")] + layers, in: dir)
    }
}
