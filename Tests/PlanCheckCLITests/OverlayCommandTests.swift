import Foundation
import PlanCheckTestSupport
import PlanOutput
import Testing

/// `plan-check overlay` as a planner runs it: the built binary, the sample district, real files.
@Suite struct OverlayCommand {
    let rules = CLI.path("SampleLayers/rules.yaml")

    func features(_ path: URL) throws -> [[String: Any]] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
        return try #require(json["features"] as? [[String: Any]])
    }

    @Test func writesPatchesWithLineageAreasAndA2008CRS() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("patches.geojson")
        let summary = dir.appendingPathComponent("summary.json")
        let run = try CLI.run(["overlay", "--rules", rules, "--out", out.path, "--summary", summary.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("C1    critical  intersects       55"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let crs = try #require((doc["crs"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(crs["name"] as? String == "urn:ogc:def:crs:EPSG::4529")
        let patches = try features(out)
        let expectedCount = 105  // 24 (A) + 14 (B) + 55 (C1) + 10 (C2) + 2 (C3), as the oracle found
        #expect(patches.count == expectedCount)
        let c1 = try #require(patches.first { ($0["properties"] as? [String: Any])?["rule"] as? String == "C1" })
        let p = try #require(c1["properties"] as? [String: Any])
        for key in ["rule", "title", "severity", "relation", "a_layer", "a_fid", "a_class", "a_code", "b_layer", "b_fid",
                    "b_class", "b_code", "area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu", "a.YDDM", "b.JBNTBH"] {
            #expect(p[key] != nil, "missing property \(key)")
        }
        #expect(p["severity"] as? String == "critical")
        let area = try #require(p["area_m2"] as? Double)
        let hectares: Double = try #require(p["area_ha"] as? Double)
        let mu: Double = try #require(p["area_mu"] as? Double)
        #expect(abs(hectares - area / 10_000) < 1e-9 * area)
        #expect(abs(mu - area * 15 / 10_000) < 1e-9 * area)
        #expect(c1["id"] as? String == "C1:\(p["a_fid"]!):\(p["b_fid"]!)")

        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let inputs = try #require(stats["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["layer"] as? String } == ["landuse", "urban", "farmland"])
        #expect(inputs.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        #expect(((stats["rules_file"] as? [String: Any])?["sha256"] as? String)?.count == 64)
        let ruleStats = try #require(stats["rules"] as? [[String: Any]])
        #expect(ruleStats.map { $0["patches"] as? Int } == [24, 14, 55, 10, 2])
        #expect(stats["timings"] as? [String: Any] != nil)
    }

    /// `--engine`: Clipper by default, named in the summary with its grid and counts; GEOS on
    /// request or for a rule with a grid size; the same patches either way.
    @Test func engineIsChosenAndRecorded() throws {
        let dir = try CLI.temporaryDirectory()
        func run(_ extra: [String], rules: String? = nil) throws -> (stdout: String, stats: [String: Any], ids: Set<String>) {
            let out = dir.appendingPathComponent("p.geojson"), summary = dir.appendingPathComponent("s.json")
            let run = try CLI.run(["overlay", "--rules", rules ?? self.rules, "--out", out.path, "--summary", summary.path] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
            let ids = Set(try features(out).compactMap { $0["id"] as? String })
            return (run.stdout, stats, ids)
        }
        let clipper = try run([])
        #expect(clipper.stats["engine"] as? String == "clipper")
        let clipperRules = try #require(clipper.stats["rules"] as? [[String: Any]])
        for rule in clipperRules {
            #expect(rule["engine"] as? String == "clipper")
            #expect(rule["clipper_grid"] as? String == "1 µm")
            #expect((rule["clipper_operations"] as? Int ?? 0) > 0)
            #expect(rule["clipper_fallbacks"] as? Int == 0)
        }
        #expect(clipper.stdout.contains("engine clipper (1 µm grid): "))
        #expect(clipper.stdout.contains(" recomputed by GEOS"))

        let geos = try run(["--engine", "geos"])
        #expect(geos.stats["engine"] as? String == "geos")
        for rule in try #require(geos.stats["rules"] as? [[String: Any]]) {
            #expect(rule["engine"] as? String == "geos")
            #expect(rule["clipper_grid"] is NSNull || rule["clipper_grid"] == nil)
            #expect(rule["clipper_operations"] as? Int == 0)
        }
        #expect(geos.ids == clipper.ids && clipper.ids.count == 105)

        // A grid size keeps the rules on GEOS, which snaps to it; the table line names them.
        var text = try String(contentsOfFile: rules, encoding: .utf8)
        text = text.replacingOccurrences(of: "grid_size_m: 0 ", with: "grid_size_m: 0.001 ")
        text = text.replacingOccurrences(of: "    path: ", with: "    path: \(CLI.path("SampleLayers"))/")
        let gridded = dir.appendingPathComponent("gridded.yaml")
        try text.write(to: gridded, atomically: true, encoding: .utf8)
        let onGrid = try run([], rules: gridded.path)
        for rule in try #require(onGrid.stats["rules"] as? [[String: Any]]) {
            #expect(rule["engine"] as? String == "geos")
            #expect(rule["grid_size_m"] as? Double == 0.001)
        }
        #expect(onGrid.stdout.contains("on GEOS for their grid size: A, B, C1"))

        let bad = try CLI.run(["overlay", "--rules", rules, "--engine", "fast"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--engine"))
    }

    @Test func sameBytesForOneAndTwoJobs() throws {
        let dir = try CLI.temporaryDirectory()
        let one = dir.appendingPathComponent("one.geojson"), two = dir.appendingPathComponent("two.geojson")
        #expect(try CLI.run(["overlay", "--rules", rules, "--out", one.path, "--jobs", "1", "--quiet"]).status == 0)
        #expect(try CLI.run(["overlay", "--rules", rules, "--out", two.path, "--jobs", "2", "--quiet"]).status == 0)
        #expect(try Data(contentsOf: one) == Data(contentsOf: two))
        // And again: the same ids in the same order.
        let again = dir.appendingPathComponent("again.geojson")
        #expect(try CLI.run(["overlay", "--rules", rules, "--out", again.path, "--jobs", "2", "--quiet"]).status == 0)
        #expect(try Data(contentsOf: again) == Data(contentsOf: two))
    }

    @Test func rfc7946OutputIsLonLatWithoutCRS() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("wgs84.geojson")
        let run = try CLI.run(["overlay", "--rules", rules, "--out", out.path, "--rfc7946", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(doc["crs"] == nil)
        let geometry = try #require(try features(out).first?["geometry"] as? [String: Any])
        let ring = try #require((geometry["coordinates"] as? [[[Double]]])?.first)
        // Dalian: about 122.8°E, 39.5°N.
        let nearDalian = ring.allSatisfy { (position: [Double]) -> Bool in
            abs(position[0] - 122.8) < 0.2 && abs(position[1] - 39.5) < 0.2
        }
        #expect(nearDalian)
    }

    @Test func failOnSeverityExits1() throws {
        #expect(try CLI.run(["overlay", "--rules", rules, "--fail-on", "critical", "--quiet"]).status == 1)
        #expect(try CLI.run(["overlay", "--rules", rules, "--fail-on", "minor", "--quiet"]).status == 1)
        let run = try CLI.run(["overlay", "--rules", rules, "--fail-on", "bogus", "--quiet"])
        #expect(run.status == 64)
    }

    @Test func layerOverrideReplacesAPath() throws {
        let dir = try CLI.temporaryDirectory()
        let summary = dir.appendingPathComponent("s.json")
        let urbanCopy = dir.appendingPathComponent("urban-copy.geojson")
        try FileManager.default.copyItem(atPath: CLI.path("SampleLayers/urban.geojson"), toPath: urbanCopy.path)
        let run = try CLI.run(["overlay", "--rules", rules, "--layer", "urban=\(urbanCopy.path)", "--summary", summary.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let urban = try #require((stats["inputs"] as? [[String: Any]])?.first { $0["layer"] as? String == "urban" })
        #expect(urban["path"] as? String == urbanCopy.path)
        #expect(try CLI.run(["overlay", "--rules", rules, "--layer", "roads=x.geojson", "--quiet"]).status == 64)
        #expect(try CLI.run(["overlay", "--rules", rules, "--layer", "urban", "--quiet"]).status == 64)
    }

    @Test func badRuleSetExits65WithTheLine() throws {
        let dir = try CLI.temporaryDirectory()
        let bad = dir.appendingPathComponent("bad.yaml")
        let text = try String(contentsOfFile: rules, encoding: .utf8)
            .replacingOccurrences(of: "    severity: critical", with: "    sevrity: critical")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        // Paths in the copy are relative to its own folder; point them back at the samples.
        let run = try CLI.run(["overlay", "--rules", bad.path, "--quiet"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("bad.yaml:"))
        #expect(run.stderr.contains("sevrity"))
        #expect(try CLI.run(["overlay", "--rules", "/nonexistent/rules.yaml"]).status == 66)
    }

    @Test func unwritableOutputExits74AndLeavesNoFile() throws {
        let run = try CLI.run(["overlay", "--rules", rules, "--out", "/nonexistent-dir/patches.geojson", "--quiet"])
        #expect(run.status == 74)
        #expect(run.stderr.contains("/nonexistent-dir/patches.geojson"))
    }

    @Test func failedRunLeavesAnExistingOutputUntouched() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("patches.geojson")
        try Data("previous run\n".utf8).write(to: out)
        // --invalid fail stops on the sample's bow-tie before anything is written.
        let run = try CLI.run(["overlay", "--rules", rules, "--out", out.path, "--invalid", "fail", "--quiet"])
        #expect(run.status == 65)
        #expect(try String(contentsOf: out, encoding: .utf8) == "previous run\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "patches.geojson" }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func dissolvedAreaOnlyWhenAskedFor() throws {
        let dir = try CLI.temporaryDirectory()
        for dissolve in [false, true] {
            let summary = dir.appendingPathComponent("s-\(dissolve).json")
            let run = try CLI.run(["overlay", "--rules", rules, "--summary", summary.path, "--quiet"] + (dissolve ? ["--dissolve"] : []))
            #expect(run.status == 0, "\(run.stderr)")
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
            let a = try #require((stats["rules"] as? [[String: Any]])?.first)
            if dissolve {
                // The repaired bow-tie U034 overlaps its neighbours, so rule A's patches overlap.
                let dissolved = try #require(a["dissolved_area_m2"] as? Double)
                let total = try #require(a["area_m2"] as? Double)
                #expect(dissolved < total)
            } else {
                #expect(a["dissolved_area_m2"] == nil || a["dissolved_area_m2"] is NSNull)
            }
        }
    }

    @Test func noProgressLineWhenStderrIsNotATerminal() throws {
        let run = try CLI.run(["overlay", "--rules", rules])
        #expect(run.status == 0)
        #expect(!run.stderr.contains("features,"))
    }
}

/// What overlay does with its output paths: outputs committed together, links written through,
/// special files refused, standard output, and the temporaries of killed runs.
@Suite struct OverlayOutputPaths {
    let rules = CLI.path("SampleLayers/rules.yaml")

    func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func kind(_ path: String) -> FileKind? {
        var info = stat()
        return lstat(path, &info) == 0 ? FileKind(mode: info.st_mode) : nil
    }

    @Test func aSummaryThatCannotBeWrittenFailsBeforeTheRunAndLeavesTheEarlierPatches() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("patches.geojson")
        #expect(try CLI.run(["overlay", "--rules", rules, "--out", out.path, "--quiet"]).status == 0)
        let before = try Data(contentsOf: out)
        // RFC 7946 this time, so that new patches would differ from the earlier ones.
        let run = try CLI.run(["overlay", "--rules", rules, "--out", out.path, "--rfc7946", "--summary", "/no/such/dir/s.json"])
        #expect(run.status == 74)
        #expect(run.stderr == "plan-check: error: /no/such/dir/s.json: cannot write in its folder /no/such/dir: No such file or directory\n")
        // It stopped before the overlay: no table.
        #expect(run.stdout.isEmpty)
        #expect(try Data(contentsOf: out) == before)
        #expect(try entries(dir) == ["patches.geojson"])
    }

    @Test func outOntoASymbolicLinkWritesItsTargetAndKeepsTheLink() throws {
        let dir = try CLI.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: false)
        try Data("earlier\n".utf8).write(to: data.appendingPathComponent("patches.geojson"))
        let out = dir.appendingPathComponent("current.geojson").path
        try FileManager.default.createSymbolicLink(atPath: out, withDestinationPath: "data/patches.geojson")
        // A link to a summary that does not exist yet: the run creates the file it names.
        let summary = dir.appendingPathComponent("summary.json").path
        try FileManager.default.createSymbolicLink(atPath: summary, withDestinationPath: data.appendingPathComponent("summary.json").path)
        let run = try CLI.run(["overlay", "--rules", rules, "--out", out, "--summary", summary, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(kind(out) == .symbolicLink)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out) == "data/patches.geojson")
        #expect(kind(summary) == .symbolicLink)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: data.appendingPathComponent("patches.geojson"))) as? [String: Any]
        #expect((document?["features"] as? [Any])?.count == 105)
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: data.appendingPathComponent("summary.json"))) as? [String: Any]
        #expect((stats?["rules"] as? [Any])?.count == 5)
        #expect(try entries(dir) == ["current.geojson", "data", "summary.json"])
        #expect(try entries(data) == ["patches.geojson", "summary.json"])
    }

    @Test func outOrSummaryOntoAFIFOIsRefusedWith74AndTheFIFOIsLeftAlone() throws {
        let dir = try CLI.temporaryDirectory()
        let fifo = dir.appendingPathComponent("p.geojson").path
        try #require(mkfifo(fifo, 0o644) == 0)
        // Were the FIFO opened for writing, the run would block here for want of a reader.
        let run = try CLI.run(["overlay", "--rules", rules, "--out", fifo])
        #expect(run.status == 74)
        #expect(run.stderr == "plan-check: error: \(fifo) is a FIFO: plan-check replaces outputs atomically and does not write into special files; use --out - to write to standard output\n")
        #expect(run.stdout.isEmpty)
        let summary = try CLI.run(["overlay", "--rules", rules, "--summary", fifo, "--quiet"])
        #expect(summary.status == 74)
        #expect(summary.stderr.hasSuffix("use --summary - to write to standard output\n"), "\(summary.stderr)")
        #expect(kind(fifo) == .fifo)
        #expect(try entries(dir) == ["p.geojson"])
    }

    @Test func outOntoACharacterDeviceIsRefusedWith74AndTheNodeIsLeftAlone() throws {
        let dir = try CLI.temporaryDirectory()
        // A link to /dev/full: a writer that replaced the node would replace the link in this
        // folder, never /dev/full itself.
        let full = dir.appendingPathComponent("full.geojson").path
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: "/dev/full")
        let run = try CLI.run(["overlay", "--rules", rules, "--out", full, "--quiet"])
        #expect(run.status == 74)
        #expect(run.stderr.contains("\(full) (a symbolic link to /dev/full) is a character device: plan-check replaces outputs atomically"), "\(run.stderr)")
        #expect(kind(full) == .symbolicLink)
        #expect(kind("/dev/full") == .characterDevice)
        // A device node of our own, /dev/full's numbers (1, 7), where this process may make one.
        let node = dir.appendingPathComponent("node.geojson").path
        if mknod(node, mode_t(S_IFCHR) | 0o666, dev_t(1 << 8 | 7)) == 0 {
            let onNode = try CLI.run(["overlay", "--rules", rules, "--out", node, "--quiet"])
            #expect(onNode.status == 74)
            #expect(onNode.stderr.contains("\(node) is a character device"), "\(onNode.stderr)")
            #expect(kind(node) == .characterDevice)
        }
        #expect(try entries(dir).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func outDashStreamsTheSameGeoJSONToStandardOutputAndTheTableToStandardError() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("patches.geojson")
        #expect(try CLI.run(["overlay", "--rules", rules, "--out", file.path, "--quiet"]).status == 0)
        let summary = dir.appendingPathComponent("summary.json")
        let run = try CLI.run(["overlay", "--rules", rules, "--out", "-", "--summary", summary.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Data(run.stdout.utf8) == (try Data(contentsOf: file)))
        #expect(run.stderr.contains("C1    critical  intersects       55"))
        #expect(run.stderr.hasSuffix("patches written to standard output\n"))
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any]
        #expect(stats?["output"] as? String == "-")

        // The summary on standard output instead.
        let json = try CLI.run(["overlay", "--rules", rules, "--summary", "-", "--quiet"])
        #expect(json.status == 0, "\(json.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((parsed?["rules"] as? [Any])?.count == 5)

        let both = try CLI.run(["overlay", "--rules", rules, "--out", "-", "--summary", "-"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--out - and --summary - would both write to standard output"), "\(both.stderr)")
        #expect(try entries(dir) == ["patches.geojson", "summary.json"])
    }

    @Test func aRunRemovesTheTemporariesThatKilledRunsLeftForItsOutputsAndKeepsLiveOnes() throws {
        let dir = try CLI.temporaryDirectory()
        let dead = try deadProcessID()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        func temporary(_ output: String, _ pid: pid_t) throws -> String {
            let name = TemporaryName.make(for: output, pid: pid, random: 0xc0ffee)
            try Data("{\"type\":\"FeatureCollection\",\"features\":[\n".utf8).write(to: dir.appendingPathComponent(name))
            return name
        }
        let stale = [try temporary("patches.geojson", dead), try temporary("summary.json", dead)]
        let live = [try temporary("patches.geojson", sleeper.processIdentifier), try temporary("patches.geojson", getpid())]
        let other = try temporary("other.geojson", dead)
        #expect(try entries(dir) == (stale + live + [other]).sorted())
        let run = try CLI.run(["overlay", "--rules", rules, "--out", dir.appendingPathComponent("patches.geojson").path,
                               "--summary", dir.appendingPathComponent("summary.json").path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try entries(dir) == (live + [other, "patches.geojson", "summary.json"]).sorted())
    }
}

/// The pid of a process that has ended (a `true` that was waited for).
func deadProcessID() throws -> pid_t { try EndedProcess.pid() }

/// On generated plans large enough for many chunks per rule (Tools/gen_layers.py, seeded), the
/// output must not depend on the job count.
@Suite struct OverlayOnGeneratedPlans {
    @Test func manyChunksSameBytesForOneAndTwoJobs() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try CLI.generatedPlans(in: dir)
        let rules = CLI.path("Tools/bench-overlay/rules.yaml")
        var outputs: [Data] = []
        for jobs in ["1", "2"] {
            let out = dir.appendingPathComponent("patches-\(jobs).geojson")
            let summary = dir.appendingPathComponent("summary-\(jobs).json")
            let run = try CLI.run(["overlay", "--rules", rules] + layers + ["--out", out.path, "--summary", summary.path, "--jobs", jobs, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
            outputs.append(try Data(contentsOf: out))
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
            let ruleStats = try #require(stats["rules"] as? [[String: Any]])
            // Enough work that every rule with patches ran in several chunks.
            #expect((ruleStats.first?["patches"] as? Int ?? 0) > 0)
            let inputs = try #require(stats["inputs"] as? [[String: Any]])
            // The generator damaged some features; they are repaired or rejected, never lost.
            for input in inputs {
                let read = try #require(input["features_read"] as? Int)
                let kept = try #require(input["features_kept"] as? Int)
                let rejected = try #require(input["rejected"] as? [Any])
                #expect(kept + rejected.count == read)
            }
            #expect(inputs.contains { !(($0["repaired"] as? [Any]) ?? []).isEmpty })
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].count > 100_000)
    }
}
