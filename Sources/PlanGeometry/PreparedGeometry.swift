import CGEOS

/// A geometry prepared for many fast predicate tests against others (e.g. one zone tested
/// against thousands of parcels). Owns the `GEOSPrepare_r` result, freed once with
/// `GEOSPreparedGeom_destroy_r`, and keeps its base geometry (which GEOS references) alive.
///
/// Not `Sendable`: a prepared geometry builds internal indexes lazily on first use.
public final class PreparedGeometry {
    /// The geometry this was prepared from.
    public let base: Geometry
    private let handle: OpaquePointer
    private var context: GeometryContext { base.context }

    /// Prepares `geometry`. Wraps `GEOSPrepare_r`.
    public init(_ geometry: Geometry) throws {
        base = geometry
        handle = try geometry.context.pointer("GEOSPrepare_r") { GEOSPrepare_r($0, geometry.handle) }
    }

    deinit {
        GEOSPreparedGeom_destroy_r(base.context.handle, handle)
    }

    private func test(_ other: Geometry, _ operation: String, _ body: (GEOSContextHandle_t) -> CChar) throws -> Bool {
        try base.requireSameContext(other)
        return try context.predicate(operation, body)
    }

    /// Same as `base.intersects(other)`. Wraps `GEOSPreparedIntersects_r`.
    public func intersects(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedIntersects_r") { GEOSPreparedIntersects_r($0, handle, other.handle) }
    }

    /// Same as `base.covers(other)`. Wraps `GEOSPreparedCovers_r`.
    public func covers(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedCovers_r") { GEOSPreparedCovers_r($0, handle, other.handle) }
    }

    /// Same as `base.coveredBy(other)`. Wraps `GEOSPreparedCoveredBy_r`.
    public func coveredBy(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedCoveredBy_r") { GEOSPreparedCoveredBy_r($0, handle, other.handle) }
    }

    /// Same as `base.contains(other)`. Wraps `GEOSPreparedContains_r`.
    public func contains(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedContains_r") { GEOSPreparedContains_r($0, handle, other.handle) }
    }

    /// True when `other` lies in the interior of `base`, touching its boundary nowhere
    /// (DE-9IM "T**FF*FF*"). Wraps `GEOSPreparedContainsProperly_r`.
    public func containsProperly(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedContainsProperly_r") { GEOSPreparedContainsProperly_r($0, handle, other.handle) }
    }

    /// Same as `base.disjoint(other)`. Wraps `GEOSPreparedDisjoint_r`.
    public func disjoint(_ other: Geometry) throws -> Bool {
        try test(other, "GEOSPreparedDisjoint_r") { GEOSPreparedDisjoint_r($0, handle, other.handle) }
    }
}

@available(*, unavailable, message: "A prepared geometry belongs to one context and task")
extension PreparedGeometry: Sendable {}

extension Geometry {
    /// This geometry prepared for repeated predicate tests. Wraps `GEOSPrepare_r`.
    public func prepared() throws -> PreparedGeometry {
        try PreparedGeometry(self)
    }
}
