import Foundation
@testable import PlanCheckKit
import PlanCheckTestSupport
import Testing

/// The figures of Tools/oracle/diff_oracle.py (GeoPandas overlay + groupby, shapely, pyproj) on
/// the revision it constructs (Tests/Fixtures/diff/).
struct DiffOracle: Decodable {
    struct Cell: Decodable { var old_class: String; var new_class: String; var area_m2: Double; var area_ellipsoidal_m2: Double }
    struct ClassArea: Decodable { var `class`: String; var area_m2: Double; var area_ellipsoidal_m2: Double }
    struct Total: Decodable { var area_m2: Double; var area_ellipsoidal_m2: Double }
    var matrix: [Cell]
    var only_old: [ClassArea]
    var only_new: [ClassArea]
    var old_total: Total
    var new_total: Total
    var changes: [String: [String]]
    var change_counts: [String: Int]
    var unchanged: Int

    static func load() throws -> DiffOracle {
        try JSONDecoder().decode(DiffOracle.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.path("Tests/Fixtures/diff-oracle.json"))))
    }

    static func request(jobs: Int = 2) -> DiffRequest {
        DiffRequest(
            oldPath: Repo.path("Tests/Fixtures/diff/old.geojson"), newPath: Repo.path("Tests/Fixtures/diff/new.geojson"),
            classField: "YDYHFLDM", oldClassField: "DLBM", idField: "BSM", classes: Repo.path("Tests/Fixtures/diff/classes.yaml"), jobs: jobs)
    }
}

@Suite struct DiffAgainstOracle {
    static let oracle = try! DiffOracle.load()

    @Test(arguments: [1, 2])
    func transitionMatrixAgreesWithGeoPandas(jobs: Int) async throws {
        let result = try await DiffRunner(DiffOracle.request(jobs: jobs)).run()
        let summary = DiffSummary(result)
        #expect(summary.matrix.count == Self.oracle.matrix.count)
        for expected in Self.oracle.matrix {
            let cell = try #require(summary.matrix.first { $0.oldClass == expected.old_class && $0.newClass == expected.new_class },
                                    "\(expected.old_class) → \(expected.new_class)")
            #expect(relative(cell.area.areaM2, expected.area_m2) < 1e-9, "\(expected.old_class) → \(expected.new_class)")
            // Ellipsoidal: pieces of 1 000 m² to 1 km are measured by the areal-scale integral,
            // within about 1.5e-4 m² of pyproj's geodesic area (docs/formats.md), so 1e-8 here.
            #expect(relative(cell.area.areaEllipsoidalM2, expected.area_ellipsoidal_m2) < 1e-8, "\(expected.old_class) → \(expected.new_class)")
            #expect(relative(cell.area.areaMu, expected.area_m2 * 15 / 10_000) < 1e-9)
        }
        for (mine, theirs) in [(summary.onlyOld, Self.oracle.only_old), (summary.onlyNew, Self.oracle.only_new)] {
            #expect(mine.map(\.className) == theirs.map(\.class))
            for (m, t) in zip(mine, theirs) {
                #expect(relative(m.area.areaM2, t.area_m2) < 1e-9, "only \(t.class)")
                #expect(relative(m.area.areaEllipsoidalM2, t.area_ellipsoidal_m2) < 1e-8, "only \(t.class)")
            }
        }
        // The totals equal both versions' areas: matrix rows plus land only in the old version,
        // columns plus land only in the new one.
        #expect(relative(summary.old.area.areaM2, Self.oracle.old_total.area_m2) < 1e-12)
        #expect(relative(summary.new.area.areaM2, Self.oracle.new_total.area_m2) < 1e-12)
        #expect(relative(summary.old.area.areaEllipsoidalM2, Self.oracle.old_total.area_ellipsoidal_m2) < 1e-8)
        #expect(relative(summary.new.area.areaEllipsoidalM2, Self.oracle.new_total.area_ellipsoidal_m2) < 1e-8)
        let rows = summary.overlapArea.areaM2 + summary.onlyOld.reduce(0) { $0 + $1.area.areaM2 }
        let columns = summary.overlapArea.areaM2 + summary.onlyNew.reduce(0) { $0 + $1.area.areaM2 }
        #expect(relative(rows, Self.oracle.old_total.area_m2) < 1e-9)
        #expect(relative(columns, Self.oracle.new_total.area_m2) < 1e-9)
        #expect(abs(summary.old.closureM2) < 1e-3 && abs(summary.new.closureM2) < 1e-3)
    }

    @Test func changesByIdAreTheRevisionThatWasMade() async throws {
        let result = try await DiffRunner(DiffOracle.request()).run()
        let mine = Dictionary(uniqueKeysWithValues: result.changes.map { ($0.id, Set($0.kinds.map(\.rawValue))) })
        #expect(mine == Self.oracle.changes.mapValues(Set.init))
        #expect(result.unchanged == Self.oracle.unchanged)
        let summary = DiffSummary(result)
        for (kind, count) in Self.oracle.change_counts { #expect(summary.changeCounts[kind] == count, "\(kind)") }
        // Where the land went: the merged parcel names both sources, the split one both halves,
        // and the parcel merged away names the one that holds its land now.
        let merged = try #require(result.changes.first { $0.kinds.contains(.merged) })
        let removedInto = try #require(result.changes.first { $0.kinds == [.removed] && !$0.toIds.isEmpty })
        #expect(removedInto.toIds == [merged.id] && merged.fromIds == [removedInto.id])
        let split = try #require(result.changes.first { $0.kinds.contains(.split) })
        #expect(split.toIds.count == 1 && result.changes.contains { $0.id == split.toIds[0] && $0.kinds == [.added] })
    }

    @Test func withoutAMappingRawCodesAreCompared() async throws {
        var request = DiffOracle.request()
        request.classes = nil
        let result = try await DiffRunner(request).run()
        #expect(!result.warnings.contains { $0.contains("match no class") }, "\(result.warnings)")
        let summary = DiffSummary(result)
        // DLBM 0111 becomes 0101 everywhere: every old code maps to another new code.
        #expect(summary.unchangedClassArea.areaM2 == 0)
        #expect(summary.matrix.contains { $0.oldClass == "0111" && $0.newClass == "0101" })
        #expect(relative(summary.overlapArea.areaM2 + summary.onlyOld.reduce(0) { $0 + $1.area.areaM2 }, Self.oracle.old_total.area_m2) < 1e-9)
    }

    @Test func aRuleSetLayerServesAsTheMapping() async throws {
        var request = DiffOracle.request()
        request.classes = Repo.path("SampleLayers/rules.yaml") + ":landuse"
        request.classField = "DLBM"
        request.oldClassField = nil
        request.newPath = request.oldPath
        let result = try await DiffRunner(request).run()
        #expect(result.changes.isEmpty && result.unchanged == 107)
        #expect(DiffSummary(result).matrix.allSatisfy { $0.oldClass == $0.newClass })
        let error = try await #require(throws: (any Error).self) {
            var wrong = request
            wrong.classes = Repo.path("SampleLayers/rules.yaml") + ":farmland"
            _ = try await DiffRunner(wrong).run()
        }
        #expect("\(error)".contains("the rule set has no layer 'farmland' with classes (layers with classes: landuse, urban, hazard, flood)"))
    }

    /// The `--html` page in headless Chromium: the matrix a reader sees is the one of the summary.
    @Test func theHTMLPageShowsTheMatrixInABrowser() async throws {
        let summary = DiffSummary(try await DiffRunner(DiffOracle.request()).run())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let page = dir.appendingPathComponent("diff.html"), grid = dir.appendingPathComponent("grid.json")
        let screenshot = dir.appendingPathComponent("diff.png")
        try summary.html().write(to: page, atomically: true, encoding: .utf8)
        let expected: [String: Any] = ["grid": summary.grid(), "changes": summary.changes.count]
        try JSONSerialization.data(withJSONObject: expected).write(to: grid)
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.fileExists(atPath: program) {
            Issue.record("\(program) is missing: apt-get install -y chromium chromium-driver python3-selenium (`make test-deps` does)")
            return
        }
        let (status, output) = try ExternalTool.run(
            "/usr/bin/python3", [Repo.path("Tests/Fixtures/diff_browser.py"), page.path, screenshot.path, grid.path])
        #expect(status == 0, "\(output)")
        #expect(FileManager.default.fileExists(atPath: screenshot.path))
    }
}
