import Foundation
import Testing

/// `overlay --feature-store disk`: the layers' kept features in a temporary SQLite file instead
/// of memory. The outputs must be the in-memory run's, byte for byte, and the summary the same
/// but for timings and the store fields; the store file must be gone after every run.
@Suite struct OverlayFeatureStore {
    struct Run {
        var geojson: Data
        var csv: Data
        var summary: [String: Any]
        var stderr: String
    }

    static func overlay(_ arguments: [String], store: String, in dir: URL) throws -> Run {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("\(name).geojson"), summary = dir.appendingPathComponent("\(name).json")
        let csv = dir.appendingPathComponent("\(name).csv")
        let storeDir = dir.appendingPathComponent("store-\(name)")
        try FileManager.default.createDirectory(at: storeDir, withIntermediateDirectories: true)
        let run = try CLI.run(["overlay"] + arguments + [
            "--feature-store", store, "--store-dir", storeDir.path,
            "--out", out.path, "--summary", summary.path, "--csv", csv.path, "--quiet"])
        try #require(run.status == 0, "\(store) \(arguments): \(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: storeDir.path).isEmpty, "the store file is removed")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        return Run(geojson: try Data(contentsOf: out), csv: try Data(contentsOf: csv), summary: stats, stderr: run.stderr)
    }

    /// The summary without what differs between two equal runs: timings, per-rule seconds,
    /// the output path and the store fields.
    static func comparable(_ summary: [String: Any]) throws -> String {
        var s = summary
        for key in ["timings", "output", "feature_store", "feature_store_bytes"] { s[key] = nil }
        s["rules"] = (s["rules"] as? [[String: Any]])?.map { $0.filter { $0.key != "seconds" && $0.key != "overlay_seconds" } }
        return String(decoding: try JSONSerialization.data(withJSONObject: s, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Runs `arguments` in memory and on disk, on 1 and 2 jobs, and compares.
    static func compare(_ arguments: [String], in dir: URL) throws {
        for jobs in ["1", "2"] {
            let memory = try overlay(arguments + ["--jobs", jobs], store: "memory", in: dir)
            let disk = try overlay(arguments + ["--jobs", jobs], store: "disk", in: dir)
            #expect(memory.summary["feature_store"] as? String == "memory")
            #expect(disk.summary["feature_store"] as? String == "disk")
            #expect(memory.summary["feature_store_bytes"] as? Int == 0)
            #expect((disk.summary["feature_store_bytes"] as? Int ?? 0) > 0, "the store's size is recorded")
            #expect(disk.geojson == memory.geojson, "jobs \(jobs): the patches differ (\(disk.geojson.count) vs \(memory.geojson.count) bytes)")
            #expect(disk.csv == memory.csv, "jobs \(jobs): the CSV tables differ")
            #expect(try comparable(disk.summary) == comparable(memory.summary), "jobs \(jobs): the summaries differ")
            let rules = disk.summary["rules"] as? [[String: Any]] ?? []
            #expect(rules.contains { ($0["patches"] as? Int ?? 0) > 0 }, "the case finds patches")
        }
    }

    @Test func sampleDistrictWithAGeoPackageLayer() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.compare(["--rules", CLI.path("SampleLayers/rules.yaml")], in: dir)
    }

    @Test func sampleDistrictInALonLatWorkingCRS() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.compare(["--rules", CLI.path("SampleLayers/rules.yaml"), "--crs", "EPSG:4490"], in: dir)
    }

    /// 3 000 parcels a layer, 0.2 % damaged: repaired (default) and rejected features, the
    /// class-filtered `outside` rules of the benchmark.
    @Test func generatedPlansWithRepairsAndRejections() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try CLI.generatedPlans(in: dir)
        let arguments = ["--rules", CLI.path("Tools/bench-overlay/rules.yaml")] + layers
        try Self.compare(arguments, in: dir)
        let rejecting = try Self.overlay(arguments + ["--invalid", "reject"], store: "disk", in: dir)
        let inputs = rejecting.summary["inputs"] as? [[String: Any]] ?? []
        #expect(inputs.contains { ($0["rejected"] as? [Any])?.isEmpty == false }, "the case rejects features")
        try Self.compare(arguments + ["--invalid", "reject"], in: dir)
    }

    /// A rule within one layer (a feature never meets itself), an `outside` rule between two
    /// classes of one layer, and an id_field.
    @Test func sameLayerRulesAndIdentifiers() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try CLI.generatedPlans(in: dir)
        let rules = dir.appendingPathComponent("same-layer.yaml")
        let bench = try String(contentsOfFile: CLI.path("Tools/bench-overlay/rules.yaml"), encoding: .utf8)
        let layerBlock = try #require(bench.range(of: "rules:")).lowerBound
        try (String(bench[..<layerBlock]) + """
            rules:
              - {id: L1, title: overlapping land use, severity: major, relation: intersects, a: landuse, b: landuse}
              - {id: L2, title: farmland outside construction, severity: minor, relation: outside, a: landuse.farmland, b: landuse.construction}
              - {id: L3, title: urban over forest, severity: minor, relation: intersects, a: urban, b: landuse.forest}

            """).write(to: rules, atomically: true, encoding: .utf8)
        try Self.compare(["--rules", rules.path] + layers, in: dir)
    }

    @Test func shapefileAndGeodatabaseInputs() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.compare(["--rules", CLI.path("Tests/Fixtures/gdal/rules-gdal.yaml"), "--encoding", "GBK",
                          "--layer", "landuse=\(CLI.path("Tests/Fixtures/gdal/landuse-plain/landuse.shp"))"], in: dir)
    }

    /// Slices computed on the disk store, merged, are the in-memory whole run byte for byte.
    @Test func tileSlicesOnDiskMergeToTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try CLI.generatedPlans(in: dir)
        let arguments = ["--rules", CLI.path("Tools/bench-overlay/rules.yaml")] + layers
        let whole = try OverlayTileSlices.overlay(arguments + ["--feature-store", "memory"], in: dir)
        try OverlayTileSlices.checkSlices(arguments + ["--feature-store", "disk", "--store-dir", dir.path], whole: whole, count: 3, tileSize: 500, in: dir)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("plan-check-store-") }
        #expect(left.isEmpty, "store files left: \(left)")
    }

    /// `disk` with an output that needs every patch is a usage error naming that output.
    @Test func diskWithAnOutputThatNeedsEveryPatchIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = ["--rules", CLI.path("SampleLayers/rules.yaml"), "--feature-store", "disk", "--store-dir", dir.path]
        let cases: [([String], String)] = [
            (["--html", dir.appendingPathComponent("r.html").path], "--html"),
            (["--dissolve"], "--dissolve"),
            (["--out", dir.appendingPathComponent("p.gpkg").path], "--out"),
            (["--districts", CLI.path("SampleLayers/districts.geojson"), "--district-field", "XZQMC"], "--districts"),
        ]
        for (extra, option) in cases {
            let run = try CLI.run(["overlay"] + rules + extra + ["--quiet"])
            #expect(run.status == 64, "\(extra): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("--feature-store disk and \(option)"), "\(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing written")
    }

    /// A store folder that cannot be written: exit 74 naming the store file, no output, no store left.
    @Test func anUnwritableStoreDirectoryFailsCleanly() throws {
        let dir = try CLI.temporaryDirectory()
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        for (storeDir, what) in [(locked.appendingPathComponent("missing").path, "a missing folder"), ("/proc", "a folder no file can be made in")] {
            let out = dir.appendingPathComponent("p.geojson"), summary = dir.appendingPathComponent("s.json")
            let run = try CLI.run(["overlay", "--rules", CLI.path("SampleLayers/rules.yaml"), "--feature-store", "disk",
                                   "--store-dir", storeDir, "--out", out.path, "--summary", summary.path, "--quiet"])
            #expect(run.status == 74, "\(what): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("feature store \(storeDir)/plan-check-store-"), "\(what): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path) && !FileManager.default.fileExists(atPath: summary.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["locked"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
    }

    /// A store left by a killed process is removed by the next disk run in that folder; a
    /// store of a live process is not.
    @Test func storesOfDeadProcessesAreRemoved() throws {
        let dir = try CLI.temporaryDirectory()
        let dead = dir.appendingPathComponent("plan-check-store-\(Int32.max - 7)-1.sqlite")
        let live = dir.appendingPathComponent("plan-check-store-\(getpid())-1.sqlite")
        for file in [dead, live] { try Data("x".utf8).write(to: file) }
        let run = try CLI.run(["overlay", "--rules", CLI.path("SampleLayers/rules.yaml"), "--feature-store", "disk",
                               "--store-dir", dir.path, "--summary", dir.appendingPathComponent("s.json").path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead.path), "the dead process's store is removed")
        #expect(FileManager.default.fileExists(atPath: live.path), "a live process's store is left alone")
    }

    /// Ctrl-C (SIGINT) during a disk run: exit 130, the store removed.
    @Test func anInterruptedRunRemovesItsStore() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try CLI.generatedPlans(in: dir)
        let storeDir = dir.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: storeDir, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["overlay", "--rules", CLI.path("Tools/bench-overlay/rules.yaml")] + layers + [
            "--feature-store", "disk", "--store-dir", storeDir.path, "--jobs", "1", "--quiet",
            "--summary", dir.appendingPathComponent("s.json").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline,
              (try FileManager.default.contentsOfDirectory(atPath: storeDir.path)).isEmpty {
            usleep(5_000)
        }
        try #require(process.isRunning, "the run ended before its store could be seen")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try FileManager.default.contentsOfDirectory(atPath: storeDir.path).isEmpty, "the store is removed")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.json").path))
    }

    /// `auto` keeps small layers in memory.
    @Test func autoKeepsSmallLayersInMemory() throws {
        let dir = try CLI.temporaryDirectory()
        let run = try Self.overlay(["--rules", CLI.path("SampleLayers/rules.yaml")], store: "auto", in: dir)
        #expect(run.summary["feature_store"] as? String == "memory")
    }
}
