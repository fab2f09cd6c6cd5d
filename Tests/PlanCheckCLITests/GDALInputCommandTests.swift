import Foundation
import Testing

/// The built binary on the files planners are given: GBK Shapefiles, a File Geodatabase, zips,
/// files without .prj; the options that help read them; and broken ones, each with its exit code.
@Suite struct GDALInputCommands {
    static func fixture(_ relative: String) -> String { CLI.path("Tests/Fixtures/gdal/" + relative) }

    @Test func aGBKShapefileWithoutCPGNeedsEncoding() throws {
        let path = Self.fixture("landuse-plain/landuse.shp")
        let refused = try CLI.run(["inspect", path])
        #expect(refused.status == 65)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.hasPrefix("plan-check: error: \(path): layer 'landuse': the name of field 1 is not UTF-8 text"), "\(refused.stderr)")
        #expect(refused.stderr.contains("give --encoding GBK"), "\(refused.stderr)")

        let read = try CLI.run(["inspect", "--encoding", "GBK", path])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("  encoding   GBK (--encoding)"), "\(read.stdout)")
        #expect(read.stdout.contains("fields     标识码 Integer, 地类编码 String, 地类名称 String, 权属单位 String, 基本农田 Integer"), "\(read.stdout)")
        #expect(read.stderr.isEmpty)
    }

    @Test func unknownEncodingsAndCRSsAreUsageErrors() throws {
        let path = Self.fixture("landuse-plain/landuse.shp")
        let encoding = try CLI.run(["inspect", "--encoding", "GBKK", path])
        #expect(encoding.status == 64)
        #expect(encoding.stderr.contains("--encoding GBKK: not an encoding iconv knows"), "\(encoding.stderr)")
        let crs = try CLI.run(["overlay", "--rules", Self.fixture("rules-gdal.yaml"), "--assume-crs", "EPSG:999999"])
        #expect(crs.status == 64)
        #expect(crs.stderr.contains("--assume-crs EPSG:999999"), "\(crs.stderr)")
    }

    @Test func inspectNamesTheEncodingAndTheCRSOfEachFileAndPrintsNoGDALChatter() throws {
        // Feature 17 of the .gdb makes GDAL warn about its unclosed ring; nothing reaches stderr.
        let run = try CLI.run(["inspect", "--assume-crs", "EPSG:4529", Self.fixture("landuse-codepage/landuse.shp"),
                               Self.fixture("landuse-noprj/landuse.shp"), Self.fixture("plans.gdb"), Self.fixture("landuse-gbk.zip")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        #expect(run.stdout.contains("encoding   CP936 (DBF code page byte 0x4D)"))
        #expect(run.stdout.contains("none declared, assumed by --assume-crs EPSG:4529"))
        #expect(run.stdout.contains("plans.gdb: layer 'urban' (OpenFileGDB)"))
        #expect(run.stdout.contains("landuse-gbk.zip: layer 'landuse' (ESRI Shapefile)"))
        #expect(run.stdout.contains("identified by GDAL as EPSG:4529"))
    }

    @Test func overlayOnShapefilesAndAGeodatabaseFindsTheSamplePatches() throws {
        let dir = try CLI.temporaryDirectory()
        let summary = dir.appendingPathComponent("summary.json")
        let run = try CLI.run(["overlay", "--rules", Self.fixture("rules-gdal.yaml"), "--encoding", "GBK",
                               "--layer", "landuse=\(Self.fixture("landuse-plain/landuse.shp"))", "--summary", summary.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let rules = try #require(stats["rules"] as? [[String: Any]])
        // The same counts as from the GeoJSON files (OverlayCommand, and the oracle).
        #expect(rules.map { $0["patches"] as? Int } == [24, 14, 55, 10, 2])
        let inputs = try #require(stats["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["format"] as? String } == ["ESRI Shapefile", "OpenFileGDB", "GeoPackage"])
    }

    @Test func aRunThatStopsOnABrokenInputWritesNothing() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("patches.geojson")
        let earlier = Data("earlier patches".utf8)
        try earlier.write(to: out)
        let run = try CLI.run(["overlay", "--rules", Self.fixture("rules-gdal.yaml"),
                               "--layer", "landuse=\(Self.fixture("landuse-noprj/landuse.shp"))", "--out", out.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("landuse-noprj/landuse.shp: layer 'landuse': the Shapefile has no .prj"), "\(run.stderr)")
        #expect(try Data(contentsOf: out) == earlier)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["patches.geojson"])
    }

    @Test func brokenInputsExitWithTheirCodes() throws {
        let dir = try CLI.temporaryDirectory()
        let fixtures = Self.fixture("landuse-gbk")
        func folder(_ name: String, copying extensions: [String]) throws -> String {
            let target = dir.appendingPathComponent(name).path
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for ext in extensions { try FileManager.default.copyItem(atPath: "\(fixtures)/landuse.\(ext)", toPath: "\(target)/landuse.\(ext)") }
            return target + "/landuse.shp"
        }
        let noSHX = try folder("noshx", copying: ["shp", "dbf", "prj", "cpg"])
        let noDBF = try folder("nodbf", copying: ["shp", "shx", "prj", "cpg"])
        let truncated = try folder("truncated", copying: ["shx", "dbf", "prj", "cpg"])
        try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/landuse.shp")).prefix(3000).write(to: URL(fileURLWithPath: truncated))
        let notGDB = dir.appendingPathComponent("plans.gdb").path
        try FileManager.default.createDirectory(atPath: notGDB, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: notGDB + "/gdb"))
        let cases: [(String, Int32, String)] = [
            (noSHX, 65, "landuse.shx"), (noDBF, 65, "no landuse.dbf beside its .shp"),
            (truncated, 65, "feature 10: GDAL could not read this feature whole"),
            (notGDB, 65, "OpenFileGDB driver recognised the file but could not open it"),
            (dir.appendingPathComponent("missing.shp").path, 66, "no such file"),
        ]
        for (path, status, fragment) in cases {
            let run = try CLI.run(["inspect", path])
            #expect(run.status == status, "\(path): \(run.stderr)")
            #expect(run.stderr.hasPrefix("plan-check: error: \(path)"), "\(run.stderr)")
            #expect(run.stderr.contains(fragment), "\(path): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }

    @Test func aRuleSetWithAnUnknownEncodingIsRefusedAtItsLine() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = dir.appendingPathComponent("rules.yaml")
        let text = try String(contentsOfFile: Self.fixture("rules-gdal.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "    path: landuse-gbk/landuse.shp\n", with: "    path: landuse-gbk/landuse.shp\n    encoding: GBKK\n")
        try text.write(to: rules, atomically: true, encoding: .utf8)
        let run = try CLI.run(["overlay", "--rules", rules.path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("rules.yaml:10:15: error: unknown encoding 'GBKK' for layer 'landuse'"), "\(run.stderr)")
    }

    @Test func assessAndQueryTakeShapefiles() throws {
        let dir = try CLI.temporaryDirectory()
        let registry = dir.appendingPathComponent("registry.gpkg").path
        let assess = try CLI.run(["assess", "--rules", CLI.path("SampleLayers/rules.yaml"), "--regions", Self.fixture("regions-gbk/regions.shp"),
                                  "--registry", registry, "--valid-from", "2026-01-01", "--quiet"])
        #expect(assess.status == 0, "\(assess.stderr)")
        let zipped = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "json", Self.fixture("site-redline.zip")])
        let geoJSON = try CLI.run(["query", "--registry", registry, "--at", "2026-12-01", "--format", "json", CLI.path("SampleLayers/sites/redline.geojson")])
        #expect(zipped.status == 1 && geoJSON.status == 1, "\(zipped.stderr)")
        func outcomes(_ run: CLIRun) throws -> [String] {
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return try #require(answer["items"] as? [[String: Any]]).map { "\($0["item_id"] ?? ""):\($0["outcome"] ?? "")" }
        }
        #expect(try outcomes(zipped) == outcomes(geoJSON))
        #expect(try outcomes(zipped).contains("eia:prohibited"))
    }
}
