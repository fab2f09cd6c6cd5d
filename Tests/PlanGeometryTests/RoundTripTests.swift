import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Value ↔ GEOS ↔ WKB ↔ WKT round trips")
struct RoundTripTests {
    // Computed, not a stored static: LeakSanitizer cannot see Swift's tagged indirect-enum
    // pointers in a global that lives until exit and would report the boxes as leaks.
    static var samples: [(String, GeometryValue)] { [
        ("point", .point(Position(1.5, -2.25))),
        ("empty point", .point(nil)),
        ("line", .lineString([Position(0, 0), Position(1, 1), Position(2, 0)])),
        ("empty line", .lineString([])),
        ("polygon", square(0, 0, 10)),
        ("polygon with two holes", .polygon([squareRing(0, 0, 10), squareRing(1, 1, 2), squareRing(5, 5, 3)])),
        ("empty polygon", .polygon([])),
        ("multipoint", .multiPoint([Position(0, 0), Position(3, 4)])),
        ("empty multipoint", .multiPoint([])),
        ("multiline", .multiLineString([[Position(0, 0), Position(1, 0)], [Position(2, 2), Position(3, 3), Position(4, 2)]])),
        ("empty multiline", .multiLineString([])),
        ("multipolygon with a hole", .multiPolygon([[squareRing(0, 0, 10), squareRing(2, 2, 2)], [squareRing(20, 0, 5)]])),
        ("empty multipolygon", .multiPolygon([])),
        ("collection", .geometryCollection([.point(Position(7, 7)), .lineString([Position(0, 0), Position(1, 1)]),
                                            square(3, 3, 1), .multiPolygon([[squareRing(10, 10, 1)]])])),
        ("nested collection", .geometryCollection([.geometryCollection([.point(Position(1, 2))])])),
        ("empty collection", .geometryCollection([])),
    ] }

    @Test("value → GEOS → value keeps every position", arguments: samples.map(\.0))
    func valueRoundTrip(name: String) throws {
        let value = try #require(Self.samples.first { $0.0 == name }?.1)
        let context = try GeometryContext()
        let g = try Geometry(value, context: context)
        #expect(try g.value() == value)
        #expect(try g.typeName() == value.typeName)
        #expect(try g.isEmpty() == value.isEmpty)
        #expect(try g.envelope() == value.envelope)
    }

    @Test("value → WKB → value and value → WKT → value", arguments: samples.map(\.0))
    func wkbAndWKTRoundTrip(name: String) throws {
        let value = try #require(Self.samples.first { $0.0 == name }?.1)
        let context = try GeometryContext()
        let g = try Geometry(value, context: context)

        let wkb = try g.wkb()
        #expect(!wkb.isEmpty)
        #expect(wkb[0] == 1, "little-endian WKB")
        let fromWKB = try Geometry(wkb: wkb, context: context)
        #expect(try fromWKB.value() == value)
        #expect(try fromWKB.wkb() == wkb)

        let wkt = try g.wkt()
        let fromWKT = try Geometry(wkt: wkt, context: context)
        #expect(try fromWKT.value() == value, "WKT was \(wkt)")
    }

    @Test("WKB crosses tasks and comes back the same")
    func wkbAcrossTasks() async throws {
        let value = GeometryValue.multiPolygon([[squareRing(0, 0, 10), squareRing(2, 2, 2)], [squareRing(20, 0, 5)]])
        let wkb = try Geometry(value, context: GeometryContext()).wkb()
        let back: GeometryValue = try await Task.detached {
            try Geometry(wkb: wkb, context: GeometryContext()).value()
        }.value
        #expect(back == value)
    }

    @Test("WKT with rounding precision and trim")
    func wktFormatting() throws {
        let context = try GeometryContext()
        let g = try Geometry(.point(Position(1.23456, 2)), context: context)
        #expect(try g.wkt(roundingPrecision: 2) == "POINT (1.23 2)")
        #expect(try g.wkt() == "POINT (1.23456 2)")
        #expect(try g.wkt(roundingPrecision: 1, trim: false) == "POINT (1.2 2.0)")
        let empty = try Geometry(.polygon([]), context: context)
        #expect(try empty.wkt() == "POLYGON EMPTY")
    }

    @Test("Areas of known shapes, in CRS units²")
    func areas() throws {
        let context = try GeometryContext()
        #expect(try Geometry(square(0, 0, 10), context: context).area() == 100)
        let withHole = GeometryValue.polygon([squareRing(0, 0, 10), squareRing(1, 1, 2)])
        #expect(try Geometry(withHole, context: context).area() == 96)
        let triangle = GeometryValue.polygon([[Position(0, 0), Position(4, 0), Position(0, 3), Position(0, 0)]])
        #expect(try Geometry(triangle, context: context).area() == 6)
        let multi = GeometryValue.multiPolygon([[squareRing(0, 0, 10)], [squareRing(20, 0, 5)]])
        #expect(try Geometry(multi, context: context).area() == 125)
        // A 1 km square in a metre CRS is 100 ha = 1500 mu.
        let km = try Geometry(square(500_000, 3_000_000, 1000), context: context).area()
        #expect(AreaUnit.hectares(km) == 100)
        #expect(approx(AreaUnit.mu(km), 1500))
        #expect(try Geometry(.lineString([Position(0, 0), Position(5, 5)]), context: context).area() == 0)
        #expect(try Geometry(.polygon([]), context: context).area() == 0)
    }

    @Test("Counts, type names and envelopes")
    func properties() throws {
        let context = try GeometryContext()
        let multi = try Geometry(.multiPolygon([[squareRing(0, 0, 10)], [squareRing(20, -5, 5)]]), context: context)
        #expect(try multi.numGeometries() == 2)
        #expect(try multi.typeName() == "MultiPolygon")
        #expect(try multi.envelope() == Envelope(minX: 0, minY: -5, maxX: 25, maxY: 10))
        let empty = try Geometry(.multiPolygon([]), context: context)
        #expect(try empty.envelope() == nil)
        #expect(try empty.numGeometries() == 0)
        #expect(try Geometry(square(0, 0, 1), context: context).numGeometries() == 1)
    }

    @Test("Building a collection from geometries copies them and checks member types")
    func collections() throws {
        let context = try GeometryContext()
        let a = try Geometry(square(0, 0, 1), context: context)
        let b = try Geometry(square(5, 5, 2), context: context)
        let multi = try Geometry.collection(of: [a, b], as: .multiPolygon, context: context)
        #expect(try multi.value() == .multiPolygon([[squareRing(0, 0, 1)], [squareRing(5, 5, 2)]]))
        // The members are still usable and independently owned.
        #expect(try a.area() == 1)
        #expect(try b.area() == 4)

        let point = try Geometry(.point(Position(1, 1)), context: context)
        let error = #expect(throws: GeometryError.self) {
            try Geometry.collection(of: [a, point], as: .multiPolygon, context: context)
        }
        guard case .input(let problem)? = error else { Issue.record("expected an input error"); return }
        #expect(problem.kind == .wrongMemberType)
        #expect(problem.path == "member 1")

        let mixed = try Geometry.collection(of: [a, point], as: .geometryCollection, context: context)
        #expect(try mixed.numGeometries() == 2)
        let none = try Geometry.collection(of: [], as: .multiPolygon, context: context)
        #expect(try none.isEmpty())
        #expect(try none.typeName() == "MultiPolygon")
    }
}
