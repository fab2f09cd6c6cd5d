internal import CPROJ
import PlanModel

/// Computes ellipsoidal areas (椭球面积) of geometries given in one CRS, reusing one transformer.
///
/// Positions are transformed to the CRS's own geographic CRS (`proj_crs_get_geodetic_crs`,
/// normalised to longitude/latitude) and measured as geodesic polygons on that CRS's ellipsoid
/// (`geod_init` with a and f from `proj_ellipsoid_get_parameters`; `geod_polygonarea`). For a
/// CGCS2000 Gauss-Krüger zone that is the CGCS2000 ellipsoid (the GRS 1980 figures); for a
/// Xian 1980 zone, IAG 1975; for Beijing 1954, Krassowsky 1940. Edges are geodesics between the
/// given vertices; densify long edges first if they stand for other curves.
///
/// Made by `CRSContext.areaCalculator(for:)` and cached there; it belongs to that context.
public final class EllipsoidalAreaCalculator {
    /// The CRS the geometries' positions are in.
    public let crs: CRSDescription
    /// The geographic CRS the areas are measured in (e.g. EPSG:4490 for EPSG:4529).
    public let geographicCRS: CRSDescription
    /// The ellipsoid the areas are measured on.
    public let ellipsoid: Ellipsoid
    private let toGeographic: Transformer
    private var geodesic = geod_geodesic()
    /// Scratch buffers reused from ring to ring (longitudes and latitudes, degrees).
    private var lons: [Double] = []
    private var lats: [Double] = []

    init(crs: CRSDescription, context: CRSContext) throws {
        let operation = "prepare ellipsoidal area in \(crs)"
        self.crs = crs
        geographicCRS = try context.geographicCRS(of: crs)
        guard let ellipsoid = geographicCRS.ellipsoid, ellipsoid.semiMajorAxis > 0 else {
            throw CRSError(kind: .unsupportedCRS, operation: operation,
                           message: "its geographic CRS '\(geographicCRS.name)' has no ellipsoid",
                           function: "proj_get_ellipsoid")
        }
        guard geographicCRS.unit.name == "degree" || abs(geographicCRS.unit.toSI - Double.pi / 180) < 1e-15 else {
            throw CRSError(kind: .unsupportedCRS, operation: operation,
                           message: "its geographic CRS '\(geographicCRS.name)' is in \(geographicCRS.unit.name), not degrees")
        }
        self.ellipsoid = ellipsoid
        toGeographic = try context.transformer(from: crs, to: geographicCRS)
        geod_init(&geodesic, ellipsoid.semiMajorAxis, ellipsoid.flattening)
    }

    /// Ellipsoidal area of `geometry` (positions in `crs`), in m².
    ///
    /// A polygon's area is |exterior| − Σ|holes| (so ring orientation does not matter); a
    /// multipolygon's or collection's is the sum over its polygons; points and lines have 0.
    /// Invalid polygons are not repaired: holes larger than their exterior give a negative area.
    /// - Throws: `CRSError` `.nonFiniteResult` when a position cannot be transformed.
    public func area(of geometry: GeometryValue) throws -> Double {
        var total = 0.0
        for polygon in geometry.polygons {
            for (index, ring) in polygon.enumerated() {
                let ringArea = abs(try geodesicArea(ofRing: ring))
                total += index == 0 ? ringArea : -ringArea
            }
        }
        return total
    }

    /// Signed geodesic area of one ring (positions in `crs`), in m²: positive when
    /// counter-clockwise (`geod_polygonarea`, latitudes first). The closing position may be
    /// repeated or not; fewer than three distinct positions give 0.
    public func signedArea(ofRing ring: PositionList) throws -> Double {
        try geodesicArea(ofRing: ring)
    }

    private func geodesicArea(ofRing ring: PositionList) throws -> Double {
        var count = ring.count
        if count > 1, ring[0] == ring[count - 1] { count -= 1 }
        guard count >= 3 else { return 0 }
        // Copy into the scratch buffers, transform them in place, measure: no array is made
        // per ring (this runs once per patch of every overlay).
        lons.removeAll(keepingCapacity: true)
        lats.removeAll(keepingCapacity: true)
        for i in 0..<count {
            lons.append(ring[i].x)
            lats.append(ring[i].y)
        }
        let finite = lons.withUnsafeMutableBufferPointer { x in
            lats.withUnsafeMutableBufferPointer { y in
                toGeographic.transformInPlace(xs: x.baseAddress!, ys: y.baseAddress!, count: count)
            }
        }
        if !finite {
            _ = try toGeographic.transform(Array(ring[0..<count]))  // throws, naming the position
        }
        var area = 0.0
        var perimeter = 0.0
        lats.withUnsafeMutableBufferPointer { latBuffer in
            lons.withUnsafeMutableBufferPointer { lonBuffer in
                geod_polygonarea(&geodesic, latBuffer.baseAddress, lonBuffer.baseAddress,
                                 Int32(count), &area, &perimeter)
            }
        }
        return area
    }
}

@available(*, unavailable) extension EllipsoidalAreaCalculator: Sendable {}
