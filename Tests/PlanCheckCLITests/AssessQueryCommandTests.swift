import Foundation
import Testing
import PlanCheckTestSupport
import PlanOutput
import PlanRegistry
import PlanStore

// `plan-check assess` and `plan-check query` as a planner and an applicant run them: the built
// binary, real files, separate processes (killed, or competing for the registry).

/// A registry made from the sample district as `make sample` makes it, in a fresh folder.
func sampleRegistry() throws -> (folder: URL, registry: String) {
    let folder = try CLI.temporaryDirectory()
    let registry = folder.appendingPathComponent("registry.gpkg").path
    let common = ["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", CLI.path("SampleLayers/regions.geojson"),
                  "--registry", registry, "--issued-by", "大连市自然资源局"]
    let old = try CLI.run(common + ["--region", "R3", "--valid-from", "2021-03-01", "--valid-until", "2024-02-29"])
    try #require(old.status == 0, "assess R3: \(old.stderr)")
    let new = try CLI.run(common + ["--region", "R1", "--region", "R2", "--valid-from", "2026-01-01"])
    try #require(new.status == 0, "assess R1 R2: \(new.stderr)")
    return (folder, registry)
}

/// Every row of the registry's tables as text; equal dumps mean an unchanged registry.
func dump(_ path: String) throws -> String {
    let database = try Database(path: path, mode: .readOnly)
    var out = ""
    let tables = try database.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .compactMap { $0[0].text }
    for table in tables {
        for row in try database.rows("SELECT * FROM \"\(table)\" ORDER BY 1") { out += "\(table): \(row)\n" }
    }
    return out
}

/// Regions on a grid of `cell` m over the sample district: many small regions, so an assess run
/// takes long enough to be interrupted.
func gridRegions(cell: Double, in folder: URL) throws -> String {
    var features: [String] = []
    var n = 0
    for i in stride(from: 41_482_000.0, to: 41_486_000, by: cell) {
        for j in stride(from: 4_374_000.0, to: 4_377_000, by: cell) {
            n += 1
            let ring = "[[\(i),\(j)],[\(i + cell),\(j)],[\(i + cell),\(j + cell)],[\(i),\(j + cell)],[\(i),\(j)]]"
            features.append("{\"type\":\"Feature\",\"properties\":{\"region_id\":\"G\(n)\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[\(ring)]}}")
        }
    }
    let path = folder.appendingPathComponent("grid-regions.geojson").path
    let text = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4529\"}},\"features\":[\(features.joined(separator: ","))]}"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Starts `plan-check` with `arguments` and returns once a line of its stderr contains `marker`.
func startAndWait(for marker: String, _ arguments: [String]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = CLI.binary
    process.arguments = arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    var seen = ""
    while !seen.contains(marker) {
        let data = err.fileHandleForReading.availableData
        if data.isEmpty { break }  // the process ended first
        seen += String(decoding: data, as: UTF8.self)
    }
    try #require(seen.contains(marker), "the process ended before printing '\(marker)': \(seen)")
    // Keep draining, so the process never blocks on a full pipe.
    let reader = err.fileHandleForReading
    DispatchQueue.global().async { _ = reader.readDataToEndOfFile() }
    return (process, err)
}

@Suite("assess and query commands")
struct AssessQueryCommandTests {
    @Test func everySampleSiteExitsAsTheOracleSaysAndItsAnswerMatchesTheSchema() throws {
        let (folder, registry) = try sampleRegistry()
        let expected: [(String, String?, Int32)] = [
            ("clean", nil, 0), ("conditional", nil, 0), ("farmland", nil, 1), ("redline", nil, 1),
            ("hazard", nil, 1), ("straddle", nil, 1), ("chemical", "chemical", 1), ("expired", nil, 1),
        ]
        let oracle = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLI.path("Tests/Fixtures/query-oracle.json")))) as! [String: Any]
        let oracleStatus = Dictionary(uniqueKeysWithValues: (oracle["sites"] as! [[String: Any]]).map { ($0["site"] as! String, Int32($0["exit_status"] as! Int)) })
        for (site, type, status) in expected {
            #expect(oracleStatus[site] == status, "the oracle and this test disagree on \(site)")
            var arguments = ["query", "--registry", registry, "--at", "2026-12-01", "--format", "json", CLI.path("SampleLayers/sites/\(site).geojson")]
            if let type { arguments += ["--project-type", type] }
            let run = try CLI.run(arguments)
            #expect(run.status == status, "\(site): \(run.stderr)")
            let answer = folder.appendingPathComponent("\(site).json").path
            try run.stdout.write(toFile: answer, atomically: true, encoding: .utf8)
            let check = try validateAgainstSchema(answer)
            #expect(check.status == 0, "\(site): \(check.output)")
        }
    }

    @Test func ogrinfoListsTheRegistryLayersWithTheirCounts() throws {
        let (_, registry) = try sampleRegistry()
        // 3 regions; 8 + 8 + 6 zones (R3, R1, R2); 4 items each; 2 runs; 4 inputs each.
        #expect(try GDAL.featureCounts(registry) == ["regions": 3, "zones": 22, "assessment_items": 12, "assessment_runs": 2,
                                                     "assessment_inputs": 8, "registry_info": 2])
        let (status, output) = try GDAL.summary(registry)
        #expect(status == 0, "\(output)")
        #expect(output.contains("Geometry: Multi Polygon"))
        #expect(output.contains("EPSG\",4529") || output.contains("ID[\"EPSG\",4529]"), "\(output.prefix(2000))")
    }

    @Test func historyListsEveryRunAndSupersededRecords() throws {
        let (_, registry) = try sampleRegistry()
        let again = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", CLI.path("SampleLayers/regions.geojson"),
                                 "--registry", registry, "--region", "R1", "--valid-from", "2026-06-01", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        let run = try CLI.run(["history", "--registry", registry, "--region", "R1", "--item", "geohazard", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((json["runs"] as? [Any])?.count == 3)
        let records = try #require(json["records"] as? [[String: Any]])
        #expect(records.map { $0["run_id"] as? Int } == [2, 3])
        #expect(records.map { $0["valid_from"] as? String } == ["2026-01-01", "2026-06-01"])
        #expect(records[0]["superseded_by_run"] as? Int == 3)
        #expect(records[1]["superseded_by_run"] == nil)
        let text = try CLI.run(["history", "--registry", registry, "--format", "text"])
        #expect(text.stdout.contains("R1  geohazard  run 2  2026-01-01..2028-12-31  superseded by run 3"))
        #expect(text.stdout.contains("R3  geohazard  run 1  2021-03-01..2024-02-29  current"))
    }

    @Test func textAnswerOnStandardInputSaysWhyAndExitsOne() throws {
        let (_, registry) = try sampleRegistry()
        let site = try String(contentsOfFile: CLI.path("SampleLayers/sites/expired.geojson"), encoding: .utf8)
        let run = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "text", "-"], stdin: site)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("Site -: "))
        #expect(run.stdout.contains("R3 老港区"))
        #expect(run.stdout.contains("expired on 2024-02-29"))
        #expect(run.stdout.contains("Verdict: the site may NOT rely on the regional assessments alone"))
    }

    @Test func conditionalSiteInLonLatGetsItsConditions() throws {
        let (_, registry) = try sampleRegistry()
        let run = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "text",
                               CLI.path("SampleLayers/sites/conditional.geojson")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("geohazard 地质灾害危险性评估: conditional 告知承诺"))
        #expect(run.stdout.contains("condition: 落实区域评估提出的地质灾害防治措施，签署告知承诺书"))
        #expect(run.stdout.contains("Verdict: the site may rely on the regional assessments"))
    }

    @Test func changedInputLayerMakesTheItemIndividual() throws {
        let (folder, registry) = try sampleRegistry()
        // The hazard plan redrawn since the assessment: same features, one more space.
        let hazard = try String(contentsOfFile: CLI.path("SampleLayers/hazard.geojson"), encoding: .utf8)
        let changed = folder.appendingPathComponent("hazard.geojson").path
        try (hazard + "\n").write(toFile: changed, atomically: true, encoding: .utf8)
        let run = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "json",
                               "--layer", "hazard=\(changed)", CLI.path("SampleLayers/sites/clean.geojson")])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("\"inputs_changed\""))
        #expect(run.stdout.contains("layer hazard given with --layer differs"))
    }

    @Test func badInputsGiveTheDocumentedExitCodes() throws {
        let (folder, registry) = try sampleRegistry()
        let clean = CLI.path("SampleLayers/sites/clean.geojson")
        let missing = try CLI.run(["query", "--registry", folder.appendingPathComponent("none.gpkg").path, clean])
        #expect(missing.status == 66, "\(missing.stderr)")
        let badDate = try CLI.run(["query", "--registry", registry, "--at", "2026-13-01", clean])
        #expect(badDate.status == 64, "\(badDate.stderr)")
        let badType = try CLI.run(["query", "--registry", registry, "--project-type", "chemcial", clean])
        #expect(badType.status == 64)
        #expect(badType.stderr.contains("known: industrial, chemical"), "\(badType.stderr)")
        let broken = try CLI.run(["query", "--registry", registry, "-"], stdin: "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[1,2],[3,4]")
        #expect(broken.status == 65, "\(broken.stderr)")
        #expect(broken.stderr.contains("-:1:"), "\(broken.stderr)")
        let notRegistry = try CLI.run(["query", "--registry", CLI.path("SampleLayers/farmland.gpkg"), clean])
        #expect(notRegistry.status == 65)
        #expect(notRegistry.stderr.contains("not a plan-check registry"), "\(notRegistry.stderr)")
        let unknownRegion = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                         CLI.path("SampleLayers/regions.geojson"), "--registry", registry, "--region", "R9"])
        #expect(unknownRegion.status == 64)
        #expect(unknownRegion.stderr.contains("has no region 'R9' (it has: R1, R2, R3)"), "\(unknownRegion.stderr)")
        let noAssessments = try CLI.run(["assess", "--rules", CLI.path("Tests/Fixtures/public/nc.rules.yaml"), "--regions",
                                         CLI.path("SampleLayers/regions.geojson"), "--registry", registry])
        #expect(noAssessments.status == 65)
        #expect(noAssessments.stderr.contains("no 'assessments' section"), "\(noAssessments.stderr)")
    }

    @Test func killedAssessLeavesTheRegistryAsItWas() throws {
        let (folder, registry) = try sampleRegistry()
        let before = try dump(registry)
        let grid = try gridRegions(cell: 40, in: folder)  // 7 500 regions
        let (process, _) = try startAndWait(for: "plan-check: assessed G", [
            "assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", grid, "--registry", registry, "--jobs", "1",
        ])
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try dump(registry) == before)
        let reader = try RegistryReader(path: registry)
        #expect(try reader.allRuns().count == 2)
        let validation = try GDAL.validate(registry)
        #expect(validation.status == 0, "\(validation.output)")
        // And the registry still takes a run.
        let again = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                 CLI.path("SampleLayers/regions.geojson"), "--registry", registry, "--region", "R1", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try RegistryReader(path: registry).allRuns().count == 3)
    }

    @Test func killedFirstAssessLeavesNoRegistry() throws {
        let folder = try CLI.temporaryDirectory()
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let grid = try gridRegions(cell: 40, in: folder)
        let (process, _) = try startAndWait(for: "plan-check: assessed G", [
            "assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", grid, "--registry", registry, "--jobs", "1",
        ])
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: registry))
    }

    @Test func theNextAssessRemovesTheTemporariesOfAKilledFirstRunAndKeepsARunningOnes() throws {
        let folder = try CLI.temporaryDirectory()
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let grid = try gridRegions(cell: 40, in: folder)
        let (process, _) = try startAndWait(for: "plan-check: assessed G", [
            "assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", grid, "--registry", registry, "--jobs", "1",
        ])
        let killed = process.processIdentifier
        kill(killed, SIGKILL)
        process.waitUntilExit()
        // What the killed run left: its hidden database and SQLite's files beside it.
        let hidden = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(!hidden.isEmpty)
        #expect(hidden.allSatisfy { TemporaryName.parse($0, outputName: "registry.gpkg")?.pid == killed }, "\(hidden)")
        // A run in progress elsewhere (here: a sleep) has its own temporary, which must stay.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        let running = TemporaryName.make(for: "registry.gpkg", pid: sleeper.processIdentifier, random: 0xace)
        try Data("being written".utf8).write(to: folder.appendingPathComponent(running))

        // Even a run that then stops on a usage error clears them: it checks the registry first.
        let wrong = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                 CLI.path("SampleLayers/regions.geojson"), "--registry", registry, "--region", "R9"])
        #expect(wrong.status == 64, "\(wrong.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") } == [running])
        let again = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                 CLI.path("SampleLayers/regions.geojson"), "--registry", registry, "--region", "R1", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(left == [running])
        #expect(try RegistryReader(path: registry).allRuns().count == 1)
        #expect(try GDAL.validate(registry).status == 0)
    }

    @Test func aRegistryPathThatIsAFIFOOrInAMissingFolderExits74BeforeAnyWork() throws {
        let folder = try CLI.temporaryDirectory()
        let fifo = folder.appendingPathComponent("registry.gpkg").path
        try #require(mkfifo(fifo, 0o644) == 0)
        // A reader of the FIFO would wait forever for a writer: the run must not open it.
        let run = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                               CLI.path("SampleLayers/regions.geojson"), "--registry", fifo])
        #expect(run.status == 74)
        #expect(run.stderr.contains("\(fifo) is a FIFO"), "\(run.stderr)")
        #expect(!run.stderr.contains("assessed"))
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && FileKind(mode: info.st_mode) == .fifo)
        let missing = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                   CLI.path("SampleLayers/regions.geojson"), "--registry", folder.appendingPathComponent("none/registry.gpkg").path])
        #expect(missing.status == 74)
        #expect(missing.stderr.contains("cannot write in its folder \(folder.appendingPathComponent("none").path): No such file or directory"), "\(missing.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["registry.gpkg"])
    }

    @Test func aSecondWriterGetsExit75WhileTheFirstWritesThenTheFirstCommits() throws {
        let (folder, registry) = try sampleRegistry()
        let grid = try gridRegions(cell: 60, in: folder)
        let (first, _) = try startAndWait(for: "plan-check: assessed G", [
            "assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", grid, "--registry", registry, "--jobs", "1",
        ])
        let second = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions",
                                  CLI.path("SampleLayers/regions.geojson"), "--registry", registry, "--wait", "0.2"])
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("another process is writing to the registry"), "\(second.stderr)")
        // A reader is not blocked: it sees the registry as it was.
        let query = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "json",
                                 CLI.path("SampleLayers/sites/clean.geojson")])
        #expect(query.status == 0, "\(query.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try RegistryReader(path: registry).allRuns().count == 3)
        #expect(try GDAL.validate(registry).status == 0)
    }
}


/// Validates a JSON answer against Sources/PlanCheckKit/Query/query-answer.schema.json with
/// Debian's python3-jsonschema (Draft 2020-12).
func validateAgainstSchema(_ path: String) throws -> (status: Int32, output: String) {
    let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))), key=str)
        for e in errors: print(list(e.absolute_path), e.message)
        sys.exit(1 if errors else 0)
        """
    let check = try ExternalTool.run("/usr/bin/python3", ["-c", "import jsonschema"])
    try #require(check.status == 0, "install python3-jsonschema (make test-deps)")
    return try ExternalTool.run("/usr/bin/python3", ["-c", script, CLI.path("Sources/PlanCheckKit/Query/query-answer.schema.json"), path])
}

/// `plan-check assess --html` from the command line: the report is written after the registry's
/// commit, in the language asked for; a report path that cannot be written fails before any work.
@Suite struct AssessHTMLCommand {
    let common = ["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", CLI.path("SampleLayers/regions.geojson"),
                  "--issued-by", "大连市自然资源局", "--region", "R1", "--region", "R2", "--valid-from", "2026-01-01"]

    @Test func writesTheReportOfTheRunItRecorded() throws {
        let folder = try CLI.temporaryDirectory()
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let html = folder.appendingPathComponent("assess.html")
        let run = try CLI.run(common + ["--registry", registry, "--html", html.path, "--lang", "en"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOf: html, encoding: .utf8)
        let reader = try RegistryReader(path: registry)
        let stored = try #require(try reader.latestRun())
        #expect(text.contains("Regional assessment report") && text.contains(stored.run.rulesSHA256))
        #expect(text.contains("<tr data-k=\"run\"><th>Run</th><td>\(stored.runID)</td></tr>"))
        #expect(run.stdout.contains("registry \(registry): run \(stored.runID)"))

        // To standard output: the report there, the table on stderr.
        let dash = try CLI.run(common + ["--registry", registry, "--html", "-"])
        #expect(dash.status == 0, "\(dash.stderr)")
        #expect(dash.stdout.hasPrefix("<!DOCTYPE html>") && dash.stderr.contains("registry \(registry): run"))
    }

    @Test func anUnwritableReportFailsBeforeTheRegistryIsTouched() throws {
        let folder = try CLI.temporaryDirectory()
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let run = try CLI.run(common + ["--registry", registry, "--html", "/nonexistent-folder/assess.html"])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("/nonexistent-folder/assess.html"))
        #expect(!FileManager.default.fileExists(atPath: registry))
        let lang = try CLI.run(common + ["--registry", registry, "--html", folder.appendingPathComponent("a.html").path, "--lang", "fr"])
        #expect(lang.status == 64)
    }
}
