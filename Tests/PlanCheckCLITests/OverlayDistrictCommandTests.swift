import Foundation
import Testing
import PlanCheckTestSupport

/// `plan-check overlay --districts … --district-field … --csv …` on the sample district: the
/// district table against an independent tabulation (Tools/oracle/district_oracle.py), totals
/// against the rule totals, the CSV against the GeoJSON through Python's csv module.
@Suite struct OverlayDistrictCommand {
    let rules = CLI.path("SampleLayers/rules.yaml")
    let districts = CLI.path("SampleLayers/districts.geojson")

    /// One run with every output, shared by the tests that read them.
    func runSample() throws -> (dir: URL, run: CLIRun, summary: [String: Any]) {
        let dir = try CLI.temporaryDirectory()
        let run = try CLI.run([
            "overlay", "--rules", rules, "--districts", districts, "--district-field", "XZQMC",
            "--out", dir.appendingPathComponent("patches.geojson").path,
            "--summary", dir.appendingPathComponent("summary.json").path,
            "--csv", dir.appendingPathComponent("patches.csv").path,
            // The oracle splits GEOS's full-precision patches; the tabulation is checked on the
            // same patches (the engines' agreement is ClipperAgainstGEOS's).
            "--engine", "geos",
        ])
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any])
        return (dir, run, summary)
    }

    @Test func districtTableMatchesTheOracleIncludingOutside() throws {
        let (_, run, summary) = try runSample()
        #expect(run.status == 0, "\(run.stderr)")
        let oracle = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: CLI.path("Tests/Fixtures/district-oracle.json")))) as? [String: Any])
        let table = try #require(summary["districts"] as? [String: Any])
        let names = try #require(oracle["names"] as? [String])
        #expect(table["names"] as? [String] == names)
        #expect(table["field"] as? String == "XZQMC")
        let ours = try #require(table["rules"] as? [[String: Any]])
        let theirs = try #require(oracle["rules"] as? [[String: Any]])
        #expect(ours.map { $0["rule"] as? String } == theirs.map { $0["rule"] as? String })
        func close(_ a: Double?, _ b: Double?, _ what: String) {
            guard let a, let b else { Issue.record("\(what): missing"); return }
            #expect(abs(a - b) <= 1e-9 * max(abs(b), 1), "\(what): plan-check \(a), oracle \(b)")
        }
        var outsideSeen = 0.0
        for (o, t) in zip(ours, theirs) {
            let rule = o["rule"] as? String ?? "?"
            let cells = try #require(o["districts"] as? [[String: Any]])
            let expected = try #require(t["districts"] as? [String: [String: Any]])
            #expect(cells.map { $0["district"] as? String } == names)
            for cell in cells {
                let name = cell["district"] as? String ?? "?"
                let e = try #require(expected[name])
                close(cell["area_m2"] as? Double, e["planar_area"] as? Double, "\(rule) \(name)")
                #expect(cell["patches"] as? Int == e["patches"] as? Int, "\(rule) \(name) patches")
            }
            let outside = try #require(o["outside"] as? [String: Any])
            let expectedOutside = try #require(t["outside"] as? [String: Any])
            close(outside["area_m2"] as? Double, expectedOutside["planar_area"] as? Double, "\(rule) outside")
            #expect(outside["patches"] as? Int == expectedOutside["patches"] as? Int, "\(rule) outside patches")
            outsideSeen += outside["area_m2"] as? Double ?? 0
        }
        // The sample's towns leave the north-east corner out on purpose.
        #expect(outsideSeen > 100_000)
    }

    @Test func districtTotalsReconcileWithRuleTotals() throws {
        let (_, run, summary) = try runSample()
        #expect(run.status == 0, "\(run.stderr)")
        let table = try #require(summary["districts"] as? [String: Any])
        let rules = try #require(summary["rules"] as? [[String: Any]])
        let byDistrict = try #require(table["rules"] as? [[String: Any]])
        for (rule, split) in zip(rules, byDistrict) {
            #expect(rule["id"] as? String == split["rule"] as? String)
            let cells = try #require(split["districts"] as? [[String: Any]])
            let outside = try #require(split["outside"] as? [String: Any])
            let planar = cells.reduce(outside["area_m2"] as! Double) { $0 + ($1["area_m2"] as! Double) }
            let ellipsoidal = cells.reduce(outside["area_ellipsoidal_m2"] as! Double) { $0 + ($1["area_ellipsoidal_m2"] as! Double) }
            let total = rule["area_m2"] as! Double, totalEllipsoidal = rule["area_ellipsoidal_m2"] as! Double
            #expect(abs(planar - total) <= 1e-9 * total, "\(rule["id"]!): Σ \(planar) against \(total)")
            #expect(abs(ellipsoidal - totalEllipsoidal) <= 1e-8 * totalEllipsoidal, "\(rule["id"]!): Σ \(ellipsoidal) against \(totalEllipsoidal)")
            let mu = try #require((split["total"] as? [String: Any])?["area_mu"] as? Double)
            #expect(abs(mu - planar * 15 / 10_000) <= 1e-9 * mu)
        }
        #expect((table["reconciliation_planar"] as? Double ?? 1) <= 1e-9)
        #expect((table["overlaps"] as? [Any])?.isEmpty == true)
        // The table on stdout: one row per town, outside, total, in ha and 亩.
        for text in ["patch area by district (XZQMC", "二十里堡街道", "outside every district", ", 亩:"] {
            #expect(run.stdout.contains(text), "stdout lacks \(text)")
        }
    }

    @Test func csvRoundTripsThroughPythonWithTheGeoJSONValues() throws {
        let (dir, run, _) = try runSample()
        #expect(run.status == 0, "\(run.stderr)")
        let csv = try Data(contentsOf: dir.appendingPathComponent("patches.csv"))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF], "no UTF-8 byte-order mark")
        let script = """
            import csv, json, sys
            rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
            features = json.load(open(sys.argv[2], encoding="utf-8"))["features"]
            oracle = json.load(open(sys.argv[3], encoding="utf-8"))["largest_share"]
            assert len(rows) == len(features) == 105, (len(rows), len(features))
            text = ["rule", "title", "severity", "relation", "a_layer", "a_class", "a_code", "b_layer", "b_class", "b_code"]
            numbers = ["area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu"]
            for row, f in zip(rows, features):
                p = f["properties"]
                assert row["id"] == f["id"], (row["id"], f["id"])
                for k in text:
                    assert row[k] == ("" if p[k] is None else str(p[k])), (row["id"], k, row[k], p[k])
                for k in ("a_fid", "b_fid"):
                    assert row[k] == ("" if p[k] is None else str(p[k])), (row["id"], k, row[k], p[k])
                for k in numbers:
                    assert float(row[k]) == p[k], (row["id"], k, row[k], p[k])
                float(row["centroid_x"]); float(row["centroid_y"])
                o = oracle[row["id"]]
                if o is None:
                    assert row["district"] == "", row
                else:
                    assert row["district"] == o["district"], (row["id"], row["district"], o)
                    assert abs(float(row["district_share"]) - o["share"]) < 1e-9, (row["id"], row["district_share"], o)
            assert any(r["district"] == "二十里堡街道" for r in rows)
            assert any("城规" in r["title"] or any(ord(c) > 0x3000 for c in r["title"]) for r in rows)
            print("ok", len(rows))
            """
        let check = try ExternalTool.run("/usr/bin/python3", [
            "-c", script, dir.appendingPathComponent("patches.csv").path, dir.appendingPathComponent("patches.geojson").path,
            CLI.path("Tests/Fixtures/district-oracle.json"),
        ])
        #expect(check.status == 0 && check.output.hasPrefix("ok 105"), "\(check.output)")
    }

    /// Text cells that a spreadsheet would run as formulas (`=`, `+`, `-`, `@`, tab, CR at the
    /// start) get a leading `'`; numbers, a negative integer feature id among them, stay numbers.
    @Test func csvGuardsTextCellsAgainstFormulaInjectionAndLeavesNumbersAlone() throws {
        let dir = try CLI.temporaryDirectory()
        func square(_ id: String, _ code: String, _ x: Double) -> String {
            let c = "[[\(x),4370000],[\(x + 100),4370000],[\(x + 100),4370100],[\(x),4370100],[\(x),4370000]]"
            return #"{"type":"Feature","id":\#(id),"properties":{"CODE":\#(code)},"geometry":{"type":"Polygon","coordinates":[\#(c)]}}"#
        }
        func layer(_ features: [String]) -> Data {
            Data(#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4550"}},"features":[\#(features.joined(separator: ","))]}"#.utf8)
        }
        // a: four squares side by side with hostile codes and ids; b: one wide rectangle under them all.
        try layer([square(#""=HYPERLINK(\"x\")""#, #""=1+2""#, 500_000), square(#""+1""#, #""-5""#, 500_100),
                   square(#""@me""#, #""@SUM(A1)""#, 500_200), square("-3", #""\tTAB""#, 500_300)])
            .write(to: dir.appendingPathComponent("a.geojson"))
        let wide = #"{"type":"Feature","id":-7,"properties":{"CODE":"\rCR"},"geometry":{"type":"Polygon","coordinates":[[[500050,4370050],[500350,4370050],[500350,4370150],[500050,4370150],[500050,4370050]]]}}"#
        try layer([wide]).write(to: dir.appendingPathComponent("b.geojson"))
        try Data("""
            version: 1
            min_area_m2: 0
            layers:
              a: {path: a.geojson, class_field: CODE, classes: {odd: ["=1+2", "-5", "@SUM(A1)", "\\tTAB"]}}
              b: {path: b.geojson, class_field: CODE, classes: {wide: ["\\rCR"]}}
            rules:
              - {id: R1, title: "=title", severity: major, relation: intersects, a: a.odd, b: b.wide}
            """.utf8).write(to: dir.appendingPathComponent("rules.yaml"))
        let run = try CLI.run([
            "overlay", "--rules", dir.appendingPathComponent("rules.yaml").path, "--quiet",
            "--out", dir.appendingPathComponent("patches.geojson").path, "--csv", dir.appendingPathComponent("patches.csv").path,
        ])
        try #require(run.status == 0, "\(run.stderr)")
        let script = """
            import csv, json, sys
            rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
            features = json.load(open(sys.argv[2], encoding="utf-8"))["features"]
            assert len(rows) == len(features) == 4, (len(rows), len(features))
            prefixed = 0
            for row, f in zip(rows, features):
                p = f["properties"]
                for k in ["id", "rule", "title", "a_class", "a_code", "b_class", "b_code", "a_fid", "b_fid"]:
                    v = f["id"] if k == "id" else p[k]
                    if isinstance(v, str):
                        expected = "'" + v if v[:1] in ("=", "+", "-", "@", "\\t", "\\r") else v
                        prefixed += expected != v
                    else:
                        expected = str(v)
                    assert row[k] == expected, (k, row[k], v)
                for k in ("area_m2", "area_ellipsoidal_m2", "area_ha", "area_mu", "centroid_x", "centroid_y"):
                    float(row[k])
                assert float(row["area_m2"]) == p["area_m2"]
            fids = {r["a_fid"] for r in rows}
            assert "-3" in fids and "'+1" in fids and "'@me" in fids, fids
            assert all(r["b_fid"] == "-7" for r in rows), [r["b_fid"] for r in rows]
            assert {r["a_code"] for r in rows} == {"'=1+2", "'-5", "'@SUM(A1)", "'\\tTAB"}, {r["a_code"] for r in rows}
            assert all(r["b_code"] == "'\\rCR" for r in rows)
            print("ok", len(rows), prefixed)
            """
        let check = try ExternalTool.run("/usr/bin/python3", [
            "-c", script, dir.appendingPathComponent("patches.csv").path, dir.appendingPathComponent("patches.geojson").path,
        ])
        #expect(check.status == 0 && check.output.hasPrefix("ok 4"), "\(check.output)")
    }

    @Test func csvToStandardOutputPutsTheTableOnStandardError() throws {
        let run = try CLI.run(["overlay", "--rules", rules, "--csv", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("\u{FEFF}id,rule,title,"))
        #expect(!run.stdout.contains("district"))
        #expect(run.stderr.contains("C1"))
        let both = try CLI.run(["overlay", "--rules", rules, "--csv", "-", "--summary", "-"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("would both write to standard output"))
    }

    @Test func missingDistrictsFileExits66AndBadOneExits65() throws {
        let missing = try CLI.run(["overlay", "--rules", rules, "--districts", "/nonexistent/towns.geojson", "--district-field", "XZQMC"])
        #expect(missing.status == 66, "\(missing.stderr)")
        #expect(missing.stderr.contains("/nonexistent/towns.geojson"))
        let dir = try CLI.temporaryDirectory()
        let bad = dir.appendingPathComponent("towns.geojson")
        try Data("{\"type\": \"FeatureCollection\", \"features\": [".utf8).write(to: bad)
        let broken = try CLI.run(["overlay", "--rules", rules, "--districts", bad.path, "--district-field", "XZQMC"])
        #expect(broken.status == 65, "\(broken.stderr)")
        #expect(broken.stderr.contains(bad.path))
    }

    @Test func unknownDistrictFieldNamesTheFieldsThatExist() throws {
        let run = try CLI.run(["overlay", "--rules", rules, "--districts", districts, "--district-field", "NAME"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("no field 'NAME'"))
        #expect(run.stderr.contains("XZQDM, XZQMC"))
        let alone = try CLI.run(["overlay", "--rules", rules, "--districts", districts])
        #expect(alone.status == 64)
        #expect(alone.stderr.contains("--district-field"))
    }

    @Test func districtsInAnotherCRSAreReprojected() throws {
        // The same towns in WGS 84 (RFC 7946): the table is the same to well within a square metre
        // per town (the boundaries move by the round trip of the coordinates only).
        let dir = try CLI.temporaryDirectory()
        let wgs84 = dir.appendingPathComponent("towns-wgs84.geojson")
        let convert = try ExternalTool.run("/usr/bin/ogr2ogr", ["-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES",
                                                                 "-lco", "COORDINATE_PRECISION=12", wgs84.path, districts])
        try #require(convert.status == 0, "\(convert.output)")
        let a = try CLI.run(["overlay", "--rules", rules, "--districts", districts, "--district-field", "XZQDM",
                             "--summary", dir.appendingPathComponent("a.json").path, "--quiet"])
        let b = try CLI.run(["overlay", "--rules", rules, "--districts", wgs84.path, "--district-field", "XZQDM",
                             "--summary", dir.appendingPathComponent("b.json").path, "--quiet"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        func totals(_ name: String) throws -> [Double] {
            let s = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any])
            let t = try #require((s["districts"] as? [String: Any])?["totals"] as? [[String: Any]])
            return t.map { $0["area_m2"] as? Double ?? -1 }
        }
        let x = try totals("a.json"), y = try totals("b.json")
        #expect(x.count == 3 && y.count == 3)
        for (p, q) in zip(x, y) { #expect(abs(p - q) < 1, "\(p) against \(q)") }
    }
}

/// `plan-check overlay --html` from the command line: the report is written with the other
/// outputs, in the language asked for, and an HTML path that clashes with another output is a
/// usage error before any work.
@Suite struct OverlayHTMLCommand {
    let rules = CLI.path("SampleLayers/rules.yaml")
    let districts = CLI.path("SampleLayers/districts.geojson")

    @Test func writesTheReportWithTheSummary() throws {
        let dir = try CLI.temporaryDirectory()
        let html = dir.appendingPathComponent("report.html")
        let run = try CLI.run([
            "overlay", "--rules", rules, "--districts", districts, "--district-field", "XZQMC",
            "--summary", dir.appendingPathComponent("summary.json").path, "--html", html.path, "--lang", "en", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOf: html, encoding: .utf8)
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any])
        let rules = try #require(summary["rules"] as? [[String: Any]])
        let patches = rules.compactMap { $0["patches"] as? Int }.reduce(0, +)
        #expect(text.components(separatedBy: "<path class=\"shape ").count - 1 == patches)
        #expect(text.contains("Patch list") && text.contains("By district"))
        #expect(!text.contains("http://") && !text.contains("https://"))
    }

    @Test func clashingOrUnknownOptionsAreUsageErrors() throws {
        let dir = try CLI.temporaryDirectory()
        let same = dir.appendingPathComponent("x.html").path
        let clash = try CLI.run(["overlay", "--rules", rules, "--summary", same, "--html", same])
        #expect(clash.status == 64)
        #expect(clash.stderr.contains("--summary") && clash.stderr.contains("--html"))
        let language = try CLI.run(["overlay", "--rules", rules, "--html", same, "--lang", "fr"])
        #expect(language.status == 64)
        #expect(!FileManager.default.fileExists(atPath: same))
    }
}
