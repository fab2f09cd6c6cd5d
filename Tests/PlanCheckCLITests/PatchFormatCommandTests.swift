import Foundation
import PlanCheckTestSupport
import Testing

/// `plan-check overlay --out` in each format: the sample overlay written as GeoJSON, GeoPackage,
/// Shapefile (UTF-8 and GBK) and File Geodatabase, read back by GDAL (python3-gdal) and compared
/// with the GeoJSON: the same patches, ids, attributes, Chinese text and areas (1e-9).
@Suite(.serialized) struct PatchFormatCommand {
    let rules = CLI.path("SampleLayers/rules.yaml")
    let reader = CLI.path("Tests/Fixtures/read_patches.py")

    /// What GDAL reads from a patches file: field names in order, each feature's values.
    struct Read {
        var name: String
        var fields: [String]
        var features: [[Any?]]
        var epsg: String?
    }

    func read(_ path: String) throws -> Read {
        let run = try ExternalTool.run(GDAL.python, [reader, path])
        #expect(run.status == 0, "\(run.output)")
        let text = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(run.output)")
        let features = try #require(doc["features"] as? [[String: Any]])
        return Read(
            name: doc["name"] as? String ?? "", fields: try #require(doc["fields"] as? [String]),
            features: features.map { ($0["values"] as? [Any] ?? []).map { $0 is NSNull ? nil : $0 } },
            epsg: doc["epsg"] as? String)
    }

    func overlay(_ out: String, _ extra: [String] = []) throws -> CLIRun {
        try CLI.run(["overlay", "--rules", rules, "--out", out, "--quiet"] + extra)
    }

    /// The GeoJSON patches: id → properties.
    func geoJSONPatches(_ path: String) throws -> [String: [String: Any]] {
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let features = try #require(doc["features"] as? [[String: Any]])
        var out: [String: [String: Any]] = [:]
        for f in features { out[try #require(f["id"] as? String)] = f["properties"] as? [String: Any] ?? [:] }
        #expect(out.count == features.count, "ids are unique")
        return out
    }

    /// Every feature of `read` equals its GeoJSON twin: `fullNames[k]` is the GeoJSON name of
    /// field k; strings exactly, numbers within 1e-9, absent properties null.
    func expectSame(_ read: Read, fullNames: [String], as patches: [String: [String: Any]], _ format: String) throws {
        #expect(read.features.count == patches.count, "\(format): feature count")
        let idColumn = try #require(fullNames.firstIndex(of: "id"))
        var seen = Set<String>()
        var chinese = 0
        for values in read.features {
            let id = try #require(values[idColumn] as? String, "\(format): id")
            seen.insert(id)
            let properties = try #require(patches[id], "\(format): patch \(id) is not in the GeoJSON")
            for (k, name) in fullNames.enumerated() where name != "id" {
                let expected = properties[name]
                let got = values[k]
                switch expected {
                case nil, is NSNull:
                    #expect(got == nil, "\(format) \(id) \(name): \(String(describing: got)) for null")
                case let text as String:
                    #expect(got as? String == text, "\(format) \(id) \(name): \(String(describing: got)) for \(text)")
                    if text.unicodeScalars.contains(where: { $0.value >= 0x4E00 && $0.value <= 0x9FFF }) { chinese += 1 }
                case let number as NSNumber:
                    let value = (got as? NSNumber)?.doubleValue ?? (got as? String).flatMap(Double.init)
                    let v = try #require(value, "\(format) \(id) \(name): \(String(describing: got)) for \(number)")
                    #expect(abs(v - number.doubleValue) <= 1e-9, "\(format) \(id) \(name): \(v) for \(number)")
                default:
                    Issue.record("\(format) \(id) \(name): unexpected GeoJSON value \(String(describing: expected))")
                }
            }
        }
        #expect(seen.count == patches.count, "\(format): every id once")
        #expect(chinese > 0, "\(format): some Chinese text was compared")
    }

    @Test func everyFormatHoldsTheSamePatches() throws {
        let dir = try CLI.temporaryDirectory()
        let geojson = dir.appendingPathComponent("patches.geojson").path
        #expect(try overlay(geojson).status == 0)
        let patches = try geoJSONPatches(geojson)
        #expect(patches.count == 105)

        // GeoPackage: the full names, valid, with the QGIS style.
        let gpkg = dir.appendingPathComponent("patches.gpkg").path
        let g = try overlay(gpkg)
        #expect(g.status == 0, "\(g.stderr)")
        let validation = try GDAL.validate(gpkg)
        #expect(validation.status == 0 && validation.output.isEmpty, "\(validation.output)")
        let fromGpkg = try read(gpkg)
        #expect(fromGpkg.name == "patches")
        #expect(fromGpkg.epsg == "4529")
        try expectSame(fromGpkg, fullNames: fromGpkg.fields, as: patches, "gpkg")
        let styles = try ExternalTool.run(GDAL.python, ["-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            for r in c.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"):
                print(r[0], r[1], r[2], 'severity' in r[3] and '227,26,28' in r[3])
            """, gpkg])
        #expect(styles.output == "patches geom 1 True\n", "\(styles.output)")
        let full = fromGpkg.fields

        // Shapefile, UTF-8: short names in the mapping file, the .cpg says UTF-8.
        let shp = dir.appendingPathComponent("patches.shp").path
        let s = try overlay(shp)
        #expect(s.status == 0, "\(s.stderr)")
        let fromShp = try read(shp)
        #expect(fromShp.epsg == "4529")
        let mapping = try mappingFile(dir.appendingPathComponent("patches.fields.csv").path)
        #expect(mapping.map(\.full) == full)
        #expect(mapping.map(\.short) == fromShp.fields)
        #expect(Set(mapping.map { $0.short.uppercased() }).count == mapping.count, "short names collide")
        #expect(mapping.allSatisfy { $0.short.utf8.count <= 10 })
        #expect(try String(contentsOfFile: dir.appendingPathComponent("patches.cpg").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "UTF-8")
        try expectSame(fromShp, fullNames: full, as: patches, "shp")

        // Shapefile, GBK for ArcGIS.
        let gbkDir = dir.appendingPathComponent("gbk")
        try FileManager.default.createDirectory(at: gbkDir, withIntermediateDirectories: true)
        let shpGBK = gbkDir.appendingPathComponent("patches.shp").path
        let sg = try overlay(shpGBK, ["--out-encoding", "gbk"])
        #expect(sg.status == 0, "\(sg.stderr)")
        #expect(try String(contentsOfFile: gbkDir.appendingPathComponent("patches.cpg").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "GBK")
        let fromGBK = try read(shpGBK)
        let gbkMapping = try mappingFile(gbkDir.appendingPathComponent("patches.fields.csv").path)
        #expect(gbkMapping.map(\.short) == fromGBK.fields)
        try expectSame(fromGBK, fullNames: full, as: patches, "shp GBK")
        let dbf = try Data(contentsOf: gbkDir.appendingPathComponent("patches.dbf"))
        #expect(String(data: dbf, encoding: .utf8) == nil, "the GBK .dbf is not UTF-8")

        // File Geodatabase: one layer, a folder.
        let gdb = dir.appendingPathComponent("patches.gdb").path
        let d = try overlay(gdb)
        #expect(d.status == 0, "\(d.stderr)")
        let fromGdb = try read(gdb)
        #expect(fromGdb.name == "patches")
        #expect(fromGdb.epsg == "4529")
        #expect(fromGdb.fields.count == full.count)
        try expectSame(fromGdb, fullNames: full, as: patches, "gdb")

        // Nothing left beside the outputs.
        let hidden = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
    }

    func mappingFile(_ path: String) throws -> [(short: String, full: String)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "short_name,full_name")
        return lines.dropFirst().map { line in
            let comma = line.firstIndex(of: ",")!
            return (String(line[..<comma]), String(line[line.index(after: comma)...]))
        }
    }

    @Test func unknownExtensionIsAUsageError() throws {
        let dir = try CLI.temporaryDirectory()
        let run = try overlay(dir.appendingPathComponent("patches.kml").path)
        #expect(run.status == 64)
        for ext in [".geojson", ".json", ".gpkg", ".shp", ".gdb"] { #expect(run.stderr.contains(ext), "\(run.stderr)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let encoding = try overlay(dir.appendingPathComponent("patches.gpkg").path, ["--out-encoding", "GBK"])
        #expect(encoding.status == 64, "\(encoding.stderr)")
    }

    /// A failed run (its --summary cannot be written) leaves every earlier file as it was and no
    /// staging folder behind.
    @Test(arguments: ["patches.gpkg", "patches.shp", "patches.gdb"])
    func failedRunLeavesEarlierFileUntouched(_ name: String) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent(name).path
        #expect(try overlay(out).status == 0)
        let before = try snapshot(dir.path)
        #expect(!before.isEmpty)
        let summary = dir.appendingPathComponent("missing/summary.json").path
        let run = try overlay(out, ["--summary", summary])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(try snapshot(dir.path) == before)
        // A run that fails after the overlay: the summary's folder is a file, found only at commit.
        let blocker = dir.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let late = try overlay(out, ["--summary", blocker.path + "/summary.json"])
        #expect(late.status != 0)
        var after = try snapshot(dir.path)
        after.removeValue(forKey: "blocker")
        #expect(after == before)
    }

    /// Every file under `folder` (relative path → contents).
    func snapshot(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let files = FileManager.default
        guard let walker = files.enumerator(atPath: folder) else { return out }
        for case let relative as String in walker {
            var isDirectory: ObjCBool = false
            let path = folder + "/" + relative
            if files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return out
    }
}
