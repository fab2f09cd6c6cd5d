import Foundation
import PlanGDAL
import PlanLayers
import PlanModel
import Testing

/// File Geodatabases, zips, ESRI .prj files, and the broken inputs GDAL would half read.
@Suite struct GDALSources {
    @Test func anESRIPrjIsIdentifiedAsEPSG4529() throws {
        let layer = try LayerReader.read(path: Fixture.gdal("landuse-gbk/landuse.shp"))
        guard case .wkt(let name, let definition, let identified)? = layer.crs else {
            Issue.record("CRS \(String(describing: layer.crs))")
            return
        }
        #expect(name == "CGCS2000_3_Degree_GK_Zone_41")
        #expect(identified == "EPSG:4529")
        #expect(definition.hasPrefix("PROJCRS["))
        #expect(layer.crs?.description == "WKT 'CGCS2000_3_Degree_GK_Zone_41', identified by GDAL as EPSG:4529")
        #expect(layer.declaredGeometryType == "POLYGON")
    }

    @Test func noPrjMeansNoCRS() throws {
        let layer = try LayerReader.read(path: Fixture.gdal("landuse-noprj/landuse.shp"))
        #expect(layer.crs == nil)
        #expect(layer.features.count == 108)
    }

    @Test func aFileGeodatabaseWithTwoLayers() throws {
        let path = Fixture.gdal("plans.gdb")
        #expect(try LayerReader.format(of: path) == .gdal)
        #expect(try LayerReader.holdsSeveralLayers(path: path))
        let both = try LayerReader.readLayers(path: path)
        #expect(both.map(\.name) == ["landuse", "urban"])
        #expect(both.map(\.formatName) == ["OpenFileGDB", "OpenFileGDB"])
        #expect(both.allSatisfy { $0.textEncoding == LayerTextEncoding(name: "UTF-8", source: .format) })

        let urban = try LayerReader.read(path: path, layerName: "urban")
        let source = try LayerReader.read(path: Fixture.path("SampleLayers/urban.geojson"))
        #expect(urban.features.count == 80)
        #expect(urban.features.map(\.id) == (1...80).map { FeatureID.int(Int64($0)) })
        #expect(urban.features.map { $0[attribute: "YDDM"] } == source.features.map { $0[attribute: "YDDM"] })
        guard case .wkt(_, _, let identified)? = urban.crs else { Issue.record("no CRS"); return }
        #expect(identified == "EPSG:4529")
        #expect(urban.declaredGeometryType == "MULTIPOLYGON")

        // Without a layer name a two-layer source is ambiguous; an unknown name lists the layers.
        #expect(throws: LayerSourceError.self) { try LayerReader.read(path: path) }
        do {
            _ = try LayerReader.read(path: path, layerName: "roads")
            Issue.record("read a layer that is not there")
        } catch let error as LayerSourceError {
            #expect(error.description.contains("no feature layer 'roads'; the file has: landuse, urban"), "\(error)")
        }
    }

    @Test func aZippedShapefileReadsAsTheShapefile() throws {
        let zipped = try LayerReader.read(path: Fixture.gdal("landuse-gbk.zip"))
        let plain = try LayerReader.read(path: Fixture.gdal("landuse-gbk/landuse.shp"))
        #expect(zipped.path == Fixture.gdal("landuse-gbk.zip"))
        #expect(zipped.textEncoding == plain.textEncoding)
        #expect(zipped.crs == plain.crs)
        #expect(zipped.features.count == plain.features.count)
        #expect(zipped.features.map(\.attributes) == plain.features.map(\.attributes))
        #expect(zipped.features.map(\.geometry) == plain.features.map(\.geometry))
    }

    @Test func aZipWithTheShapefileInAFolder() throws {
        let folder = try Fixture.temporaryFolder()
        try FileManager.default.createDirectory(atPath: "\(folder)/inner/plan", withIntermediateDirectories: true)
        try Fixture.copy("landuse-gbk", "landuse", extensions: ["shp", "shx", "dbf", "prj", "cpg"], into: "\(folder)/inner/plan")
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        zip.arguments = ["-m", "zipfile", "-c", "\(folder)/nested.zip", "inner"]
        zip.currentDirectoryURL = URL(fileURLWithPath: folder)
        try zip.run()
        zip.waitUntilExit()
        #expect(zip.terminationStatus == 0)
        let layer = try LayerReader.read(path: "\(folder)/nested.zip")
        #expect(layer.name == "landuse" && layer.features.count == 108)
        #expect(layer.features[0][attribute: "地类名称"] == .string("水田"))
    }

    @Test func nullGeometriesAndUnclosedRingsArriveAsTheyAre() throws {
        let layer = try LayerReader.read(path: Fixture.gdal("landuse-gbk/landuse.shp"))
        let null = try #require(layer.features.first { $0.id == .int(59) })
        #expect(null.geometry == nil)
        #expect(layer.readProblems.isEmpty)
    }

    // MARK: Broken inputs

    @Test func aShapefileWithoutItsSHX() throws {
        let folder = try Fixture.temporaryFolder()
        try Fixture.copy("landuse-gbk", "landuse", extensions: ["shp", "dbf", "prj", "cpg"], into: folder)
        let error = try #require(gdalError { try GDALVectorSource(path: "\(folder)/landuse.shp") })
        #expect(error.kind == .openFailed)
        #expect(error.description.contains("landuse.shx"), "\(error)")
        #expect(error.message.contains("needs its .shx and .dbf"), "\(error)")
    }

    @Test func aShapefileWithoutItsDBF() throws {
        // GDAL opens it, with no attributes at all: the class codes would be silently missing.
        let folder = try Fixture.temporaryFolder()
        try Fixture.copy("landuse-gbk", "landuse", extensions: ["shp", "shx", "prj"], into: folder)
        let error = try #require(gdalError { try LayerReader.read(path: "\(folder)/landuse.shp") })
        #expect(error.kind == .missingPart)
        #expect(error.message.contains("no landuse.dbf beside its .shp"), "\(error)")
    }

    @Test func aTruncatedShapefile() throws {
        // GDAL reports an fread error and goes on with null geometries; here it stops the read.
        let folder = try Fixture.temporaryFolder()
        try Fixture.copy("landuse-gbk", "landuse", extensions: ["shx", "dbf", "prj", "cpg"], into: folder)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixture.gdal("landuse-gbk/landuse.shp")))
        try bytes.prefix(3000).write(to: URL(fileURLWithPath: "\(folder)/landuse.shp"))
        let error = try #require(gdalError { try LayerReader.read(path: "\(folder)/landuse.shp") })
        #expect(error.kind == .readFailed)
        #expect(error.feature == .int(10))
        #expect(error.gdalMessages.first?.contains("Error in fread()") == true, "\(error)")
        #expect(error.function == "OGR_L_GetNextFeature")
    }

    @Test func aFolderNamedGDBThatIsNotOne() throws {
        let folder = try Fixture.temporaryFolder() + "/plans.gdb"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("not a table".utf8).write(to: URL(fileURLWithPath: "\(folder)/a00000001.gdbtable"))
        let error = try #require(gdalError { try LayerReader.read(path: folder) })
        #expect(error.kind == .openFailed)
        #expect(error.message.contains("OpenFileGDB") && error.message.contains("File Geodatabase folder"), "\(error)")
    }

    @Test func somethingGDALDoesNotRead() throws {
        let folder = try Fixture.temporaryFolder()
        try Data("just text".utf8).write(to: URL(fileURLWithPath: "\(folder)/plan.txt"))
        let error = try #require(gdalError { try LayerReader.read(path: "\(folder)/plan.txt") })
        #expect(error.kind == .notRecognized)
        #expect(error.description.hasPrefix("\(folder)/plan.txt: not a vector format GDAL reads"))
        // The parts of a Shapefile point at the .shp.
        #expect(throws: LayerSourceError.self) { try LayerReader.read(path: Fixture.gdal("landuse-gbk/landuse.dbf")) }
    }

    @Test func gdalWarningsDoNotStopARead() throws {
        // Reading feature 17 of the .gdb makes GDAL warn ("Non closed ring detected"); the warning
        // is captured (the CLI tests check that nothing reaches stderr) and the read goes on.
        let layer = try LayerReader.read(path: Fixture.gdal("plans.gdb"), layerName: "landuse")
        #expect(layer.features.count == 108)
        #expect(gdalVersion.hasPrefix("3."))
    }
}
