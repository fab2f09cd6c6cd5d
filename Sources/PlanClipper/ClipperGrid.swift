import CClipperShim
import PlanModel

/// Closed rings on a ``ClipperGrid``: x, y cell numbers of every ring in turn, without the
/// closing point; shells counter-clockwise, holes clockwise. Sendable, so workers can cache them.
public struct ClipperRings: Sendable {
    public private(set) var xy: [Int64] = []
    public private(set) var ringSizes: [Int] = []

    public init() {}

    public var isEmpty: Bool { ringSizes.isEmpty }

    /// Adds `other`'s rings after these (a union of clip polygons is one Execute).
    public mutating func append(_ other: ClipperRings) {
        xy += other.xy
        ringSizes += other.ringSizes
    }

    mutating func append(ring: [Int64], clockwise: Bool) {
        var ring = ring
        if (Self.signedDoubleArea(ring) < 0) != clockwise { ring = Self.reversed(ring) }
        xy += ring
        ringSizes.append(ring.count / 2)
    }

    /// Twice the signed area in cells² (positive: counter-clockwise); Double is enough for the sign.
    static func signedDoubleArea(_ ring: [Int64]) -> Double {
        let n = ring.count / 2
        var sum = 0.0
        for i in 0..<n {
            let j = (i + 1) % n
            sum += Double(ring[2 * i]) * Double(ring[2 * j + 1]) - Double(ring[2 * j]) * Double(ring[2 * i + 1])
        }
        return sum
    }

    static func reversed(_ ring: [Int64]) -> [Int64] {
        var out = [Int64](repeating: 0, count: ring.count)
        let n = ring.count / 2
        for i in 0..<n {
            out[2 * i] = ring[2 * (n - 1 - i)]
            out[2 * i + 1] = ring[2 * (n - 1 - i) + 1]
        }
        return out
    }
}

/// The boolean operations Clipper runs.
public enum ClipOperation: Sendable {
    case intersection, difference, union

    var shim: pc_operation {
        switch self {
        case .intersection: pc_intersection
        case .difference: pc_difference
        case .union: pc_union
        }
    }
}

/// A 64-bit integer grid for Clipper: the coordinate x (CRS units) is cell
/// `round((x - origin.x) * cellsPerUnit)`. Results come back as `origin + cell / cellsPerUnit`.
/// Projected CRSs use 1 µm cells; lon/lat CRSs 10⁻¹¹ degree cells (≈ 1.1 µm north-south).
public struct ClipperGrid: Sendable, Hashable {
    /// Cell (0, 0), in CRS units.
    public let origin: Position
    /// Cells per CRS unit (1 000 000 for metres at 1 µm).
    public let cellsPerUnit: Double

    /// 1 µm cells per metre.
    public static let cellsPerMetre = 1e6
    /// 10⁻¹¹ degree cells per degree (1° of latitude ≈ 111 km, so a cell ≈ 1.1 µm).
    public static let cellsPerDegree = 1e11
    /// The largest cell number Clipper's 64-bit mode accepts (its `hiRange`).
    static let maxCell = Double(0x3FFF_FFFF_FFFF_FFFF as Int64)

    public init(origin: Position, cellsPerUnit: Double) {
        self.origin = origin
        self.cellsPerUnit = cellsPerUnit
    }

    /// The grid for a CRS: `metresPerUnit` for a projected one (1 for metres), nil for lon/lat.
    /// The origin is the CRS's own (0, 0): a coordinate's cell, and the double it comes back as,
    /// depend on nothing else read, so a `--tile` slice that reads a region computes the whole
    /// run's bits. Cells stay below 2⁵² for coordinates up to 4.5 × 10⁹ m (Gauss-Krüger eastings
    /// with their zone number are under 10⁸ m) and 45 000 degrees.
    public init(metresPerUnit: Double?) {
        self.init(origin: Position(x: 0, y: 0), cellsPerUnit: metresPerUnit.map { Self.cellsPerMetre * $0 } ?? Self.cellsPerDegree)
    }

    /// Clipper's version ("6.4.2").
    public static var libraryVersion: String { String(cString: pc_version()) }

    /// The cell size in CRS units (1e-6 for metres).
    public var cellSize: Double { 1 / cellsPerUnit }

    /// The polygons' rings on this grid (shells counter-clockwise, holes clockwise); rings
    /// that collapse to fewer than 3 cells are left out.
    public func rings(of polygons: [PolygonRings]) throws(ClipperError) -> ClipperRings {
        var out = ClipperRings()
        for polygon in polygons {
            for (r, ring) in polygon.enumerated() where ring.count >= 4 {
                var cells: [Int64] = []
                cells.reserveCapacity(2 * ring.count)
                for p in ring.dropLast() {  // GeoJSON/GEOS rings repeat the first point last
                    let x = (p.x - origin.x) * cellsPerUnit, y = (p.y - origin.y) * cellsPerUnit
                    guard abs(x) <= Self.maxCell, abs(y) <= Self.maxCell else {
                        throw .coordinateOutOfRange(x: p.x, y: p.y)
                    }
                    cells.append(Int64(x.rounded()))
                    cells.append(Int64(y.rounded()))
                }
                if cells.count >= 6 { out.append(ring: cells, clockwise: r > 0) }
            }
        }
        return out
    }

    /// `subject` `operation` `clip` in one Clipper `Execute`: the subject filled even-odd, the
    /// clip non-zero (overlapping clip polygons count once). The result's polygons, each shell
    /// (clockwise) first, then its holes (counter-clockwise), rings closed, in CRS units. Zero-area leftovers (shared edges,
    /// touching corners) are not returned.
    public func execute(_ operation: ClipOperation, subject: ClipperRings, clip: ClipperRings) throws(ClipperError) -> [PolygonRings] {
        try executeChecked(operation, subject: subject, clip: clip).polygons
    }

    /// `execute`, and whether its result is certainly valid by GEOS, decided exactly on the grid
    /// (`ClipperResult.isCertainlyValid`).
    public func executeChecked(_ operation: ClipOperation, subject: ClipperRings, clip: ClipperRings) throws(ClipperError) -> ClipperResult {
        var result = pc_result()
        defer { pc_result_free(&result) }
        var message = [CChar](repeating: 0, count: 256)
        let status = subject.xy.withUnsafeBufferPointer { sxy in
            subject.ringSizes.withUnsafeBufferPointer { sSizes in
                clip.xy.withUnsafeBufferPointer { cxy in
                    clip.ringSizes.withUnsafeBufferPointer { cSizes in
                        pc_execute(
                            operation.shim,
                            pc_rings(xy: sxy.baseAddress, ring_sizes: sSizes.baseAddress, ring_count: sSizes.count),
                            pc_rings(xy: cxy.baseAddress, ring_sizes: cSizes.baseAddress, ring_count: cSizes.count),
                            &result, &message, message.count)
                    }
                }
            }
        }
        guard status == 0 else {
            throw .library(message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let certain = pc_result_certainly_valid(&result, max(abs(origin.x), abs(origin.y)), cellsPerUnit) == 1
        return ClipperResult(polygons: polygons(from: result), isCertainlyValid: certain, keepsSubjectArea: result.keeps_subject_area == 1,
                             isCertainlyDisjoint: result.certainly_disjoint == 1)
    }

    /// The exact validity test of `executeChecked` on polygons given as rings of cells (x, y, …
    /// without the closing point; each polygon's shell first): true only when GEOS certainly
    /// finds them valid once converted to CRS coordinates.
    func isCertainlyValid(cells polygons: [[[Int64]]]) -> Bool {
        var xy = polygons.flatMap { $0.flatMap { $0 } }
        var sizes = polygons.flatMap { $0.map { $0.count / 2 } }
        var owners = polygons.enumerated().flatMap { p, rings in rings.map { _ in Int32(p) } }
        return xy.withUnsafeMutableBufferPointer { xy in
            sizes.withUnsafeMutableBufferPointer { sizes in
                owners.withUnsafeMutableBufferPointer { owners in
                    var result = pc_result(
                        xy: xy.baseAddress, ring_sizes: sizes.baseAddress, ring_polygon: owners.baseAddress,
                        ring_count: sizes.count, point_count: xy.count / 2, keeps_subject_area: 0, certainly_disjoint: 0)
                    return pc_result_certainly_valid(&result, max(abs(origin.x), abs(origin.y)), cellsPerUnit) == 1
                }
            }
        }
    }

    /// The result's rings grouped into polygons, closed, back in CRS units.
    private func polygons(from result: pc_result) -> [PolygonRings] {
        var polygons: [PolygonRings] = []
        var offset = 0
        for r in 0..<result.ring_count {
            let size = result.ring_sizes[r]
            var ring: PositionList = []
            ring.reserveCapacity(size + 1)
            // Backwards: Clipper gives shells counter-clockwise; GEOS's overlay gives them
            // clockwise, and so do these, so later measurements see rings as GEOS would give them.
            for i in (0..<size).reversed() {
                ring.append(Position(
                    x: origin.x + Double(result.xy[2 * (offset + i)]) / cellsPerUnit,
                    y: origin.y + Double(result.xy[2 * (offset + i) + 1]) / cellsPerUnit))
            }
            offset += size
            if let first = ring.first { ring.append(first) }
            let polygon = Int(result.ring_polygon[r])
            if polygon == polygons.count { polygons.append([ring]) } else { polygons[polygon].append(ring) }
        }
        return polygons
    }
}

/// The polygons of one Clipper operation, in CRS units (see `ClipperGrid.execute`).
public struct ClipperResult: Sendable {
    public var polygons: [PolygonRings]
    /// True when the polygons are valid by GEOS for certain: decided exactly on the grid, with a
    /// margin of one cell for the conversion to CRS coordinates (every ring simple, no two rings
    /// within the margin of each other, holes inside their own shells, shells outside the other
    /// polygons). False means "not decided here" (touching or near-touching rings, spikes):
    /// GEOS must check. Never true for a result GEOS calls invalid.
    public var isCertainlyValid: Bool
    /// True when a difference's area equals the subject's exactly on the grid: the clip took
    /// nothing of positive area from the subject (it only touches it, or misses it). Always false
    /// for other operations.
    public var keepsSubjectArea: Bool
    /// True for an empty intersection of inputs that certainly do not meet, not even at a point,
    /// in the coordinates they were put on the grid from (decided exactly, with a margin of one
    /// cell). False when empty by touching, by an overlap thinner than the grid, or not decided.
    public var isCertainlyDisjoint: Bool
}
