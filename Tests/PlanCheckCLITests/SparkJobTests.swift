import Foundation
import Testing

/// `Tools/spark/plan_check_spark.py` on Spark `local[2]` with the built plan-check: the merged
/// output of N tile slices is byte for byte `plan-check overlay`'s, a slice killed mid-write is
/// retried without its partial files reaching the result, and bad input stops the job at once
/// with plan-check's status. Needs Java and PySpark (`make spark-deps`, which `make test` runs).
@Suite(.serialized) struct SparkJob {
    static let python = CLI.path("Tools/spark/.venv/bin/python")
    static let script = CLI.path("Tools/spark/plan_check_spark.py")

    /// Runs the Spark job with the plan-check binary under test (or `planCheck`).
    static func job(_ arguments: [String], planCheck: String = CLI.binary.path) throws -> CLIRun {
        try #require(FileManager.default.isExecutableFile(atPath: python),
                     "no PySpark in Tools/spark/.venv: run `make spark-deps` (make test runs it)")
        return try CLI.runTool(python, [script, "--master", "local[2]", "--plan-check", planCheck] + arguments)
    }

    /// `plan-check overlay` without --tile: the patch file's bytes and the summary.
    static func wholeRun(_ arguments: [String], in dir: URL) throws -> (patches: Data, summary: [String: Any]) {
        let out = dir.appendingPathComponent("whole.geojson"), summary = dir.appendingPathComponent("whole.json")
        let run = try CLI.run(["overlay"] + arguments + ["--out", out.path, "--summary", summary.path, "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        return (try Data(contentsOf: out), try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any]))
    }

    /// Runs the job on `arguments` with N slices and checks its output against the whole run:
    /// the patch file byte for byte, the merged summary's per-rule figures, and an empty work folder.
    @discardableResult
    static func checkJob(_ arguments: [String], tiles: Int, tileSize: Double, in dir: URL,
                         planCheck: String = CLI.binary.path) throws -> CLIRun {
        let whole = try wholeRun(arguments, in: dir)
        let work = dir.appendingPathComponent("work-\(tiles)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("spark-\(tiles).geojson"), summary = dir.appendingPathComponent("spark-\(tiles).json")
        let run = try job(arguments + ["--tiles", "\(tiles)", "--tile-size", "\(tileSize)", "--work-dir", work.path,
                                       "--out", out.path, "--summary", summary.path], planCheck: planCheck)
        try #require(run.status == 0, "job failed (\(run.status)): \(run.stderr)")
        #expect(try Data(contentsOf: out) == whole.patches, "\(tiles) slices of \(tileSize) m: not the whole run's bytes")
        let merged = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let mergedRules = merged["rules"] as? [[String: Any]] ?? [], wholeRules = whole.summary["rules"] as? [[String: Any]] ?? []
        #expect(mergedRules.count == wholeRules.count && !wholeRules.isEmpty)
        for (mine, full) in zip(mergedRules, wholeRules) {
            #expect(mine["id"] as? String == full["id"] as? String)
            #expect(mine["patches"] as? Int == full["patches"] as? Int, "rule \(full["id"] ?? "?") patches")
            let (a, b) = (mine["area_m2"] as? Double ?? .nan, full["area_m2"] as? Double ?? .nan)
            #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "rule \(full["id"] ?? "?") area \(a) vs \(b)")
        }
        // Slices, attempts' folders and plan-check's temporaries are all gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == [])
        #expect(run.stdout.contains("spark: \(tiles) slices"), "\(run.stdout)")
        return run
    }

    @Test func sampleDistrictEqualsTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.checkJob(["--rules", CLI.path("SampleLayers/rules.yaml")], tiles: 7, tileSize: 700, in: dir)
    }

    @Test func generatedParcelsEqualTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        let generator = try CLI.runTool("/usr/bin/env", [
            "python3", CLI.path("Tools/gen_layers.py"), "--parcels", "3000", "--seed", "7", "--out", dir.path])
        try #require(generator.status == 0, "\(generator.stderr)")
        try Self.checkJob(["--rules", CLI.path("Tools/bench-overlay/rules.yaml"),
                           "--layer", "landuse=\(dir.appendingPathComponent("landuse.geojson").path)",
                           "--layer", "urban=\(dir.appendingPathComponent("urban.geojson").path)"],
                          tiles: 5, tileSize: 500, in: dir)
    }

    /// A wrapper for plan-check that, on the first run of slice 2 only, waits until plan-check is
    /// writing (its temporary exists), kills it, leaves a truncated patch file and summary under
    /// the attempt's final names, and kills itself; later runs are plan-check itself.
    static func killedOnceWrapper(in dir: URL, killAlways: Bool = false) throws -> String {
        let wrapper = dir.appendingPathComponent("plan-check-killed-once.sh")
        let marker = dir.appendingPathComponent("killed")
        let script = """
            #!/bin/sh
            real='\(CLI.binary.path)'; marker='\(marker.path)'
            out=""; summary=""; previous=""
            for a in "$@"; do
              [ "$previous" = --out ] && out="$a"; [ "$previous" = --summary ] && summary="$a"; previous="$a"
            done
            case " $* " in *" --tile 2/"*) ;; *) exec "$real" "$@" ;; esac
            \(killAlways ? "" : "[ -e \"$marker\" ] && exec \"$real\" \"$@\"")
            echo "$$" >> "$marker"
            "$real" "$@" & pid=$!
            i=0
            while [ $i -lt 1000 ] && kill -0 $pid 2>/dev/null; do
              ls -a "$(dirname "$out")" | grep -q '\\.tmp$' && break
              sleep 0.01; i=$((i + 1))
            done
            kill -9 $pid 2>/dev/null
            printf '{"type":"FeatureCollection","features":[{"type":"Feature"' > "$out"
            printf '{"rules":[' > "$summary"
            kill -9 $$

            """
        try script.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        return wrapper.path
    }

    @Test func aSliceKilledMidWriteIsRetriedAndGivesTheSameResult() throws {
        let dir = try CLI.temporaryDirectory()
        let wrapper = try Self.killedOnceWrapper(in: dir)
        let run = try Self.checkJob(["--rules", CLI.path("SampleLayers/rules.yaml")], tiles: 3, tileSize: 1_000,
                                    in: dir, planCheck: wrapper)
        let kills = try String(contentsOf: dir.appendingPathComponent("killed"), encoding: .utf8)
        #expect(kills.split(separator: "\n").count == 1, "slice 2 killed once")
        #expect(run.stderr.contains("slice 2/3:") && run.stderr.contains("(attempt 2)"), "\(run.stderr)")
        #expect(run.stdout.contains("retried slices 2"), "\(run.stdout)")
    }

    /// A slice that is killed on every attempt: the job fails after --max-attempts with 128 + 9,
    /// names the slice, and writes no output.
    @Test func aSliceKilledOnEveryAttemptFailsTheJob() throws {
        let dir = try CLI.temporaryDirectory()
        let wrapper = try Self.killedOnceWrapper(in: dir, killAlways: true)
        let out = dir.appendingPathComponent("out.geojson")
        let run = try Self.job(["--rules", CLI.path("SampleLayers/rules.yaml"), "--tiles", "3", "--max-attempts", "2",
                                "--out", out.path], planCheck: wrapper)
        #expect(run.status == 137, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("slice 2/3") && run.stderr.contains("killed by signal 9"), "\(run.stderr)")
        let kills = try String(contentsOf: dir.appendingPathComponent("killed"), encoding: .utf8)
        #expect(kills.split(separator: "\n").count == 2, "two attempts")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".plan-check-spark") } == [])
    }

    /// A rule set with an unknown key: every slice fails with 65 on its first attempt (no
    /// retries), and the job exits 65 with plan-check's message naming the file and line.
    @Test func badInputStopsTheJobWithPlanChecksStatus() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = try String(contentsOfFile: CLI.path("SampleLayers/rules.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "severity: critical", with: "sevrity: critical")
            .replacingOccurrences(of: "path: ", with: "path: \(CLI.path("SampleLayers"))/")
        let bad = dir.appendingPathComponent("bad-rules.yaml")
        try rules.write(to: bad, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.geojson")
        let run = try Self.job(["--rules", bad.path, "--tiles", "4", "--out", out.path])
        #expect(run.status == 65, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("bad-rules.yaml:") && run.stderr.contains("sevrity"), "\(run.stderr)")
        #expect(run.stderr.contains("not retried"), "\(run.stderr)")
        #expect(!run.stderr.contains("(attempt 2)"), "bad input is not retried")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // The script's own usage errors: before Spark starts.
        let usage = try Self.job(["--rules", bad.path, "--tiles", "0", "--out", out.path])
        #expect(usage.status == 64, "\(usage.status): \(usage.stderr)")
        #expect(usage.stderr.contains("--tiles 0"), "\(usage.stderr)")
    }
}
