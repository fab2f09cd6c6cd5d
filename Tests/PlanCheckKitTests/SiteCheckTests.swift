import Foundation
import Synchronization
import Testing
import PlanModel
import PlanCheckTestSupport
import PlanRegistry
import PlanStore
@testable import PlanCheckKit

/// Sites that must never get a verdict, and small sites that must not slip under the sliver
/// threshold: an answer is never more permissive than the data allows.
@Suite("Sites that cannot be judged, and small sites")
struct SiteCheckTests {
    static let zone41 = #""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}}"#

    func answer(_ geoJSON: String, registry: String? = nil, policy: InvalidFeaturePolicy = .repair) async throws -> QueryAnswer {
        let path: String
        if let registry { path = registry } else { path = try await SampleRegistry.path.value }
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: path, policy: policy, jobs: 1))
        let site = try QuerySite.read(bytes: Array(geoJSON.utf8), name: "site.geojson")
        return try await engine.answer(site, options: QueryOptions(at: CalendarDate("2026-12-01")!))
    }

    /// The message of the `SiteError` answering `geoJSON` throws (exit 65), or a failed expectation.
    func refusal(_ geoJSON: String, policy: InvalidFeaturePolicy = .repair,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> String {
        do {
            let answer = try await answer(geoJSON, policy: policy)
            Issue.record("a verdict for a site that cannot be judged: may_proceed \(answer.mayProceed), area \(answer.site.area.m2) m²",
                         sourceLocation: sourceLocation)
            return ""
        } catch {
            #expect(Failure(error).status == .dataError, "\(error)", sourceLocation: sourceLocation)
            #expect(error is SiteError || error is LayerFailure, "\(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return "\(error)"
        }
    }

    static func square(_ x: Double, _ y: Double, _ size: Double) -> String {
        "[[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]]"
    }

    @Test func aPointOrALineIsNoSite() async throws {
        let point = try await refusal(#"{"type":"Point","coordinates":[41484100,4375300],\#(Self.zone41)}"#)
        #expect(point.contains("feature 1 is a Point, which has no area"), "\(point)")
        let line = try await refusal(#"{"type":"LineString","coordinates":[[41484100,4375300],[41484200,4375400]],\#(Self.zone41)}"#)
        #expect(line.contains("feature 1 is a LineString"), "\(line)")
        let mixed = try await refusal(#"""
            {"type":"FeatureCollection",\#(Self.zone41),"features":[
              {"type":"Feature","id":"a","properties":{},"geometry":{"type":"Polygon","coordinates":\#(Self.square(41484100, 4375300, 50))}},
              {"type":"Feature","id":"b","properties":{},"geometry":{"type":"MultiPoint","coordinates":[[41484100,4375300]]}}]}
            """#)
        #expect(mixed.contains("feature b is a MultiPoint"), "\(mixed)")
        let empty = try await refusal(#"{"type":"FeatureCollection",\#(Self.zone41),"features":[]}"#)
        #expect(empty.contains("the site has no feature"), "\(empty)")
        let null = try await refusal(#"{"type":"FeatureCollection",\#(Self.zone41),"features":[{"type":"Feature","properties":{},"geometry":null}]}"#)
        #expect(null.contains("feature 1 has no geometry"), "\(null)")
    }

    @Test func aSiteCoveringTheWorldIsOutsideTheRegistrysCRS() async throws {
        let world = try await refusal(#"{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]}"#)
        #expect(world.contains("outside the area where the registry's CRS EPSG:4529 is used (121.5°E..124.5°E, 28.22°N..53.56°N"), "\(world)")
        let africa = try await refusal(#"{"type":"Polygon","coordinates":\#(Self.square(10, 10, 0.001))}"#)
        #expect(africa.contains("the site reaches 10°E 10°N"), "\(africa)")
    }

    @Test func aGeocentricSiteIsRefused() async throws {
        let message = try await refusal(#"""
            {"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:4978"}},
             "coordinates":[[[-2600000,4300000],[-2600100,4300000],[-2600100,4300100],[-2600000,4300000]]]}
            """#)
        #expect(message.contains("the site's CRS EPSG:4978 (WGS 84) is geocentric"), "\(message)")
    }

    @Test func degreesLabelledAsGaussKrugerAndSliversAreRefused() async throws {
        // Longitude/latitude written into a file that says EPSG:4529: a 0.001 x 0.001 m "site".
        let message = try await refusal(#"{"type":"Polygon","coordinates":\#(Self.square(123.1, 39.5, 0.001)),\#(Self.zone41)}"#)
        #expect(message.contains("the site's coordinates do not fit its CRS EPSG:4529"), "\(message)")
        #expect(message.contains("Point outside of projection domain"), "\(message)")
        // A sliver of a site in the right CRS: 0.1 m x 0.1 m.
        let sliver = try await refusal(#"{"type":"Polygon","coordinates":\#(Self.square(41_484_100, 4_375_300, 0.1)),\#(Self.zone41)}"#)
        #expect(sliver.contains("the site's area is 0.01 m²") && sliver.contains("a site needs at least 1 m²"), "\(sliver)")
    }

    @Test func aRejectedPartMakesTheWholeSiteAnError() async throws {
        // A bow-tie (self-intersecting) part, rejected under --invalid reject: the answer would
        // leave that land out, so there is none.
        let message = try await refusal(#"""
            {"type":"FeatureCollection",\#(Self.zone41),"features":[
              {"type":"Feature","id":1,"properties":{},"geometry":{"type":"Polygon","coordinates":\#(Self.square(41484100, 4375300, 50))}},
              {"type":"Feature","id":2,"properties":{},"geometry":{"type":"Polygon","coordinates":[[[41484200,4375300],[41484300,4375400],[41484300,4375300],[41484200,4375400],[41484200,4375300]]]}}]}
            """#, policy: .reject)
        #expect(message.contains("feature 2 cannot be used"), "\(message)")
        #expect(message.contains("would leave part of the site unchecked"), "\(message)")
    }

    @Test func aWholeSiteInsideTheRegistrysCRSStillGetsItsAnswer() async throws {
        // The same checks pass the sample's lon/lat site: WGS 84, reprojected into EPSG:4529.
        let text = try String(contentsOfFile: Repo.path("SampleLayers/sites/conditional.geojson"), encoding: .utf8)
        let result = try await answer(text)
        #expect(result.mayProceed)
        #expect(result.site.area.m2 > 10_000)
    }

    /// A 10 m x 10 m site inside the ecological redline (region R1's `prohibited` zone for `eia`),
    /// with every sliver threshold at 200 m²: the site is smaller than the threshold, yet it lies
    /// wholly in the redline. It must be prohibited, with the critical S1 patch.
    @Test func aSmallSiteInsideAProhibitedZoneIsProhibited() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-small-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sample = try String(contentsOfFile: Repo.path("SampleLayers/rules.yaml"), encoding: .utf8)
        let rulesText = sample.replacingOccurrences(of: "min_area_m2: 1 ", with: "min_area_m2: 200 ")
        try #require(rulesText != sample)
        for file in ["ecology", "hazard", "flood", "landuse", "urban", "boundary", "regions"] {
            try FileManager.default.copyItem(atPath: Repo.path("SampleLayers/\(file).geojson"), toPath: folder.appendingPathComponent("\(file).geojson").path)
        }
        try FileManager.default.copyItem(atPath: Repo.path("SampleLayers/farmland.gpkg"), toPath: folder.appendingPathComponent("farmland.gpkg").path)
        let rules = folder.appendingPathComponent("rules.yaml").path
        try rulesText.write(toFile: rules, atomically: true, encoding: .utf8)
        let registry = folder.appendingPathComponent("registry.gpkg").path
        _ = try await AssessRunner(AssessRequest(
            rulesPath: rules, regionsPath: folder.appendingPathComponent("regions.geojson").path, registryPath: registry,
            jobs: 1, validFrom: "2026-01-01", regionIDs: ["R1"])).run()

        // (41 485 505.6, 4 376 115) is inside R1's eia `prohibited` zone (GDAL's PointOnSurface).
        let site = #"{"type":"Polygon","coordinates":\#(Self.square(41_485_500, 4_376_110, 10)),\#(Self.zone41)}"#
        let result = try await answer(site, registry: registry)
        let eia = try #require(result.items.first { $0.itemId == "eia" })
        #expect(eia.outcome == .prohibited, "\(eia.reasons.map(\.message))")
        #expect(eia.zones.map(\.outcome) == [.prohibited])
        #expect(!result.mayProceed)
        let s1 = try #require(result.conformity.rules.first { $0.rule == "S1" })
        #expect(s1.patches.count == 1)
        expectClose(s1.area.m2, 100, relative: 1e-9, "S1 patch area")
        #expect(result.conformity.criticalPatches >= 1)
    }
}

/// Every registry read of one answer sees one commit: a run committed while an answer reads is
/// either wholly in it or wholly out of it.
@Suite("One snapshot per answer")
struct RegistrySnapshotTests {
    @Test func aRunCommittedDuringAReadTransactionIsNotSeenInIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let registry = folder.appendingPathComponent("registry.gpkg").path
        _ = try await AssessRunner(AssessRequest(
            rulesPath: Repo.path("SampleLayers/rules.yaml"), regionsPath: Repo.path("SampleLayers/regions.geojson"),
            registryPath: registry, jobs: 1, validFrom: "2026-01-01", regionIDs: ["R1"])).run()
        let reader = try RegistryReader(path: registry)
        let writer = try Database(path: registry, mode: .readWrite)

        let (before, inside, regionsInside) = try reader.readingOneSnapshot {
            let before = try reader.latestRunID()
            _ = try reader.currentItems(regionIDs: ["R1"])
            // Another connection commits run 2, which supersedes R1's items, as plan-check assess would.
            try writer.inTransaction {
                try writer.execute("CREATE TEMP TABLE next_run AS SELECT * FROM assessment_runs WHERE id = 1")
                try writer.execute("UPDATE next_run SET id = 2")
                try writer.execute("INSERT INTO assessment_runs SELECT * FROM next_run")
                try writer.execute("UPDATE assessment_items SET superseded_by_run = 2 WHERE region_id = 'R1'")
            }
            return (before, try reader.latestRunID(), try reader.currentItems(regionIDs: ["R1"]).map(\.runID))
        }
        #expect(before == 1)
        #expect(inside == 1, "the read transaction saw run \(inside ?? -1), committed after it began")
        #expect(!regionsInside.isEmpty && regionsInside.allSatisfy { $0 == 1 }, "current items of runs \(regionsInside)")
        // Outside the transaction, the new run is there.
        #expect(try reader.latestRunID() == 2)
        #expect(try reader.currentItems(regionIDs: ["R1"]).isEmpty)
    }

    /// Answers while `plan-check assess` commits five runs that re-assess R1, each run started
    /// once two more answers were given: every answer cites only runs up to its own
    /// latest_run_id, and each item's records of R1 come from one run.
    @Test func answersDuringAssessRunsAreConsistentWithThemselves() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-torn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let request = AssessRequest(
            rulesPath: Repo.path("SampleLayers/rules.yaml"), regionsPath: Repo.path("SampleLayers/regions.geojson"),
            registryPath: registry, jobs: 1, validFrom: "2026-01-01", regionIDs: ["R1", "R2"])
        _ = try await AssessRunner(request).run()
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: registry, jobs: 1))
        let site = try QuerySite.read(path: Repo.path("SampleLayers/sites/redline.geojson"))
        let answered = Counter(), finished = Counter()
        let writer = Task.detached {
            defer { finished.increment() }
            var again = request
            again.regionIDs = ["R1"]
            for _ in 0..<5 {
                let due = answered.value + 2
                while answered.value < due { try await Task.sleep(for: .milliseconds(5)) }
                _ = try await AssessRunner(again).run()
            }
        }
        var latestSeen: Set<Int64> = []
        repeat {
            let answer = try await engine.answer(site, options: QueryOptions(at: CalendarDate("2026-12-01")!))
            answered.increment()
            latestSeen.insert(answer.registry.latestRunId)
            for item in answer.items {
                #expect(item.records.allSatisfy { $0.runId <= answer.registry.latestRunId },
                        "item \(item.itemId) cites runs \(item.records.map(\.runId)) under latest_run_id \(answer.registry.latestRunId)")
                #expect(Set(item.records.filter { $0.regionId == "R1" }.map(\.runId)).count == 1,
                        "item \(item.itemId): R1 records of runs \(item.records.map(\.runId))")
            }
        } while finished.value == 0
        try await writer.value
        #expect(answered.value >= 10)
        #expect(latestSeen.count >= 5, "answers saw runs \(latestSeen.sorted()) while five runs were committed")
    }
}

/// A count shared between a test's tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
