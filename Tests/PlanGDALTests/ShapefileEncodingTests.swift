import Foundation
import PlanGDAL
import PlanLayers
import PlanModel
import Testing

/// GBK Shapefiles from ArcGIS: with a .cpg, with only the DBF code-page byte, with neither.
@Suite struct ShapefileEncodings {
    /// Every feature of `layer` has the GeoJSON feature's attributes under the Chinese field names,
    /// its id one less (Shapefile FIDs start at 0) and the same geometry.
    func expectSameAsGeoJSON(_ layer: Layer) throws {
        let source = try Fixture.landuseGeoJSON()
        #expect(layer.fields.map(\.name) == ["标识码", "地类编码", "地类名称", "权属单位", "基本农田"])
        #expect(layer.features.count == source.features.count)
        for (read, original) in zip(layer.features, source.features) {
            guard case .int(let id) = original.id else { Issue.record("GeoJSON id \(original.id)"); continue }
            #expect(read.id == .int(id - 1))
            for attribute in original.attributes {
                let name = try #require(Fixture.chineseNames[attribute.name])
                #expect(read[attribute: name] == attribute.value.asShapefileStores, "feature \(read.id) \(name)")
            }
            #expect(read.geometry.map { $0.typeName } == original.geometry.map { _ in "Polygon" })
        }
        #expect(layer.features[0][attribute: "地类名称"] == .string("水田"))
        #expect(layer.features[0][attribute: "权属单位"] == .string("大连湾街道"))
    }

    @Test func aCPGSaysGBK() throws {
        let layer = try LayerReader.read(path: Fixture.gdal("landuse-gbk/landuse.shp"))
        #expect(layer.format == .gdal && layer.driver == "ESRI Shapefile" && layer.formatName == "ESRI Shapefile")
        #expect(layer.textEncoding == LayerTextEncoding(name: "GBK", source: .cpg, detail: "GBK"))
        try expectSameAsGeoJSON(layer)
    }

    @Test func onlyTheCodePageByteSays936() throws {
        let layer = try LayerReader.read(path: Fixture.gdal("landuse-codepage/landuse.shp"))
        #expect(layer.textEncoding == LayerTextEncoding(name: "CP936", source: .codePageByte, detail: "0x4D"))
        try expectSameAsGeoJSON(layer)
    }

    @Test func neitherIsAnErrorThatNamesTheFieldAndTheRemedy() throws {
        let path = Fixture.gdal("landuse-plain/landuse.shp")
        let error = try #require(gdalError { try LayerReader.read(path: path) })
        #expect(error.kind == .textNotUTF8)
        #expect(error.layer == "landuse")
        // The field names are GBK too: the first that is not UTF-8 is 标识码, field 1.
        #expect(error.message.contains("the name of field 1 is not UTF-8 text (bytes B1 EA CA B6 C2 EB)"), "\(error)")
        #expect(error.message.contains("no .cpg, DBF code page byte 0"), "\(error)")
        #expect(error.message.contains("--encoding GBK") && error.message.contains("encoding: GBK"), "\(error)")
        #expect(error.description.hasPrefix("\(path): layer 'landuse': "))
    }

    @Test func encodingFromTheCommandLineReadsAFileThatSaysNothing() throws {
        let layer = try LayerReader.read(
            path: Fixture.gdal("landuse-plain/landuse.shp"),
            options: LayerReadOptions(encoding: RequestedEncoding(name: "GBK", origin: .commandLine)))
        #expect(layer.textEncoding == LayerTextEncoding(name: "GBK", source: .option))
        try expectSameAsGeoJSON(layer)
    }

    @Test func theCommandLineDoesNotOverrideACPGButTheRuleSetDoes() throws {
        // --encoding is for files that do not say: a .cpg wins over it.
        let commandLine = try LayerReader.read(
            path: Fixture.gdal("landuse-gbk/landuse.shp"),
            options: LayerReadOptions(encoding: RequestedEncoding(name: "UTF-8", origin: .commandLine)))
        #expect(commandLine.textEncoding?.source == .cpg)
        // A rule set's encoding: is about this one layer and wins over the .cpg: here wrongly,
        // which the UTF-8 check catches, naming the rule set as the source.
        let error = try #require(gdalError {
            try LayerReader.read(
                path: Fixture.gdal("landuse-gbk/landuse.shp"),
                options: LayerReadOptions(encoding: RequestedEncoding(name: "UTF-8", origin: .ruleSet(path: "rules.yaml", line: 9))))
        })
        #expect(error.kind == .textNotUTF8)
        #expect(error.message.contains("decoded as UTF-8 (encoding: in the rule set)"), "\(error)")
        // And the code-page byte gives way to the command line.
        let byte = try LayerReader.read(
            path: Fixture.gdal("landuse-codepage/landuse.shp"),
            options: LayerReadOptions(encoding: RequestedEncoding(name: "GB18030", origin: .commandLine)))
        #expect(byte.textEncoding == LayerTextEncoding(name: "GB18030", source: .option))
        #expect(byte.features[0][attribute: "地类名称"] == .string("水田"))
    }

    @Test func codePageByte0x57IsNotTakenAsLatin1() throws {
        // 0x57 means "the Windows code page of the writer": GDAL would decode GBK as ISO-8859-1
        // (水田 → Ë®Ìï) without a word.
        let folder = try Fixture.temporaryFolder()
        try Fixture.copy("landuse-plain", "landuse", extensions: ["shp", "shx", "dbf", "prj"], into: folder)
        let dbf = try #require(FileHandle(forUpdatingAtPath: "\(folder)/landuse.dbf"))
        try dbf.seek(toOffset: 29)
        try dbf.write(contentsOf: Data([0x57]))
        try dbf.close()
        let error = try #require(gdalError { try LayerReader.read(path: "\(folder)/landuse.shp") })
        #expect(error.kind == .textNotUTF8)
        #expect(error.message.contains("code page byte 0x57"), "\(error)")
        let read = try LayerReader.read(
            path: "\(folder)/landuse.shp", options: LayerReadOptions(encoding: RequestedEncoding(name: "GBK", origin: .commandLine)))
        #expect(read.features[0][attribute: "地类名称"] == .string("水田"))
    }

    @Test func aCPGNamingAnUnknownEncodingIsAnError() throws {
        let folder = try Fixture.temporaryFolder()
        try Fixture.copy("landuse-plain", "landuse", extensions: ["shp", "shx", "dbf", "prj"], into: folder)
        try Data("GBKK\r\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/landuse.cpg"))
        let error = try #require(gdalError { try LayerReader.read(path: "\(folder)/landuse.shp") })
        #expect(error.kind == .unknownEncoding)
        #expect(error.message.contains("the .cpg names the encoding 'GBKK'"), "\(error)")
    }

    @Test func encodingNamesAreCheckedAndSpeltAsGDALTakesThem() {
        #expect(TextEncodingName.canonical("gbk") == "GBK")
        #expect(TextEncodingName.canonical("936") == "CP936")
        #expect(TextEncodingName.canonical("cp936") == "CP936")
        #expect(TextEncodingName.canonical("utf8") == "UTF-8")
        #expect(TextEncodingName.canonical("65001") == "UTF-8")
        #expect(TextEncodingName.canonical("GB18030") == "GB18030")
        #expect(TextEncodingName.canonical("Big5") == "BIG5")
        #expect(TextEncodingName.canonical("GBKK") == nil)
        #expect(TextEncodingName.canonical("") == nil)
        #expect(TextEncodingName.canonical("国标") == nil)
    }

    @Test func aRuleSetEncodingForAUTF8FormatIsAMistakeToPointOut() throws {
        let gbk = LayerReadOptions(encoding: RequestedEncoding(name: "GBK", origin: .ruleSet(path: "rules.yaml", line: 4)))
        for path in [Fixture.path("SampleLayers/urban.geojson"), Fixture.path("SampleLayers/farmland.gpkg")] {
            #expect(throws: LayerSourceError.self) { try LayerReader.read(path: path, options: gbk) }
        }
        let error = try #require(gdalError { try LayerReader.read(path: Fixture.gdal("plans.gdb"), layerName: "urban", options: gbk) })
        #expect(error.kind == .encodingNotApplicable)
        // UTF-8 is what they are: saying so is fine, and --encoding is only for Shapefiles.
        let utf8 = LayerReadOptions(encoding: RequestedEncoding(name: "UTF-8", origin: .ruleSet(path: "rules.yaml", line: 4)))
        #expect(try LayerReader.read(path: Fixture.gdal("plans.gdb"), layerName: "urban", options: utf8).features.count == 80)
        let option = LayerReadOptions(encoding: RequestedEncoding(name: "GBK", origin: .commandLine))
        #expect(try LayerReader.read(path: Fixture.path("SampleLayers/urban.geojson"), options: option).features.count == 80)
    }
}
