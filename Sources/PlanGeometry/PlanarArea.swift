import PlanModel

extension Geometry {
    /// The planar area `GEOSArea_r` gives for a Polygon or MultiPolygon of `polygons`, bit for bit,
    /// without building the geometry: for each polygon |shell| − Σ |hole|, polygons summed in
    /// order, each ring by GEOS 3.11's shoelace sum (`Area::ofRingSigned`: x taken from the ring's
    /// first x, Σ (xᵢ − x₀)·(yᵢ₋₁ − yᵢ₊₁) over i = 1 … n−2, halved), in the same order of operations.
    /// Rings closed (first position repeated last). CRS units² (m² for a projected CRS in metres).
    public static func planarArea(of polygons: [PolygonRings]) -> Double {
        var total = 0.0
        for rings in polygons {
            guard let shell = rings.first else { continue }
            var area = 0.0
            area += abs(signedRingArea(shell))
            for hole in rings.dropFirst() { area -= abs(signedRingArea(hole)) }
            total += area
        }
        return total
    }

    /// GEOS's signed shoelace area of one closed ring (`Area::ofRingSigned`), CRS units².
    static func signedRingArea(_ ring: PositionList) -> Double {
        let n = ring.count
        guard n >= 3 else { return 0 }
        return ring.withUnsafeBufferPointer { p in
            let x0 = p[0].x
            var sum = 0.0
            for i in 1..<(n - 1) {
                sum += (p[i].x - x0) * (p[i - 1].y - p[i + 1].y)
            }
            return sum / 2.0
        }
    }
}
