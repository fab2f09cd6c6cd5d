import Foundation
import Testing

/// `plan-check inspect` as a user runs it: the built binary, real files, stdout, stderr, exit code.
@Suite struct InspectCommand {
    @Test func textReportOnTheSampleDistrict() throws {
        let run = try CLI.run(["inspect", CLI.path("SampleLayers/landuse.geojson"), CLI.path("SampleLayers/farmland.gpkg")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("layer 'landuse' (GeoJSON)"))
        #expect(run.stdout.contains("EPSG:4529"))
        #expect(run.stdout.contains("3-degree Gauss-Kruger zone 41"))
        #expect(run.stdout.contains("108 (Polygon 107, null 1)"))
        #expect(run.stdout.contains("feature 17: ring_not_closed"))
        #expect(run.stdout.contains("feature 60: null geometry"))
        #expect(run.stdout.contains("layer 'farmland' (GeoPackage)"))
        #expect(run.stdout.contains("ha ="))
        #expect(run.stdout.contains("亩"))
    }

    @Test func jsonReportParsesAndCarriesTheFigures() throws {
        let run = try CLI.run(["inspect", "--json", CLI.path("SampleLayers/urban.geojson")])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let layers = try #require(json["layers"] as? [[String: Any]])
        let layer = try #require(layers.first)
        #expect(layer["feature_count"] as? Int == 80)
        #expect((layer["crs"] as? [String: Any])?["identifier"] as? String == "EPSG:4529")
        let repaired = try #require(layer["repaired"] as? [[String: Any]])
        #expect(repaired.first?["feature_id"] as? String == "U034")
        let area = try #require(layer["area"] as? [String: Any])
        #expect((area["ellipsoidal_m2"] as? Double ?? 0) > 1e7)
        #expect(json["plan_check_version"] as? String != nil)
    }

    @Test func missingFileExits66NamingIt() throws {
        let run = try CLI.run(["inspect", "/nonexistent/plan.geojson"])
        #expect(run.status == 66)
        #expect(run.stderr.contains("/nonexistent/plan.geojson"))
        #expect(run.stdout.isEmpty)
    }

    @Test func brokenGeoJSONExits65WithLineAndColumn() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("broken.geojson")
        try "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\" \"geometry\": null}\n]}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["inspect", file.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("broken.geojson:3:22"), "\(run.stderr)")
    }

    @Test func truncatedRealFileExits65() throws {
        let dir = try CLI.temporaryDirectory()
        let source = try Data(contentsOf: URL(fileURLWithPath: CLI.path("Tests/Fixtures/public/ny8_utm18.geojson")))
        let file = dir.appendingPathComponent("ny8_truncated.geojson")
        try source.prefix(source.count / 2).write(to: file)
        let run = try CLI.run(["inspect", file.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("ny8_truncated.geojson:"))
    }

    @Test func failPolicyExits65NamingFeature() throws {
        let run = try CLI.run(["inspect", "--invalid", "fail", CLI.path("SampleLayers/urban.geojson")])
        #expect(run.status == 65)
        #expect(run.stderr.contains("urban.geojson"))
        #expect(run.stderr.contains("feature U034"))
        #expect(run.stderr.contains("Self-intersection"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try CLI.run(["inspect", "--invalid", "ignore", CLI.path("SampleLayers/urban.geojson")]).status == 64)
        #expect(try CLI.run(["inspect", "--no-such-flag", CLI.path("SampleLayers/urban.geojson")]).status == 64)
        #expect(try CLI.run(["inspect"]).status == 64)
        #expect(try CLI.run(["inspect", "--jobs", "0", CLI.path("SampleLayers/urban.geojson")]).status == 64)
    }

    @Test func unknownCRSExits65WithPROJsWords() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("odd-crs.geojson")
        try """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:999999"}},
             "features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["inspect", file.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("odd-crs.geojson"))
        #expect(run.stderr.contains("999999"))
    }

    @Test func brokenFilesAndUnknownLayersExit65WithAHint() throws {
        let dir = try CLI.temporaryDirectory()
        let shp = dir.appendingPathComponent("parcels.shp")
        try Data([0, 0, 0x27, 0x0A]).write(to: shp)
        let shpRun = try CLI.run(["inspect", shp.path])
        #expect(shpRun.status == 65)
        #expect(shpRun.stderr.contains("parcels.shp") && shpRun.stderr.contains(".shx"), "\(shpRun.stderr)")
        let text = dir.appendingPathComponent("notes.txt")
        try Data("not a layer".utf8).write(to: text)
        let textRun = try CLI.run(["inspect", text.path])
        #expect(textRun.status == 65)
        #expect(textRun.stderr.contains("notes.txt: not a vector format GDAL reads"), "\(textRun.stderr)")

        let layerRun = try CLI.run(["inspect", "--layer-name", "roads", CLI.path("SampleLayers/farmland.gpkg")])
        #expect(layerRun.status == 65)
        #expect(layerRun.stderr.contains("farmland"))
    }

    @Test func aGeoPackageWrittenByGDALInAnotherDatum() throws {
        let run = try CLI.run(["inspect", "--json", CLI.path("Tests/Fixtures/public/nc.gpkg")])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let layer = try #require((json["layers"] as? [[String: Any]])?.first)
        #expect(layer["feature_count"] as? Int == 100)
        let crs = try #require(layer["crs"] as? [String: Any])
        #expect(crs["identifier"] as? String == "EPSG:4267")
        #expect(crs["geographic"] as? Bool == true)
        #expect((layer["area"] as? [String: Any])?["planar_m2"] == nil || (layer["area"] as? [String: Any])?["planar_m2"] is NSNull)
    }

    @Test func versionNamesTheLibraries() throws {
        let run = try CLI.run(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("GEOS 3."))
        #expect(run.stdout.contains("PROJ "))
        #expect(run.stdout.contains("GDAL 3."))
        #expect(run.stdout.contains("Clipper 6.4"))
    }
}
