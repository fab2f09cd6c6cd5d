import CGEOS
import PlanModel

// Converting between `GeometryValue` and GEOS geometries.
//
// Ownership rules (GEOS 3.11.1, checked on this machine with valgrind and ASan):
// - `GEOSGeom_createLineString_r` / `createLinearRing_r` take the coordinate sequence.
// - `GEOSGeom_createPolygon_r` and `GEOSGeom_createCollection_r` take their member geometries
//   *whether they succeed or fail*: on failure (e.g. "Shell is not a LinearRing") GEOS has already
//   deleted them, so the caller must not destroy them again. (Older GEOS, before trac #1111,
//   left them with the caller.) The builder therefore never hands GEOS anything it could
//   reject: rings are checked first, and members are destroyed by us only before the call.
// - `GEOSGeom_createCollection_r` in 3.11 does not check member types (a Point inside a
//   MultiPolygon is accepted), so callers check them.

/// `Position` is read and written by GEOS as two packed doubles (x, y).
private let positionLayoutIsPackedXY: Bool =
    MemoryLayout<Position>.size == 2 * MemoryLayout<Double>.size
    && MemoryLayout<Position>.stride == 2 * MemoryLayout<Double>.stride
    && MemoryLayout<Position>.offset(of: \.x) == 0
    && MemoryLayout<Position>.offset(of: \.y) == MemoryLayout<Double>.stride

struct GeometryBuilder {
    let context: GeometryContext

    // MARK: Validation (no GEOS calls)

    private static func where_(_ path: [String]) -> String { path.joined(separator: ", ") }

    private static func checkFinite(_ positions: [Position], path: [String]) throws {
        if let bad = positions.first(where: { !$0.x.isFinite || !$0.y.isFinite }) {
            throw GeometryError.input(GeometryInputProblem(
                kind: .nonFiniteCoordinate, path: where_(path), detail: "(\(bad.x), \(bad.y))"))
        }
    }

    private static func checkCount(_ n: Int, path: [String]) throws {
        if n >= Int(UInt32.max) {
            throw GeometryError.input(GeometryInputProblem(kind: .tooLarge, path: where_(path), detail: "\(n)"))
        }
    }

    private static func checkLine(_ line: PositionList, path: [String]) throws {
        try checkFinite(line, path: path)
        try checkCount(line.count, path: path)
        if line.count == 1 {
            throw GeometryError.input(GeometryInputProblem(
                kind: .lineTooFewPoints, path: where_(path), location: line[0], detail: "1 position"))
        }
    }

    private static func checkPolygon(_ rings: PolygonRings, path: [String]) throws {
        if rings.allSatisfy(\.isEmpty) { return }  // an empty polygon
        try checkCount(rings.count, path: path)
        if rings[0].isEmpty {
            throw GeometryError.input(GeometryInputProblem(kind: .emptyExteriorRing, path: where_(path)))
        }
        for (i, ring) in rings.enumerated() {
            let p = path + ["ring \(i)"]
            try checkFinite(ring, path: p)
            try checkCount(ring.count, path: p)
            if ring.count >= 2, ring.first != ring.last {
                let first = ring.first!, last = ring.last!
                throw GeometryError.input(GeometryInputProblem(
                    kind: .ringNotClosed, path: where_(p), location: first,
                    detail: "first (\(first.x), \(first.y)), last (\(last.x), \(last.y))"))
            }
            if ring.count < 4 {
                throw GeometryError.input(GeometryInputProblem(
                    kind: .ringTooFewPoints, path: where_(p), location: ring.first,
                    detail: "\(ring.count) positions"))
            }
        }
    }

    /// Checks everything GEOS would reject while building, so building never fails on input.
    static func validate(_ value: GeometryValue, path: [String]) throws {
        switch value {
        case .point(let p):
            if let p { try checkFinite([p], path: path) }
        case .lineString(let line):
            try checkLine(line, path: path)
        case .polygon(let rings):
            try checkPolygon(rings, path: path)
        case .multiPoint(let ps):
            try checkCount(ps.count, path: path)
            try checkFinite(ps, path: path)
        case .multiLineString(let lines):
            try checkCount(lines.count, path: path)
            for (i, l) in lines.enumerated() { try checkLine(l, path: path + ["line \(i)"]) }
        case .multiPolygon(let polys):
            try checkCount(polys.count, path: path)
            for (i, p) in polys.enumerated() { try checkPolygon(p, path: path + ["polygon \(i)"]) }
        case .geometryCollection(let members):
            try checkCount(members.count, path: path)
            for (i, m) in members.enumerated() { try validate(m, path: path + ["member \(i)"]) }
        }
    }

    // MARK: Building (returns an owned GEOSGeometry*)

    /// A coordinate sequence copied from the positions' memory. Wraps `GEOSCoordSeq_copyFromBuffer_r`.
    private func sequence(_ positions: [Position]) throws -> OpaquePointer {
        precondition(positionLayoutIsPackedXY, "Position is no longer two packed doubles")
        return try positions.withUnsafeBufferPointer { buffer in
            try UnsafeRawBufferPointer(buffer).withMemoryRebound(to: Double.self) { doubles in
                try context.pointer("GEOSCoordSeq_copyFromBuffer_r") {
                    GEOSCoordSeq_copyFromBuffer_r($0, doubles.baseAddress, UInt32(positions.count), 0, 0)
                }
            }
        }
    }

    private func point(_ p: Position?) throws -> OpaquePointer {
        if let p {
            return try context.pointer("GEOSGeom_createPointFromXY_r") { GEOSGeom_createPointFromXY_r($0, p.x, p.y) }
        }
        return try context.pointer("GEOSGeom_createEmptyPoint_r") { GEOSGeom_createEmptyPoint_r($0) }
    }

    private func line(_ positions: PositionList) throws -> OpaquePointer {
        if positions.isEmpty {
            return try context.pointer("GEOSGeom_createEmptyLineString_r") { GEOSGeom_createEmptyLineString_r($0) }
        }
        let seq = try sequence(positions)
        // Takes the sequence, success or failure.
        return try context.pointer("GEOSGeom_createLineString_r") { GEOSGeom_createLineString_r($0, seq) }
    }

    private func ring(_ positions: PositionList) throws -> OpaquePointer {
        let seq = try sequence(positions)
        return try context.pointer("GEOSGeom_createLinearRing_r") { GEOSGeom_createLinearRing_r($0, seq) }
    }

    private func polygon(_ rings: PolygonRings) throws -> OpaquePointer {
        if rings.allSatisfy(\.isEmpty) {
            return try context.pointer("GEOSGeom_createEmptyPolygon_r") { GEOSGeom_createEmptyPolygon_r($0) }
        }
        // Rings are ours until createPolygon is called; free them if building one fails.
        var made: [OpaquePointer] = []
        made.reserveCapacity(rings.count)
        do {
            for r in rings { made.append(try ring(r)) }
        } catch {
            for g in made { GEOSGeom_destroy_r(context.handle, g) }
            throw error
        }
        let shell = made[0]
        var holes = Array(made.dropFirst()) as [OpaquePointer?]
        // From here GEOS owns shell and holes, whether the call succeeds or not.
        return try holes.withUnsafeMutableBufferPointer { holesBuffer in
            try context.pointer("GEOSGeom_createPolygon_r") {
                GEOSGeom_createPolygon_r($0, shell, holesBuffer.baseAddress, UInt32(holesBuffer.count))
            }
        }
    }

    /// A collection that takes `members` (GEOS owns them after this call, even if it fails).
    /// Wraps `GEOSGeom_createCollection_r`.
    func collection(_ type: Int32, taking members: [OpaquePointer]) throws -> OpaquePointer {
        if members.isEmpty {
            return try context.pointer("GEOSGeom_createEmptyCollection_r") { GEOSGeom_createEmptyCollection_r($0, type) }
        }
        var array = members as [OpaquePointer?]
        return try array.withUnsafeMutableBufferPointer { buffer in
            try context.pointer("GEOSGeom_createCollection_r") {
                GEOSGeom_createCollection_r($0, type, buffer.baseAddress, UInt32(buffer.count))
            }
        }
    }

    /// Builds each member, freeing those already built if one fails, then the collection.
    private func collection<T>(_ type: GEOSGeomTypes, _ items: [T], _ make: (T) throws -> OpaquePointer) throws -> OpaquePointer {
        var made: [OpaquePointer] = []
        made.reserveCapacity(items.count)
        do {
            for item in items { made.append(try make(item)) }
        } catch {
            for g in made { GEOSGeom_destroy_r(context.handle, g) }
            throw error
        }
        return try collection(Int32(type.rawValue), taking: made)
    }

    /// An owned GEOS geometry for a value that has passed `validate`.
    func make(_ value: GeometryValue) throws -> OpaquePointer {
        switch value {
        case .point(let p): try point(p)
        case .lineString(let l): try line(l)
        case .polygon(let rings): try polygon(rings)
        case .multiPoint(let ps): try collection(GEOS_MULTIPOINT, ps) { try point($0) }
        case .multiLineString(let ls): try collection(GEOS_MULTILINESTRING, ls) { try line($0) }
        case .multiPolygon(let polys): try collection(GEOS_MULTIPOLYGON, polys) { try polygon($0) }
        case .geometryCollection(let gs): try collection(GEOS_GEOMETRYCOLLECTION, gs) { try make($0) }
        }
    }
}

/// Reads borrowed GEOS geometries back into values.
struct GeometryReader {
    let context: GeometryContext

    /// Positions of a Point, LineString or LinearRing. Wraps `GEOSGeom_getCoordSeq_r`,
    /// `GEOSCoordSeq_getSize_r` and `GEOSCoordSeq_copyToBuffer_r`.
    func positions(of g: OpaquePointer) throws -> [Position] {
        precondition(positionLayoutIsPackedXY, "Position is no longer two packed doubles")
        if try context.predicate("GEOSisEmpty_r", { GEOSisEmpty_r($0, g) }) { return [] }
        let seq = try context.pointer("GEOSGeom_getCoordSeq_r") { GEOSGeom_getCoordSeq_r($0, g) }
        var size: UInt32 = 0
        try context.status("GEOSCoordSeq_getSize_r", failureValue: 0) { GEOSCoordSeq_getSize_r($0, seq, &size) }
        var result = [Position](repeating: Position(0, 0), count: Int(size))
        _ = try result.withUnsafeMutableBufferPointer { buffer in
            try UnsafeMutableRawBufferPointer(buffer).withMemoryRebound(to: Double.self) { doubles in
                try context.status("GEOSCoordSeq_copyToBuffer_r", failureValue: 0) {
                    GEOSCoordSeq_copyToBuffer_r($0, seq, doubles.baseAddress, 0, 0)
                }
            }
        }
        return result
    }

    private func member(_ g: OpaquePointer, _ i: Int32) throws -> OpaquePointer {
        try context.pointer("GEOSGetGeometryN_r") { GEOSGetGeometryN_r($0, g, i) }
    }

    private func members(_ g: OpaquePointer) throws -> [OpaquePointer] {
        let n = try context.status("GEOSGetNumGeometries_r", failureValue: -1) { GEOSGetNumGeometries_r($0, g) }
        return try (0..<n).map { try member(g, $0) }
    }

    func rings(of polygon: OpaquePointer) throws -> PolygonRings {
        if try context.predicate("GEOSisEmpty_r", { GEOSisEmpty_r($0, polygon) }) { return [] }
        let shell = try context.pointer("GEOSGetExteriorRing_r") { GEOSGetExteriorRing_r($0, polygon) }
        let n = try context.status("GEOSGetNumInteriorRings_r", failureValue: -1) { GEOSGetNumInteriorRings_r($0, polygon) }
        var rings = [try positions(of: shell)]
        for i in 0..<n {
            let hole = try context.pointer("GEOSGetInteriorRingN_r") { GEOSGetInteriorRingN_r($0, polygon, i) }
            rings.append(try positions(of: hole))
        }
        return rings
    }

    func value(of g: OpaquePointer) throws -> GeometryValue {
        let type = try context.status("GEOSGeomTypeId_r", failureValue: -1) { GEOSGeomTypeId_r($0, g) }
        switch type {
        case Int32(GEOS_POINT.rawValue):
            return .point(try positions(of: g).first)
        case Int32(GEOS_LINESTRING.rawValue), Int32(GEOS_LINEARRING.rawValue):
            return .lineString(try positions(of: g))
        case Int32(GEOS_POLYGON.rawValue):
            return .polygon(try rings(of: g))
        case Int32(GEOS_MULTIPOINT.rawValue):
            return .multiPoint(try members(g).map { m in
                guard let p = try positions(of: m).first else {
                    throw GeometryError.unrepresentable("a MultiPoint with an empty member point")
                }
                return p
            })
        case Int32(GEOS_MULTILINESTRING.rawValue):
            return .multiLineString(try members(g).map { try positions(of: $0) })
        case Int32(GEOS_MULTIPOLYGON.rawValue):
            return .multiPolygon(try members(g).map { try rings(of: $0) })
        case Int32(GEOS_GEOMETRYCOLLECTION.rawValue):
            return .geometryCollection(try members(g).map { try value(of: $0) })
        default:
            throw GeometryError.unrepresentable("GEOS geometry type id \(type)")
        }
    }
}
