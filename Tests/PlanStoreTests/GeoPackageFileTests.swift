import Foundation
import Testing
import PlanModel
import PlanStore

// Expected values: see Fixtures/README.md (ogrinfo output and the GeoJSON sources in Fixtures/src).

private var squareR2: GeometryValue { .polygon([[
    Position(41500000, 4400000), Position(41500100, 4400000), Position(41500100, 4400100),
    Position(41500000, 4400100), Position(41500000, 4400000),
]]) }
private var parkWithLake: GeometryValue { .polygon([
    [Position(41500200, 4400000), Position(41500300, 4400000), Position(41500300, 4400100),
     Position(41500200, 4400100), Position(41500200, 4400000)],
    [Position(41500230, 4400030), Position(41500230, 4400060), Position(41500260, 4400060),
     Position(41500260, 4400030), Position(41500230, 4400030)],
]) }

@Test func listsFeatureLayersInTheOrderTheyWereAdded() throws {
    let file = try GeoPackageFile(path: Fixture.parcels)
    #expect(try file.featureLayerNames() == ["parcels", "roads"])
    #expect(file.applicationID == 0x4750_4B47)
    #expect(file.userVersion == 10200)
}

@Test func readsTheGDALMadeParcels() throws {
    let layer = try GeoPackageFile(path: Fixture.parcels).readLayer(named: "parcels")
    #expect(layer.name == "parcels")
    #expect(layer.path == Fixture.parcels)
    #expect(layer.format == .geoPackage)
    #expect(layer.declaredGeometryType == "GEOMETRY")  // mixed Polygon/MultiPolygon: GDAL says "Unknown (any)"
    #expect(layer.readProblems.isEmpty)
    #expect(layer.droppedHigherDimensions == false)
    #expect(layer.fields == [
        Field(name: "code", type: "TEXT"), Field(name: "name", type: "TEXT"),
        Field(name: "floors", type: "MEDIUMINT"), Field(name: "area_ha", type: "REAL"),
        Field(name: "approved", type: "BOOLEAN"), Field(name: "approved_on", type: "DATE"),
    ])
    #expect(layer.features.map(\.id) == [.int(1), .int(2), .int(3), .int(4), .int(5)])

    guard case .geoPackage(let srsID, let organization, let code, let definition, let name)? = layer.crs else {
        Issue.record("expected a GeoPackage CRS, got \(String(describing: layer.crs))")
        return
    }
    #expect(srsID == 4529)
    #expect(organization == "EPSG")
    #expect(code == 4529)
    #expect(name == "CGCS2000 / 3-degree Gauss-Kruger zone 41")
    #expect(definition.contains("Gauss-Kruger zone 41"))

    let r2 = layer.features[0]
    #expect(r2.attributes.map(\.name) == ["code", "name", "floors", "area_ha", "approved", "approved_on"])
    #expect(r2[attribute: "code"] == .string("R2"))
    #expect(r2[attribute: "name"] == .string("居住用地 北区"))
    #expect(r2[attribute: "floors"] == .integer(18))
    #expect(r2[attribute: "area_ha"] == .double(1.25))
    #expect(r2[attribute: "approved"] == .bool(true))
    #expect(r2[attribute: "approved_on"] == .string("2023-05-01"))
    #expect(r2.geometry == squareR2)

    let park = layer.features[1]
    #expect(park[attribute: "name"] == .string("公园绿地（含湖）"))
    #expect(park[attribute: "approved"] == .bool(false))
    #expect(park.geometry == parkWithLake)

    let commercial = layer.features[2]
    #expect(commercial.geometry?.typeName == "MultiPolygon")
    #expect(commercial.geometry?.polygons.count == 2)
    #expect(commercial[attribute: "approved_on"] == .null)

    let nullGeometry = layer.features[3]
    #expect(nullGeometry.geometry == nil)
    #expect(nullGeometry[attribute: "code"] == .string("E9"))
    #expect(nullGeometry[attribute: "floors"] == .null)
    #expect(nullGeometry[attribute: "approved"] == .null)

    let industrial = layer.features[4]
    #expect(industrial[attribute: "name"] == .string("工业用地 \"东\""))
    #expect(industrial[attribute: "area_ha"] == .double(10))
    #expect(industrial.geometry?.polygons.first?.first?[2] == Position(41500650, 4400080.5))
}

@Test func readsTheSecondLayerInEPSG4490() throws {
    let layer = try GeoPackageFile(path: Fixture.parcels).readLayer(named: "roads")
    #expect(layer.features.count == 3)
    #expect(layer.declaredGeometryType == "LINESTRING")
    #expect(layer.crs?.description == "EPSG:4490 (srs_id 4490)")
    #expect(layer.features[0][attribute: "name"] == .string("长江路"))
    #expect(layer.features[0][attribute: "lanes"] == .integer(6))
    // GeoPackage keeps longitude first (GIS order) for EPSG:4490.
    #expect(layer.features[0].geometry == .lineString([Position(123.001, 39.701), Position(123.005, 39.702), Position(123.010, 39.7035)]))
}

@Test func bigEndianHeadersWithoutEnvelopeReadTheSame() throws {
    let little = try GeoPackageFile(path: Fixture.parcels).readLayer(named: "parcels")
    let big = try GeoPackageFile(path: Fixture.parcelsBigEndian).readLayer(named: "parcels")
    #expect(big.readProblems.isEmpty)
    #expect(big.features.count == little.features.count)
    for (a, b) in zip(little.features, big.features) {
        #expect(a.id == b.id)
        #expect(a.geometry == b.geometry)
        #expect(a.attributes == b.attributes)
    }
    #expect(big.features[1].geometry == parkWithLake)
}

@Test func zPointsAreFlattenedAndReported() throws {
    let file = try GeoPackageFile(path: Fixture.wellsZ)
    #expect(try file.featureLayerNames() == ["wells"])
    let layer = try file.readLayer(named: "wells")
    #expect(layer.droppedHigherDimensions)
    #expect(layer.declaredGeometryType == "POINT")
    // ogr2ogr -preserve_fid kept the GeoJSON ids: the fid column, not the row position.
    #expect(layer.features.map(\.id) == [.int(7), .int(42)])
    #expect(layer.features[0].geometry == .point(Position(41500010, 4400020)))
    #expect(layer.features[1][attribute: "depth_m"] == .double(80))
}

@Test func unknownLayerNameListsTheLayers() throws {
    let file = try GeoPackageFile(path: Fixture.parcels)
    let error = try #require(throws: StoreError.self) { try file.readLayer(named: "zoning") }
    #expect(error.kind == .layerNotFound(name: "zoning", available: ["parcels", "roads"]))
    #expect(error.description.contains("'zoning'"))
    #expect(error.description.contains("'parcels', 'roads'"))
    // A non-feature table (GeoPackage metadata) is not a layer either.
    #expect(throws: StoreError.self) { try file.readLayer(named: "gpkg_spatial_ref_sys") }
}

@Test func missingFileGivesTheMissingFileError() throws {
    let error = try #require(throws: StoreError.self) { try GeoPackageFile(path: Fixture.path("absent.gpkg")) }
    #expect(error.kind == .fileNotFound)
    #expect(error.description.contains("absent.gpkg"))
}

@Test func plainSQLiteFileIsNotAGeoPackage() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("plain.sqlite")
    do {
        let db = try Database(path: path, mode: .create)
        try db.execute("CREATE TABLE t (v INTEGER)")
    }
    let error = try #require(throws: StoreError.self) { try GeoPackageFile(path: path) }
    #expect(error.kind == .notAGeoPackage)
    #expect(error.description.contains("not a GeoPackage"))
    #expect(error.description.contains("application_id"))

    // The right application_id but no gpkg_contents.
    do {
        let db = try Database(path: path, mode: .readWrite)
        try db.execute("PRAGMA application_id = 1196444487")
    }
    let noContents = try #require(throws: StoreError.self) { try GeoPackageFile(path: path) }
    #expect(noContents.kind == .notAGeoPackage)
    #expect(noContents.description.contains("gpkg_contents"))
}

@Test func nonSQLiteFileIsNotAGeoPackage() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("parcels.geojson.gpkg")
    try FileManager.default.copyItem(atPath: Fixture.path("src/parcels.geojson"), toPath: path)
    let error = try #require(throws: StoreError.self) { try GeoPackageFile(path: path) }
    #expect(error.kind == .notAGeoPackage)
    #expect(error.primaryResultCode == 26)  // SQLITE_NOTADB
    #expect(error.description.contains("not an SQLite database"))
    #expect(error.description.contains(path))
}

@Test func corruptGeometryBlobBecomesAReadProblem() throws {
    let dir = try TemporaryDirectory()
    let path = try dir.copy(Fixture.parcels, as: "corrupt.gpkg")
    do {
        let db = try Database(path: path, mode: .readWrite)
        // GDAL's R-tree triggers call ST_* functions this connection does not have.
        let triggers = try db.rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_parcels_%'")
        #expect(triggers.count == 6)
        try db.inTransaction {
            for row in triggers {
                if case .text(let name) = row[0] { try db.execute("DROP TRIGGER \(Database.quote(identifier: name))") }
            }
            // fid 2: the valid blob cut short in its coordinates; fid 5: a curve type (8).
            let blob = GeoPackageBinary.encode(geometry: parkWithLake, srsID: 4529)
            let update = try db.prepare("UPDATE parcels SET geom = ? WHERE fid = ?")
            try update.bind(Array(blob.dropLast(30)), at: 1)
            try update.bind(2 as Int64, at: 2)
            try update.step()
            try update.reset()
            try update.bind(Array(blob[0..<40]) + [1, 8, 0, 0, 0, 0, 0, 0, 0], at: 1)
            try update.bind(5 as Int64, at: 2)
            try update.step()
        }
    }
    let layer = try GeoPackageFile(path: path).readLayer(named: "parcels")
    #expect(layer.features.count == 5)
    #expect(layer.features[1].geometry == nil)
    #expect(layer.features[1][attribute: "code"] == .string("G1"))
    #expect(layer.features[4].geometry == nil)
    #expect(layer.features[0].geometry == squareR2)
    #expect(layer.readProblems.count == 2)
    let cut = try #require(layer.readProblems.first)
    #expect(cut.featureID == .int(2))
    #expect(cut.kind == .malformedGeometry)
    #expect(cut.reason.contains("at byte"))
    #expect(cut.reason.contains("truncated"))
    let curve = layer.readProblems[1]
    #expect(curve.featureID == .int(5))
    #expect(curve.reason.contains("at byte 41"))
    #expect(curve.reason.contains("unknown geometry type code 8"))
}

@Test func writtenBlobsReadBackThroughTheReader() throws {
    // The registry writer's path: GeoPackageBinary.encode into a GDAL-made file, read back.
    let dir = try TemporaryDirectory()
    let path = try dir.copy(Fixture.parcels, as: "rewritten.gpkg")
    let replacement: GeometryValue = .multiPolygon([[[Position(41500000, 4400000), Position(41500010, 4400000),
                                                       Position(41500010, 4400010), Position(41500000, 4400000)]]])
    do {
        let db = try Database(path: path, mode: .readWrite)
        for row in try db.rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_parcels_%'") {
            if case .text(let name) = row[0] { try db.execute("DROP TRIGGER \(Database.quote(identifier: name))") }
        }
        try db.execute("UPDATE parcels SET geom = ? WHERE fid = 1",
                       arguments: [.blob(GeoPackageBinary.encode(geometry: replacement, srsID: 4529))])
        #expect(db.changes == 1)
    }
    let layer = try GeoPackageFile(path: path).readLayer(named: "parcels")
    #expect(layer.features[0].geometry == replacement)
    #expect(layer.readProblems.isEmpty)
}

/// A comparable summary of a layer (Feature is not Equatable).
private func summary(_ layer: Layer) -> [String] {
    layer.features.map { "\($0.id)|\(String(describing: $0.geometry))|\($0.attributes)" }
        + layer.readProblems.map(\.reason) + ["\(String(describing: layer.crs))", "\(layer.fields)"]
}

@Test func severalTasksReadTheSameFileAtOnce() async throws {
    let expected = summary(try GeoPackageFile(path: Fixture.parcels).readLayer(named: "parcels"))
    let results = try await withThrowingTaskGroup(of: [String].self) { group in
        for _ in 0..<8 {
            group.addTask {
                // Each task opens its own connection; only Sendable values come back.
                let file = try GeoPackageFile(path: Fixture.parcels)
                var lines = summary(try file.readLayer(named: "parcels"))
                lines += summary(try file.readLayer(named: "roads"))
                return lines
            }
        }
        var all: [[String]] = []
        for try await r in group { all.append(r) }
        return all
    }
    let roads = summary(try GeoPackageFile(path: Fixture.parcels).readLayer(named: "roads"))
    #expect(results.count == 8)
    for r in results { #expect(r == expected + roads) }
}

@Test func errorLinesReadWell() throws {
    // One line each, naming the file.
    let missing = try #require(throws: StoreError.self) { try GeoPackageFile(path: "/nonexistent/x.gpkg") }
    #expect(missing.description.hasPrefix("no such file (opened read-only)"))
    #expect(missing.description.hasSuffix("file: /nonexistent/x.gpkg"))
    let layer = try #require(throws: StoreError.self) { try GeoPackageFile(path: Fixture.parcels).readLayer(named: "x") }
    #expect(layer.description.hasPrefix("no feature layer 'x'; the file has: 'parcels', 'roads'"))
    for e in [missing, layer] { #expect(!e.description.contains("\n")) }
}

// Region reads (`overlay --tile`): the rows the R-tree finds, in fid order. The fixture's
// R-tree (GDAL's): 1 at x 0-100, 2 at 200-300, 3 at 400-552, 5 at 600-700 (from 41 500 000);
// feature 4 has no geometry and no entry.

@Test func spatialIndexGivesTheRTreeAndItsExtent() throws {
    let file = try GeoPackageFile(path: Fixture.parcels)
    let index = try #require(try file.spatialIndex(of: "parcels"))
    #expect(index.rtree == "rtree_parcels_geom")
    #expect(try file.indexExtent(index) == Envelope(minX: 41_500_000, minY: 4_400_000, maxX: 41_500_700, maxY: 4_400_100))
    #expect(try file.smallestFid(of: "parcels") == 1)
    #expect(try file.indexBounds(index, meeting: Envelope(minX: 41_500_250, minY: 0, maxX: 41_500_450, maxY: 5e6))
            == Envelope(minX: 41_500_200, minY: 4_400_000, maxX: 41_500_552, maxY: 4_400_100))
}

@Test func regionReadTakesTheRowsTheIndexFindsAndMarksNeighbours() throws {
    let file = try GeoPackageFile(path: Fixture.parcels)
    func read(_ region: LayerRegion) throws -> (ids: [FeatureID], neighbours: Set<FeatureID>) {
        let cursor = try file.openLayer(named: "parcels", region: region)
        var ids: [FeatureID] = []
        while let feature = try cursor.next() { ids.append(feature.id) }
        return (ids, cursor.neighbours)
    }
    // Tiles of 250 m: features 1 and 2 start in tile 0, 3 in tile 1, 5 in tile 2.
    func tiles(_ first: Int, _ end: Int) -> TileRange {
        TileRange(originX: 41_500_000, originY: 4_400_000, size: 250, columns: 3, rows: 1, first: first, end: end)
    }
    // Tile 1's band (x 250-500) meets 2 (a neighbour: it starts in tile 0) and 3 (its own).
    let middle = try read(LayerRegion(box: tiles(1, 2).box, owner: tiles(1, 2), readsUnindexed: false))
    #expect(middle.ids == [.int(2), .int(3)])
    #expect(middle.neighbours == [.int(2)])
    // Slice 1 (tile 0, open to the left) also reads feature 4, which the index does not hold.
    let first = try read(LayerRegion(box: tiles(0, 1).box, owner: tiles(0, 1), readsUnindexed: true))
    #expect(first.ids == [.int(1), .int(2), .int(4)])
    #expect(first.neighbours.isEmpty)
    // An empty run of tiles reads nothing the index holds.
    #expect(try read(LayerRegion(box: tiles(1, 1).box, owner: tiles(1, 1), readsUnindexed: false)).ids.isEmpty)
}

@Test func staleRTreeStopsARegionRead() throws {
    let directory = try TemporaryDirectory()
    let path = try directory.copy(Fixture.parcels, as: "stale.gpkg")
    try Database(path: path, mode: .readWrite).execute("UPDATE rtree_parcels_geom SET maxx = minx + 1 WHERE id = 3")
    let file = try GeoPackageFile(path: path)
    let everything = TileRange(originX: 41_500_000, originY: 4_400_000, size: 1_000, columns: 1, rows: 1, first: 0, end: 1)
    let cursor = try file.openLayer(named: "parcels", region: LayerRegion(box: everything.box, owner: everything, readsUnindexed: true))
    #expect(try cursor.next()?.id == .int(1))
    #expect(try cursor.next()?.id == .int(2))
    do {
        _ = try cursor.next()
        Issue.record("feature 3 outside its index box was read")
    } catch let error as StoreError {
        #expect(error.kind == .malformedGeoPackage)
        #expect(error.message.contains("layer 'parcels', feature 3: the R-tree rtree_parcels_geom is out of date"), "\(error.message)")
    }
}
