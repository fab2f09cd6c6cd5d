import PlanLayers
import PlanModel
import Testing

@Suite("GeoJSON documents, ids, CRS and files")
struct LayerReadingTests {
    @Test func emptyFeatureCollection() throws {
        let layer = try readGeoJSON(#"{"type":"FeatureCollection","features":[]}"#, path: "plans/urban.geojson")
        #expect(layer.features.isEmpty)
        #expect(layer.fields.isEmpty)
        #expect(layer.crs == nil)
        #expect(layer.name == "urban")
        #expect(layer.path == "plans/urban.geojson")
        #expect(layer.format == .geoJSON)
        #expect(layer.declaredGeometryType == nil)
    }

    @Test func layerNameFromArgumentThenNameMemberThenFile() throws {
        let text = #"{"type":"FeatureCollection","name":"土地利用","features":[]}"#
        #expect(try readGeoJSON(text, path: "a/b.c.json").name == "土地利用")
        #expect(try GeoJSONReader.read(bytes: Array(text.utf8), path: "x.geojson", layerName: "mine").name == "mine")
        #expect(try readGeoJSON(#"{"type":"FeatureCollection","features":[]}"#, path: "a/b.c.json").name == "b.c")
    }

    @Test func leadingByteOrderMarkIsSkipped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"名":"村"}}]}"#.utf8)
        let layer = try GeoJSONReader.read(bytes: bytes, path: "bom.geojson")
        #expect(layer.features.first?.attributes == [Attribute("名", .string("村"))])
    }

    @Test func singleFeature() throws {
        let layer = try readGeoJSON(#"{"geometry":{"type":"Point","coordinates":[1,2]},"type":"Feature","id":"F-1","properties":{"a":"b"}}"#)
        #expect(layer.features.count == 1)
        #expect(layer.features[0].id == .string("F-1"))
        #expect(layer.features[0].geometry == .point(Position(1, 2)))
        #expect(layer.fields == [Field(name: "a", type: "string")])
    }

    @Test func bareGeometryIsOneFeature() throws {
        let layer = try readGeoJSON(#"{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"}"#)
        #expect(layer.features.count == 1)
        #expect(layer.features[0].id == .int(1))
        #expect(layer.features[0].attributes.isEmpty)
        #expect(layer.features[0].geometry == .polygon([[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]]))
    }

    @Test func idsStringIntegerAndAbsent() throws {
        let text = #"""
        {"type":"FeatureCollection","features":[
          {"type":"Feature","id":"甲-7","geometry":null,"properties":null},
          {"type":"Feature","id":42,"geometry":null,"properties":null},
          {"type":"Feature","geometry":null,"properties":null},
          {"type":"Feature","id":-9223372036854775808,"geometry":null,"properties":null},
          {"type":"Feature","id":1.5,"geometry":null,"properties":null},
          {"type":"Feature","id":null,"geometry":null,"properties":null}
        ]}
        """#
        let layer = try readGeoJSON(text)
        #expect(layer.features.map(\.id) == [
            .string("甲-7"), .int(42), .int(3), .int(Int64.min), .string("1.5"), .int(6),
        ])
    }

    @Test func duplicateIdsAreAnError() throws {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"id\":7,\"geometry\":null,\"properties\":null},\n{\"type\":\"Feature\",\"id\":7,\"geometry\":null,\"properties\":null}]}"
        let error = try #require(readError(text))
        #expect(error == .duplicateFeatureID(path: "test.geojson", id: .int(7), line: 3, column: 1, firstLine: 2, firstColumn: 1))
        #expect(error.description == "test.geojson:3:1: feature id 7 is used twice (first at 2:1); feature ids must be unique")
    }

    @Test func duplicateAfterIdsStopIncreasingIsFound() throws {
        func feature(_ id: String) -> String { #"{"type":"Feature","id":\#(id),"geometry":null,"properties":null}"# }
        let unique = #"{"type":"FeatureCollection","features":[\#(["5", "9", "3", "\"9\"", "10", "4"].map(feature).joined(separator: ","))]}"#
        #expect(try readGeoJSON(unique).features.map(\.id) == [.int(5), .int(9), .int(3), .string("9"), .int(10), .int(4)])
        let repeated = "{\"type\":\"FeatureCollection\",\"features\":[\n" + ["5", "9", "3", "9"].map(feature).joined(separator: ",\n") + "]}"
        let error = try #require(readError(repeated))
        #expect(error == .duplicateFeatureID(path: "test.geojson", id: .int(9), line: 5, column: 1, firstLine: 3, firstColumn: 1))
    }

    @Test func explicitIdCollidingWithAnImplicitIndexIsAnError() throws {
        // The first feature has no id, so it is 1; the second says it is 1 too.
        let text = #"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":null},{"type":"Feature","id":1,"geometry":null,"properties":null}]}"#
        let error = try #require(readError(text))
        guard case .duplicateFeatureID(_, let id, _, _, _, _) = error else {
            Issue.record("expected duplicateFeatureID, got \(error)")
            return
        }
        #expect(id == .int(1))
    }

    @Test func stringAndIntegerIdsWithSameTextAreDistinct() throws {
        let text = #"{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","geometry":null,"properties":null},{"type":"Feature","id":1,"geometry":null,"properties":null}]}"#
        #expect(try readGeoJSON(text).features.map(\.id) == [.string("1"), .int(1)])
    }

    @Test func crsBeforeFeatures() throws {
        let text = #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}},"features":[]}"#
        #expect(try readGeoJSON(text).crs == .identifier("urn:ogc:def:crs:EPSG::4529"))
    }

    @Test func crsAfterFeaturesAndTypeLast() throws {
        let text = #"{"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[41500000,4380000]},"properties":{}}],"crs":{"properties":{"name":"EPSG:4529"},"type":"name"},"type":"FeatureCollection"}"#
        let layer = try readGeoJSON(text)
        #expect(layer.crs == .identifier("EPSG:4529"))
        #expect(layer.features.count == 1)
    }

    @Test func oldEPSGAndLinkCRSForms() throws {
        let epsg = #"{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":4490}},"features":[]}"#
        #expect(try readGeoJSON(epsg).crs == .identifier("EPSG:4490"))
        let link = #"{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"http://spatialreference.org/ref/epsg/4529/proj4/","type":"proj4"}},"features":[]}"#
        #expect(try readGeoJSON(link).crs == .identifier("http://spatialreference.org/ref/epsg/4529/proj4/"))
    }

    @Test func noCRSMeansNil() throws {
        #expect(try readGeoJSON(#"{"type":"FeatureCollection","features":[]}"#).crs == nil)
        #expect(try readGeoJSON(#"{"type":"FeatureCollection","crs":null,"features":[]}"#).crs == nil)
    }

    @Test func unknownCRSFormIsAnError() throws {
        let error = try #require(readError(#"{"type":"FeatureCollection","crs":{"type":"wkt","properties":{}},"features":[]}"#))
        guard case .notGeoJSON(_, 1, 35, let reason) = error else {
            Issue.record("expected notGeoJSON at 1:35, got \(error)")
            return
        }
        #expect(reason.contains("crs"))
    }

    @Test func crsOnABareGeometry() throws {
        let layer = try readGeoJSON(#"{"type":"Point","coordinates":[1,2],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}}}"#)
        #expect(layer.crs == .identifier("urn:ogc:def:crs:EPSG::4490"))
    }

    @Test func readsAFileAndNamesTheLayerAfterIt() throws {
        let directory = makeTemporaryDirectory()
        let path = directory + "/现状用地.geojson"
        writeFile(path, #"{"type":"FeatureCollection","features":[{"type":"Feature","id":3,"geometry":{"type":"Point","coordinates":[1,2]},"properties":{"DLBM":"0101"}}]}"#)
        let layer = try GeoJSONReader.read(path: path)
        #expect(layer.name == "现状用地")
        #expect(layer.path == path)
        #expect(layer.features.map(\.id) == [.int(3)])
        #expect(layer.features[0][attribute: "DLBM"] == .string("0101"))
    }

    @Test func missingFileHasItsOwnCase() throws {
        let path = makeTemporaryDirectory() + "/nope.geojson"
        #expect(throws: LayerReadError.fileNotFound(path: path)) { try GeoJSONReader.read(path: path) }
        #expect(LayerReadError.fileNotFound(path: path).description == "\(path): no such file")
    }

    @Test func directoryIsUnreadable() throws {
        let directory = makeTemporaryDirectory()
        do {
            _ = try GeoJSONReader.read(path: directory)
            Issue.record("reading a directory should fail")
        } catch let error as LayerReadError {
            guard case .unreadable(let path, _) = error else {
                Issue.record("expected unreadable, got \(error)")
                return
            }
            #expect(path == directory)
        }
    }

    @Test(arguments: [
        (#"{"type":"Topology","objects":{}}"#, "unknown top-level type \"Topology\""),
        (#"{"features":[]}"#, "no \"type\" member"),
        (#"[{"type":"Feature"}]"#, "not an object"),
        (#"{"type":"FeatureCollection","features":{}}"#, "not an array"),
        (#"{"type":"FeatureCollection","features":[{"type":"Point","coordinates":[1,2]}]}"#, "expected \"Feature\""),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":[1],"geometry":null}]}"#, "\"properties\" is an array"),
        (#"{"type":1}"#, "not a string"),
    ])
    func notGeoJSON(text: String, reason: String) throws {
        let error = try #require(readError(text))
        guard case .notGeoJSON(let path, _, _, let message) = error else {
            Issue.record("expected notGeoJSON, got \(error)")
            return
        }
        #expect(path == "test.geojson")
        #expect(message.contains(reason), "\(message)")
        #expect(error.description.hasPrefix("test.geojson:1:"))
    }
}
