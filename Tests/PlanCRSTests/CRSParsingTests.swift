import PlanCRS
import PlanModel
import Testing

@Suite("Parsing CRS identifiers")
struct CRSParsingTests {
    @Test("Every spelling of EPSG:4529 resolves to the same CRS", arguments: [
        "EPSG:4529", "epsg:4529", "  EPSG:4529\n", "urn:ogc:def:crs:EPSG::4529", "urn:ogc:def:crs:EPSG:9.1:4529",
        "http://www.opengis.net/def/crs/EPSG/0/4529", Fixture.zone41WKT1, Fixture.zone41WKT2,
    ])
    func spellingsOfZone41(spelling: String) throws {
        let context = try CRSContext()
        let reference = try context.crs("EPSG:4529")
        let parsed = try context.crs(spelling)
        #expect(parsed == reference)
        #expect(parsed.identifier == "EPSG:4529")
        #expect(parsed.definition == "EPSG:4529")
    }

    @Test("A WKT without authority is identified as EPSG:4529 by PROJ")
    func wktWithoutAuthority() throws {
        let context = try CRSContext()
        let parsed = try context.crs(Fixture.zone41WKT1WithoutID)
        #expect(parsed.identifier == "EPSG:4529")
        #expect(parsed.name.contains("zone 41"))
        #expect(parsed.isProjected)
    }

    @Test("Every spelling of CRS84 resolves to OGC:CRS84", arguments: [
        "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "CRS84", "crs84",
    ])
    func spellingsOfCRS84(spelling: String) throws {
        let context = try CRSContext()
        let parsed = try context.crs(spelling)
        #expect(parsed.identifier == "OGC:CRS84")
        #expect(parsed.isGeographic)
        #expect(parsed.ellipsoid?.name == "WGS 84")
    }

    @Test("No declared CRS means RFC 7946: OGC:CRS84")
    func nilReferenceIsCRS84() throws {
        let context = try CRSContext()
        let resolved = try context.crs(for: nil)
        #expect(resolved == (try context.crs("OGC:CRS84")))
        #expect(try context.crs(for: .identifier("urn:ogc:def:crs:EPSG::4529")).identifier == "EPSG:4529")
    }

    @Test("CGCS2000 zone 41: name, kind, unit, ellipsoid")
    func zone41Description() throws {
        let context = try CRSContext()
        let zone41 = try context.crs(Fixture.zone41)
        #expect(zone41.name == "CGCS2000 / 3-degree Gauss-Kruger zone 41")
        #expect(zone41.name.contains("zone 41"))
        #expect(!zone41.isGeographic)
        #expect(zone41.kind == .projected)
        #expect(zone41.unit.name == "metre")
        #expect(zone41.unit.isLinear)
        #expect(zone41.squareMetresPerSquareUnit == 1)
        let ellipsoid = try #require(zone41.ellipsoid)
        #expect(ellipsoid.semiMajorAxis == 6_378_137)
        #expect(abs(ellipsoid.inverseFlattening - 298.257222101) < 1e-9)
        #expect(zone41.description == "EPSG:4529 (CGCS2000 / 3-degree Gauss-Kruger zone 41)")
    }

    @Test("CGCS2000 geographic is geographic, in degrees")
    func cgcs2000Description() throws {
        let context = try CRSContext()
        let cgcs = try context.crs(Fixture.cgcs2000)
        #expect(cgcs.isGeographic)
        #expect(cgcs.kind == .geographic2D)
        #expect(cgcs.unit.name == "degree")
        #expect(!cgcs.unit.isLinear)
        #expect(cgcs.squareMetresPerSquareUnit == nil)
        #expect(cgcs.name == "China Geodetic Coordinate System 2000")
        #expect(try context.geographicCRS(of: try context.crs(Fixture.zone41)) == cgcs)
    }

    @Test("A WKT1 with TOWGS84 is a projected CRS that keeps its TOWGS84 in the definition")
    func boundCRS() throws {
        let context = try CRSContext()
        let xian = try context.crs(Fixture.xian1980WithTOWGS84)
        #expect(xian.kind == .projected)
        #expect(xian.identifier == "EPSG:2385")
        #expect(xian.definition.contains("BOUNDCRS"))
        #expect(xian.ellipsoid?.name == "IAG 1975")
        #expect(xian.ellipsoid?.semiMajorAxis == 6_378_140)
        #expect(try context.geographicCRS(of: xian).identifier == "EPSG:4610")
    }

    @Test("A description is recreated from its definition in another context")
    func definitionRoundTrip() throws {
        let first = try CRSContext()
        let parsed = try first.crs(Fixture.zone41WKT1WithoutID)
        let second = try CRSContext()
        #expect(try second.crs(parsed.definition) == parsed)
    }

    @Test("An unknown EPSG code gives PROJ's own message")
    func unknownCode() throws {
        let context = try CRSContext()
        let error = try #require(throws: CRSError.self) { try context.crs("EPSG:999999") }
        #expect(error.kind == .unknownCRS)
        #expect(error.operation.contains("EPSG:999999"))
        #expect(error.message.contains("crs not found"))
        #expect(!error.message.contains("Unknown error"))
        #expect(error.function == "proj_create")
        #expect(error.description.contains("EPSG:999999"))
    }

    @Test("Garbage text gives PROJ's own message", arguments: ["not a crs at all", "PROJCS[\"broken\"", "EPSG:"])
    func garbage(text: String) throws {
        let context = try CRSContext()
        let error = try #require(throws: CRSError.self) { try context.crs(text) }
        #expect(error.kind == .unknownCRS)
        #expect(!error.message.isEmpty)
        #expect(!error.message.contains("Unknown error"))
        #expect(error.message != "PROJ gave no message")
    }

    @Test("An empty identifier is refused")
    func emptyIdentifier() throws {
        let context = try CRSContext()
        let error = try #require(throws: CRSError.self) { try context.crs("  ") }
        #expect(error.kind == .unknownCRS)
    }

    @Test("A PROJ pipeline is not a CRS")
    func notACRS() throws {
        let context = try CRSContext()
        let error = try #require(throws: CRSError.self) { try context.crs("+proj=merc +ellps=GRS80") }
        #expect(error.kind == .notACRS)
    }

    @Test("A context still works after an error (no stale message)")
    func recoveryAfterError() throws {
        let context = try CRSContext()
        #expect(throws: CRSError.self) { try context.crs("EPSG:999999") }
        #expect(try context.crs("EPSG:4490").isGeographic)
        let error = try #require(throws: CRSError.self) { try context.crs("not a crs at all") }
        #expect(!error.message.contains("crs not found"))
    }
}

@Suite("GeoPackage spatial reference systems")
struct GeoPackageCRSTests {
    @Test("organization:code is used when PROJ knows it")
    func byCode() throws {
        let context = try CRSContext()
        let reference = CRSReference.geoPackage(
            srsID: 4529, organization: "EPSG", organizationCode: 4529, definition: Fixture.zone41WKT1,
            name: "CGCS2000 / 3-degree Gauss-Kruger zone 41")
        #expect(try context.crs(for: reference) == (try context.crs("EPSG:4529")))
    }

    @Test("The WKT definition is used when the organisation code is unknown")
    func byDefinition() throws {
        let context = try CRSContext()
        let reference = CRSReference.geoPackage(
            srsID: 100_001, organization: "DALIAN", organizationCode: 1, definition: Fixture.zone41WKT1,
            name: "city grid")
        let resolved = try context.crs(for: reference)
        #expect(resolved.identifier == "EPSG:4529")
        #expect(resolved.name.contains("zone 41"))
    }

    @Test("srs_id 0 and -1 are undefined CRSs", arguments: [Int64(0), -1])
    func undefined(srsID: Int64) throws {
        let context = try CRSContext()
        let reference = CRSReference.geoPackage(
            srsID: srsID, organization: "NONE", organizationCode: srsID, definition: "undefined",
            name: srsID == 0 ? "Undefined geographic SRS" : "Undefined Cartesian SRS")
        let error = try #require(throws: CRSError.self) { try context.crs(for: reference) }
        #expect(error.kind == .undefinedCRS)
        #expect(error.message.contains("undefined"))
        #expect(error.operation.contains("srs_id \(srsID)"))
    }

    @Test("A row with an unknown code and no definition is undefined")
    func noDefinition() throws {
        let context = try CRSContext()
        let reference = CRSReference.geoPackage(
            srsID: 999, organization: "EPSG", organizationCode: 999_999, definition: "undefined", name: "nothing")
        let error = try #require(throws: CRSError.self) { try context.crs(for: reference) }
        #expect(error.kind == .undefinedCRS)
        #expect(error.message.contains("EPSG:999999"))
    }
}
