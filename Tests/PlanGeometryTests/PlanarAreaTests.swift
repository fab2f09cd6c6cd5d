import Foundation
import PlanCheckTestSupport
import PlanModel
import Testing
@testable import PlanGeometry

/// `Geometry.planarArea(of:)` is GEOS's `GEOSArea_r` without building the geometry: the layer
/// check reports it for features it decides valid without GEOS, so it must be the same double.
@Suite struct PlanarAreaTests {
    @Test("Bit for bit GEOS's area on seeded random polygons, holes and multipolygons, in four frames")
    func sameBitsAsGEOS() throws {
        var random = SeededGenerator(seed: 2911)
        let context = try GeometryContext()
        let origins = [Position(41_480_000.123, 4_360_000.456), Position(121.6, 38.9), Position(4e7, -4e7), Position(-3, 2)]
        let scales = [1.0, 1e-5, 1.0, 1e-3]
        var compared = 0
        for round in 0..<2_000 {
            let origin = origins[round % 4], scale = scales[round % 4]
            let count = 1 + Int(random.next() % 3)
            let polygons: [PolygonRings] = (0..<count).map { p in
                let cx = origin.x + scale * (Double(p) * 50 + 10 * random.unitInterval())
                let cy = origin.y + scale * 10 * random.unitInterval()
                var rings = [ring(&random, cx, cy, scale * (5 + 15 * random.unitInterval()))]
                for _ in 0..<Int(random.next() % 3) { rings.append(ring(&random, cx, cy, scale * random.unitInterval())) }
                return rings
            }
            for value in [GeometryValue.multiPolygon(polygons)] + (count == 1 ? [.polygon(polygons[0])] : []) {
                let geos = try Geometry(value, context: context).area()
                let mine = Geometry.planarArea(of: value.polygons)
                #expect(mine.bitPattern == geos.bitPattern, "round \(round): \(mine) vs GEOS \(geos)")
                compared += 1
            }
        }
        #expect(compared > 2_000)
    }

    /// A closed ring of 3 to 40 points around (cx, cy), radius up to `radius` (self-intersecting
    /// now and then: the sum is a formula, valid or not).
    func ring(_ random: inout SeededGenerator, _ cx: Double, _ cy: Double, _ radius: Double) -> PositionList {
        let n = 3 + Int(random.next() % 38)
        var ring = (0..<n).map { i in
            let angle = Double(i) / Double(n) * 2 * .pi + 0.3 * random.unitInterval()
            let r = radius * (0.2 + 0.8 * random.unitInterval())
            return Position(x: cx + r * cos(angle), y: cy + r * sin(angle))
        }
        ring.append(ring[0])
        return ring
    }
}
