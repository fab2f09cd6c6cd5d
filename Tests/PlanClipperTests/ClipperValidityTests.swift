import Foundation
import Testing
import PlanModel
import PlanGeometry
@testable import PlanClipper

/// The exact validity test on the grid that spares GEOS's check of most Clipper results: it may
/// leave a result undecided (GEOS then checks it), but it must never pass one GEOS calls invalid.
@Suite("Clipper validity on the grid")
struct ClipperValidityTests {
    let grid = ClipperGrid(origin: Position(x: 41_480_000, y: 4_360_000), cellsPerUnit: ClipperGrid.cellsPerMetre)

    /// A ring of cells from (x, y) pairs given in metres from the origin.
    func cells(_ points: [(Double, Double)]) -> [Int64] {
        points.flatMap { [Int64(($0.0 * 1e6).rounded()), Int64(($0.1 * 1e6).rounded())] }
    }

    func square(_ x: Double, _ y: Double, _ size: Double) -> [Int64] {
        cells([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])
    }

    /// GEOS's verdict on the same polygons in CRS coordinates.
    func geosValid(_ polygons: [[[Int64]]], grid: ClipperGrid? = nil) throws -> Bool {
        let grid = grid ?? self.grid
        let value = GeometryValue.multiPolygon(polygons.map { rings in
            rings.map { xy in
                var ring = stride(from: 0, to: xy.count, by: 2).map {
                    Position(x: grid.origin.x + Double(xy[$0]) / grid.cellsPerUnit, y: grid.origin.y + Double(xy[$0 + 1]) / grid.cellsPerUnit)
                }
                ring.append(ring[0])
                return ring
            }
        })
        return try Geometry(value, context: GeometryContext()).validity().isValid
    }

    /// Checks the test's verdict, and that a "certainly valid" one is valid by GEOS.
    func expectVerdict(_ polygons: [[[Int64]]], certain: Bool, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verdict = grid.isCertainlyValid(cells: polygons)
        #expect(verdict == certain, comment, sourceLocation: sourceLocation)
        if verdict { #expect(try geosValid(polygons), "GEOS disagrees: \(comment)", sourceLocation: sourceLocation) }
    }

    @Test("Simple shells, holes and islands in holes pass; GEOS agrees")
    func validShapes() throws {
        try expectVerdict([[square(0, 0, 10)]], certain: true, "a square")
        try expectVerdict([[square(0, 0, 10), square(2, 2, 3), square(6, 6, 2)]], certain: true, "two holes")
        try expectVerdict([[square(0, 0, 10)], [square(20, 0, 10)]], certain: true, "two polygons apart")
        try expectVerdict([[square(0, 0, 10), square(2, 2, 6)], [square(4, 4, 1)]], certain: true, "an island in a hole")
        try expectVerdict([[cells([(0, 0), (10, 0), (20, 0), (20, 5), (0, 5)])]], certain: true, "a collinear vertex going on forward")
    }

    @Test("Invalid shapes never pass")
    func invalidShapes() throws {
        let bowtie = cells([(0, 0), (10, 10), (10, 0), (0, 10)])
        try expectVerdict([[bowtie]], certain: false, "a bowtie")
        #expect(try !geosValid([[bowtie]]))
        try expectVerdict([[square(0, 0, 10), square(20, 0, 3)]], certain: false, "a hole outside its shell")
        try expectVerdict([[square(0, 0, 10), square(2, 2, 5), square(3, 3, 1)]], certain: false, "a hole in a hole")
        try expectVerdict([[square(0, 0, 10)], [square(2, 2, 3)]], certain: false, "a shell inside another polygon")
        try expectVerdict([[square(0, 0, 10)], [square(5, 5, 10)]], certain: false, "overlapping shells")
        try expectVerdict([[cells([(0, 0), (10, 0), (20, 0), (10, 0.000001), (0, 5)])]], certain: false, "a spike folding back")
        try expectVerdict([[cells([(0, 0), (10, 0)])]], certain: false, "two points")
        for polygons in [[[bowtie]], [[square(0, 0, 10)], [square(5, 5, 10)]]] { #expect(try !geosValid(polygons)) }
    }

    @Test("Touching and nearly touching rings are left to GEOS")
    func touching() throws {
        // A hole touching its shell at a vertex is valid for GEOS, but not decided on the grid.
        let touchingHole = cells([(0, 0), (5, 3), (5, 7)])
        try expectVerdict([[square(0, 0, 10), touchingHole]], certain: false, "a hole touching the shell")
        #expect(try geosValid([[square(0, 0, 10), touchingHole]]))
        try expectVerdict([[square(0, 0, 10)], [square(10, 0, 10)]], certain: false, "shells sharing an edge")
        // A vertex one cell from a 1 km edge: within the margin, whatever the rounding does.
        let near = cells([(0, 0), (1000, 0), (1000, 10), (500, 0.000001), (0, 10)])
        try expectVerdict([[near]], certain: false, "a vertex a micrometre from an edge")
    }

    @Test("Coordinates too large for the margin are left to GEOS")
    func farFromOrigin() throws {
        let far = ClipperGrid(origin: Position(x: 4e11, y: 0), cellsPerUnit: ClipperGrid.cellsPerMetre)
        #expect(!far.isCertainlyValid(cells: [[square(0, 0, 10)]]), "a double's spacing there is 61 µm")
        #expect(grid.isCertainlyValid(cells: [[square(0, 0, 10)]]))
    }

    @Test("Random Clipper results: every certain one is valid by GEOS, and most are certain")
    func randomResults() throws {
        var random = SplitMix(seed: 1414)
        let context = try GeometryContext()
        var certain = 0, total = 0
        for _ in 0..<300 {
            let a = star(&random), b1 = star(&random), b2 = star(&random)
            var clip = try grid.rings(of: [b1])
            clip.append(try grid.rings(of: [b2]))
            for operation in [ClipOperation.intersection, .difference, .union] {
                let result = try grid.executeChecked(operation, subject: try grid.rings(of: [a]), clip: clip)
                guard !result.polygons.isEmpty else { continue }
                total += 1
                guard result.isCertainlyValid else { continue }
                certain += 1
                let value: GeometryValue = .multiPolygon(result.polygons)
                #expect(try Geometry(value, context: context).validity().isValid)
            }
        }
        #expect(total > 500 && Double(certain) > 0.8 * Double(total), "\(certain) of \(total) decided on the grid")
    }

    /// A star-shaped polygon of 5 to 40 points, with a hole one time in three.
    func star(_ random: inout SplitMix) -> PolygonRings {
        let cx = grid.origin.x + Double(random.next() % 100_000) / 1000, cy = grid.origin.y + Double(random.next() % 100_000) / 1000
        let n = 5 + Int(random.next() % 36)
        var ring: PositionList = (0..<n).map { i in
            let angle = Double(i) / Double(n) * 2 * .pi
            let radius = 5 + Double(random.next() % 30_000) / 1000
            return Position(x: cx + radius * cos(angle), y: cy + radius * sin(angle))
        }
        ring.append(ring[0])
        guard random.next() % 3 == 0 else { return [ring] }
        let hole = [(-2.0, -2.0), (2.0, -2.0), (2.0, 2.0), (-2.0, 2.0), (-2.0, -2.0)].map { Position(x: cx + $0.0, y: cy + $0.1) }
        return [ring, hole]
    }
}
