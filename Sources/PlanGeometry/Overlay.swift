import CGEOS
import PlanModel

// Overlay operations (OverlayNG, GEOS's default since 3.9). All results are new geometries in
// the same context and CRS. With `gridSize`, GEOS snaps every input and output coordinate to a
// grid of that size (in CRS units, e.g. 0.001 for millimetres in a metre CRS), which makes
// the overlay robust and removes slivers smaller than the grid.

extension Geometry {
    private func binary(
        _ other: Geometry, _ operation: String, _ body: (GEOSContextHandle_t) -> OpaquePointer?
    ) throws -> Geometry {
        try requireSameContext(other)
        return Geometry(owning: try context.pointer(operation, body), context: context)
    }

    /// The part of this geometry that is also in `other`.
    /// Wraps `GEOSIntersection_r`, or `GEOSIntersectionPrec_r` when `gridSize` (CRS units) is given.
    public func intersection(with other: Geometry, gridSize: Double? = nil) throws -> Geometry {
        if let gridSize {
            return try binary(other, "GEOSIntersectionPrec_r") { GEOSIntersectionPrec_r($0, handle, other.handle, gridSize) }
        }
        return try binary(other, "GEOSIntersection_r") { GEOSIntersection_r($0, handle, other.handle) }
    }

    /// The part of this geometry that is not in `other`.
    /// Wraps `GEOSDifference_r`, or `GEOSDifferencePrec_r` when `gridSize` (CRS units) is given.
    public func difference(with other: Geometry, gridSize: Double? = nil) throws -> Geometry {
        if let gridSize {
            return try binary(other, "GEOSDifferencePrec_r") { GEOSDifferencePrec_r($0, handle, other.handle, gridSize) }
        }
        return try binary(other, "GEOSDifference_r") { GEOSDifference_r($0, handle, other.handle) }
    }

    /// Everything in this geometry or in `other`, dissolved.
    /// Wraps `GEOSUnion_r`, or `GEOSUnionPrec_r` when `gridSize` (CRS units) is given.
    public func union(with other: Geometry, gridSize: Double? = nil) throws -> Geometry {
        if let gridSize {
            return try binary(other, "GEOSUnionPrec_r") { GEOSUnionPrec_r($0, handle, other.handle, gridSize) }
        }
        return try binary(other, "GEOSUnion_r") { GEOSUnion_r($0, handle, other.handle) }
    }

    /// This geometry's parts dissolved into one (e.g. overlapping polygons of a collection
    /// merged). Wraps `GEOSUnaryUnion_r`, or `GEOSUnaryUnionPrec_r` when `gridSize` (CRS units)
    /// is given.
    ///
    /// GEOS 3.11.1's `GEOSUnaryUnionPrec_r` returns a lone polygon (a Polygon, or a MultiPolygon
    /// with one part) without snapping it to the grid, because its cascaded polygon union skips
    /// single inputs. So that every result of a grid-size overlay is on the grid, those inputs
    /// are unioned with an empty polygon through `GEOSUnionPrec_r` instead, which snaps.
    public func unaryUnion(gridSize: Double? = nil) throws -> Geometry {
        let h: OpaquePointer
        if let gridSize {
            let type = try typeID()
            let lonePolygon = try type == Int32(GEOS_POLYGON.rawValue)
                || (type == Int32(GEOS_MULTIPOLYGON.rawValue) && numGeometries() <= 1)
            if lonePolygon {
                let empty = Geometry(
                    owning: try context.pointer("GEOSGeom_createEmptyPolygon_r") { GEOSGeom_createEmptyPolygon_r($0) },
                    context: context)
                h = try context.pointer("GEOSUnionPrec_r") { GEOSUnionPrec_r($0, handle, empty.handle, gridSize) }
            } else {
                h = try context.pointer("GEOSUnaryUnionPrec_r") { GEOSUnaryUnionPrec_r($0, handle, gridSize) }
            }
        } else {
            h = try context.pointer("GEOSUnaryUnion_r") { GEOSUnaryUnion_r($0, handle) }
        }
        return Geometry(owning: h, context: context)
    }

    /// Union of a polygonal coverage: this geometry must be a collection (e.g. MultiPolygon) of
    /// polygons that do not overlap and share edges exactly (like parcels of a plan). Much faster
    /// than `unaryUnion()`, but the result is undefined for input that is not a coverage.
    /// Wraps `GEOSCoverageUnion_r` (which has no grid-size variant).
    public func coverageUnion() throws -> Geometry {
        Geometry(owning: try context.pointer("GEOSCoverageUnion_r") { GEOSCoverageUnion_r($0, handle) }, context: context)
    }

    /// Union of a polygonal coverage given as separate polygons: builds a GeometryCollection of
    /// copies of `polygons` and calls `coverageUnion()`. Wraps `GEOSGeom_createCollection_r`
    /// and `GEOSCoverageUnion_r`.
    public static func coverageUnion(of polygons: [Geometry], context: GeometryContext) throws -> Geometry {
        try collection(of: polygons, as: .geometryCollection, context: context).coverageUnion()
    }

    /// Union of several geometries: builds a GeometryCollection of copies of `geometries` and
    /// dissolves it. Wraps `GEOSGeom_createCollection_r` and `GEOSUnaryUnion_r` /
    /// `GEOSUnaryUnionPrec_r`.
    public static func unaryUnion(of geometries: [Geometry], gridSize: Double? = nil, context: GeometryContext) throws -> Geometry {
        try collection(of: geometries, as: .geometryCollection, context: context).unaryUnion(gridSize: gridSize)
    }

    // MARK: - Predicates (unprepared)

    private func test(_ other: Geometry, _ operation: String, _ body: (GEOSContextHandle_t) -> CChar) throws -> Bool {
        try requireSameContext(other)
        return try context.predicate(operation, body)
    }

    /// True when the two geometries share any point. Wraps `GEOSIntersects_r`.
    public func intersects(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSIntersects_r") { GEOSIntersects_r($0, handle, other.handle) }
    }

    /// True when they share no point. Wraps `GEOSDisjoint_r`.
    public func disjoint(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSDisjoint_r") { GEOSDisjoint_r($0, handle, other.handle) }
    }

    /// True when `other` lies in this geometry and their interiors meet. Wraps `GEOSContains_r`.
    public func contains(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSContains_r") { GEOSContains_r($0, handle, other.handle) }
    }

    /// True when no point of `other` lies outside this geometry. Wraps `GEOSCovers_r`.
    public func covers(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSCovers_r") { GEOSCovers_r($0, handle, other.handle) }
    }

    /// True when no point of this geometry lies outside `other`. Wraps `GEOSCoveredBy_r`.
    public func coveredBy(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSCoveredBy_r") { GEOSCoveredBy_r($0, handle, other.handle) }
    }

    /// True when the DE-9IM relation of this geometry to `other` matches `pattern`
    /// (e.g. "T**FF*FF*" for contains-properly). Wraps `GEOSRelatePattern_r`.
    public func relates(_ other: Geometry, pattern: String) throws -> Bool {
        try test(other, "GEOSRelatePattern_r") { GEOSRelatePattern_r($0, handle, other.handle, pattern) }
    }

    /// True when the two are the same point set. Wraps `GEOSEquals_r`.
    public func topologicallyEquals(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSEquals_r") { GEOSEquals_r($0, handle, other.handle) }
    }
}
