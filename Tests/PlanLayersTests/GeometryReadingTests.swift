import PlanLayers
import PlanModel
import Testing

@Suite("GeoJSON geometries")
struct GeometryReadingTests {
    private func geometry(_ json: String) throws -> GeometryValue? {
        let layer = try readGeoJSON(collection(geometry: json))
        #expect(layer.readProblems.isEmpty)
        return try #require(layer.features.first).geometry
    }

    @Test func point() throws {
        #expect(try geometry(#"{"type":"Point","coordinates":[41482797.309, 4380000.5]}"#)
            == .point(Position(41482797.309, 4380000.5)))
    }

    @Test func emptyPoint() throws {
        #expect(try geometry(#"{"type":"Point","coordinates":[ ]}"#) == .point(nil))
    }

    @Test func multiPoint() throws {
        #expect(try geometry(#"{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}"#)
            == .multiPoint([Position(1, 2), Position(3, 4)]))
    }

    @Test func lineString() throws {
        #expect(try geometry(#"{"type":"LineString","coordinates":[[1,2],[3,4],[5,6]]}"#)
            == .lineString([Position(1, 2), Position(3, 4), Position(5, 6)]))
    }

    @Test func multiLineString() throws {
        #expect(try geometry(#"{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]],[]]}"#)
            == .multiLineString([[Position(1, 2), Position(3, 4)], [Position(5, 6), Position(7, 8)], []]))
    }

    @Test func polygonWithHole() throws {
        let json = #"""
        {"type":"Polygon","coordinates":[
          [[0,0],[10,0],[10,10],[0,10],[0,0]],
          [[2,2],[2,4],[4,4],[4,2],[2,2]]
        ]}
        """#
        #expect(try geometry(json) == .polygon([
            [Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)],
            [Position(2, 2), Position(2, 4), Position(4, 4), Position(4, 2), Position(2, 2)],
        ]))
    }

    @Test func unclosedRingIsKeptAsWritten() throws {
        #expect(try geometry(#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}"#)
            == .polygon([[Position(0, 0), Position(1, 0), Position(1, 1)]]))
    }

    @Test func multiPolygon() throws {
        let json = #"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.2,5.2],[5.4,5.2],[5.4,5.4],[5.2,5.2]]]]}"#
        #expect(try geometry(json) == .multiPolygon([
            [[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]],
            [[Position(5, 5), Position(6, 5), Position(6, 6), Position(5, 5)],
             [Position(5.2, 5.2), Position(5.4, 5.2), Position(5.4, 5.4), Position(5.2, 5.2)]],
        ]))
    }

    @Test func geometryCollectionNested() throws {
        let json = #"""
        {"type":"GeometryCollection","geometries":[
          {"type":"Point","coordinates":[1,2]},
          {"coordinates":[[3,4],[5,6]],"type":"LineString"},
          {"type":"GeometryCollection","geometries":[]}
        ]}
        """#
        #expect(try geometry(json) == .geometryCollection([
            .point(Position(1, 2)),
            .lineString([Position(3, 4), Position(5, 6)]),
            .geometryCollection([]),
        ]))
    }

    @Test func typeAfterCoordinatesAndForeignMembers() throws {
        let json = #"{"bbox":[0,0,1,1],"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"title":{"a":[1,2]},"type":"Polygon"}"#
        #expect(try geometry(json) == .polygon([[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]]))
    }

    @Test func geometriesBeforeType() throws {
        #expect(try geometry(#"{"geometries":[{"type":"Point","coordinates":[1,2]}],"type":"GeometryCollection"}"#)
            == .geometryCollection([.point(Position(1, 2))]))
    }

    @Test func nullGeometryIsNilWithoutProblem() throws {
        let layer = try readGeoJSON(collection(geometry: "null"))
        #expect(layer.features.count == 1)
        #expect(layer.features[0].geometry == nil)
        #expect(layer.readProblems.isEmpty)
    }

    @Test func zAndMAreDroppedAndFlagged() throws {
        let layer = try readGeoJSON(collection(geometry: #"{"type":"LineString","coordinates":[[1,2,3],[4,5,6,7]]}"#))
        #expect(layer.features[0].geometry == .lineString([Position(1, 2), Position(4, 5)]))
        #expect(layer.droppedHigherDimensions)
    }

    @Test func twoDimensionsAreNotFlagged() throws {
        let layer = try readGeoJSON(collection(geometry: #"{"type":"Point","coordinates":[1,2]}"#))
        #expect(!layer.droppedHigherDimensions)
    }

    @Test(arguments: [
        (#"{"type":"Circle","coordinates":[1,2]}"#, "unknown geometry type \"Circle\""),
        (#"{"type":"Point","coordinates":["1","2"]}"#, "expected a number, found a string"),
        (#"{"type":"LineString","coordinates":[[1,2],[3]]}"#, "fewer than 2 numbers"),
        (#"{"type":"Polygon"}"#, "Polygon has no \"coordinates\" member"),
        (#"{"type":"Polygon","coordinates":[[1,2],[3,4]]}"#, "expected a position (an array), found a number"),
        (#"{"type":"Point","coordinates":null}"#, "not an array"),
        (#"{"coordinates":[1,2]}"#, "no \"type\" member"),
        (#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[true,1]}]}"#, "expected a number, found a boolean"),
        (#"[1,2]"#, "not an object or null"),
    ])
    func malformedGeometryKeepsTheFeature(json: String, reason: String) throws {
        let text = #"""
        {"type":"FeatureCollection","features":[
        {"type":"Feature","id":"a","properties":{"k":1},"geometry":\#(json)},
        {"type":"Feature","id":"b","properties":{"k":2},"geometry":{"type":"Point","coordinates":[5,6]}}
        ]}
        """#
        let layer = try readGeoJSON(text)
        #expect(layer.features.map(\.id) == [.string("a"), .string("b")])
        #expect(layer.features[0].geometry == nil)
        #expect(layer.features[0].attributes == [Attribute("k", .integer(1))])
        #expect(layer.features[1].geometry == .point(Position(5, 6)))
        let problem = try #require(layer.readProblems.first)
        #expect(layer.readProblems.count == 1)
        #expect(problem.featureID == .string("a"))
        #expect(problem.kind == .malformedGeometry)
        #expect(problem.reason.contains(reason), "\(problem.reason)")
        #expect(problem.reason.hasPrefix("2:"), "\(problem.reason) should start with its line")
    }

    @Test func problemNamesLineAndColumn() throws {
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,\"x\"]},\"properties\":null}\n]}"
        let layer = try readGeoJSON(text)
        let problem = try #require(layer.readProblems.first)
        // The "x" is on line 2, column 63.
        #expect(problem.reason.hasPrefix("2:63: "), "\(problem.reason)")
        #expect(problem.featureID == .int(1))
    }

    @Test func brokenJSONInsideCoordinatesIsFatal() throws {
        let error = try #require(readError(collection(geometry: #"{"type":"Point","coordinates":[1,2,]}"#)))
        guard case .syntax(_, let line, let column, let message) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(line == 1)
        #expect(column == 123)
        #expect(message.contains("expected a value"))
    }
}
