import Foundation
import Testing
import PlanModel
import PlanCheckTestSupport
import PlanRegistry
import PlanRules
@testable import PlanCheckKit

// `assess` and `query` on the sample district, against Tools/oracle/query_oracle.py's figures
// (GeoPandas, shapely, pyproj; independent of plan-check), in Tests/Fixtures/query-oracle.json.

/// The parts of the query oracle the tests read.
struct QueryOracle: Decodable {
    struct Zone: Decodable {
        var region_id: String?
        var selector: String
        var outcome: String
        var condition: String?
        var planar_area: Double
        var ellipsoidal_area_m2: Double
    }
    struct RegionItem: Decodable {
        var item: String
        var valid_from: String
        var valid_until: String
        var zones: [Zone]
    }
    struct Region: Decodable {
        var region_id: String
        var planar_area: Double
        var ellipsoidal_area_m2: Double
        var items: [RegionItem]
    }
    struct Reason: Decodable {
        var reason: String
        var planar_area: Double?
        var ellipsoidal_area_m2: Double?
    }
    struct SiteItem: Decodable {
        var item: String
        var outcome: String
        var zone_outcome: String
        var reasons: [Reason]
        var zones: [Zone]
    }
    struct Patch: Decodable {
        var b_fid: OverlayOracle.FID?
        var planar_area: Double
        var ellipsoidal_area_m2: Double
    }
    struct Rule: Decodable {
        var rule: String
        var patches: Int
        var planar_area: Double
        var ellipsoidal_area_m2: Double
        var patch_list: [Patch]
    }
    struct Site: Decodable {
        var site: String
        var file: String
        var project_type: String?
        var planar_area: Double
        var ellipsoidal_area_m2: Double
        var items: [SiteItem]
        var conformity: [Rule]
        var exit_status: Int
    }
    var at: String
    var regions: [Region]
    var sites: [Site]

    static func load() throws -> QueryOracle {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.path("Tests/Fixtures/query-oracle.json")))
        return try JSONDecoder().decode(QueryOracle.self, from: data)
    }
}

/// The sample registry, built once per test process as `make sample` builds it: R3 assessed in
/// 2021 (expired since 2024-02-29), then R1 and R2 valid from 2026-01-01.
enum SampleRegistry {
    static let path: Task<String, any Error> = Task {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-assess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let rules = Repo.path("SampleLayers/rules.yaml")
        let regions = Repo.path("SampleLayers/regions.geojson")
        _ = try await AssessRunner(AssessRequest(
            rulesPath: rules, regionsPath: regions, registryPath: registry, jobs: 2, issuedBy: "大连市自然资源局",
            validFrom: "2021-03-01", validUntil: "2024-02-29", regionIDs: ["R3"],
            now: Date(timeIntervalSince1970: 1_614_585_600))).run()
        _ = try await AssessRunner(AssessRequest(
            rulesPath: rules, regionsPath: regions, registryPath: registry, jobs: 2, issuedBy: "大连市自然资源局",
            validFrom: "2026-01-01", regionIDs: ["R1", "R2"], now: Date(timeIntervalSince1970: 1_767_225_600))).run()
        return registry
    }
}

func expectClose(_ actual: Double, _ expected: Double, relative: Double, _ what: @autoclosure () -> String,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let scale = max(abs(expected), 1)
    #expect(abs(actual - expected) <= relative * scale, "\(what()): \(actual) vs oracle \(expected)", sourceLocation: sourceLocation)
}

@Suite("Assess and query on the sample district, against GeoPandas")
struct AssessQueryTests {
    @Test func zonesPartitionEveryRegionAsTheOracleDoes() async throws {
        let oracle = try QueryOracle.load()
        let reader = try RegistryReader(path: try await SampleRegistry.path.value)
        let everywhere = Envelope(minX: -1e12, minY: -1e12, maxX: 1e12, maxY: 1e12)
        let regions = try reader.currentRegions(intersecting: everywhere)
        #expect(regions.map(\.region.regionID) == oracle.regions.map(\.region_id).sorted())
        let zones = try reader.currentZones(intersecting: everywhere, regionIDs: Set(regions.map(\.region.regionID)))
        let items = try reader.currentItems(regionIDs: regions.map(\.region.regionID))
        for expected in oracle.regions {
            let region = try #require(regions.first { $0.region.regionID == expected.region_id })
            expectClose(region.region.area.planarM2, expected.planar_area, relative: 1e-9, "\(expected.region_id) planar area")
            expectClose(region.region.area.ellipsoidalM2, expected.ellipsoidal_area_m2, relative: 1e-6, "\(expected.region_id) ellipsoidal area")
            for item in expected.items {
                let record = try #require(items.first { $0.item.regionID == expected.region_id && $0.item.itemID == item.item })
                #expect(record.item.validFrom == item.valid_from)
                #expect(record.item.validUntil == item.valid_until)
                let mine = zones.filter { $0.zone.regionID == expected.region_id && $0.zone.itemID == item.item }
                #expect(mine.map(\.zone.source).sorted() == item.zones.map(\.selector).sorted(), "\(expected.region_id) \(item.item)")
                var total = 0.0
                for zone in item.zones {
                    let stored = try #require(mine.first { $0.zone.source == zone.selector })
                    #expect(stored.zone.outcome == zone.outcome)
                    #expect(stored.zone.condition == zone.condition)
                    expectClose(stored.zone.area.planarM2, zone.planar_area, relative: 1e-9, "\(expected.region_id) \(item.item) \(zone.selector)")
                    expectClose(stored.zone.area.ellipsoidalM2, zone.ellipsoidal_area_m2, relative: 1e-6, "\(expected.region_id) \(item.item) \(zone.selector) ellipsoidal")
                    total += stored.zone.area.planarM2
                }
                // A partition: the zones add up to the region.
                expectClose(total, expected.planar_area, relative: 1e-9, "\(expected.region_id) \(item.item) zones sum")
            }
        }
    }

    @Test(arguments: ["clean", "conditional", "farmland", "redline", "hazard", "straddle", "chemical", "expired"])
    func siteGetsTheOraclesAnswer(site name: String) async throws {
        let oracle = try QueryOracle.load()
        let expected = try #require(oracle.sites.first { $0.site == name })
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: try await SampleRegistry.path.value, jobs: 2))
        let answer = try await engine.answer(
            try QuerySite.read(path: Repo.path(expected.file)),
            options: QueryOptions(projectType: expected.project_type, at: try #require(CalendarDate(oracle.at))))

        #expect(answer.exitStatus == expected.exit_status)
        #expect(answer.mayProceed == (expected.exit_status == 0))
        expectClose(answer.site.area.m2, expected.planar_area, relative: 1e-9, "site area")
        expectClose(answer.site.area.ellipsoidalM2, expected.ellipsoidal_area_m2, relative: 1e-6, "site ellipsoidal area")
        #expect(answer.items.map(\.itemId) == expected.items.map(\.item))
        for item in expected.items {
            let mine = try #require(answer.items.first { $0.itemId == item.item })
            #expect(mine.outcome.rawValue == item.outcome, "\(name) \(item.item)")
            #expect(mine.zoneOutcome.rawValue == item.zone_outcome, "\(name) \(item.item)")
            #expect(Set(mine.reasons.map(\.code).filter { $0 != "zone" }) == Set(item.reasons.map(\.reason)), "\(name) \(item.item)")
            for reason in item.reasons {
                guard let area = reason.planar_area else { continue }
                let reported = try #require(mine.reasons.first { $0.code == reason.reason }?.area)
                expectClose(reported.m2, area, relative: 1e-9, "\(name) \(item.item) \(reason.reason)")
                expectClose(reported.ellipsoidalM2, reason.ellipsoidal_area_m2 ?? 0, relative: 1e-6, "\(name) \(item.item) \(reason.reason) ellipsoidal")
            }
            #expect(mine.zones.count == item.zones.count, "\(name) \(item.item) zones")
            for zone in item.zones {
                let touch = try #require(mine.zones.first { $0.source == zone.selector && $0.regionId == zone.region_id })
                #expect(touch.outcome.rawValue == zone.outcome)
                expectClose(touch.area.m2, zone.planar_area, relative: 1e-9, "\(name) \(item.item) \(zone.selector)")
                expectClose(touch.area.ellipsoidalM2, zone.ellipsoidal_area_m2, relative: 1e-6, "\(name) \(item.item) \(zone.selector) ellipsoidal")
            }
        }
        #expect(answer.conformity.rules.map(\.rule) == expected.conformity.map(\.rule))
        for rule in expected.conformity {
            let mine = try #require(answer.conformity.rules.first { $0.rule == rule.rule })
            expectClose(mine.area.m2, rule.planar_area, relative: 1e-9, "\(name) \(rule.rule) area")
            expectClose(mine.area.ellipsoidalM2, rule.ellipsoidal_area_m2, relative: 1e-6, "\(name) \(rule.rule) ellipsoidal")
            #expect(mine.patches.isEmpty == (rule.patches == 0), "\(name) \(rule.rule)")
            let theirs = Set(rule.patch_list.compactMap { $0.b_fid?.description })
            #expect(Set(mine.patches.compactMap(\.bFid)) == theirs, "\(name) \(rule.rule) b features")
        }
    }

    @Test func theRegistryIsAValidGeoPackageWithHistory() async throws {
        let path = try await SampleRegistry.path.value
        let (status, output) = try GDAL.validate(path)
        #expect(status == 0 && output.isEmpty, "validate_gpkg.py: \(output)")
        let reader = try RegistryReader(path: path)
        #expect(try reader.allRuns().count == 2)
        #expect(try reader.latestRun()?.run.inputs.map(\.layer) == ["ecology", "hazard", "flood", "regions"])
        #expect(try reader.latestRun()?.run.issuedBy == "大连市自然资源局")
    }

    @Test func answerRoundTripsThroughItsJSON() async throws {
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: try await SampleRegistry.path.value, jobs: 1))
        let answer = try await engine.answer(try QuerySite.read(path: Repo.path("SampleLayers/sites/straddle.geojson")),
                                             options: QueryOptions(at: CalendarDate("2026-12-01")!))
        let json = try answer.json()
        let again = try QueryAnswer.decode(json: Data(json.utf8))
        #expect(try again.json() == json)
        #expect(json.contains("\"schema_version\" : 1"))
        #expect(json.contains("\"outside_region\""))
    }

    @Test func overlappingRegionsAreWarnedAbout() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-overlap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func square(_ id: String, _ x: Double, _ y: Double, _ size: Double) -> String {
            "{\"type\":\"Feature\",\"properties\":{\"region_id\":\"\(id)\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]]}}"
        }
        func regions(_ features: [String], _ name: String) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4529\"}},\"features\":[\(features.joined(separator: ","))]}"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let registry = folder.appendingPathComponent("registry.gpkg").path
        let rules = Repo.path("SampleLayers/rules.yaml")
        // Two regions of one run overlapping by 100 m x 400 m; one touching along an edge only.
        let first = try regions([square("A", 41_482_500, 4_374_500, 500), square("B", 41_482_900, 4_374_500, 400),
                                 square("C", 41_482_500, 4_375_000, 500)], "first.geojson")
        let one = try await AssessRunner(AssessRequest(rulesPath: rules, regionsPath: first, registryPath: registry, jobs: 1)).run()
        let overlaps = one.warnings.filter { $0.contains("overlaps") }
        #expect(overlaps == ["\(first): warning: region A overlaps region B by 40000.0 m²; a site there gets the zones of both"])
        // A later run's region overlapping a current region of the registry that it does not supersede.
        let second = try regions([square("D", 41_483_200, 4_374_600, 200)], "second.geojson")
        let two = try await AssessRunner(AssessRequest(rulesPath: rules, regionsPath: second, registryPath: registry, jobs: 1)).run()
        #expect(two.warnings.filter { $0.contains("overlaps") } == ["\(second): warning: region D overlaps region B of the registry by 20000.0 m²; a site there gets the zones of both"])
    }

    @Test func unknownProjectTypeIsAUsageError() async throws {
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: try await SampleRegistry.path.value, jobs: 1))
        await #expect {
            _ = try await engine.answer(try QuerySite.read(path: Repo.path("SampleLayers/sites/clean.geojson")),
                                        options: QueryOptions(projectType: "chemcial", at: CalendarDate("2026-12-01")!))
        } throws: { error in
            Failure(error).status == .usage && "\(error)".contains("known: industrial, chemical")
        }
    }
}
