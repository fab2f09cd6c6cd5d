import CGEOS
import PlanModel

/// Whether a geometry is valid in the OGC sense, and if not, why and where.
public struct Validity: Sendable, Hashable {
    /// True when GEOS finds the geometry valid.
    public var isValid: Bool
    /// GEOS's reason, e.g. "Self-intersection" or "Ring Self-intersection";
    /// "Valid Geometry" when valid.
    public var reason: String
    /// Where the problem is, in the geometry's CRS, when GEOS gives a location.
    public var location: Position?

    /// A validity result as given.
    public init(isValid: Bool, reason: String, location: Position?) {
        self.isValid = isValid
        self.reason = reason
        self.location = location
    }

    /// The problem to report for feature `id`, or nil when the geometry is valid.
    public func problem(featureID id: FeatureID) -> FeatureProblem? {
        isValid ? nil : FeatureProblem(featureID: id, kind: .invalidPolygon, reason: reason, location: location)
    }
}

/// The outcome of ``Geometry/makeValid()``: the repaired polygonal geometry and what changed.
///
/// Not `Sendable`, because it holds a `Geometry`; send ``summary`` (and the geometry's value
/// or WKB) to other tasks.
public struct Repair {
    /// The repaired geometry, Polygon or MultiPolygon only (possibly empty).
    public var geometry: Geometry
    /// What the repair did, as plain values.
    public var summary: RepairSummary
}

@available(*, unavailable, message: "Repair holds a Geometry; send summary and geometry.value() instead")
extension Repair: Sendable {}

/// What a repair changed, in the geometry's CRS units.
public struct RepairSummary: Sendable, Hashable {
    /// Whether the input was valid before repair.
    public var wasValid: Bool
    /// Planar area before and after, in CRS units² (GEOS measures an invalid polygon's rings
    /// as given, so a bow-tie can measure 0 before repair).
    public var areaBefore: Double
    /// Planar area of the repaired polygonal geometry, in CRS units².
    public var areaAfter: Double
    /// GEOS type name before repair, e.g. "Polygon".
    public var typeBefore: String
    /// GEOS type name after repair: "Polygon" or "MultiPolygon".
    public var typeAfter: String
    /// Points and lines that the repair produced (collapsed parts) or the input had, and that
    /// were dropped because a plan layer keeps polygons only. Each point or line counts once.
    public var droppedLowerDimensionParts: Int

    /// True when the repaired geometry has a different type from the input.
    public var typeChanged: Bool { typeBefore != typeAfter }
    /// True when anything changed that a planner should be told about.
    public var changed: Bool { !wasValid || typeChanged || droppedLowerDimensionParts > 0 }
}

extension Geometry {
    /// Checks OGC validity. Wraps `GEOSisValidDetail_r` (flags 0); the reason string is freed with
    /// `GEOSFree_r` and the location point destroyed with `GEOSGeom_destroy_r`. For a valid
    /// geometry GEOS returns no reason and no location, which is not an error.
    public func validity() throws -> Validity {
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let valid = try context.predicate("GEOSisValidDetail_r") {
            GEOSisValidDetail_r($0, handle, 0, &reason, &location)
        }
        defer {
            if let reason { GEOSFree_r(context.handle, reason) }
            if let location { GEOSGeom_destroy_r(context.handle, location) }
        }
        var position: Position?
        if let location {
            position = try GeometryReader(context: context).positions(of: location).first
        }
        let text = reason.map { String(cString: $0) } ?? (valid ? "Valid Geometry" : "Invalid Geometry")
        return Validity(isValid: valid, reason: text, location: position)
    }

    /// Repairs the geometry and keeps only its polygonal parts.
    ///
    /// Wraps `GEOSMakeValidWithParams_r` with method `GEOS_MAKE_VALID_STRUCTURE` and
    /// keepCollapsed 0 (`GEOSMakeValidParams_create_r`, `_setMethod_r`, `_setKeepCollapsed_r`),
    /// then flattens collections and drops points and lines (counted in the summary). A bow-tie
    /// polygon becomes a MultiPolygon of both lobes. The result keeps the input's type where it
    /// can: a MultiPolygon stays a MultiPolygon; a Polygon stays a Polygon unless repair split it.
    /// Areas are planar, in CRS units².
    public func makeValid() throws -> Repair {
        let before = try validity()
        let areaBefore = try area()
        let typeBefore = try typeName()

        let params = try context.pointer("GEOSMakeValidParams_create_r") { GEOSMakeValidParams_create_r($0) }
        defer { GEOSMakeValidParams_destroy_r(context.handle, params) }
        try context.status("GEOSMakeValidParams_setMethod_r", failureValue: 0) {
            GEOSMakeValidParams_setMethod_r($0, params, GEOS_MAKE_VALID_STRUCTURE)
        }
        try context.status("GEOSMakeValidParams_setKeepCollapsed_r", failureValue: 0) {
            GEOSMakeValidParams_setKeepCollapsed_r($0, params, 0)
        }
        let repairedHandle = try context.pointer("GEOSMakeValidWithParams_r") {
            GEOSMakeValidWithParams_r($0, handle, params)
        }
        let repaired = Geometry(owning: repairedHandle, context: context)
        let preferMulti = typeBefore == "MultiPolygon"
        let (polygonal, dropped) = try repaired.polygonalParts(preferMulti: preferMulti)
        let summary = RepairSummary(
            wasValid: before.isValid, areaBefore: areaBefore, areaAfter: try polygonal.area(),
            typeBefore: typeBefore, typeAfter: try polygonal.typeName(), droppedLowerDimensionParts: dropped)
        return Repair(geometry: polygonal, summary: summary)
    }

    /// The polygons inside this geometry, collections flattened, as one Polygon (when there is
    /// exactly one) or MultiPolygon (otherwise, possibly empty), plus the number of point and
    /// line parts left out. No repair is done; parts that overlap are unioned
    /// (`GEOSUnaryUnion_r`) so the MultiPolygon is valid when its parts are.
    /// Wraps `GEOSGetGeometryN_r`, `GEOSGeom_clone_r` and `GEOSGeom_createCollection_r`.
    public func polygonalParts() throws -> (polygonal: Geometry, droppedLowerDimensionParts: Int) {
        try polygonalParts(preferMulti: false)
    }

    func polygonalParts(preferMulti: Bool) throws -> (polygonal: Geometry, droppedLowerDimensionParts: Int) {
        var polygons: [OpaquePointer] = []  // borrowed from self
        var dropped = 0
        var fromSeveralMembers = false
        func walk(_ g: OpaquePointer) throws {
            let type = try context.status("GEOSGeomTypeId_r", failureValue: -1) { GEOSGeomTypeId_r($0, g) }
            switch type {
            case Int32(GEOS_POLYGON.rawValue):
                if !(try context.predicate("GEOSisEmpty_r") { GEOSisEmpty_r($0, g) }) { polygons.append(g) }
            case Int32(GEOS_MULTIPOLYGON.rawValue), Int32(GEOS_GEOMETRYCOLLECTION.rawValue),
                 Int32(GEOS_MULTIPOINT.rawValue), Int32(GEOS_MULTILINESTRING.rawValue):
                let n = try context.status("GEOSGetNumGeometries_r", failureValue: -1) { GEOSGetNumGeometries_r($0, g) }
                if type == Int32(GEOS_GEOMETRYCOLLECTION.rawValue), n > 1 { fromSeveralMembers = true }
                for i in 0..<n {
                    let m = try context.pointer("GEOSGetGeometryN_r") { GEOSGetGeometryN_r($0, g, i) }
                    try walk(m)
                }
            default:  // Point, LineString, LinearRing
                if !(try context.predicate("GEOSisEmpty_r") { GEOSisEmpty_r($0, g) }) { dropped += 1 }
            }
        }
        try walk(handle)

        if polygons.count == 1 && !preferMulti {
            return (try Geometry(owning: context.pointer("GEOSGeom_clone_r") { GEOSGeom_clone_r($0, polygons[0]) },
                                 context: context), dropped)
        }
        var clones: [OpaquePointer] = []
        do {
            for p in polygons { clones.append(try context.pointer("GEOSGeom_clone_r") { GEOSGeom_clone_r($0, p) }) }
        } catch {
            for c in clones { GEOSGeom_destroy_r(context.handle, c) }
            throw error
        }
        var result = Geometry(
            owning: try GeometryBuilder(context: context).collection(Int32(GEOS_MULTIPOLYGON.rawValue), taking: clones),
            context: context)
        // Polygons from different collection members may overlap; dissolve them in that case.
        if fromSeveralMembers, !(try result.validity().isValid) {
            result = try result.unaryUnion()
            let type = try result.typeName()
            if !preferMulti || type == "MultiPolygon" { return (result, dropped) }
            return (try Geometry.collection(of: [result], as: .multiPolygon, context: context), dropped)
        }
        return (result, dropped)
    }
}
