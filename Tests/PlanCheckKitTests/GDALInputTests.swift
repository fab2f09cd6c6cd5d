import Foundation
import PlanLayers
import PlanModel
import PlanRegistry
import PlanRules
import Testing
@testable import PlanCheckKit

/// The files planners are given (Tests/Fixtures/gdal: GBK Shapefiles, a File Geodatabase, zips)
/// through the whole engine: the same overlay totals, classes, inspections, assessments and
/// answers as their GeoJSON sources.
@Suite struct GDALInputs {
    static func fixture(_ relative: String) -> String { Repo.path("Tests/Fixtures/gdal/" + relative) }

    /// Patch count, planar and ellipsoidal total per rule id.
    static func totals(_ result: OverlayResult) -> [String: (count: Int, area: Double, ellipsoidal: Double)] {
        var totals: [String: (Int, Double, Double)] = [:]
        for outcome in result.outcomes {
            totals[outcome.rule.id] = (outcome.patches.count, outcome.totalArea, outcome.totalEllipsoidalArea)
        }
        return totals
    }

    static let geoJSONTotals: Task<[String: (count: Int, area: Double, ellipsoidal: Double)], any Error> = Task {
        totals(try await OverlayRunner(OverlayRequest(rulesPath: Repo.path("SampleLayers/rules.yaml"), jobs: 2)).run())
    }

    /// The same rules on other files give the same patches: count, planar and ellipsoidal area.
    /// The File Geodatabase stores coordinates as integers on a grid (41 483 363.498 comes back
    /// as 41 483 363.498000145), which moves the smallest total (C3, 9 155 m²) by 3e-9 of itself;
    /// the other totals agree within 1e-9.
    func expectSameTotals(_ result: OverlayResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let expected = try await Self.geoJSONTotals.value
        let actual = Self.totals(result)
        #expect(Set(actual.keys) == ["A", "B", "C1", "C2", "C3"], sourceLocation: sourceLocation)
        for (rule, want) in expected {
            let got = try #require(actual[rule], sourceLocation: sourceLocation)
            #expect(got.count == want.count, "rule \(rule): \(got.count) patches vs \(want.count)", sourceLocation: sourceLocation)
            expectClose(got.area, want.area, relative: 1e-8, "rule \(rule) planar total", sourceLocation: sourceLocation)
            expectClose(got.ellipsoidal, want.ellipsoidal, relative: 1e-8, "rule \(rule) ellipsoidal total", sourceLocation: sourceLocation)
        }
    }

    @Test func overlayOfAGBKShapefileAndAFileGeodatabaseEqualsTheGeoJSONOverlay() async throws {
        let result = try await OverlayRunner(OverlayRequest(rulesPath: Self.fixture("rules-gdal.yaml"), jobs: 2)).run()
        try await expectSameTotals(result)
        let landuse = try #require(result.layer(named: "landuse"))
        #expect(landuse.checked.layer.formatName == "ESRI Shapefile")
        #expect(landuse.checked.layer.textEncoding?.source == .cpg)
        #expect(landuse.sourceCRS.identifier == "EPSG:4529")
        #expect(result.layer(named: "urban")?.checked.layer.formatName == "OpenFileGDB")
        // The patch lineage carries the Shapefile's raw codes, read through its Chinese field name.
        let b = try #require(result.outcomes.first { $0.rule.id == "B" })
        #expect(!b.patches.isEmpty && b.patches.allSatisfy { landuse.codes[$0.aIndex]?.hasPrefix("20") == true })
    }

    /// The Shapefile without .cpg (code-page byte, or nothing and --encoding), and without .prj
    /// (--assume-crs), read the same.
    @Test(arguments: ["landuse-codepage", "landuse-plain", "landuse-noprj", "landuse-gbk.zip"])
    func everyVariantOfTheShapefileGivesTheSameOverlay(variant: String) async throws {
        let path = variant.hasSuffix(".zip") ? Self.fixture(variant) : Self.fixture("\(variant)/landuse.shp")
        let request = OverlayRequest(
            rulesPath: Self.fixture("rules-gdal.yaml"), layerPaths: ["landuse": path], jobs: 2,
            reading: ReadingSettings(encoding: "GBK", assumedCRS: "EPSG:4529"))
        let result = try await OverlayRunner(request).run()
        try await expectSameTotals(result)
        let landuse = try #require(result.layer(named: "landuse"))
        switch variant {
        case "landuse-plain", "landuse-codepage":
            // --encoding gives way to a .cpg only; the code-page byte yields to it.
            #expect(landuse.checked.layer.textEncoding == LayerTextEncoding(name: "GBK", source: .option))
        case "landuse-noprj":
            #expect(landuse.checked.layer.crs == nil)
            #expect(landuse.sourceCRS.identifier == "EPSG:4529")
        default:
            #expect(landuse.checked.layer.textEncoding?.source == .cpg)
        }
    }

    @Test func withoutTheOptionsThePlainAndNoPrjShapefilesAreErrorsThatSayWhatToGive() async throws {
        do {
            _ = try await OverlayRunner(OverlayRequest(
                rulesPath: Self.fixture("rules-gdal.yaml"), layerPaths: ["landuse": Self.fixture("landuse-plain/landuse.shp")])).run()
            Issue.record("read GBK without an encoding")
        } catch {
            let failure = Failure(error)
            #expect(failure.status == .dataError)
            #expect(failure.message.contains("landuse-plain/landuse.shp: layer 'landuse'") && failure.message.contains("--encoding GBK"), "\(failure)")
        }
        do {
            _ = try await OverlayRunner(OverlayRequest(
                rulesPath: Self.fixture("rules-gdal.yaml"), layerPaths: ["landuse": Self.fixture("landuse-noprj/landuse.shp")])).run()
            Issue.record("read a Shapefile without .prj and without an assumed CRS")
        } catch let error as LayerCRSError {
            #expect(error.kind == .noCRS)
            #expect(error.message.contains("no .prj") && error.message.contains("--assume-crs EPSG:N"), "\(error)")
            #expect(Failure(error).status == .dataError)
        }
    }

    @Test func classesByChineseNamesSelectTheSameFeaturesAsFromTheGeoJSON() async throws {
        let rules = Self.fixture("rules-chinese-codes.yaml")
        let ruleSet = try RuleSetLoader.load(path: rules)
        let prepared = try await OverlayRunner(OverlayRequest(rulesPath: rules, jobs: 2))
            .prepareLayers(of: ruleSet, named: ["landuse", "landuse_geojson"])
        func classesByBSM(_ layer: OverlayLayer, field: String) -> [Int64: [String]] {
            var classes: [Int64: [String]] = [:]
            for (feature, names) in zip(layer.checked.features, layer.classes) {
                if case .integer(let bsm)? = feature.attributes.first(where: { $0.name == field })?.value { classes[bsm] = names }
            }
            return classes
        }
        let shapefile = classesByBSM(prepared.layers[0], field: "标识码")
        let geoJSON = classesByBSM(prepared.layers[1], field: "BSM")
        #expect(shapefile.count == 107)
        #expect(shapefile == geoJSON)
        let counts = Dictionary(grouping: shapefile.values.flatMap { $0 }, by: { $0 }).mapValues(\.count)
        #expect(counts == ["construction": 22, "farmland": 68, "forest": 6, "water": 11], "\(counts)")
        #expect(prepared.layers[0].classification.unclassified.isEmpty && !prepared.layers[0].classification.fieldMissingEverywhere)
    }

    // MARK: inspect

    @Test func inspectSaysWhereEncodingAndCRSCameFrom() async throws {
        let source = try await Inspector(jobs: 2).inspect(paths: [Repo.path("SampleLayers/landuse.geojson")])
        let plain = try await Inspector(jobs: 2).inspect(paths: [
            Self.fixture("landuse-gbk/landuse.shp"), Self.fixture("landuse-codepage/landuse.shp"), Self.fixture("plans.gdb"),
        ])
        let assisted = try await Inspector(jobs: 2, reading: ReadingSettings(encoding: "GBK", assumedCRS: "EPSG:4529")).inspect(paths: [
            Self.fixture("landuse-plain/landuse.shp"), Self.fixture("landuse-noprj/landuse.shp"),
        ])
        let layers = plain.layers + assisted.layers
        #expect(layers.map(\.format) == ["ESRI Shapefile", "ESRI Shapefile", "OpenFileGDB", "OpenFileGDB", "ESRI Shapefile", "ESRI Shapefile"])
        #expect(layers.map(\.encoding.source) == ["cpg", "code_page_byte", "format", "format", "option", "cpg"])
        #expect(layers.map(\.encoding.text) == [
            "GBK (.cpg 'GBK')", "CP936 (DBF code page byte 0x4D)", "UTF-8 (the format's)", "UTF-8 (the format's)",
            "GBK (--encoding)", "GBK (.cpg 'GBK')",
        ])
        #expect(source.layers[0].encoding.text == "UTF-8 (the format's)")
        #expect(layers.allSatisfy { $0.crs.identifier == "EPSG:4529" })
        #expect(layers[0].crs.declared == "WKT 'CGCS2000_3_Degree_GK_Zone_41', identified by GDAL as EPSG:4529")
        #expect(layers[0].crs.assumed == nil && !layers[0].crs.assumedRFC7946)
        #expect(layers[5].crs.declared == nil && layers[5].crs.assumed == "--assume-crs EPSG:4529")
        #expect(plain.gdalVersion.hasPrefix("3."))
        // Every landuse variant has the GeoJSON's figures.
        let expected = try #require(source.layers[0].area)
        for layer in layers where layer.layer == "landuse" {
            #expect(layer.featureCount == 108 && layer.featuresKept == 107)
            #expect(layer.problems.map(\.kind).sorted() == ["null_geometry", "ring_not_closed"])
            let area = try #require(layer.area)
            expectClose(try #require(area.planarM2), try #require(expected.planarM2), relative: 1e-9, "\(layer.path) planar")
            expectClose(area.ellipsoidalM2, expected.ellipsoidalM2, relative: 1e-9, "\(layer.path) ellipsoidal")
        }
        let text = plain.text()
        #expect(text.contains("encoding   CP936 (DBF code page byte 0x4D)"), "\(text)")
        #expect(text.contains("— declared WKT 'CGCS2000_3_Degree_GK_Zone_41', identified by GDAL as EPSG:4529"), "\(text)")
        #expect(assisted.text().contains("— none declared, assumed by --assume-crs EPSG:4529"))
    }

    @Test func inspectPicksLayersOfAFileGeodatabaseButNotOfAShapefile() async throws {
        let report = try await Inspector(jobs: 2).inspect(
            paths: [Self.fixture("plans.gdb"), Self.fixture("landuse-gbk/landuse.shp")], layerNames: ["urban"])
        #expect(report.layers.map(\.layer) == ["urban", "landuse"])
    }

    // MARK: CRS

    @Test func aDeclaredCRSOtherThanTheAssumedOneIsAnErrorNamingBoth() async throws {
        do {
            _ = try await Inspector(reading: ReadingSettings(assumedCRS: "EPSG:4490")).inspect(paths: [Self.fixture("landuse-gbk/landuse.shp")])
            Issue.record("no error")
        } catch let error as LayerCRSError {
            #expect(error.kind == .conflictsWithAssumed)
            #expect(error.message.contains("declares the CRS EPSG:4529") && error.message.contains("--assume-crs EPSG:4490 says EPSG:4490"), "\(error)")
        }
        // The same CRS assumed is no conflict.
        let same = try await Inspector(reading: ReadingSettings(assumedCRS: "EPSG:4529")).inspect(paths: [Self.fixture("landuse-gbk/landuse.shp")])
        #expect(same.layers[0].crs.assumed == nil)
    }

    @Test func theZonePrefixMismatchNamesTheCodeThatFits() async throws {
        // A GeoPackage: zone 41 in the eastings, labelled EPSG:4550 (no zone number).
        do {
            _ = try await Inspector().inspect(paths: [Self.fixture("zone-mismatch.gpkg")])
            Issue.record("no error")
        } catch let error as LayerCRSError {
            #expect(error.kind == .coordinatesDoNotFit)
            #expect(error.fittingCode == "EPSG:4529")
            #expect(error.message.contains("the eastings 41 482 000 … 41 486 000 carry zone number 41 in front, but EPSG:4550 has none"), "\(error)")
            #expect(error.message.contains("EPSG:4529 (the same central meridian with the zone number) fits them"), "\(error)")
            #expect(error.message.contains("assign EPSG:4529"), "\(error)")
            #expect(Failure(error).status == .dataError)
        }
        // A Shapefile without .prj and the wrong assumption.
        do {
            _ = try await Inspector(reading: ReadingSettings(assumedCRS: "EPSG:4550")).inspect(paths: [Self.fixture("landuse-noprj/landuse.shp")])
            Issue.record("no error")
        } catch let error as LayerCRSError {
            #expect(error.fittingCode == "EPSG:4529")
            #expect(error.message.hasSuffix("give --assume-crs EPSG:4529 instead"), "\(error)")
        }
    }

    /// GeoJSON files whose coordinates lost or kept the zone number.
    @Test func geoJSONWithTheZoneNumberMissingOrUndeclared() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-zone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func polygon(_ x: Double, _ y: Double) -> String {
            "[[[\(x),\(y)],[\(x + 100),\(y)],[\(x + 100),\(y + 100)],[\(x),\(y + 100)],[\(x),\(y)]]]"
        }
        func file(_ name: String, crs: String?, x: Double) throws -> String {
            let member = crs.map { #""crs":{"type":"name","properties":{"name":"\#($0)"}},"# } ?? ""
            let text = #"{"type":"FeatureCollection",\#(member)"features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":\#(polygon(x, 4_374_000))}}]}"#
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func message(_ path: String, _ reading: ReadingSettings = ReadingSettings()) async -> LayerCRSError? {
            do { _ = try await Inspector(reading: reading).inspect(paths: [path]); return nil } catch { return error as? LayerCRSError }
        }
        // Zone 41 declared, no zone number in the eastings.
        let dropped = await message(try file("dropped.geojson", crs: "urn:ogc:def:crs:EPSG::4529", x: 482_000))
        #expect(dropped?.fittingCode == "EPSG:4550")
        #expect(dropped?.message.contains("have no zone number in front, but EPSG:4529 puts zone 41 in front of every easting") == true, "\(String(describing: dropped))")
        // Zone 40 in the eastings, zone 41 declared.
        let otherZone = await message(try file("zone40.geojson", crs: "EPSG:4529", x: 40_482_000))
        #expect(otherZone?.fittingCode == "EPSG:4528")
        // No crs member: RFC 7946 would take metres for degrees.
        let undeclared = try file("undeclared.geojson", crs: nil, x: 41_482_000)
        let lonLat = await message(undeclared)
        #expect(lonLat?.fittingCode == "EPSG:4529")
        #expect(lonLat?.message.contains("RFC 7946") == true && lonLat?.message.contains("give --assume-crs EPSG:4529") == true, "\(String(describing: lonLat))")
        // ... which --assume-crs fixes, and which the rule set can say per layer.
        let fixed = try await Inspector(reading: ReadingSettings(assumedCRS: "EPSG:4529")).inspect(paths: [undeclared])
        #expect(fixed.layers[0].crs.identifier == "EPSG:4529")
        // The right CRS passes, as does a geographic layer in degrees.
        #expect(await message(try file("right.geojson", crs: "EPSG:4550", x: 482_000)) == nil)
        #expect(await message(try file("degrees.geojson", crs: nil, x: 122.8)) == nil)
    }

    @Test func gaussKrugerCodesAndZones() {
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 41) == 4529)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 25) == 4513)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 45) == 4533)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 13) == 4491)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 21) == 4499)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 24) == nil)
        #expect(GaussKrugerZoneCheck.prefixedCode(zone: 46) == nil)
        #expect(GaussKrugerZoneCheck.centralMeridianCode(for: 4529) == 4550)
        #expect(GaussKrugerZoneCheck.centralMeridianCode(for: 4491) == 4502)
        #expect(GaussKrugerZoneCheck.centralMeridianCode(for: 4550) == nil)
        let cm = GaussKrugerZoneCheck.family(of: 4550)
        #expect(cm?.centralMeridian(of: 4550) == 123 && cm?.zonePrefix == false)
        #expect(GaussKrugerZoneCheck.family(of: 4529)?.zone(of: 4529) == 41)
        #expect(GaussKrugerZoneCheck.family(of: 4499)?.centralMeridian(of: 4499) == 123)
        #expect(GaussKrugerZoneCheck.family(of: 4326) == nil)
        #expect(GaussKrugerZoneCheck.grouped(41_482_000) == "41 482 000")
        #expect(GaussKrugerZoneCheck.grouped(482_000.4) == "482 000")
    }

    // MARK: assess and query

    @Test func assessReadsRegionsFromAGBKShapefile() async throws {
        func assess(_ regions: String) async throws -> AssessResult {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-gdal-assess-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try await AssessRunner(AssessRequest(
                rulesPath: Repo.path("SampleLayers/rules.yaml"), regionsPath: regions,
                registryPath: folder.appendingPathComponent("registry.gpkg").path, jobs: 2, validFrom: "2026-01-01")).run()
        }
        let fromShapefile = try await assess(Self.fixture("regions-gbk/regions.shp"))
        let fromGeoJSON = try await assess(Repo.path("SampleLayers/regions.geojson"))
        #expect(fromShapefile.regions.map(\.region.regionID) == ["R1", "R2", "R3"])
        #expect(fromShapefile.regions.map(\.region.name) == fromGeoJSON.regions.map(\.region.name))
        #expect(fromShapefile.regions.first?.region.name?.contains("临港产业园") == true)
        for (a, b) in zip(fromShapefile.regions, fromGeoJSON.regions) {
            #expect(a.zones.map(\.source) == b.zones.map(\.source))
            for (za, zb) in zip(a.zones, b.zones) {
                expectClose(za.area.planarM2, zb.area.planarM2, relative: 1e-9, "\(a.region.regionID) \(za.itemID) \(za.source)")
            }
        }
    }

    @Test func queryReadsASiteFromAZippedShapefile() async throws {
        let engine = try await QueryEngine.prepare(QueryRequest(registryPath: try await SampleRegistry.path.value, jobs: 1))
        let options = QueryOptions(at: CalendarDate("2026-12-01")!)
        let zipped = try await engine.answer(try QuerySite.read(path: Self.fixture("site-redline.zip")), options: options)
        let geoJSON = try await engine.answer(try QuerySite.read(path: Repo.path("SampleLayers/sites/redline.geojson")), options: options)
        #expect(zipped.exitStatus == geoJSON.exitStatus && zipped.mayProceed == geoJSON.mayProceed)
        expectClose(zipped.site.area.m2, geoJSON.site.area.m2, relative: 1e-9, "site area")
        #expect(zipped.items.map(\.itemId) == geoJSON.items.map(\.itemId))
        #expect(zipped.items.map(\.outcome) == geoJSON.items.map(\.outcome))
        #expect(zipped.conformity.rules.map(\.rule) == geoJSON.conformity.rules.map(\.rule))
        for (a, b) in zip(zipped.conformity.rules, geoJSON.conformity.rules) {
            #expect(a.patches.count == b.patches.count, "rule \(a.rule)")
            expectClose(a.area.m2, b.area.m2, relative: 1e-9, "rule \(a.rule) area")
        }
        #expect(zipped.query.site == Self.fixture("site-redline.zip"))
    }
}
