internal import CPROJ
import PlanModel

/// The ellipsoidal area of a small polygon drawn in a projected CRS, from the projection's areal
/// scale instead of a geodesic per edge: `∫∫ J(x, y) dx dy` over the polygon, where `J` is the
/// ellipsoidal area per projected square metre (1 / PROJ's `areal_scale`, `proj_factors`).
///
/// `J` changes on the scale of the Earth's radius R (in a Gauss-Krüger zone, J ≈ 1 − x²/R² with x
/// the distance from the central meridian), so over a few kilometres it is a quadratic to within
/// (d/R)³ ≈ 10⁻¹¹ at d = 2 km. The model keeps that quadratic per 2 km grid cell (value,
/// gradient and Hessian from `J` at the cell centre and its eight neighbours 1 km away), and the
/// integral over a polygon is then exact from the polygon's area and its first and second
/// moments about the cell centre.
///
/// This is the area of the polygon as drawn (straight edges in the projection). The geodesic
/// polygon area of the same vertices (`geod_polygonarea`) differs from it where geodesics bow away
/// from the straight edges, which grows with the square of the edge length; up to 1 km across
/// the two agree within 10⁻⁷ of the area, plus the geodesic area's own rounding (up to about
/// 1.5·10⁻⁴ m²: the same polygon moved by 0.1 mm). The test suite checks that over thousands of
/// polygons in Gauss-Krüger, UTM, Lambert conformal and Albers CRSs. The model is used only
/// where that holds: polygons of at least `minimumArea` and at most `maximumExtent` across, in a
/// projected CRS in metres (see `EllipsoidalAreaCalculator.area(of:)`). Over 4 km across, the
/// difference passed 10⁻⁷ (up to 3.7·10⁻⁷ in Albers, 2.2·10⁻⁷ in UTM).
final class ArealScaleModel {
    /// Polygons smaller than this (m²) are measured edge by edge, and get pyproj's number bit for
    /// bit. The geodesic area has its own rounding (up to about 1.5·10⁻⁴ m²: the same polygon
    /// moved by 0.1 mm), which is what any two methods differ by on a small polygon: at 200 m²
    /// that is 7.5·10⁻⁷ of the area, inside the 10⁻⁶ promised against pyproj, and below it no
    /// longer is. 200 m² is also the land survey's smallest mapped unit of construction land.
    static let minimumArea = 200.0
    /// Polygons wider or taller than this (m) are measured edge by edge.
    static let maximumExtent = 1_000.0
    /// The side of a grid cell (m).
    static let cellSize = 2_000.0

    /// A cell's quadratic: J ≈ j + jx·u + jy·v + ½·jxx·u² + jxy·u·v + ½·jyy·v², with (u, v) the
    /// offset from the cell centre (x, y), in metres.
    struct Cell {
        var x: Double, y: Double
        var j: Double, jx: Double, jy: Double, jxx: Double, jxy: Double, jyy: Double
    }

    private struct CellKey: Hashable {
        var column: Int64, row: Int64
    }

    /// The CRS's projection as a classic PROJ object (`CRSContext.projectionForFactors`).
    private let projection: NativeObject
    private let toGeographic: Transformer
    /// Cells made so far; nil for a cell where PROJ gave no scale (measured edge by edge).
    private var cells: [CellKey: Cell?] = [:]

    /// A model for `crs` (projected, in metres), or nil for any other CRS.
    init?(projection: NativeObject, crs: CRSDescription, toGeographic: Transformer) {
        guard crs.kind == .projected, crs.squareMetresPerSquareUnit == 1 else { return nil }
        self.projection = projection
        self.toGeographic = toGeographic
    }

    /// `∫∫ J dA` over `polygon` (exterior then holes, positions in the CRS) in m², or nil when the
    /// polygon is outside the model's use (smaller than `minimumArea`, wider than
    /// `maximumExtent`, not finite) or PROJ gives no scale there. Holes are subtracted whatever
    /// the rings' orientation.
    func ellipsoidalArea(of polygon: [PositionList]) -> Double? {
        guard let exterior = polygon.first, exterior.count >= 4 else { return nil }
        var box = Envelope.empty
        for p in exterior { box.expand(toInclude: p) }
        guard box.maxX - box.minX <= Self.maximumExtent, box.maxY - box.minY <= Self.maximumExtent,
              box.minX.isFinite, box.maxX.isFinite, box.minY.isFinite, box.maxY.isFinite
        else { return nil }
        let column = Int64(((box.minX + box.maxX) / 2 / Self.cellSize).rounded(.down))
        let row = Int64(((box.minY + box.maxY) / 2 / Self.cellSize).rounded(.down))
        guard let cell = cell(CellKey(column: column, row: row)) else { return nil }
        var m = Moments()
        for (index, ring) in polygon.enumerated() {
            let r = Moments(ring: ring, about: cell.x, cell.y)
            m.add(r, sign: (index == 0 ? 1 : -1) * (r.a < 0 ? -1 : 1))
        }
        guard m.a >= Self.minimumArea else { return nil }
        return cell.j * m.a + cell.jx * m.x + cell.jy * m.y
            + 0.5 * cell.jxx * m.xx + cell.jxy * m.xy + 0.5 * cell.jyy * m.yy
    }

    private func cell(_ key: CellKey) -> Cell? {
        if let known = cells[key] { return known }
        let made = makeCell(key)
        cells[key] = made
        return made
    }

    private func makeCell(_ key: CellKey) -> Cell? {
        let x = (Double(key.column) + 0.5) * Self.cellSize
        let y = (Double(key.row) + 0.5) * Self.cellSize
        let h = Self.cellSize / 2
        var values: [Double] = []
        for dy in -1...1 {
            for dx in -1...1 {
                guard let value = scale(atX: x + Double(dx) * h, y: y + Double(dy) * h) else { return nil }
                values.append(value)
            }
        }
        // values[3 * (dy + 1) + (dx + 1)]
        func at(_ dx: Int, _ dy: Int) -> Double { values[3 * (dy + 1) + (dx + 1)] }
        return Cell(
            x: x, y: y, j: at(0, 0),
            jx: (at(1, 0) - at(-1, 0)) / (2 * h),
            jy: (at(0, 1) - at(0, -1)) / (2 * h),
            jxx: (at(1, 0) - 2 * at(0, 0) + at(-1, 0)) / (h * h),
            jxy: (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h),
            jyy: (at(0, 1) - 2 * at(0, 0) + at(0, -1)) / (h * h))
    }

    /// J at a projected position: 1 / `areal_scale` of `proj_factors` at its longitude and
    /// latitude (radians, on the CRS's own geographic CRS).
    private func scale(atX x: Double, y: Double) -> Double? {
        guard let geographic = try? toGeographic.transform(Position(x: x, y: y)) else { return nil }
        let degree = Double.pi / 180
        var coordinate = PJ_COORD()
        coordinate.lp = PJ_LP(lam: geographic.x * degree, phi: geographic.y * degree)
        proj_errno_reset(projection.pointer)
        let factors = proj_factors(projection.pointer, coordinate)
        guard proj_errno(projection.pointer) == 0, factors.areal_scale.isFinite, factors.areal_scale > 0 else {
            proj_errno_reset(projection.pointer)
            return nil
        }
        return 1 / factors.areal_scale
    }

    /// Signed area and first and second moments of a region, about a point:
    /// a = ∫dA, x = ∫u dA, y = ∫v dA, xx = ∫u² dA, xy = ∫uv dA, yy = ∫v² dA.
    struct Moments {
        var a = 0.0, x = 0.0, y = 0.0, xx = 0.0, xy = 0.0, yy = 0.0

        init() {}

        /// The moments of the region a ring encloses (positive when counter-clockwise), by
        /// Green's theorem over its edges, in offsets from (ox, oy) so that the products stay small.
        init(ring: PositionList, about ox: Double, _ oy: Double) {
            let n = ring.count
            guard n >= 3 else { return }
            var u0 = ring[n - 1].x - ox, v0 = ring[n - 1].y - oy
            for p in ring {
                let u1 = p.x - ox, v1 = p.y - oy
                let cross = u0 * v1 - u1 * v0
                a += cross
                x += (u0 + u1) * cross
                y += (v0 + v1) * cross
                xx += (u0 * u0 + u0 * u1 + u1 * u1) * cross
                yy += (v0 * v0 + v0 * v1 + v1 * v1) * cross
                xy += (u0 * v1 + 2 * u0 * v0 + 2 * u1 * v1 + u1 * v0) * cross
                u0 = u1
                v0 = v1
            }
            a /= 2
            x /= 6
            y /= 6
            xx /= 12
            yy /= 12
            xy /= 24
        }

        mutating func add(_ other: Moments, sign: Double) {
            a += sign * other.a
            x += sign * other.x
            y += sign * other.y
            xx += sign * other.xx
            xy += sign * other.xy
            yy += sign * other.yy
        }
    }
}

@available(*, unavailable) extension ArealScaleModel: Sendable {}
