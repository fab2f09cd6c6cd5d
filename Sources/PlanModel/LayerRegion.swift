/// A contiguous run of tiles of a square grid: the tiles one `overlay --tile K/N` slice owns.
/// Tiles are numbered row-major from the grid's origin (index = row × columns + column); a
/// point outside the grid belongs to the nearest edge tile.
public struct TileRange: Sendable, Hashable {
    /// Lower-left corner of tile 0, in the layers' CRS.
    public var originX: Double
    public var originY: Double
    /// Tile side, CRS units.
    public var size: Double
    public var columns: Int
    public var rows: Int
    /// The tiles of the run: `first ..< end`.
    public var first: Int
    public var end: Int

    public init(originX: Double, originY: Double, size: Double, columns: Int, rows: Int, first: Int, end: Int) {
        self.originX = originX
        self.originY = originY
        self.size = size
        self.columns = columns
        self.rows = rows
        self.first = first
        self.end = end
    }

    /// The row-major index of the tile holding (x, y).
    public func tile(x: Double, y: Double) -> Int {
        func cell(_ v: Double, _ origin: Double, _ n: Int) -> Int {
            guard v.isFinite else { return 0 }
            let k = ((v - origin) / size).rounded(.down)
            return k < 0 ? 0 : k >= Double(n) ? n - 1 : Int(k)
        }
        return cell(y, originY, rows) * columns + cell(x, originX, columns)
    }

    /// True when the tile holding (x, y) is one of the run's.
    public func contains(x: Double, y: Double) -> Bool {
        (first..<end).contains(tile(x: x, y: y))
    }

    /// The smallest box holding every point whose tile is one of the run's: whole rows when the
    /// run spans several, open (infinite) on the sides where edge tiles also take the points
    /// beyond the grid. Empty when the run has no tile.
    public var box: Envelope {
        guard end > first else { return .empty }
        let (firstRow, lastRow) = (first / columns, (end - 1) / columns)
        let (firstColumn, lastColumn) = firstRow == lastRow ? (first % columns, (end - 1) % columns) : (0, columns - 1)
        return Envelope(
            minX: firstColumn == 0 ? -.infinity : originX + Double(firstColumn) * size,
            minY: firstRow == 0 ? -.infinity : originY + Double(firstRow) * size,
            maxX: lastColumn == columns - 1 ? .infinity : originX + Double(lastColumn + 1) * size,
            maxY: lastRow == rows - 1 ? .infinity : originY + Double(lastRow + 1) * size)
    }
}

/// The part of a layer that an `overlay --tile K/N` slice reads from a GeoPackage's R-tree
/// (spatial index): the features whose index box meets `box`, in the layer's CRS. The slice
/// counts (in read, kept, repaired, rejected and class figures) only the features it owns: those
/// whose index box has its lower-left corner in one of its tiles (`owner`), and with
/// `readsUnindexed` (slice 1) the rows the index does not hold (no or empty geometry). The
/// others are read as neighbours of its own features and counted by their own slice.
public struct LayerRegion: Sendable, Hashable {
    /// Features whose index box meets this box are read (layer CRS; may be infinite).
    public var box: Envelope
    /// The tiles whose features this slice counts.
    public var owner: TileRange
    /// Also read (and count) the rows the R-tree does not hold.
    public var readsUnindexed: Bool

    public init(box: Envelope, owner: TileRange, readsUnindexed: Bool) {
        self.box = box
        self.owner = owner
        self.readsUnindexed = readsUnindexed
    }
}
