import Foundation
import PlanModel
import Testing
import PlanCheckTestSupport

@testable import PlanCheckKit

/// The HTML report (`overlay --html`): its tables hold the summary's figures, it is
/// self-contained, and it works in a browser.
@Suite(.serialized) struct OverlayReportTests {
    /// The sample district with the sample districts layer (field XZQMC).
    static func sample() async throws -> (OverlayResult, OverlaySummary) {
        let request = OverlayRequest(
            rulesPath: Repo.path("SampleLayers/rules.yaml"), jobs: 2,
            districts: (Repo.path("SampleLayers/districts.geojson"), "XZQMC"))
        let result = try await OverlayRunner(request).run()
        return (result, OverlaySummary(result, request: request, output: nil, rfc7946: false))
    }

    /// The rows of the table `id`: each row's number cells by `data-k`, with their `data-v` and text.
    static func numberCells(_ html: String, table id: String) throws -> [[(key: String, value: Double, text: String)]] {
        let start = try #require(html.range(of: "<table class=\"data\" id=\"\(id)\"") ?? html.range(of: "<table class=\"data sortable\" id=\"\(id)\""))
        let end = try #require(html.range(of: "</table>", range: start.upperBound..<html.endIndex))
        let body = String(html[start.upperBound..<end.lowerBound])
        let cell = try Regex(#"<td class="n" data-k="(\w+)" data-v="([^"]*)">([^<]*)</td>"#)
        return body.components(separatedBy: "</tr>").compactMap { row in
            let cells = row.matches(of: cell).map { m in
                (key: String(m.output[1].substring!), value: Double(m.output[2].substring!)!, text: String(m.output[3].substring!))
            }
            return cells.isEmpty ? nil : cells
        }
    }

    @Test func tablesHoldTheSummaryFiguresAndNothingIsFetched() async throws {
        let (result, summary) = try await Self.sample()
        let html = try OverlayReport(result, summary: summary).html()

        // Self-contained: no reference to anything on a network.
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("src="))
        #expect(html.contains("差异图斑") && html.contains("公顷") && html.contains("亩") && html.contains("行政区") && html.contains("图例"))

        // The embedded data is the summary itself, and one entry per patch.
        let jsonStart = try #require(html.range(of: "<script type=\"application/json\" id=\"report-data\">"))
        let jsonEnd = try #require(html.range(of: "</script>", range: jsonStart.upperBound..<html.endIndex))
        let data = Data(html[jsonStart.upperBound..<jsonEnd.lowerBound].utf8)
        let embedded = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let patches = try #require(embedded["patches"] as? [[String: Any]])
        #expect(patches.count == result.patches.count)
        #expect(patches.map { $0["id"] as? String } == result.patches.map(\.id))
        let embeddedSummary = try #require(embedded["summary"] as? [String: Any])
        let embeddedRules = try #require(embeddedSummary["rules"] as? [[String: Any]])
        // (Foundation's JSON parser can be one unit in the last place off; the cells below are exact.)
        for (embeddedRule, rule) in zip(embeddedRules, summary.rules) {
            let area = try #require(embeddedRule["areaM2"] as? Double)
            #expect(abs(area - rule.areaM2) <= 1e-12 * rule.areaM2)
        }
        #expect(embeddedRules.count == summary.rules.count)

        // One SVG path per patch.
        #expect(html.components(separatedBy: "<path class=\"patch ").count - 1 == result.patches.count)

        // Per rule: count, m², ha, 亩, ellipsoidal m², slivers, exactly the summary's values.
        let rules = try Self.numberCells(html, table: "rules")
        #expect(rules.count == summary.rules.count)
        for (row, rule) in zip(rules, summary.rules) {
            let v = Dictionary(uniqueKeysWithValues: row.map { ($0.key, $0.value) })
            #expect(v["patches"] == Double(rule.patches))
            #expect(v["areaM2"] == rule.areaM2)
            #expect(v["areaHa"] == rule.areaHa)
            #expect(v["areaMu"] == rule.areaMu)
            #expect(v["areaEllipsoidalM2"] == rule.areaEllipsoidalM2)
            #expect(v["sliversDropped"] == Double(rule.sliversDropped))
            #expect(v["minAreaM2"] == rule.minAreaM2)
            let texts = Dictionary(uniqueKeysWithValues: row.map { ($0.key, $0.text) })
            #expect(texts["areaHa"] == grouped(rule.areaHa, 2))
            #expect(texts["areaMu"] == grouped(rule.areaMu, 1))
        }

        // District × rule, in ha and 亩: districts, outside every district, total.
        let districts = try #require(summary.districts)
        #expect(!districts.names.isEmpty)
        for (table, value) in [("districts-ha", \OverlaySummary.Districts.Cell.areaHa), ("districts-mu", \.areaMu)] {
            let rows = try Self.numberCells(html, table: table)
            #expect(rows.count == districts.names.count + 2)
            for (d, row) in rows.enumerated() {
                let expected: [OverlaySummary.Districts.Cell] =
                    d < districts.names.count ? districts.rules.map { $0.districts[d] } + [districts.totals[d]]
                    : d == districts.names.count ? districts.rules.map(\.outside) + [districts.outside]
                    : districts.rules.map(\.total) + [districts.total]
                #expect(row.map(\.value) == expected.map { $0[keyPath: value] })
            }
        }
        // The patch list: one row per patch with its areas.
        let list = try Self.numberCells(html, table: "patch-list")
        #expect(list.map { $0.first { $0.key == "areaM2" }?.value } == result.patches.map(\.area))

        // Provenance: every input with its hash and counts.
        for input in summary.inputs {
            #expect(html.contains(input.sha256))
        }
        #expect(html.contains(summary.rulesFile.sha256) && html.contains(districts.sha256))
        #expect(html.contains("GEOS \(summary.geosVersion)") && html.contains("PROJ \(summary.projVersion)"))

        // English on request.
        let english = try OverlayReport(result, summary: summary, language: .en).html()
        #expect(english.contains("Patch list") && english.contains("Legend") && !english.contains("图例"))
    }

    /// ReportAssets.swift is what Tools/embed-report-assets.sh makes of the asset files.
    @Test func embeddedAssetsMatchTheirFiles() throws {
        for (name, embedded) in [("report.css", ReportAssets.css), ("report.js", ReportAssets.js)] {
            var file = try String(contentsOfFile: Repo.path("Sources/PlanCheckKit/Report/assets/\(name)"), encoding: .utf8)
            if file.hasSuffix("\n") { file.removeLast() }
            #expect(file == embedded, "\(name) changed: run Tools/embed-report-assets.sh")
        }
    }

    /// Headless Chromium (Debian's chromium + chromium-driver, python3-selenium) opens the report:
    /// no console errors, one SVG path per patch, the tables, a click on a patch shows its id.
    /// The screenshot is kept under .build/test-artefacts/.
    @Test func opensInChromium() async throws {
        let (result, summary) = try await Self.sample()
        let folder = Repo.root.appendingPathComponent(".build/test-artefacts")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let page = folder.appendingPathComponent("overlay-report.html")
        try OverlayReport(result, summary: summary).html().write(to: page, atomically: true, encoding: .utf8)
        let screenshot = folder.appendingPathComponent("overlay-report.png")
        let ids = folder.appendingPathComponent("overlay-report-ids.json")
        try JSONEncoder().encode(result.patches.map(\.id)).write(to: ids)
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.fileExists(atPath: program) {
            Issue.record("\(program) is missing: apt-get install -y chromium chromium-driver python3-selenium (`make test-deps` does)")
            return
        }
        let (status, output) = try ExternalTool.run(
            "/usr/bin/python3",
            [Repo.path("Tests/Fixtures/report_browser.py"), page.path, screenshot.path, ids.path])
        print("report_browser.py:\n\(output)")
        print("screenshot: \(screenshot.path)")
        #expect(status == 0, "\(output)")
        #expect(FileManager.default.fileExists(atPath: screenshot.path))
    }
}
