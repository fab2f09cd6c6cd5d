import Foundation
import Testing
import PlanModel
import PlanOutput
import PlanCheckTestSupport
import PlanStore
@testable import PlanRegistry

// The registry written with real SQLite and checked by independent readers: GDAL's GeoPackage
// validator and ogrinfo (Debian's python3-gdal and gdal-bin), and SQLite itself.


func temporaryPath(_ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-registry-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// A square in EPSG:4529 metres.
func square(_ x: Double, _ y: Double, _ size: Double) -> GeometryValue {
    .multiPolygon([[[Position(x: x, y: y), Position(x: x + size, y: y), Position(x: x + size, y: y + size),
                     Position(x: x, y: y + size), Position(x: x, y: y)]]])
}

let srs4529 = RegistrySRS(
    srsID: 4529, name: "CGCS2000 / 3-degree Gauss-Kruger zone 41", organization: "EPSG", organizationCode: 4529,
    definition: "PROJCS[\"CGCS2000 / 3-degree Gauss-Kruger zone 41\",GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",SPHEROID[\"CGCS2000\",6378137,298.257222101]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",123],PARAMETER[\"scale_factor\",1],PARAMETER[\"false_easting\",41500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1],AUTHORITY[\"EPSG\",\"4529\"]]",
    crsDefinition: "EPSG:4529")

func run(at time: String, issuer: String = "测试局") -> RegistryRun {
    RegistryRun(
        runAt: time, issuedBy: issuer, rulesPath: "/tmp/rules.yaml", rulesSHA256: String(repeating: "a", count: 64),
        rulesYAML: "version: 1\n", regionsPath: "/tmp/regions.geojson", regionsSHA256: String(repeating: "b", count: 64),
        srs: srs4529, minAreaM2: 1, planCheckVersion: "test", libraries: "GEOS, PROJ, SQLite",
        inputs: [RegistryInput(layer: "hazard", path: "/tmp/hazard.geojson", sha256: String(repeating: "c", count: 64),
                               featuresRead: 3, featuresRepaired: 1, featuresRejected: 0)])
}

/// A region of `size` m with two items; `geohazard` split into an individual and a default zone.
func region(_ id: String, x: Double, size: Double = 1000, validUntil: String = "2028-12-31")
    -> (RegistryRegion, [RegistryItem], [RegistryZone]) {
    let area = RegistryArea(planarM2: size * size, ellipsoidalM2: size * size * 0.9999)
    let items = ["geohazard", "eia"].map { item in
        RegistryItem(regionID: id, itemID: item, title: item, issuedBy: "测试局", validFrom: "2026-01-01", validUntil: validUntil,
                     defaultOutcome: "reuse", conditions: ["reuse": "按区域评估结论执行"],
                     excludedProjectTypes: item == "eia" ? ["chemical"] : [], constraintLayers: ["hazard"], minAreaM2: 1)
    }
    let half = RegistryArea(planarM2: size * size / 2, ellipsoidalM2: size * size / 2 * 0.9999)
    let zones = [
        RegistryZone(regionID: id, itemID: "geohazard", outcome: "individual", outcomeRank: 2, source: "hazard.high", condition: nil,
                     geometry: .multiPolygon([[[Position(x: x, y: 4_374_000), Position(x: x + size / 2, y: 4_374_000),
                                                Position(x: x + size / 2, y: 4_374_000 + size), Position(x: x, y: 4_374_000 + size),
                                                Position(x: x, y: 4_374_000)]]]), area: half),
        RegistryZone(regionID: id, itemID: "geohazard", outcome: "reuse", outcomeRank: 0, source: "default", condition: "按区域评估结论执行",
                     geometry: .multiPolygon([[[Position(x: x + size / 2, y: 4_374_000), Position(x: x + size, y: 4_374_000),
                                                Position(x: x + size, y: 4_374_000 + size), Position(x: x + size / 2, y: 4_374_000 + size),
                                                Position(x: x + size / 2, y: 4_374_000)]]]), area: half),
        RegistryZone(regionID: id, itemID: "eia", outcome: "reuse", outcomeRank: 0, source: "default", condition: nil,
                     geometry: square(x, 4_374_000, size), area: area),
    ]
    return (RegistryRegion(regionID: id, name: "区域\(id)", geometry: square(x, 4_374_000, size), area: area), items, zones)
}

func write(_ path: String, run: RegistryRun, regions: [(RegistryRegion, [RegistryItem], [RegistryZone])]) throws -> Int64 {
    let writer = try RegistryWriter(path: path)
    try writer.begin(run)
    for (r, items, zones) in regions { try writer.add(region: r, items: items, zones: zones) }
    return try writer.commit()
}

/// Every row of the registry's own tables, as text: equal dumps mean equal contents.
func dump(_ path: String) throws -> String {
    let database = try Database(path: path, mode: .readOnly)
    var out = ""
    for table in ["assessment_runs", "assessment_inputs", "regions", "assessment_items", "zones", "gpkg_contents", "rtree_regions_geom", "rtree_zones_geom"] {
        for row in try database.rows("SELECT * FROM \(table) ORDER BY 1") { out += "\(table): \(row)\n" }
    }
    return out
}

@Suite("Registry: a GeoPackage GDAL validates, with history")
struct RegistryTests {
    @Test func firstRunMakesAValidGeoPackageWithLayersAndCounts() throws {
        let path = try temporaryPath("registry.gpkg")
        let runID = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000), region("R2", x: 41_484_000)])
        #expect(runID == 1)
        let validation = try GDAL.validate(path)
        #expect(validation.status == 0, "validate_gpkg.py: \(validation.output)")
        #expect(validation.output.isEmpty, "validate_gpkg.py: \(validation.output)")
        let counts = try #require(try GDAL.featureCounts(path))
        #expect(counts["regions"] == 2)
        #expect(counts["zones"] == 6)
        #expect(counts["assessment_items"] == 4)
        #expect(counts["assessment_runs"] == 1)
        #expect(counts["assessment_inputs"] == 1)
        // No temporary file is left beside it.
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["registry.gpkg"])
    }

    @Test func readerFindsCurrentRecordsThroughTheSpatialIndex() throws {
        let path = try temporaryPath("registry.gpkg")
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000), region("R2", x: 41_484_000)])
        let reader = try RegistryReader(path: path)
        let probe = Envelope(minX: 41_482_100, minY: 4_374_100, maxX: 41_482_200, maxY: 4_374_200)
        let regions = try reader.currentRegions(intersecting: probe)
        #expect(regions.map(\.region.regionID) == ["R1"])
        #expect(regions.first?.region.name == "区域R1")
        #expect(regions.first?.region.geometry == square(41_482_000, 4_374_000, 1000))
        let zones = try reader.currentZones(intersecting: probe, regionIDs: ["R1"])
        #expect(zones.map(\.zone.source).sorted() == ["default", "hazard.high"])  // the geohazard east half is not in the box
        let items = try reader.currentItems(regionIDs: ["R1"])
        #expect(items.map(\.item.itemID) == ["geohazard", "eia"])
        #expect(items.last?.item.excludedProjectTypes == ["chemical"])
        #expect(items.first?.item.conditions == ["reuse": "按区域评估结论执行"])
        #expect(try reader.currentItemCatalogue().map(\.itemID) == ["geohazard", "eia"])
        #expect(try reader.registrySRS().srsID == 4529)
        let latest = try #require(try reader.latestRun())
        #expect(latest.run.issuedBy == "测试局")
        #expect(latest.run.inputs.first?.featuresRepaired == 1)
    }

    @Test func assessingARegionAgainSupersedesItAndKeepsTheHistory() throws {
        let path = try temporaryPath("registry.gpkg")
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000), region("R2", x: 41_484_000)])
        let second = try write(path, run: run(at: "2026-06-01T08:00:00.000Z", issuer: "复核局"), regions: [region("R1", x: 41_482_000, validUntil: "2029-05-31")])
        #expect(second == 2)
        let reader = try RegistryReader(path: path)
        let current = try reader.currentItems(regionIDs: ["R1", "R2"])
        #expect(current.filter { $0.item.regionID == "R1" }.allSatisfy { $0.runID == 2 && $0.item.validUntil == "2029-05-31" })
        #expect(current.filter { $0.item.regionID == "R2" }.allSatisfy { $0.runID == 1 })
        let history = try reader.itemHistory(regionID: "R1", itemID: "geohazard")
        #expect(history.map(\.runID) == [1, 2])
        #expect(history[0].supersededByRun == 2)
        #expect(history[0].supersededAt == "2026-06-01T08:00:00.000Z")
        #expect(history[1].supersededByRun == nil)
        let counts = try reader.counts()
        #expect(counts.first { $0.table == "regions" }.map { [$0.all, $0.current] } == [3, 2])
        #expect(counts.first { $0.table == "zones" }.map { [$0.all, $0.current] } == [9, 6])
        #expect(try GDAL.validate(path).status == 0)
        #expect(try GDAL.featureCounts(path)?["regions"] == 3)
    }

    @Test func aRunThatFailsLeavesTheRegistryExactlyAsItWas() throws {
        let path = try temporaryPath("registry.gpkg")
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000)])
        let before = try dump(path)
        do {
            let writer = try RegistryWriter(path: path)
            try writer.begin(run(at: "2026-02-01T08:00:00.000Z"))
            let (r, items, zones) = region("R1", x: 41_482_000)
            try writer.add(region: r, items: items, zones: zones)
            // The same region twice in one run is refused; the run is abandoned.
            #expect(throws: StoreError.self) { try writer.add(region: r, items: items, zones: zones) }
            writer.rollback()
        }
        #expect(try dump(path) == before)
        #expect(try GDAL.validate(path).status == 0)
    }

    @Test func anAbandonedFirstRunCreatesNoRegistry() throws {
        let path = try temporaryPath("registry.gpkg")
        do {
            let writer = try RegistryWriter(path: path)
            try writer.begin(run(at: "2026-01-01T08:00:00.000Z"))
            let (r, items, zones) = region("R1", x: 41_482_000)
            try writer.add(region: r, items: items, zones: zones)
            writer.rollback()
        }
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func aSecondWriterWaitsThenGetsAClearBusyError() throws {
        let path = try temporaryPath("registry.gpkg")
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000)])
        let first = try RegistryWriter(path: path)
        try first.begin(run(at: "2026-02-01T08:00:00.000Z"))
        let second = try RegistryWriter(path: path, busyTimeout: 200)
        let started = Date()
        do {
            try second.begin(run(at: "2026-02-01T09:00:00.000Z"))
            Issue.record("the second writer should not get the lock")
        } catch let error as StoreError {
            #expect(error.isBusy)
            #expect(error.message.contains("another process is writing to the registry"))
            #expect(Date().timeIntervalSince(started) >= 0.15)
        }
        try first.commit()
        // A reader saw the old state all along and now sees the new run.
        #expect(try RegistryReader(path: path).latestRun()?.runID == 2)
        #expect(try GDAL.validate(path).status == 0)
    }

    @Test func aGeoPackageThatIsNotARegistryIsRefused() throws {
        let path = try temporaryPath("other.gpkg")
        let plain = try GeoPackageWriter(path: path, create: true)
        try plain.createFeatureTable(name: "regions", srsID: 4326)
        plain.close()
        #expect {
            _ = try RegistryWriter(path: path)
        } throws: { error in
            (error as? StoreError)?.kind == .malformedGeoPackage && "\(error)".contains("not a plan-check registry")
        }
        #expect {
            _ = try RegistryReader(path: path)
        } throws: { error in
            "\(error)".contains("not a plan-check registry")
        }
    }
}

/// Where the registry file is: links, special files, and the temporaries of killed first runs.
@Suite("Registry: the file a run writes")
struct RegistryFileTests {
    func entries(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    @Test func aNewRegistryBehindALinkIsMadeAtTheLinksTargetAndTheLinkStays() throws {
        let path = try temporaryPath("registry.gpkg")
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder + "/store", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "store/registry.gpkg")
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000)])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path) == "store/registry.gpkg")
        #expect(try entries(folder + "/store") == ["registry.gpkg"])
        // The next run writes through the link into the same file.
        _ = try write(path, run: run(at: "2026-02-01T08:00:00.000Z"), regions: [region("R2", x: 41_484_000)])
        #expect(try RegistryReader(path: folder + "/store/registry.gpkg").allRuns().count == 2)
        #expect(try GDAL.validate(folder + "/store/registry.gpkg").status == 0)
        #expect(try entries(folder) == ["registry.gpkg", "store"])
    }

    @Test func aFIFOAFolderOrAMissingFolderIsRefusedAsAnOutputError() throws {
        let path = try temporaryPath("registry.gpkg")
        try #require(mkfifo(path, 0o644) == 0)
        let fifo = try #require(throws: OutputFileError.self) { _ = try RegistryWriter(path: path) }
        #expect(fifo.operation == .refuse(.fifo))
        var info = stat()
        #expect(lstat(path, &info) == 0 && FileKind(mode: info.st_mode) == .fifo)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(throws: OutputFileError.self) { _ = try RegistryWriter(path: folder) }
        let missing = try #require(throws: OutputFileError.self) { _ = try RegistryWriter(path: folder + "/none/registry.gpkg") }
        #expect(missing.operation == .checkFolder)
        #expect(try entries(folder) == ["registry.gpkg"])
    }

    @Test func theTemporariesOfAKilledFirstRunAreRemovedByTheNextWriterAndARunningOnesKept() throws {
        let path = try temporaryPath("registry.gpkg")
        let folder = (path as NSString).deletingLastPathComponent
        let dead = try EndedProcess.pid()
        let stale = TemporaryName.make(for: "registry.gpkg", pid: dead, random: 0x1d)
        let running = TemporaryName.make(for: "registry.gpkg", pid: getpid(), random: 0x2e)
        for name in [stale, stale + "-journal", stale + "-wal", stale + "-shm", running, running + "-wal"] {
            try Data("left over".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        _ = try write(path, run: run(at: "2026-01-01T08:00:00.000Z"), regions: [region("R1", x: 41_482_000)])
        #expect(try entries(folder) == [running, running + "-wal", "registry.gpkg"].sorted())
        #expect(try GDAL.validate(path).status == 0)
    }
}
