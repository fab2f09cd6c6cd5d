import PlanCRS
import PlanModel
import Testing

@Suite("Ellipsoidal area")
struct EllipsoidalAreaTests {
    @Test("The 1° cell 39–40° N, 122–123° E on CGCS2000 is 9 549.4689 km²")
    func cellInGeographic() throws {
        let context = try CRSContext()
        let area = try context.ellipsoidalArea(of: .polygon([Fixture.cell]), in: try context.crs(Fixture.cgcs2000))
        // pyproj 3.7.2 Geod(ellps="GRS80"): 9549.468853860 km²
        #expect(abs(area / 1e6 - Fixture.cellAreaKm2) < 0.00005)
    }

    @Test("The densified cell has the same area in EPSG:4490 and in EPSG:4529")
    func cellInProjection() throws {
        let context = try CRSContext()
        let geographic = try context.crs(Fixture.cgcs2000)
        let zone41 = try context.crs(Fixture.zone41)
        let cell = GeometryValue.polygon([Fixture.densifiedCell(perEdge: 1000)])
        let inGeographic = try context.ellipsoidalArea(of: cell, in: geographic)
        let projected = try context.transform(cell, from: geographic, to: zone41)
        let inProjection = try context.ellipsoidalArea(of: projected, in: zone41)
        #expect(abs(inProjection - inGeographic) < 1) // m², out of 9.5e9
        // Edges along the parallels enclose a little more than geodesic edges do
        // (pyproj 3.7.2: 9549.520093919 km²).
        #expect(abs(inProjection / 1e6 - 9_549.5201) < 0.0001)
        // The planar area in the projection differs, as it should (scale error off the central meridian).
        #expect(abs(planarArea(projected.polygons[0][0]) - inProjection) > 1e5) // 0.58 km² here
    }

    @Test("Ring orientation does not matter")
    func orientation() throws {
        let context = try CRSContext()
        let crs = try context.crs(Fixture.cgcs2000)
        let ccw = try context.ellipsoidalArea(of: .polygon([Fixture.cell]), in: crs)
        let cw = try context.ellipsoidalArea(of: .polygon([Array(Fixture.cell.reversed())]), in: crs)
        #expect(ccw > 0)
        #expect(abs(cw - ccw) < 1e-3)
        let calculator = try context.areaCalculator(for: crs)
        #expect(try calculator.signedArea(ofRing: Fixture.cell) > 0)
        #expect(try calculator.signedArea(ofRing: Array(Fixture.cell.reversed())) < 0)
    }

    @Test("Holes are subtracted, whatever their orientation")
    func holes() throws {
        let context = try CRSContext()
        let zone41 = try context.crs(Fixture.zone41)
        let toZone = try context.transformer(from: try context.crs(Fixture.cgcs2000), to: zone41)
        let outer = try toZone.transform(Fixture.square(lon: 122.8, lat: 39.5, h: 0.01))
        let hole = try toZone.transform(Fixture.square(lon: 122.8, lat: 39.5, h: 0.002))
        let calculator = try context.areaCalculator(for: zone41)
        let full = try calculator.area(of: .polygon([outer]))
        let holeArea = try calculator.area(of: .polygon([hole]))
        let withHole = try calculator.area(of: .polygon([outer, hole]))
        let withReversedHole = try calculator.area(of: .polygon([outer, Array(hole.reversed())]))
        #expect(holeArea > 0 && holeArea < full)
        #expect(abs(withHole - (full - holeArea)) < 1e-3)
        #expect(abs(withReversedHole - withHole) < 1e-3)
    }

    @Test("A multipolygon's area is the sum of its parts; points and lines have none")
    func multipolygonAndOthers() throws {
        let context = try CRSContext()
        let crs = try context.crs(Fixture.cgcs2000)
        let a = Fixture.square(lon: 122.5, lat: 39.5, h: 0.01)
        let b = Fixture.square(lon: 122.7, lat: 39.2, h: 0.02)
        let areaA = try context.ellipsoidalArea(of: .polygon([a]), in: crs)
        let areaB = try context.ellipsoidalArea(of: .polygon([b]), in: crs)
        let both = try context.ellipsoidalArea(of: .multiPolygon([[a], [b]]), in: crs)
        #expect(abs(both - (areaA + areaB)) < 1e-3)
        #expect(try context.ellipsoidalArea(of: .geometryCollection([.polygon([a]), .lineString(b)]), in: crs) == areaA)
        #expect(try context.ellipsoidalArea(of: .lineString(a), in: crs) == 0)
        #expect(try context.ellipsoidalArea(of: .point(Position(122, 39)), in: crs) == 0)
        #expect(try context.ellipsoidalArea(of: .multiPolygon([]), in: crs) == 0)
        // An unclosed ring is measured as if closed.
        #expect(abs(try context.ellipsoidalArea(of: .polygon([Array(a.dropLast())]), in: crs) - areaA) < 1e-6)
    }

    @Test("A calculator is cached per CRS and uses that CRS's geographic CRS and ellipsoid")
    func calculator() throws {
        let context = try CRSContext()
        let zone41 = try context.crs(Fixture.zone41)
        let calculator = try context.areaCalculator(for: zone41)
        #expect(calculator === (try context.areaCalculator(for: zone41)))
        #expect(calculator.geographicCRS.identifier == "EPSG:4490")
        #expect(calculator.ellipsoid.semiMajorAxis == 6_378_137)
    }

    @Test("Area in web-mercator-free WGS 84 CRS84 works too")
    func crs84() throws {
        let context = try CRSContext()
        let area = try context.ellipsoidalArea(of: .polygon([Fixture.cell]), in: try context.crs(for: nil))
        // WGS 84 and GRS 1980 differ in 1/f by about 1e-7 relative: areas agree to ~1e-6.
        #expect(abs(area / 1e6 - Fixture.cellAreaKm2) / Fixture.cellAreaKm2 < 1e-6)
    }

    /// Shoelace area of a ring in its CRS's units.
    private func planarArea(_ ring: PositionList) -> Double {
        var sum = 0.0
        for i in 0..<(ring.count - 1) {
            sum += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y
        }
        return abs(sum) / 2
    }
}
