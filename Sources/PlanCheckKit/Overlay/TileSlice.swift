import PlanCRS
import PlanModel

/// `overlay --tile K/N --tile-size METRES`: the slice of the tile grid one run computes, so that
/// N runs (on N machines, e.g. Spark executors) together compute the whole overlay, each patch
/// exactly once.
public struct TileSlice: Sendable, Equatable {
    /// 1-based slice number K (1 ≤ K ≤ N).
    public var slice: Int
    /// Number of slices N.
    public var count: Int
    /// Side of a square tile, metres (degrees × 111 319.49 in a lon/lat working CRS).
    public var tileSizeMetres: Double

    /// The default tile side, metres: several tiles over a town-sized district (the sample's
    /// 4 × 3 km gives 5 × 4 = 20), a few thousand over a county.
    public static let defaultTileSizeMetres = 1_000.0

    public init(slice: Int, count: Int, tileSizeMetres: Double = TileSlice.defaultTileSizeMetres) {
        self.slice = slice
        self.count = count
        self.tileSizeMetres = tileSizeMetres
    }

    /// Parses "K/N"; nil unless both are whole numbers with 1 ≤ K ≤ N.
    public static func parse(_ text: String, tileSizeMetres: Double = TileSlice.defaultTileSizeMetres) -> TileSlice? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        return TileSlice(slice: k, count: n, tileSizeMetres: tileSizeMetres)
    }

    /// "K/N".
    public var text: String { "\(slice)/\(count)" }
}

/// The tile grid of a run over the working CRS: square tiles of `size` working-CRS units, the
/// origin at the lower-left corner of what the layers cover, rounded down to a multiple of
/// `size` (so the same files give the same grid), numbered row-major from there
/// (index = row × columns + column). Slice K of N owns the contiguous run of tiles
/// ⌊(K−1)·M/N⌋ ..< ⌊K·M/N⌋ of the M tiles (`range`), so that its region is a band of rows.
struct TileGrid: Sendable, Equatable {
    var originX: Double
    var originY: Double
    /// Tile side, working-CRS units.
    var size: Double
    var columns: Int
    var rows: Int
    var slice: TileSlice
    /// The tiles this run's slice owns.
    private(set) var range = TileRange(originX: 0, originY: 0, size: 1, columns: 1, rows: 1, first: 0, end: 0)

    /// Metres in one degree of longitude at the equator: a lon/lat CRS's tile side in degrees.
    static let metresPerDegree = 111_319.490_793

    /// Most tiles a grid may have: beyond that the tile side is far too small for the layers
    /// (1 m tiles over a 1 000 km province are 10¹²).
    static let maximumTileCount = 1e12

    /// The grid over `extent` (working CRS); a usage error when it would have more than
    /// `maximumTileCount` tiles.
    init(slice: TileSlice, extent: Envelope, workingCRS: CRSDescription) throws {
        self.slice = slice
        size = workingCRS.isGeographic
            ? slice.tileSizeMetres / Self.metresPerDegree
            : slice.tileSizeMetres / (workingCRS.squareMetresPerSquareUnit ?? 1).squareRoot()
        guard !extent.isEmpty, extent.minX.isFinite, extent.maxY.isFinite else {
            (originX, originY, columns, rows) = (0, 0, 1, 1)
            range = ownedRange()
            return
        }
        originX = (extent.minX / size).rounded(.down) * size
        originY = (extent.minY / size).rounded(.down) * size
        let across = ((extent.maxX - originX) / size).rounded(.down) + 1
        let up = ((extent.maxY - originY) / size).rounded(.down) + 1
        guard across.isFinite, up.isFinite, across * up <= Self.maximumTileCount else {
            throw OverlayUsageError(message: "--tile-size \(slice.tileSizeMetres): tiles of \(slice.tileSizeMetres) m over the layers' extent (\(grouped(extent.maxX - extent.minX, 0)) × \(grouped(extent.maxY - extent.minY, 0)) working-CRS units) would be more than 10¹² tiles; give a larger tile side")
        }
        columns = max(1, Int(across))
        rows = max(1, Int(up))
        range = ownedRange()
    }

    /// The first tile of slice `k` (1-based; k = N + 1 gives the number of tiles).
    private func firstTile(ofSlice k: Int) -> Int {
        let total = columns * rows
        // ⌊(k−1)·M/N⌋ without overflow for M up to 10¹² (N is small).
        return Int((Double(k - 1) * Double(total) / Double(slice.count)).rounded(.down).clamped(0, Double(total)))
    }

    /// The run of tiles slice K owns.
    private func ownedRange() -> TileRange {
        TileRange(originX: originX, originY: originY, size: size, columns: columns, rows: rows,
                  first: firstTile(ofSlice: slice.slice), end: firstTile(ofSlice: slice.slice + 1))
    }

    /// Reference-point rule for an `intersects` pair: the lower-left corner of the intersection of
    /// the two envelopes.
    func ownsPair(_ a: Envelope, _ b: Envelope) -> Bool {
        range.contains(x: Swift.max(a.minX, b.minX), y: Swift.max(a.minY, b.minY))
    }

    /// Reference-point rule for an `outside` patch: the lower-left corner of `a`'s envelope.
    func ownsFeature(_ a: Envelope) -> Bool {
        range.contains(x: a.minX, y: a.minY)
    }

    /// Tiles of the grid this slice owns.
    var ownedTileCount: Int { range.end - range.first }
}

extension Double {
    fileprivate func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(Swift.max(self, low), high) }
}
