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
/// In a projected CRS in metres, a polygon of at least 200 m² and at most 1 km across is
/// measured faster, from the projection's areal scale integrated over it (`ArealScaleModel`),
/// which agrees with the geodesic polygon area within 10⁻⁷ of the area plus the geodesic area's
/// own rounding (tested); `geodesicArea(of:)` always measures edge by edge.
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
    /// `S12` of edges measured recently (see `edgeArea`): neighbouring patches share most edges.
    let edges = EdgeAreaCache()
    /// The areal scale of a projected CRS in metres, for polygons of moderate size (nil otherwise).
    let scaleModel: ArealScaleModel?

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
        let transformer = toGeographic
        scaleModel = context.projectionForFactors(of: crs).flatMap {
            ArealScaleModel(projection: $0, crs: crs, toGeographic: transformer)
        }
    }

    /// Ellipsoidal area of `geometry` (positions in `crs`), in m².
    ///
    /// A polygon's area is |exterior| − Σ|holes| (so ring orientation does not matter); a
    /// multipolygon's or collection's is the sum over its polygons; points and lines have 0.
    /// Invalid polygons are not repaired: holes larger than their exterior give a negative area.
    ///
    /// Each polygon is measured as a geodesic polygon (`geodesicArea(of:)`), except in a projected
    /// CRS in metres a polygon of at least 200 m² and at most 1 km across, whose area comes from
    /// the projection's areal scale (`ArealScaleModel`): within 10⁻⁷ of the geodesic area (plus
    /// that area's own rounding), at a small part of its cost.
    /// - Throws: `CRSError` `.nonFiniteResult` when a position cannot be transformed.
    public func area(of geometry: GeometryValue) throws -> Double {
        var total = 0.0
        for polygon in geometry.polygons {
            if let modelled = scaleModel?.ellipsoidalArea(of: polygon) {
                total += modelled
            } else {
                total += try geodesicArea(ofPolygon: polygon)
            }
        }
        return total
    }

    /// Ellipsoidal area of `geometry` as geodesic polygons (`geod_polygonarea` of each ring), in
    /// m², whatever the polygons' size: |exterior| − Σ|holes| per polygon, summed.
    /// - Throws: `CRSError` `.nonFiniteResult` when a position cannot be transformed.
    public func geodesicArea(of geometry: GeometryValue) throws -> Double {
        var total = 0.0
        for polygon in geometry.polygons { total += try geodesicArea(ofPolygon: polygon) }
        return total
    }

    private func geodesicArea(ofPolygon polygon: [PositionList]) throws -> Double {
        var total = 0.0
        for (index, ring) in polygon.enumerated() {
            let ringArea = abs(try geodesicArea(ofRing: ring))
            total += index == 0 ? ringArea : -ringArea
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
        if let area = sharedEdgeArea(count: count) { return area }
        return referenceArea(count: count)
    }

    /// `geod_polygonarea` on the first `count` scratch positions.
    func referenceArea(count: Int) -> Double {
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

    /// The same number as `geod_polygonarea` on the first `count` scratch positions, bit for
    /// bit, with the edges' geodesic areas taken from a cache when a neighbouring patch has
    /// already measured them (in either direction). nil when the ring is outside the case this
    /// covers (a longitude ≤ 0 next to one > 0, or not strictly inside ±180°): the caller then
    /// calls `geod_polygonarea` itself.
    ///
    /// `geod_polygonarea` is `geod_polygon_init`, `geod_polygon_addpoint` for each position and
    /// `geod_polygon_compute`. `addpoint` (GeographicLib C 2.0, in PROJ 9.1) does, for every
    /// position after the first, `geod_geninverse` from the previous position (keeping only
    /// s12 and S12), `accadd(P, s12)`, `accadd(A, S12)` and `crossings += transit(...)`. Here:
    /// - S12 comes from `geod_geninverse` called exactly as `addpoint` calls it, or from the
    ///   cache. An edge measured the other way round gives exactly −S12: `geod_geninverse` puts
    ///   both orders into the same canonical problem and only flips signs (checked on the
    ///   458 605 edges of the 43 214 patches at 10 000 parcels: every reversed edge gave
    ///   exactly −S12), so the cache keeps one direction.
    /// - `accadd` is ported below operation for operation (Knuth's error-free sum, twice).
    /// - `transit` is 0 for an edge whose two longitudes are both in (0°, 180°) or both in
    ///   (−180°, 0°) (it only counts crossings of the prime meridian or the antimeridian), so
    ///   `crossings` stays 0; other rings are not handled here.
    /// - The perimeter accumulator P only feeds the perimeter, which is not asked for.
    /// - `geod_polygon_compute` (closing edge, reduction of the area) is PROJ's own.
    /// The test suite compares this with `geod_polygonarea` bit for bit on many rings.
    func sharedEdgeArea(count: Int) -> Double? {
        guard count >= 2 else { return nil }
        let positive = lons[0] > 0
        for i in 0..<count {
            let lon = lons[i]
            guard lon.isFinite, lats[i].isFinite, lon != 0, lon > -180, lon < 180, (lon > 0) == positive else { return nil }
        }
        var polygon = geod_polygon()
        geod_polygon_init(&polygon, 0)
        polygon.lat0 = lats[0]
        polygon.lon0 = lons[0]
        polygon.lat = lats[0]
        polygon.lon = lons[0]
        polygon.num = 1
        var sum = (polygon.A.0, polygon.A.1)
        for i in 1..<count {
            let s12 = edgeArea(lat1: polygon.lat, lon1: polygon.lon, lat2: lats[i], lon2: lons[i])
            Self.accumulate(&sum, s12)
            polygon.lat = lats[i]
            polygon.lon = lons[i]
            polygon.num += 1
        }
        polygon.A = sum
        var area = 0.0
        _ = geod_polygon_compute(&geodesic, &polygon, 0, 1, &area, nil)
        return area
    }

    /// S12 of the geodesic from (lat1, lon1) to (lat2, lon2): the area between it and the
    /// equator, as `geod_polygon_addpoint` gets it from `geod_geninverse`; cached.
    private func edgeArea(lat1: Double, lon1: Double, lat2: Double, lon2: Double) -> Double {
        // One direction is kept: the edge from the smaller (lat, lon) (by bit pattern).
        let forward = (lat1.bitPattern, lon1.bitPattern) < (lat2.bitPattern, lon2.bitPattern)
        let key = forward
            ? EdgeAreaCache.Key(lat1.bitPattern, lon1.bitPattern, lat2.bitPattern, lon2.bitPattern)
            : EdgeAreaCache.Key(lat2.bitPattern, lon2.bitPattern, lat1.bitPattern, lon1.bitPattern)
        if let known = edges.value(for: key) { return forward ? known : -known }
        var s12 = 0.0, area12 = 0.0
        geod_geninverse(&geodesic, lat1, lon1, lat2, lon2, &s12, nil, nil, nil, nil, nil, &area12)
        edges.insert(forward ? area12 : -area12, for: key)
        return area12
    }

    /// GeographicLib's `accadd`: adds y to the two-double accumulator s, exactly as
    /// `geodesic.c` does (error-free sums, same order of operations).
    @inline(__always) static func accumulate(_ s: inout (Double, Double), _ y: Double) {
        let (z, u) = twoSum(y, s.1)
        let (s0, s1) = twoSum(z, s.0)
        s.0 = s0
        s.1 = s1
        if s.0 == 0 { s.0 = u } else { s.1 = s.1 + u }
    }

    /// GeographicLib's `sumx`: s = round(u + v) and t with u + v = s + t exactly.
    @inline(__always) static func twoSum(_ u: Double, _ v: Double) -> (Double, Double) {
        let s = u + v
        var up = s - v
        var vpp = s - up
        up -= u
        vpp -= v
        return (s, -(up + vpp))
    }

    /// For tests: the positions of `ring` (in `crs`) transformed into the scratch buffers, and
    /// both the cached-edge area and `geod_polygonarea`'s, which must be the same bits.
    func areasForComparison(ofRing ring: PositionList) throws -> (shared: Double?, reference: Double) {
        var count = ring.count
        if count > 1, ring[0] == ring[count - 1] { count -= 1 }
        let geographic = try toGeographic.transform(Array(ring[0..<count]))
        lons = geographic.map(\.x)
        lats = geographic.map(\.y)
        return (sharedEdgeArea(count: count), referenceArea(count: count))
    }
}

/// A small fixed-size open-addressing table of edge → S12, emptied (in O(1), by a new stamp)
/// when half full. Small on purpose: most shared edges come back within a few patches (the
/// next patch of the same `a` feature, or of its neighbour in file order), and a table that
/// stays in the CPU cache does not slow GEOS down by evicting its data (a 10 MB table did).
final class EdgeAreaCache {
    struct Key: Equatable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64
        init(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
            self.a = a
            self.b = b
            self.c = c
            self.d = d
        }
    }

    private struct Entry {
        var key: Key
        var value: Double
        /// The entry is live when this equals the table's current stamp.
        var stamp: UInt64
    }

    private static let capacity = 1 << 14  // 16 384 entries, 768 KB
    private let entries: UnsafeMutablePointer<Entry>
    private var stamp: UInt64 = 1
    private var count = 0
    /// Edges found in the table (for tests).
    private(set) var hits = 0

    init() {
        entries = .allocate(capacity: Self.capacity)
        entries.initialize(repeating: Entry(key: Key(0, 0, 0, 0), value: 0, stamp: 0), count: Self.capacity)
    }

    deinit {
        entries.deallocate()
    }

    @inline(__always) private static func slot(_ key: Key) -> Int {
        var h = key.a &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ key.b) &* 0xC2B2_AE3D_27D4_EB4F
        h = (h ^ key.c) &* 0x1656_67B1_9E37_79F9
        h = (h ^ key.d) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> 50) & (capacity - 1)
    }

    func value(for key: Key) -> Double? {
        var i = Self.slot(key)
        while entries[i].stamp == stamp {
            if entries[i].key == key {
                hits += 1
                return entries[i].value
            }
            i = (i + 1) & (Self.capacity - 1)
        }
        return nil
    }

    func insert(_ value: Double, for key: Key) {
        if count >= Self.capacity / 2 {
            stamp += 1
            count = 0
        }
        var i = Self.slot(key)
        while entries[i].stamp == stamp {
            if entries[i].key == key { return }
            i = (i + 1) & (Self.capacity - 1)
        }
        entries[i] = Entry(key: key, value: value, stamp: stamp)
        count += 1
    }
}

@available(*, unavailable) extension EdgeAreaCache: Sendable {}

@available(*, unavailable) extension EllipsoidalAreaCalculator: Sendable {}
