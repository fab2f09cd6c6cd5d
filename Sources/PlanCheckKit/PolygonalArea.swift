import PlanCRS
import PlanGeometry
import PlanModel

/// Measures the polygonal parts of GEOS results in the working CRS, for assess and query.
struct PolygonalArea {
    let crs: CRSDescription
    let areas: EllipsoidalAreaCalculator

    /// The polygons of `geometry` that have rings (GEOS can hand back POLYGON EMPTY members of a
    /// collection), their planar area in m² (in the working CRS; the ellipsoidal area when the CRS
    /// is geographic) and their ellipsoidal area in m² on the CRS's ellipsoid.
    func measure(_ geometry: Geometry) throws -> (polygons: [[[Position]]], planarM2: Double, ellipsoidalM2: Double) {
        let polygons = try geometry.value().polygons.filter { !($0.first?.isEmpty ?? true) }
        let ellipsoidal = try areas.area(of: .multiPolygon(polygons))
        let planar = try crs.squareMetresPerSquareUnit.map { try geometry.area() * $0 } ?? ellipsoidal
        return (polygons, planar, ellipsoidal)
    }
}
