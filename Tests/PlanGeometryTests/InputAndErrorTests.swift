import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Input errors and GEOS error capture")
struct InputAndErrorTests {
    func inputProblem(_ value: GeometryValue) throws -> GeometryInputProblem? {
        let context = try GeometryContext()
        do {
            _ = try Geometry(value, context: context)
            return nil
        } catch GeometryError.input(let problem) {
            return problem
        }
    }

    @Test("An unclosed ring is an input error that names the ring")
    func unclosedRing() throws {
        let open: PositionList = [Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10)]
        let problem = try #require(try inputProblem(.multiPolygon([[squareRing(20, 20, 1)], [squareRing(0, 0, 10), open]])))
        #expect(problem.kind == .ringNotClosed)
        #expect(problem.path == "polygon 1, ring 1")
        #expect(problem.location == Position(0, 0))
        #expect(problem.problemKind == .ringNotClosed)
        #expect(GeometryError.input(problem).description.contains("polygon 1, ring 1: ring is not closed"))
    }

    @Test("Other input problems are caught before GEOS sees them")
    func otherInputProblems() throws {
        #expect(try inputProblem(.polygon([[Position(0, 0), Position(1, 0), Position(0, 0)]]))?.kind == .ringTooFewPoints)
        #expect(try inputProblem(.lineString([Position(0, 0)]))?.kind == .lineTooFewPoints)
        #expect(try inputProblem(.point(Position(.nan, 0)))?.kind == .nonFiniteCoordinate)
        #expect(try inputProblem(.polygon([[], squareRing(0, 0, 1)]))?.kind == .emptyExteriorRing)
        let nested = GeometryValue.geometryCollection([.point(Position(0, 0)), .multiLineString([[Position(0, 0), Position(.infinity, 1)]])])
        let problem = try #require(try inputProblem(nested))
        #expect(problem.kind == .nonFiniteCoordinate)
        #expect(problem.path == "member 1, line 0")
        #expect(try inputProblem(square(0, 0, 1)) == nil)
    }

    @Test("Input errors and library errors are different cases")
    func distinctCases() throws {
        let context = try GeometryContext()
        do {
            _ = try Geometry(wkt: "POLYGON((0 0, 1 0", context: context)
            Issue.record("parse should fail")
        } catch GeometryError.library(let operation, let message) {
            #expect(operation == "GEOSWKTReader_read_r")
            #expect(!message.isEmpty)
        }
    }

    @Test("A failing WKT parse reports its own context's message; other contexts and later calls see none")
    func errorCapturePerContext() throws {
        let a = try GeometryContext()
        let b = try GeometryContext()
        let onB = try Geometry(wkt: "POINT (1 2)", context: b)

        let error = #expect(throws: GeometryError.self) { try Geometry(wkt: "POLYGON((0 0, 1 0, nonsense))", context: a) }
        guard case .library(let operation, let message)? = error else { Issue.record("expected a library error"); return }
        #expect(operation == "GEOSWKTReader_read_r")
        #expect(message.contains("ParseException"), "message: \(message)")
        #expect(a.lastErrorMessage == message)
        #expect(b.lastErrorMessage == nil)

        // A failure in b carries b's message, not a's.
        let errorB = #expect(throws: GeometryError.self) { try Geometry(wkt: "LINESTRING(0 0, 1)", context: b) }
        guard case .library(_, let messageB)? = errorB else { Issue.record("expected a library error"); return }
        #expect(messageB != message)
        #expect(a.lastErrorMessage == message)

        // The next successful call on each context starts clean.
        let ok = try Geometry(wkt: "POINT (3 4)", context: a)
        #expect(a.lastErrorMessage == nil)
        #expect(try ok.value() == .point(Position(3, 4)))
        #expect(try onB.value() == .point(Position(1, 2)))
        #expect(b.lastErrorMessage == nil)
    }

    @Test("Bad WKB is a library error with GEOS's message")
    func badWKB() throws {
        let context = try GeometryContext()
        for bytes: [UInt8] in [[], [1, 3, 0, 0], [9, 9, 9, 9, 9, 9, 9, 9, 9]] {
            let error = #expect(throws: GeometryError.self) { try Geometry(wkb: bytes, context: context) }
            guard case .library(let operation, let message)? = error else { Issue.record("expected a library error"); continue }
            #expect(operation == "GEOSWKBReader_read_r")
            #expect(!message.isEmpty)
        }
    }

    @Test("A legitimate NULL (location of a valid geometry) is not an error")
    func legitimateNull() throws {
        let context = try GeometryContext()
        let v = try Geometry(square(0, 0, 1), context: context).validity()
        #expect(v.isValid)
        #expect(v.location == nil)
        #expect(v.reason == "Valid Geometry")
        #expect(context.lastErrorMessage == nil)
        // An empty geometry's extent is nil, not a failure of GEOSGeom_getExtent_r.
        #expect(try Geometry(.polygon([]), context: context).envelope() == nil)
    }

    @Test("Geometries from different contexts are not mixed")
    func differentContexts() throws {
        let a = try Geometry(square(0, 0, 1), context: GeometryContext())
        let b = try Geometry(square(0, 0, 1), context: GeometryContext())
        let error = #expect(throws: GeometryError.self) { try a.intersection(with: b) }
        #expect(error == .input(GeometryInputProblem(kind: .differentContexts)))
    }
}

@Suite("Ownership handed to GEOS")
struct OwnershipTests {
    /// GEOS 3.11.1 deletes the members of a collection it fails to build; the builder must not
    /// free them again (ASan would report a double free) and they must not leak (LeakSanitizer).
    @Test("A failed createCollection takes its members, and we do not free them again")
    func failedCollectionTakesMembers() throws {
        let context = try GeometryContext()
        let builder = GeometryBuilder(context: context)
        let point = try builder.make(.point(Position(1, 2)))  // an owned GEOSGeometry*
        let error = #expect(throws: GeometryError.self) {
            try builder.collection(99, taking: [point])
        }
        guard case .library(let operation, let message)? = error else { Issue.record("expected a library error"); return }
        #expect(operation == "GEOSGeom_createCollection_r")
        #expect(message.contains("Unsupported type"))
        // The context still works afterwards.
        #expect(try Geometry(wkt: "POINT (1 2)", context: context).value() == .point(Position(1, 2)))
    }
}
