import Foundation
import Testing

/// `overlay --dispositions` and `plan-check diff` as a planner runs them: the built binary.
@Suite struct ReconcileCommand {
    let rules = CLI.path("SampleLayers/rules.yaml")

    /// The CSV of a run, its header and rows as cells (no field of the sample holds a comma).
    func table(_ url: URL) throws -> (header: [String], rows: [[String]]) {
        var text = try String(contentsOf: url, encoding: .utf8)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let cells = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (cells[0], Array(cells.dropFirst()))
    }

    @Test func decisionsInTheCSVCarryOverAndFailOnCountsOnlyWhatIsNotDisposed() throws {
        let dir = try CLI.temporaryDirectory()
        let first = dir.appendingPathComponent("run1.csv")
        let run1 = try CLI.run(["overlay", "--rules", rules, "--csv", first.path, "--fail-on", "critical", "--quiet"])
        #expect(run1.status == 1, "C1 patches are critical and new")
        // Every critical (C1) patch gets a decision in Excel; one B patch too.
        var (header, rows) = try table(first)
        let column = try #require(header.firstIndex(of: "disposition")), rule = try #require(header.firstIndex(of: "rule"))
        for k in rows.indices where rows[k][rule] == "C1" { rows[k][column] = "调整城规" }
        let b = try #require(rows.firstIndex { $0[rule] == "B" })
        rows[b][column] = "保留"
        let edited = dir.appendingPathComponent("edited.csv")
        try ("\u{FEFF}" + ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n").write(to: edited, atomically: true, encoding: .utf8)

        let summary = dir.appendingPathComponent("summary.json")
        let run2 = try CLI.run(["overlay", "--rules", rules, "--dispositions", edited.path, "--summary", summary.path, "--fail-on", "critical"])
        #expect(run2.status == 0, "every critical patch is disposed: \(run2.stderr)")
        #expect(run2.stdout.contains("rule  severity  relation    patches  new  open  disposed  changed"))
        #expect(run2.stdout.contains("C1    critical  intersects       55    0     0        55        0"))
        #expect(run2.stdout.contains("B     major     outside          14    0    13         1        0"))
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let dispositions = try #require(stats["dispositions"] as? [String: Any])
        #expect(dispositions["statuses"] as? [String: Int] == ["new": 0, "open": 49, "disposed": 56, "changed": 0])
        #expect(dispositions["previous_patches"] as? Int == 105)
        let perRule = try #require(stats["rules"] as? [[String: Any]])
        #expect(perRule.map { ($0["statuses"] as? [String: Int])?["disposed"] } == [0, 1, 55, 0, 0])
        // Major patches are still open: --fail-on major finds them.
        #expect(try CLI.run(["overlay", "--rules", rules, "--dispositions", edited.path, "--fail-on", "major", "--quiet"]).status == 1)
    }

    @Test func badDispositionsFilesExitWithTheirCodes() throws {
        let dir = try CLI.temporaryDirectory()
        let missing = try CLI.run(["overlay", "--rules", rules, "--dispositions", dir.appendingPathComponent("none.gpkg").path, "--quiet"])
        #expect(missing.status == 66, "\(missing.stderr)")
        let layer = try CLI.run(["overlay", "--rules", rules, "--dispositions", CLI.path("SampleLayers/urban.geojson"), "--quiet"])
        #expect(layer.status == 65)
        #expect(layer.stderr.contains("urban.geojson: no rules_sha256 column: not a patch file written by plan-check overlay"))
        let csv = dir.appendingPathComponent("run.csv")
        #expect(try CLI.run(["overlay", "--rules", rules, "--csv", csv.path, "--quiet"]).status == 0)
        let otherRules = dir.appendingPathComponent("rules.yaml")
        let text = try String(contentsOfFile: rules, encoding: .utf8).replacingOccurrences(of: "path: ", with: "path: \(CLI.path("SampleLayers"))/")
        try (text + "# another version\n").write(to: otherRules, atomically: true, encoding: .utf8)
        let foreign = try CLI.run(["overlay", "--rules", otherRules.path, "--dispositions", csv.path, "--quiet"])
        #expect(foreign.status == 65)
        #expect(foreign.stderr.contains("written for another rule set"))
    }

    @Test func diffWritesTheMatrixTheChangesAndAPage() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("changes.geojson"), summary = dir.appendingPathComponent("diff.json")
        let html = dir.appendingPathComponent("diff.html")
        let run = try CLI.run([
            "diff", "--old", CLI.path("Tests/Fixtures/diff/old.geojson"), "--new", CLI.path("Tests/Fixtures/diff/new.geojson"),
            "--old-class-field", "DLBM", "--class-field", "YDYHFLDM", "--id-field", "BSM",
            "--classes", CLI.path("Tests/Fixtures/diff/classes.yaml"), "--out", out.path, "--summary", summary.path, "--html", html.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("features by id: 2 added, 2 removed, 3 reshaped, 4 reclassified, 1 merged, 1 split, 98 unchanged"))
        #expect(run.stdout.contains("old \\ new"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let features = try #require(doc["features"] as? [[String: Any]])
        #expect(features.count == 11)
        let changes = features.compactMap { ($0["properties"] as? [String: Any])?["change"] as? String }
        #expect(changes.contains("reshaped,merged") && changes.contains("reshaped,split"))
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        #expect((stats["matrix"] as? [[String: Any]])?.count == 6)
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<table>") && !page.contains("<script"))
    }

    @Test func diffBadInputExitsWithItsCode() throws {
        let dir = try CLI.temporaryDirectory()
        let old = CLI.path("Tests/Fixtures/diff/old.geojson"), new = CLI.path("Tests/Fixtures/diff/new.geojson")
        let base = ["diff", "--old", old, "--new", new, "--old-class-field", "DLBM", "--class-field", "YDYHFLDM", "--quiet"]
        let shp = try CLI.run(base + ["--out", dir.appendingPathComponent("c.shp").path])
        #expect(shp.status == 64 && shp.stderr.contains("diff writes its changes as GeoJSON"))
        let field = try CLI.run(["diff", "--old", old, "--new", new, "--class-field", "YDYHFLDM", "--quiet"])
        #expect(field.status == 64 && field.stderr.contains("--class-field YDYHFLDM: \(old) has no such field (it has: BSM, DLBM, DLMC)"))
        let missing = try CLI.run(["diff", "--old", dir.appendingPathComponent("none.geojson").path, "--new", new, "--class-field", "YDYHFLDM", "--quiet"])
        #expect(missing.status == 66)
        let ids = try CLI.run(base + ["--id-field", "DLBM"])
        #expect(ids.status == 65 && ids.stderr.contains("id_field 'DLBM' does not identify every feature"))
        let badClasses = dir.appendingPathComponent("classes.yaml")
        try "construction: 20*\n".write(to: badClasses, atomically: true, encoding: .utf8)
        let classes = try CLI.run(base + ["--classes", badClasses.path])
        #expect(classes.status == 65 && classes.stderr.contains("classes.yaml:1:15: error: codes of class 'construction'"))
        let same = try CLI.run(base + ["--summary", "-", "--html", "-"])
        #expect(same.status == 64)
    }
}
