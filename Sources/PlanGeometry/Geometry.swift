import CGEOS
import PlanModel

/// A GEOS geometry (`GEOSGeometry*`) owned by Swift, in the CRS of the data it was built from
/// (GEOS itself has no notion of CRS: all lengths and areas are planar, in CRS units).
///
/// Built from a `GeometryValue`, WKB or WKT; destroyed exactly once (`GEOSGeom_destroy_r`)
/// when the object goes away. It keeps its `GeometryContext` alive and is not `Sendable`:
/// to hand a geometry to another task, send its `value()` or `wkb()`.
public final class Geometry {
    /// The context this geometry was created in; every operation on it runs there.
    public let context: GeometryContext
    let handle: OpaquePointer

    /// Takes ownership of a geometry GEOS just returned.
    init(owning handle: OpaquePointer, context: GeometryContext) {
        self.handle = handle
        self.context = context
    }

    deinit {
        GEOSGeom_destroy_r(context.handle, handle)
    }

    /// Builds a GEOS geometry from a plain value (positions in the value's CRS).
    ///
    /// The value is checked first, so input problems are reported as
    /// `GeometryError.input` (e.g. `.ringNotClosed` with the ring's path) and never reach GEOS.
    /// Wraps `GEOSCoordSeq_copyFromBuffer_r`, `GEOSGeom_createPointFromXY_r`,
    /// `GEOSGeom_createLineString_r`, `GEOSGeom_createLinearRing_r`, `GEOSGeom_createPolygon_r`,
    /// `GEOSGeom_createCollection_r` and the `GEOSGeom_createEmpty*_r` functions.
    public convenience init(_ value: GeometryValue, context: GeometryContext) throws {
        try GeometryBuilder.validate(value, path: [])
        let handle = try GeometryBuilder(context: context).make(value)
        self.init(owning: handle, context: context)
    }

    /// A deep copy in the same context. Wraps `GEOSGeom_clone_r`.
    public func clone() throws -> Geometry {
        let h = try context.pointer("GEOSGeom_clone_r") { GEOSGeom_clone_r($0, handle) }
        return Geometry(owning: h, context: context)
    }

    /// The geometry as a plain `Sendable` value (2D; a LinearRing comes back as a line string).
    /// Wraps `GEOSGeomTypeId_r`, `GEOSGetGeometryN_r`, `GEOSGetExteriorRing_r`,
    /// `GEOSGetInteriorRingN_r`, `GEOSGeom_getCoordSeq_r` and `GEOSCoordSeq_copyToBuffer_r`.
    public func value() throws -> GeometryValue {
        try GeometryReader(context: context).value(of: handle)
    }

    // MARK: - Properties

    /// Planar area in CRS units squared (m² for a projected CRS in metres; 0 for points and
    /// lines). Wraps `GEOSArea_r`.
    public func area() throws -> Double {
        var area = 0.0
        try context.status("GEOSArea_r", failureValue: 0) { GEOSArea_r($0, handle, &area) }
        return area
    }

    /// True when the geometry has no positions. Wraps `GEOSisEmpty_r`.
    public func isEmpty() throws -> Bool {
        try context.predicate("GEOSisEmpty_r") { GEOSisEmpty_r($0, handle) }
    }

    /// The bounding box in the geometry's CRS, or nil for an empty geometry.
    /// Wraps `GEOSGeom_getExtent_r` (which fails on empty input, so emptiness is checked first).
    public func envelope() throws -> Envelope? {
        if try isEmpty() { return nil }
        var box = Envelope.empty
        try context.status("GEOSGeom_getExtent_r", failureValue: 0) {
            GEOSGeom_getExtent_r($0, handle, &box.minX, &box.minY, &box.maxX, &box.maxY)
        }
        return box
    }

    /// The GEOS type name: "Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
    /// "MultiLineString", "MultiPolygon" or "GeometryCollection". Wraps `GEOSGeomType_r`
    /// (the returned string is freed with `GEOSFree_r`).
    public func typeName() throws -> String {
        let s = try context.pointer("GEOSGeomType_r") { GEOSGeomType_r($0, handle) }
        defer { GEOSFree_r(context.handle, s) }
        return String(cString: s)
    }

    /// Number of member geometries (1 for a non-collection). Wraps `GEOSGetNumGeometries_r`.
    public func numGeometries() throws -> Int {
        Int(try context.status("GEOSGetNumGeometries_r", failureValue: -1) { GEOSGetNumGeometries_r($0, handle) })
    }

    /// The GEOS type id (`GEOSGeomTypes`). Wraps `GEOSGeomTypeId_r`.
    func typeID() throws -> Int32 {
        try context.status("GEOSGeomTypeId_r", failureValue: -1) { GEOSGeomTypeId_r($0, handle) }
    }

    /// Throws an input error unless `other` lives in this geometry's context.
    func requireSameContext(_ other: Geometry) throws {
        guard other.context === context else {
            throw GeometryError.input(GeometryInputProblem(kind: .differentContexts))
        }
    }
}

@available(*, unavailable, message: "A GEOS geometry belongs to one context; send value() or wkb() instead")
extension Geometry: Sendable {}

// MARK: - Collections

/// The collection type to build with ``Geometry/collection(of:as:context:)``.
public enum CollectionType: Sendable, Hashable {
    case multiPoint, multiLineString, multiPolygon, geometryCollection

    var geosType: Int32 {
        switch self {
        case .multiPoint: Int32(GEOS_MULTIPOINT.rawValue)
        case .multiLineString: Int32(GEOS_MULTILINESTRING.rawValue)
        case .multiPolygon: Int32(GEOS_MULTIPOLYGON.rawValue)
        case .geometryCollection: Int32(GEOS_GEOMETRYCOLLECTION.rawValue)
        }
    }

    /// GEOS type ids a member may have (GEOS 3.11 does not check this itself).
    func accepts(_ typeID: Int32) -> Bool {
        switch self {
        case .multiPoint: typeID == Int32(GEOS_POINT.rawValue)
        case .multiLineString: typeID == Int32(GEOS_LINESTRING.rawValue) || typeID == Int32(GEOS_LINEARRING.rawValue)
        case .multiPolygon: typeID == Int32(GEOS_POLYGON.rawValue)
        case .geometryCollection: true
        }
    }
}

extension Geometry {
    /// A new collection holding copies of `members` (the members stay usable and are still
    /// owned by their `Geometry` objects). Multi* types check that each member has the right
    /// type. Wraps `GEOSGeom_clone_r` and `GEOSGeom_createCollection_r`.
    public static func collection(
        of members: [Geometry], as type: CollectionType, context: GeometryContext
    ) throws -> Geometry {
        for (i, m) in members.enumerated() {
            guard m.context === context else {
                throw GeometryError.input(GeometryInputProblem(kind: .differentContexts, path: "member \(i)"))
            }
            let id = try m.typeID()
            guard type.accepts(id) else {
                throw GeometryError.input(GeometryInputProblem(
                    kind: .wrongMemberType, path: "member \(i)", detail: "\(try m.typeName()) in \(type)"))
            }
        }
        var clones: [OpaquePointer] = []
        clones.reserveCapacity(members.count)
        do {
            for m in members {
                clones.append(try context.pointer("GEOSGeom_clone_r") { GEOSGeom_clone_r($0, m.handle) })
            }
        } catch {
            for c in clones { GEOSGeom_destroy_r(context.handle, c) }
            throw error
        }
        let h = try GeometryBuilder(context: context).collection(type.geosType, taking: clones)
        return Geometry(owning: h, context: context)
    }
}
