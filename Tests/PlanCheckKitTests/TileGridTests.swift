import PlanCRS
import PlanModel
import Testing
@testable import PlanCheckKit

/// The tile grid's slices: contiguous runs of tiles that together hold every tile once, and the
/// box of a slice holds every point its tiles own (what a region read relies on).
@Suite struct TileGridSlices {
    static let working = Result { try CRSContext().crs("EPSG:4529") }

    @Test(arguments: [(1, 1), (5, 4), (9, 7), (1, 13), (13, 1), (40, 25)])
    func slicesAreContiguousRunsThatHoldEveryTileOnce(columns: Int, rows: Int) throws {
        let crs = try Self.working.get()
        let extent = Envelope(minX: 41_482_000, minY: 4_374_000, maxX: 41_482_000 + Double(columns) * 100 - 1,
                              maxY: 4_374_000 + Double(rows) * 100 - 1)
        for n in [1, 2, 3, 7, 16, 1_000] {
            var next = 0
            for k in 1...n {
                let grid = try TileGrid(slice: TileSlice(slice: k, count: n, tileSizeMetres: 100), extent: extent, workingCRS: crs)
                #expect(grid.columns == columns && grid.rows == rows)
                #expect(grid.range.first == next, "slice \(k)/\(n) starts where slice \(k - 1) ended")
                #expect(grid.range.end >= grid.range.first && grid.ownedTileCount == grid.range.end - grid.range.first)
                next = grid.range.end
            }
            #expect(next == columns * rows, "\(n) slices hold all \(columns * rows) tiles")
        }
    }

    @Test func aSliceBoxHoldsEveryPointItsTilesOwn() throws {
        let crs = try Self.working.get()
        let extent = Envelope(minX: 41_482_000, minY: 4_374_000, maxX: 41_486_350, maxY: 4_377_020)
        var generator = SystemRandomNumberGenerator()
        for n in [2, 3, 5, 11] {
            for k in 1...n {
                let grid = try TileGrid(slice: TileSlice(slice: k, count: n, tileSizeMetres: 500), extent: extent, workingCRS: crs)
                let box = grid.range.box
                for _ in 0..<2_000 {
                    // Points over and around the grid: edge tiles own the points beyond it.
                    let x = Double.random(in: extent.minX - 3_000...extent.maxX + 3_000, using: &generator)
                    let y = Double.random(in: extent.minY - 3_000...extent.maxY + 3_000, using: &generator)
                    guard grid.range.contains(x: x, y: y) else { continue }
                    #expect(x >= box.minX && x <= box.maxX && y >= box.minY && y <= box.maxY, "slice \(k)/\(n): (\(x), \(y)) outside \(box)")
                }
            }
        }
    }
}
