@testable import PlanCRS
import PlanCheckTestSupport
import PlanModel
import Testing

/// The ellipsoidal area with cached edges must be `geod_polygonarea`'s number, bit for bit:
/// patch areas in the overlay output are compared byte for byte with earlier runs.
@Suite("Ellipsoidal area from shared edges")
struct SharedEdgeAreaTests {
    /// A jittered grid of cells around (x0, y0) sharing their corners, as plan parcels and
    /// overlay patches do; some cells thin (1 mm high), some with a repeated vertex.
    static func cells(x0: Double, y0: Double, size: Double, count: Int, seed: UInt64) -> [PositionList] {
        var random = SeededGenerator(seed: seed)
        var corner: [[Position]] = []
        for j in 0...count {
            corner.append((0...count).map { i in
                Position(x0 + Double(i) * size + (random.unitInterval() - 0.5) * size / 3,
                         y0 + Double(j) * size + (random.unitInterval() - 0.5) * size / 3)
            })
        }
        var rings: [PositionList] = []
        for j in 0..<count {
            for i in 0..<count {
                var ring = [corner[j][i], corner[j][i + 1], corner[j + 1][i + 1], corner[j + 1][i]]
                if (i + j) % 7 == 0 { ring.insert(ring[1], at: 1) }  // repeated vertex
                if (i + j) % 5 == 0 { ring.reverse() }               // either orientation
                rings.append(ring + [ring[0]])
            }
            // A long thin sliver along the row.
            rings.append([corner[j][0], corner[j][count], Position(corner[j][count].x, corner[j][count].y + 0.001),
                          Position(corner[j][0].x, corner[j][0].y + 0.001), corner[j][0]])
        }
        return rings
    }

    func expectSameBits(_ crs: String, _ rings: [PositionList], handled: Bool = true) throws {
        let context = try CRSContext()
        let calculator = try context.areaCalculator(for: try context.crs(crs))
        var hits = 0
        for ring in rings {
            let (shared, reference) = try calculator.areasForComparison(ofRing: ring)
            if handled { #expect(shared != nil, "\(crs): ring not handled") } else { #expect(shared == nil) }
            if let shared {
                hits += 1
                #expect(shared.bitPattern == reference.bitPattern, "\(crs): \(shared) vs geod_polygonarea \(reference)")
            }
        }
        if handled {
            #expect(hits == rings.count)
            // Neighbouring cells share edges (the other way round): most come from the cache.
            #expect(calculator.edges.hits > rings.count / 2)
        }
    }

    @Test("CGCS2000 Gauss-Krüger zone 41 (east of Greenwich)")
    func gaussKruger() throws {
        try expectSameBits(Fixture.zone41, Self.cells(x0: 41_482_000, y0: 4_374_000, size: 100, count: 30, seed: 1))
        try expectSameBits(Fixture.zone41, Self.cells(x0: 41_400_000, y0: 4_374_000, size: 3_000, count: 8, seed: 2))
    }

    @Test("UTM 18N (west of Greenwich) and geographic lon/lat")
    func westAndGeographic() throws {
        try expectSameBits("EPSG:32618", Self.cells(x0: 400_000, y0: 4_700_000, size: 50, count: 20, seed: 3))
        try expectSameBits("EPSG:4490", Self.cells(x0: 122.5, y0: 39.2, size: 0.001, count: 20, seed: 4))
    }

    @Test("Rings across the prime meridian are left to geod_polygonarea")
    func primeMeridian() throws {
        let ring: PositionList = [Position(-0.01, 51.5), Position(0.01, 51.5), Position(0.01, 51.51), Position(-0.01, 51.51), Position(-0.01, 51.5)]
        try expectSameBits("EPSG:4326", [ring], handled: false)
        let context = try CRSContext()
        let area = try context.ellipsoidalArea(of: .polygon([ring]), in: try context.crs("EPSG:4326"))
        #expect(area > 1.5e6 && area < 1.6e6)
    }
}
