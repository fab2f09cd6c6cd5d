import Foundation
import Testing
import PlanModel
import PlanCheckTestSupport
@testable import PlanStore

// GeoPackageWriter checked against independent oracles: GDAL's validator and ogrinfo (GDAL
// 3.6.2, Debian's gdal-bin and python3-gdal) and plan-check's own reader.


/// EPSG:4529 as GDAL wrote it into the fixture parcels.gpkg.
private func epsg4529Definition() throws -> String {
    let fixture = try Database(path: Fixture.parcels)
    return try #require(try fixture.scalar("SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 4529")?.text)
}

private func square(_ x: Double, _ y: Double, _ size: Double) -> PolygonRings {
    [[Position(x, y), Position(x + size, y), Position(x + size, y + size), Position(x, y + size), Position(x, y)]]
}

/// A registry file with the table `assessments` (MULTIPOLYGON, EPSG:4529) and no rows.
private func makeRegistry(at path: String, busyTimeout: Int32 = 5_000) throws -> GeoPackageWriter {
    let writer = try GeoPackageWriter(path: path, create: true, busyTimeout: busyTimeout)
    try writer.addSpatialReference(srsID: 4529, name: "CGCS2000 / 3-degree Gauss-Kruger zone 41", organization: "EPSG",
                                   organizationCode: 4529, definition: try epsg4529Definition())
    try writer.createFeatureTable(
        name: "assessments", srsID: 4529,
        columns: [("code", .text), ("name", .text), ("floors", .integer), ("area_ha", .real),
                  ("approved", .boolean), ("approved_on", .date), ("assessed_at", .dateTime)],
        identifier: "区域评估", description: "regional assessments")
    return writer
}

private let north: GeometryValue = .multiPolygon([square(41500000, 4400000, 100)])
private let parkWithLake: GeometryValue = .multiPolygon([[
    square(41500200, 4400000, 100)[0],
    [Position(41500230, 4400030), Position(41500230, 4400060), Position(41500260, 4400060),
     Position(41500260, 4400030), Position(41500230, 4400030)],
]])
private let twoParts: GeometryValue = .multiPolygon([square(41500400, 4400000, 100), square(41500600, 4400000, 100)])

private func rowCount(_ database: Database, _ table: String) throws -> Int64? {
    try database.scalar("SELECT count(*) FROM \(Database.quote(identifier: table))")?.integer
}

@Test func writesARegistryThatGDALValidatesAndReadsBack() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("registry.gpkg")
    let writer = try makeRegistry(at: path)
    var fids: [Int64] = []
    fids.append(try writer.insert(table: "assessments", geometry: north, srsID: 4529, values: [
        .text("R2"), .text("居住用地 北区"), .integer(6), .real(1.0), .integer(1), .text("2026-03-01"),
        .text("2026-03-01T08:00:00.000Z")]))
    fids.append(try writer.insert(table: "assessments", geometry: parkWithLake, values: [
        .text("G1"), .text("公园绿地（含湖）"), .null, .real(0.91), .integer(0), .null, .null]))
    fids.append(try writer.insert(table: "assessments", geometry: twoParts, values: [
        .text("B1"), .text("商业 \"双地块\""), .integer(12), .real(2.0), .null, .null, .null]))
    fids.append(try writer.insert(table: "assessments", geometry: nil, values: [
        .text("E9"), .null, .null, .null, .null, .null, .null]))
    #expect(fids == [1, 2, 3, 4])
    try writer.updateExtent(table: "assessments")
    let database = try writer.database()
    #expect(try database.scalar("PRAGMA application_id") == .integer(0x4750_4B47))
    #expect(try database.scalar("PRAGMA user_version") == .integer(10300))
    #expect(try database.scalar("PRAGMA journal_mode") == .text("wal"))
    #expect(try database.rows("SELECT min_x, min_y, max_x, max_y, srs_id, data_type, identifier FROM gpkg_contents")
        == [[.real(41500000), .real(4400000), .real(41500700), .real(4400100), .integer(4529), .text("features"), .text("区域评估")]])
    let lastChange = try #require(try database.scalar("SELECT last_change FROM gpkg_contents")?.text)
    #expect(lastChange.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
    #expect(try database.rows("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        == [[.integer(-1)], [.integer(0)], [.integer(4326)], [.integer(4529)]])
    writer.close()
    #expect(throws: StoreError.self) { try writer.database() }

    let validation = try GDAL.validate(path)
    #expect(validation.status == 0)
    #expect(validation.output == "")

    let summaryRun = try GDAL.summary(path)
    #expect(summaryRun.status == 0, "ogrinfo failed: \(summaryRun.output)")
    let summary = summaryRun.output
    #expect(summary.contains("Layer name: assessments"))
    #expect(summary.contains("Geometry: Multi Polygon"))
    #expect(summary.contains("Feature Count: 4"))
    #expect(summary.contains("Extent: (41500000.000000, 4400000.000000) - (41500700.000000, 4400100.000000)"))
    #expect(summary.contains("approved: Integer(Boolean)"))
    #expect(summary.contains("assessed_at: DateTime"))
    let features = try ExternalTool.run(GDAL.ogrinfo, ["-al", "-q", path])
    #expect(features.status == 0)
    #expect(features.output.contains("name (String) = 居住用地 北区"))
    #expect(features.output.contains("name (String) = 公园绿地（含湖）"))
    #expect(features.output.contains("OGRFeature(assessments):4"))

    let file = try GeoPackageFile(path: path)
    #expect(try file.featureLayerNames() == ["assessments"])
    #expect(file.userVersion == 10300)
    let layer = try file.readLayer(named: "assessments")
    #expect(layer.readProblems.isEmpty)
    #expect(layer.declaredGeometryType == "MULTIPOLYGON")
    #expect(layer.fields.map(\.type) == ["TEXT", "TEXT", "INTEGER", "REAL", "BOOLEAN", "DATE", "DATETIME"])
    #expect(layer.features.map(\.id) == [.int(1), .int(2), .int(3), .int(4)])
    #expect(layer.features.map(\.geometry) == [north, parkWithLake, twoParts, nil])
    #expect(layer.features[0][attribute: "name"] == .string("居住用地 北区"))
    #expect(layer.features[0][attribute: "approved"] == .bool(true))
    #expect(layer.features[0][attribute: "assessed_at"] == .string("2026-03-01T08:00:00.000Z"))
    #expect(layer.features[1][attribute: "name"] == .string("公园绿地（含湖）"))
    #expect(layer.features[1][attribute: "approved"] == .bool(false))
    #expect(layer.features[1][attribute: "area_ha"] == .double(0.91))
    #expect(layer.features[2][attribute: "name"] == .string("商业 \"双地块\""))
    #expect(layer.features[2][attribute: "floors"] == .integer(12))
    #expect(layer.features[3][attribute: "code"] == .string("E9"))
    #expect(layer.features[3][attribute: "floors"] == .null)
    if case .geoPackage(let srsID, let organization, let code, _, _)? = layer.crs {
        #expect(srsID == 4529 && organization == "EPSG" && code == 4529)
    } else {
        Issue.record("no EPSG:4529 CRS on the layer: \(String(describing: layer.crs))")
    }
}

@Test func refusesWhatTheGeoPackageWouldNotHold() throws {
    let directory = try TemporaryDirectory()
    let writer = try makeRegistry(at: directory.path("registry.gpkg"))
    // A Polygon is not a MultiPolygon: no silent promotion.
    let polygon = GeometryValue.polygon(square(41500000, 4400000, 10))
    #expect(throws: StoreError.self) {
        try writer.insert(table: "assessments", geometry: polygon, values: Array(repeating: .null, count: 7))
    }
    #expect(throws: StoreError.self) {
        try writer.insert(table: "assessments", geometry: north, srsID: 4490, values: Array(repeating: .null, count: 7))
    }
    #expect(throws: StoreError.self) {
        try writer.insert(table: "assessments", geometry: north, values: [.text("too few")])
    }
    #expect(throws: StoreError.self) {
        try writer.insert(table: "nope", geometry: north, values: [])
    }
    #expect(throws: StoreError.self) {
        try writer.createFeatureTable(name: "other", srsID: 4490)  // srs 4490 was never added
    }
    #expect(throws: StoreError.self) {
        try writer.createFeatureTable(name: "other", geometryType: "CIRCLE", srsID: 4529)
    }
    // A GEOMETRY column takes any type.
    try writer.createFeatureTable(name: "mixed", geometryType: "GEOMETRY", srsID: 4529)
    #expect(try writer.insert(table: "mixed", geometry: polygon, values: []) == 1)
    #expect(try rowCount(try writer.database(), "assessments") == 0)
    // Opening an existing file without create keeps it; a missing one is fileNotFound.
    writer.close()
    let reopened = try GeoPackageWriter(path: directory.path("registry.gpkg"), create: false)
    #expect(try rowCount(try reopened.database(), "mixed") == 1)
    do {
        _ = try GeoPackageWriter(path: directory.path("missing.gpkg"), create: false)
        Issue.record("opened a missing file")
    } catch let error as StoreError {
        #expect(error.kind == .fileNotFound)
    }
}

@Test func spatialFunctionsReadHeadersAndWKB() throws {
    let database = try Database(path: ":memory:", mode: .create)
    try database.registerGeoPackageFunctions()
    let withEnvelope = GeoPackageBinary.encode(geometry: twoParts, srsID: 4529)
    // The same geometry without a header envelope (flags 0x01): the envelope comes from the WKB.
    var withoutEnvelope: [UInt8] = [0x47, 0x50, 0x00, 0x01, 0xB1, 0x11, 0x00, 0x00]
    withoutEnvelope += WKB.encode(twoParts, byteOrder: .bigEndian)
    let empty = GeoPackageBinary.encode(geometry: .geometryCollection([]), srsID: 4529)
    for blob in [withEnvelope, withoutEnvelope] {
        #expect(try database.rows("SELECT ST_MinX(?1), ST_MinY(?1), ST_MaxX(?1), ST_MaxY(?1), ST_IsEmpty(?1)",
                                  arguments: [.blob(blob)])
            == [[.real(41500400), .real(4400000), .real(41500700), .real(4400100), .integer(0)]])
    }
    #expect(try database.rows("SELECT ST_MinX(?1), ST_IsEmpty(?1)", arguments: [.blob(empty)]) == [[.null, .integer(1)]])
    #expect(try database.rows("SELECT ST_MinX(NULL), ST_IsEmpty(NULL)") == [[.null, .null]])
    do {
        _ = try database.scalar("SELECT ST_MaxY(x'0102')")
        Issue.record("a non-GeoPackage blob gave a value")
    } catch let error as StoreError {
        #expect(error.message.contains("ST_MaxY"))
    }
}

@Test func rtreeFollowsPlainSQLInsertsUpdatesAndDeletes() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("registry.gpkg")
    let writer = try makeRegistry(at: path)
    let nulls = Array(repeating: DatabaseValue.null, count: 7)
    _ = try writer.insert(table: "assessments", geometry: north, values: nulls)
    _ = try writer.insert(table: "assessments", geometry: parkWithLake, values: nulls)
    writer.close()

    // Coordinates are multiples of 4, exact in the R-tree's 32-bit floats.
    func rtree(_ database: Database) throws -> [[DatabaseValue]] {
        try database.rows("SELECT id, minx, miny, maxx, maxy FROM rtree_assessments_geom ORDER BY id")
    }
    func row(_ id: Int64, _ e: Envelope) -> [DatabaseValue] {
        [.integer(id), .real(e.minX), .real(e.minY), .real(e.maxX), .real(e.maxY)]
    }

    // Without the functions the triggers cannot run, and nothing is written.
    let plain = try Database(path: path, mode: .readWrite)
    do {
        try plain.execute("INSERT INTO assessments (geom) VALUES (?)",
                          arguments: [.blob(GeoPackageBinary.encode(geometry: twoParts, srsID: 4529))])
        Issue.record("the insert trigger ran without ST_IsEmpty")
    } catch let error as StoreError {
        #expect(error.message.contains("no such function: ST_IsEmpty"))
    }
    #expect(try rowCount(plain, "assessments") == 2)

    let database = try Database(path: path, mode: .readWrite)
    try database.registerGeoPackageFunctions()
    #expect(try rtree(database) == [row(1, north.envelope!), row(2, parkWithLake.envelope!)])

    try database.execute("INSERT INTO assessments (geom, code) VALUES (?, 'B1')",
                         arguments: [.blob(GeoPackageBinary.encode(geometry: twoParts, srsID: 4529))])
    #expect(try rtree(database) == [row(1, north.envelope!), row(2, parkWithLake.envelope!), row(3, twoParts.envelope!)])

    let moved = GeometryValue.multiPolygon([square(41501000, 4401000, 200)])
    try database.execute("UPDATE assessments SET geom = ? WHERE fid = 1",
                         arguments: [.blob(GeoPackageBinary.encode(geometry: moved, srsID: 4529))])
    #expect(try rtree(database) == [row(1, moved.envelope!), row(2, parkWithLake.envelope!), row(3, twoParts.envelope!)])

    try database.execute("UPDATE assessments SET geom = NULL WHERE fid = 2")
    try database.execute("UPDATE assessments SET fid = 30 WHERE fid = 3")
    #expect(try rtree(database) == [row(1, moved.envelope!), row(30, twoParts.envelope!)])

    try database.execute("DELETE FROM assessments WHERE fid = 1")
    #expect(try rtree(database) == [row(30, twoParts.envelope!)])
    // Every non-empty geometry is indexed with its own envelope.
    #expect(try database.rows("""
        SELECT count(*) FROM assessments a JOIN rtree_assessments_geom r ON r.id = a.fid
        WHERE r.minx = ST_MinX(a.geom) AND r.maxx = ST_MaxX(a.geom) AND r.miny = ST_MinY(a.geom) AND r.maxy = ST_MaxY(a.geom)
        """) == [[.integer(1)]])
    #expect(try rowCount(database, "assessments") == 2)

    let validation = try GDAL.validate(path)
    #expect(validation.status == 0)
    #expect(validation.output == "")
}

private struct AssessmentFailed: Error {}

@Test func aTransactionThatThrowsLeavesTheFileAsItWas() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("registry.gpkg")
    let writer = try makeRegistry(at: path)
    let nulls = Array(repeating: DatabaseValue.null, count: 7)
    try writer.transaction {
        _ = try writer.insert(table: "assessments", geometry: north, values: nulls)
        try writer.updateExtent(table: "assessments")
    }
    let database = try writer.database()
    let before = try database.rows("SELECT * FROM gpkg_contents")
    #expect(try rowCount(database, "assessments") == 1)

    #expect(throws: AssessmentFailed.self) {
        try writer.transaction {
            try writer.createFeatureTable(name: "run_2", srsID: 4529)
            _ = try writer.insert(table: "run_2", geometry: north, values: [])
            _ = try writer.insert(table: "assessments", geometry: parkWithLake, values: nulls)
            _ = try writer.insert(table: "assessments", geometry: twoParts, values: nulls)
            try writer.updateExtent(table: "assessments")
            throw AssessmentFailed()
        }
    }
    #expect(database.isInsideTransaction == false)
    #expect(try rowCount(database, "assessments") == 1)
    #expect(try rowCount(database, "rtree_assessments_geom") == 1)
    #expect(try database.rows("SELECT * FROM gpkg_contents") == before)
    #expect(try database.rows("SELECT name FROM sqlite_master WHERE name LIKE '%run_2%'") == [])
    #expect(try database.rows("SELECT table_name FROM gpkg_extensions") == [[.text("assessments")]])
    // A table created inside a transaction that commits is there, with its index.
    try writer.transaction {
        try writer.createFeatureTable(name: "run_3", srsID: 4529)
        _ = try writer.insert(table: "run_3", geometry: north, values: [])
    }
    #expect(try rowCount(database, "rtree_run_3_geom") == 1)
    // A failing statement inside rolls back the same way.
    #expect(throws: StoreError.self) {
        try writer.transaction {
            _ = try writer.insert(table: "assessments", geometry: twoParts, values: nulls)
            try database.execute("INSERT INTO no_such_table VALUES (1)")
        }
    }
    #expect(try rowCount(database, "assessments") == 1)
    writer.close()

    let validation = try GDAL.validate(path)
    #expect(validation.status == 0)
    #expect(validation.output == "")
    #expect(try GeoPackageFile(path: path).readLayer(named: "assessments").features.map(\.geometry) == [north])
    #expect(try GeoPackageFile(path: path).featureLayerNames() == ["assessments", "run_3"])
}

@Test func aSecondWriterWaitsThenGetsABusyErrorAndLaterSucceeds() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("registry.gpkg")
    let first = try makeRegistry(at: path)
    let nulls = Array(repeating: DatabaseValue.null, count: 7)
    let second = try GeoPackageWriter(path: path, create: false, busyTimeout: 200)

    let clock = ContinuousClock()
    try first.transaction {
        _ = try first.insert(table: "assessments", geometry: north, values: nulls)
        let start = clock.now
        do {
            try second.transaction {
                _ = try second.insert(table: "assessments", geometry: twoParts, values: nulls)
            }
            Issue.record("the second writer wrote while the first held the write lock")
        } catch let error as StoreError {
            #expect(error.isBusy)
            #expect(error.message.contains("another process is writing"))
        }
        #expect(clock.now - start >= .milliseconds(150))  // it waited for the busy timeout
    }
    let fid = try second.transaction {
        try second.insert(table: "assessments", geometry: twoParts, values: nulls)
    }
    #expect(fid == 2)
    try second.updateExtent(table: "assessments")
    first.close()
    second.close()

    let validation = try GDAL.validate(path)
    #expect(validation.status == 0)
    #expect(validation.output == "")
    #expect(try GeoPackageFile(path: path).readLayer(named: "assessments").features.map(\.geometry) == [north, twoParts])
}
