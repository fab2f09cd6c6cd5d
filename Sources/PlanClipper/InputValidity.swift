import CClipperShim
import PlanModel

/// An exact, sufficient test of OGC validity for polygons as read from a layer, which spares
/// GEOS's check (`GEOSisValidDetail_r`) of most features.
///
/// The rings go on an integer grid whose cell is a power of two, four times the spacing of
/// doubles at the feature's largest |coordinate| (2⁻²⁵ m ≈ 0.03 µm at CGCS2000 GK eastings of
/// 4·10⁷ m; 2⁻⁴⁴° ≈ 6·10⁻¹⁴° at longitudes of 64-128°): dividing a coordinate by the cell is
/// exact, so each cell number is within half a cell of the vertex it stands for. The test then asks, in exact
/// integer arithmetic, whether every ring is simple, no two rings meet, each hole lies inside its
/// own shell and each shell outside the other polygons — with every vertex allowed to move by a
/// whole cell in x and in y. The real vertices are such a move (half a cell at most), and so is
/// every point on the straight way from the grid to them: along it no ring ever touches itself
/// or another, so the nesting of the rings is the same for the doubles as on the grid, and the
/// rings of doubles are simple, apart and nested as valid polygons are. GEOS decides on those
/// same doubles with robust predicates (orientation in double-double arithmetic, ray crossing
/// on it), whose error for coordinates within 2^±64 is far below the half cell left over, so it
/// finds them valid too.
///
/// "Not certain" is not "invalid": touching or nearly touching rings (within two cells),
/// repeated points, spikes, collinear points folding back, more than 256 rings, coordinates not
/// finite or beyond 2⁶⁴ are left to GEOS, as are rings arranged so that the sweep over edge pairs
/// would cost more than GEOS (over 64 pairs per vertex).
public enum InputValidity {
    /// True only when GEOS certainly finds `polygons` valid, as a Polygon (one member) or a
    /// MultiPolygon. Each ring closed (its first position repeated last), each polygon's shell
    /// first; any CRS.
    public static func isCertainlyValid(_ polygons: [PolygonRings]) -> Bool {
        var xy: [Double] = []
        var sizes: [Int] = []
        var owners: [Int32] = []
        var ringCount = 0, pointCount = 0
        for rings in polygons {
            ringCount += rings.count
            for ring in rings { pointCount += ring.count }
        }
        guard ringCount > 0, ringCount <= 256 else { return false }
        xy.reserveCapacity(2 * pointCount)
        sizes.reserveCapacity(ringCount)
        owners.reserveCapacity(ringCount)
        for (index, rings) in polygons.enumerated() {
            guard !rings.isEmpty else { return false }
            for ring in rings {
                guard ring.count >= 4, ring.first == ring.last else { return false }
                for p in ring.dropLast() {
                    xy.append(p.x)
                    xy.append(p.y)
                }
                sizes.append(ring.count - 1)
                owners.append(Int32(index))
            }
        }
        return xy.withUnsafeBufferPointer { xy in
            sizes.withUnsafeBufferPointer { sizes in
                owners.withUnsafeBufferPointer { owners in
                    pc_polygons_certainly_valid(xy.baseAddress, sizes.baseAddress, owners.baseAddress, sizes.count) == 1
                }
            }
        }
    }
}
