import Foundation
import PlanCheckKit
import PlanModel
import PlanOutput
import PlanRules
import Testing

func relative(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
}

/// `overlay` against GeoPandas/shapely/pyproj figures (Tests/Fixtures/overlay-oracle.json) on the
/// sample district and two public pairs (projected with a datum shift; lon/lat).
@Suite struct OverlayAgainstOracle {
    static let oracle = try! OverlayOracle.load()

    @Test(arguments: oracle.rule_sets.map(\.rules), OverlayEngine.allCases)
    func patchesAndAreasAgree(rules: String, engine: OverlayEngine) async throws {
        let figures = try #require(Self.oracle.rule_sets.first { $0.rules == rules })
        var request = OverlayRequest(rulesPath: Repo.path(rules), jobs: 2, dissolve: true)
        request.engine = engine
        let result = try await OverlayRunner(request).run()
        #expect(result.outcomes.count == figures.results.count)
        for (outcome, expected) in zip(result.outcomes, figures.results) {
            let rule = outcome.rule.id
            #expect(rule == expected.id)
            // The same number of patches of at least 1 m², and the same total area.
            #expect(outcome.patches.filter { $0.area >= 1 }.count == expected.patches_ge_1m2, "rule \(rule)")
            #expect(outcome.patches.count == expected.patches, "rule \(rule)")
            let expectedArea = expected.planar_area ?? expected.ellipsoidal_area_m2
            #expect(relative(outcome.totalArea, expectedArea) < 1e-9, "rule \(rule): \(outcome.totalArea) vs \(expectedArea)")
            #expect(relative(outcome.totalEllipsoidalArea, expected.ellipsoidal_area_m2) < 1e-6, "rule \(rule)")
            // And GeoPandas' own overlay (intersection / difference), parts at or above the threshold.
            #expect(expected.geopandas.how == (outcome.rule.relation == .intersects ? "intersection" : "difference"))
            #expect(relative(outcome.totalArea, expected.geopandas.area_parts_at_least_min_area) < 1e-9,
                    "rule \(rule): \(outcome.totalArea) vs GeoPandas \(expected.geopandas.area_parts_at_least_min_area)")
            let dissolved = expected.dissolved.planar_area ?? expected.dissolved.ellipsoidal_area_m2
            let mineDissolved = try #require(outcome.dissolvedArea)
            #expect(relative(mineDissolved, dissolved) < 1e-9, "rule \(rule): dissolved \(mineDissolved) vs \(dissolved)")
            // Slivers: GEOS 3.11 (here) leaves a few more sub-millimetre pieces than GEOS 3.14
            // (shapely); their area is what must agree, to a square metre.
            #expect(abs(outcome.sliverArea - (expected.slivers.planar_area ?? expected.slivers.ellipsoidal_area_m2 ?? 0)) < 1, "rule \(rule)")

            // Each patch: the same lineage, and pyproj's ellipsoidal area within 1e-6.
            let layerA = try #require(result.layer(named: outcome.rule.a.layer))
            let layerB = try #require(result.layer(named: outcome.rule.b.layer))
            var mine: [String: DiscrepancyPatch] = [:]
            for patch in outcome.patches {
                let a = layerA.checked.features[patch.aIndex].id.description
                let b = patch.bIndex.map { layerB.checked.features[$0].id.description } ?? "-"
                mine["\(a)|\(b)"] = patch
            }
            // On Clipper's grid a patch's area may move by up to its perimeter × the cell
            // (1 µm; 1e-11° ≤ 1.12 µm in lon/lat); the rule totals above still agree to 1e-9.
            let cellM = result.workingCRS.isGeographic ? 1.12e-6 : 1e-6
            for patch in expected.patch_list {
                let key = "\(patch.a_fid)|\(patch.b_fid?.description ?? "-")"
                let found = try #require(mine[key], "rule \(rule): no patch for \(key)")
                let grid = engine == .clipper ? perimeterM(found.geometry, geographic: result.workingCRS.isGeographic) * cellM : 0
                // The geodesic area of a metre-sized patch is itself noisy at ~1e-5 m² (pyproj's
                // Geod on NY8 patch X 15|16, 1.27 m²: shifted by 0.2 µm, its area moves by 7e-6 m²),
                // so moved vertices get that much more.
                let geodesicNoise = engine == .clipper ? 1e-4 : 0
                #expect(abs(found.ellipsoidalArea - patch.ellipsoidal_area_m2) <= 1e-6 * patch.ellipsoidal_area_m2 + grid + geodesicNoise,
                        "rule \(rule) patch \(key)")
                if let planar = patch.planar_area {
                    #expect(abs(found.area - planar) <= 1e-9 * planar + grid, "rule \(rule) patch \(key)")
                }
            }
        }
    }
}

/// A patch's perimeter in metres: along its rings in a projected CRS; in lon/lat, an upper
/// bound (a degree of either axis counted as 111.32 km).
func perimeterM(_ geometry: GeometryValue, geographic: Bool) -> Double {
    let length = geometry.polygons.joined().reduce(0.0) { sum, ring in
        zip(ring, ring.dropFirst()).reduce(sum) { $0 + hypot($1.1.x - $1.0.x, $1.1.y - $1.0.y) }
    }
    return geographic ? length * 111_320 : length
}

@Suite struct OverlayBehaviour {
    let rules = Repo.path("SampleLayers/rules.yaml")

    @Test func idsAreStableAndOrdered() async throws {
        let first = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 2)).run().patches.map(\.id)
        let second = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 1)).run().patches.map(\.id)
        #expect(first == second)
        #expect(Set(first).count == first.count)
        #expect(first.first?.hasPrefix("A:") == true)
        #expect(first.contains("C1:U045:25") || first.contains { $0.hasPrefix("C1:") && $0.split(separator: ":").count == 3 })
    }

    @Test func slivierThresholdDropsAndCounts() async throws {
        let result = try await OverlayRunner(OverlayRequest(rulesPath: rules)).run()
        let a = try #require(result.outcomes.first { $0.rule.id == "A" })
        // Rule A has min_area_m2: 200; every kept patch is at least that, and what was cut is counted.
        #expect(a.patches.allSatisfy { $0.area >= 200 })
        #expect(a.sliversDropped >= 1)
        #expect(a.sliverArea > 60 && a.sliverArea < 200)
    }

    @Test func layerOverrideMustNameALayerOfTheRuleSet() async throws {
        let error = try await #require(throws: OverlayUsageError.self) {
            try await OverlayRunner(OverlayRequest(rulesPath: rules, layerPaths: ["roads": "x.geojson"])).run()
        }
        #expect(error.description.contains("roads"))
        #expect(error.exitStatus == .usage)
    }

    /// The patches file written during the run (`run(progress:writingPatchesTo:)`) has the same
    /// bytes as `PatchWriter.write(_:)` writes from the finished result, for one and two jobs, in
    /// the working CRS and as RFC 7946; and no temporary file is left next to it.
    @Test(arguments: [false, true])
    func streamedOutputMatchesWritingAfterwards(rfc7946: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let afterwards = dir.appendingPathComponent("afterwards.geojson").path
        let result = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 2)).run()
        try await PatchWriter(path: afterwards, rfc7946: rfc7946, jobs: 2).write(result)
        for jobs in [1, 2] {
            let streamed = dir.appendingPathComponent("streamed-\(jobs).geojson").path
            let run = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: jobs))
                .run(writingPatchesTo: PatchWriter(path: streamed, rfc7946: rfc7946, jobs: jobs))
            #expect(run.patches.map(\.id) == result.patches.map(\.id))
            #expect(run.timings.contains { $0.stage == "write" })
            #expect(try Data(contentsOf: URL(fileURLWithPath: streamed)) == Data(contentsOf: URL(fileURLWithPath: afterwards)),
                    "jobs \(jobs), rfc7946 \(rfc7946)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["afterwards.geojson", "streamed-1.geojson", "streamed-2.geojson"])
    }

    @Test func workingCRSCanBeChosen() async throws {
        let native = try await OverlayRunner(OverlayRequest(rulesPath: rules)).run()
        let lonLat = try await OverlayRunner(OverlayRequest(rulesPath: rules, workingCRS: "EPSG:4490")).run()
        #expect(lonLat.workingCRS.isGeographic)
        for (p, q) in zip(native.outcomes, lonLat.outcomes) {
            // In a geographic working CRS the area is ellipsoidal; it matches the projected run's
            // ellipsoidal area (edges are straight in different spaces, so not exactly).
            #expect(relative(p.totalEllipsoidalArea, q.totalArea) < 1e-5, "rule \(p.rule.id)")
        }
    }
}

/// The patches and the summary of a run are put in place together (`OverlayOutputs`).
@Suite struct OverlayOutputsTogether {
    let rules = Repo.path("SampleLayers/rules.yaml")

    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aSummaryThatFailsAtTheEndLeavesTheEarlierPatchesAndNoTemporary() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let patches = dir.appendingPathComponent("patches.geojson")
        try Data("earlier patches\n".utf8).write(to: patches)
        let reports = dir.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: false)
        let outputs = try OverlayOutputs(patches: patches.path, summary: reports.appendingPathComponent("summary.json").path)
        _ = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 2)).run(writingTo: outputs)
        // The new patches are complete, waiting beside the old ones.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 3)
        // The summary's folder goes away while the overlay ran: its temporary cannot be made.
        try FileManager.default.removeItem(at: reports)
        let error = try #require(throws: OutputFileError.self) { try outputs.commit(summary: "{}\n") }
        #expect(error.operation == .create)
        #expect(try String(contentsOf: patches, encoding: .utf8) == "earlier patches\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["patches.geojson"])
    }

    @Test func bothAppearOnlyAtTheCommit() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let patches = dir.appendingPathComponent("patches.geojson"), summary = dir.appendingPathComponent("summary.json")
        let outputs = try OverlayOutputs(patches: patches.path, summary: summary.path)
        let result = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 2)).run(writingTo: outputs)
        #expect(!FileManager.default.fileExists(atPath: patches.path))
        try outputs.commit(summary: "{\"patches\": \(result.patches.count)}\n")
        #expect(try String(contentsOf: summary, encoding: .utf8) == "{\"patches\": 105}\n")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: patches)) as? [String: Any]
        #expect((document?["features"] as? [Any])?.count == 105)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["patches.geojson", "summary.json"])
    }

    @Test func twoOutputsOntoOneFileOrBothOntoStandardOutputAreAUsageError() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("both.json").path
        let link = dir.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "both.json")
        let same = try #require(throws: OutputFileError.self) { try OverlayOutputs(patches: file, summary: link) }
        #expect(same.description.contains("are the same file"))
        #expect(same.exitStatus == .usage)
        let both = try #require(throws: OutputFileError.self) { try OverlayOutputs(patches: "-", summary: "-") }
        #expect(both.description == "--out - and --summary - would both write to standard output; give a file to one of them")
        #expect(both.exitStatus == .usage)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["link.json"])
    }
}
