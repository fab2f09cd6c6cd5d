import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Validity and repair")
struct RepairTests {
    static let bowTie = "POLYGON((0 0,2 2,2 0,0 2,0 0))"

    @Test("A bow-tie is invalid, with a reason and a location")
    func bowTieValidity() throws {
        let context = try GeometryContext()
        let v = try Geometry(wkt: Self.bowTie, context: context).validity()
        #expect(!v.isValid)
        #expect(v.reason.contains("Self-intersection"))
        #expect(v.location == Position(1, 1))
        let problem = try #require(v.problem(featureID: .int(17)))
        #expect(problem.kind == .invalidPolygon)
        #expect(problem.location == Position(1, 1))
    }

    @Test("A bow-tie repairs to a MultiPolygon keeping both lobes (area 2) and says so")
    func bowTieRepair() throws {
        let context = try GeometryContext()
        let repair = try Geometry(wkt: Self.bowTie, context: context).makeValid()
        #expect(try repair.geometry.typeName() == "MultiPolygon")
        #expect(try repair.geometry.numGeometries() == 2)
        #expect(approx(try repair.geometry.area(), 2))
        #expect(try repair.geometry.validity().isValid)
        let s = repair.summary
        #expect(!s.wasValid)
        #expect(s.typeBefore == "Polygon")
        #expect(s.typeAfter == "MultiPolygon")
        #expect(s.typeChanged)
        #expect(s.changed)
        #expect(approx(s.areaAfter, 2))
        #expect(s.areaBefore == 0, "GEOS measures the bow-tie's signed lobes as cancelling")
        #expect(s.droppedLowerDimensionParts == 0)
        // Both lobes: one left of x = 1, one right of it.
        let lobes = try repair.geometry.value().polygons.compactMap { GeometryValue.polygon($0).envelope }
        #expect(lobes.contains { $0.maxX <= 1 } && lobes.contains { $0.minX >= 1 })
    }

    @Test("A valid polygon is unchanged by repair")
    func validUnchanged() throws {
        let context = try GeometryContext()
        let value = GeometryValue.polygon([squareRing(0, 0, 10), squareRing(2, 2, 2)])
        let repair = try Geometry(value, context: context).makeValid()
        #expect(!repair.summary.changed)
        #expect(repair.summary.areaBefore == 96)
        #expect(repair.summary.areaAfter == 96)
        #expect(try repair.geometry.topologicallyEquals(Geometry(value, context: context)))
    }

    @Test("A MultiPolygon stays a MultiPolygon after repair")
    func multiStaysMulti() throws {
        let context = try GeometryContext()
        let repair = try Geometry(.multiPolygon([[squareRing(0, 0, 1)]]), context: context).makeValid()
        #expect(try repair.geometry.typeName() == "MultiPolygon")
        #expect(!repair.summary.typeChanged)
    }

    @Test("Collapsed and lower-dimension parts are dropped and counted")
    func droppedParts() throws {
        let context = try GeometryContext()
        // A polygon that collapses to a line, next to a good square, plus a stray point.
        let g = try Geometry(wkt: "GEOMETRYCOLLECTION(POLYGON((0 0,1 1,2 2,0 0)), POLYGON((5 5,6 5,6 6,5 6,5 5)), POINT(9 9))", context: context)
        let repair = try g.makeValid()
        #expect(try repair.geometry.typeName() == "Polygon")
        #expect(repair.summary.areaAfter == 1)
        #expect(repair.summary.droppedLowerDimensionParts == 1, "the point; the collapsed ring is dropped by keepCollapsed 0")
        #expect(repair.summary.changed)
    }

    @Test("A repair of nothing polygonal is an empty MultiPolygon")
    func nothingPolygonal() throws {
        let context = try GeometryContext()
        let repair = try Geometry(wkt: "LINESTRING(0 0, 1 1)", context: context).makeValid()
        #expect(try repair.geometry.isEmpty())
        #expect(try repair.geometry.typeName() == "MultiPolygon")
        #expect(repair.summary.droppedLowerDimensionParts == 1)
    }

    @Test("polygonalParts flattens collections and dissolves overlapping members")
    func polygonalParts() throws {
        let context = try GeometryContext()
        let g = try Geometry(wkt: """
            GEOMETRYCOLLECTION(POLYGON((0 0,2 0,2 2,0 2,0 0)), LINESTRING(0 0,5 5),
              GEOMETRYCOLLECTION(POLYGON((1 1,3 1,3 3,1 3,1 1)), MULTIPOINT((7 7),(8 8))))
            """, context: context)
        let (polygonal, dropped) = try g.polygonalParts()
        #expect(dropped == 3)
        #expect(try polygonal.validity().isValid)
        #expect(approx(try polygonal.area(), 7))
        #expect(try polygonal.value().isPolygonal)
        let single = try Geometry(wkt: "GEOMETRYCOLLECTION(POLYGON((0 0,1 0,1 1,0 0)))", context: context).polygonalParts()
        #expect(try single.polygonal.typeName() == "Polygon")
        #expect(single.droppedLowerDimensionParts == 0)
    }
}
