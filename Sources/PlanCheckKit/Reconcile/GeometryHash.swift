import Crypto
import PlanModel

/// A short fingerprint of a patch's shape, stored with a decision (`geometry_hash`,
/// `disposed_hash`) so that a later run can tell whether the land a decision was made on is
/// still the same land.
///
/// The polygons are normalised before hashing, so that the same land gives the same hash
/// whatever order GEOS wrote it in: coordinates rounded to 1 mm in a projected working CRS
/// (1e-8 degree, about 1 mm, in a geographic one), repeated points dropped, each ring started
/// at its smallest point and turned counter-clockwise (holes clockwise), holes and polygons
/// sorted. The hash is the first 16 hex digits of the SHA-256 of that sequence of integers
/// (polygon count, then per polygon its ring count, per ring its point count and points, as
/// little-endian 64-bit integers): no text is built, so it costs little beside the overlay.
public enum GeometryHash {
    /// The hash of `geometry`'s polygons (lines and points ignored), in the working CRS.
    /// For many geometries in a row, `GeometryHasher` gives the same hashes with fewer allocations.
    public static func of(_ geometry: GeometryValue, geographic: Bool) -> String {
        var hasher = GeometryHasher(geographic: geographic)
        return hasher.hash(geometry)
    }

    /// The first `bytes` bytes of `digest` as lower-case hex digits.
    static func hexPrefix(_ digest: SHA256.Digest, bytes: Int) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 2 * bytes) { text in
            var n = 0
            for byte in digest.prefix(bytes) {
                text[n] = digits.utf8Start[Int(byte >> 4)]
                text[n + 1] = digits.utf8Start[Int(byte & 0xF)]
                n += 2
            }
            return n
        }
    }

    struct Int64x2: Hashable {
        var x: Int64
        var y: Int64
    }

    /// Appends the ring's rounded points without the closing one or repeats, from its smallest
    /// point, counter-clockwise for an exterior and clockwise for a hole, to `flat` (`scratch` is
    /// working space) and returns where they went; nil (nothing appended) when fewer than 3 remain.
    static func appendNormalised(
        _ ring: PositionList, scale: Double, exterior: Bool, scratch: inout [Int64x2], to flat: inout [Int64x2]
    ) -> Range<Int>? {
        guard normalise(ring, scale: scale, exterior: exterior, into: &scratch) else { return nil }
        let start = scratch.indices.min { precedes(scratch[$0], scratch[$1]) }!
        let from = flat.count
        flat.append(contentsOf: scratch[start...])
        flat.append(contentsOf: scratch[..<start])
        return from..<flat.count
    }

    /// `points` := the ring's rounded points without the closing one or repeats, counter-clockwise
    /// for an exterior and clockwise for a hole (not yet rotated); false when fewer than 3 remain.
    private static func normalise(_ ring: PositionList, scale: Double, exterior: Bool, into points: inout [Int64x2]) -> Bool {
        points.removeAll(keepingCapacity: true)
        points.reserveCapacity(ring.count)
        for p in ring {
            let q = Int64x2(x: rounded(p.x * scale), y: rounded(p.y * scale))
            if points.last != q { points.append(q) }
        }
        if points.count > 1, points.first == points.last { points.removeLast() }
        guard points.count >= 3 else { return false }
        var twiceArea = 0.0
        let origin = points[0]
        for k in points.indices {
            let p = points[k], q = points[k + 1 == points.count ? 0 : k + 1]
            twiceArea += Double(p.x - origin.x) * Double(q.y - origin.y) - Double(q.x - origin.x) * Double(p.y - origin.y)
        }
        if (twiceArea < 0) == exterior { points.reverse() }
        return true
    }

    /// `value` to the nearest integer; 0 for what no Int64 holds (never in a checked geometry).
    static func rounded(_ value: Double) -> Int64 {
        let r = value.rounded()
        return r.isFinite && abs(r) < 9.2e18 ? Int64(r) : 0
    }

    static func lexicographic<A: Collection<Int64x2>, B: Collection<Int64x2>>(_ a: A, _ b: B) -> Bool {
        for (p, q) in zip(a, b) where p != q { return precedes(p, q) }
        return a.count < b.count
    }

    /// Points ordered by x, then y.
    static func precedes(_ p: Int64x2, _ q: Int64x2) -> Bool {
        p.x != q.x ? p.x < q.x : p.y < q.y
    }
}

/// `GeometryHash.of` for one geometry after another: the working arrays (normalised points,
/// ring and polygon ranges, the words hashed) are kept from one geometry to the next, so a
/// patch costs no arrays at all once they have grown. Not shared between tasks: each worker
/// has its own.
///
/// Every normalised ring goes into one flat buffer and is referred to by its range there; each
/// polygon is a range of `rings` (exterior first, then its holes).
struct GeometryHasher {
    /// Units per rounding step: 1 mm in a projected CRS, 1e-8 degree in a geographic one.
    let scale: Double
    private var flat: [GeometryHash.Int64x2] = []
    private var scratch: [GeometryHash.Int64x2] = []
    private var rings: [Range<Int>] = []
    private var polygons: [Range<Int>] = []
    private var words: [Int64] = []

    init(geographic: Bool) {
        scale = geographic ? 1e8 : 1e3
    }

    /// `GeometryHash.of(geometry, geographic:)`, the same 16 hex digits.
    mutating func hash(_ geometry: GeometryValue) -> String {
        normalise(geometry)
        writeWords()
        let digest = words.withUnsafeBytes { SHA256.hash(data: $0) }
        return GeometryHash.hexPrefix(digest, bytes: 8)
    }

    /// `flat`, `rings` and `polygons` := the normalised polygons of `geometry`, holes sorted
    /// within each polygon and polygons sorted by their exterior rings.
    private mutating func normalise(_ geometry: GeometryValue) {
        flat.removeAll(keepingCapacity: true)
        rings.removeAll(keepingCapacity: true)
        polygons.removeAll(keepingCapacity: true)
        for polygon in geometry.polygons {
            let first = rings.count
            for (k, ring) in polygon.enumerated() {
                if let range = GeometryHash.appendNormalised(ring, scale: scale, exterior: k == 0, scratch: &scratch, to: &flat) {
                    rings.append(range)
                }
            }
            guard rings.count > first else { continue }
            if rings.count - first > 2 {
                let flat = self.flat
                rings[(first + 1)...].sort { GeometryHash.lexicographic(flat[$0], flat[$1]) }
            }
            polygons.append(first..<rings.count)
        }
        if polygons.count > 1 {
            let (flat, rings) = (self.flat, self.rings)
            polygons.sort { GeometryHash.lexicographic(flat[rings[$0.lowerBound]], flat[rings[$1.lowerBound]]) }
        }
    }

    /// `words` := polygon count, then per polygon its ring count, per ring its point count and
    /// points, little-endian.
    private mutating func writeWords() {
        words.removeAll(keepingCapacity: true)
        words.reserveCapacity(1 + 2 * polygons.count + rings.count + 2 * flat.count)
        words.append(Int64(polygons.count).littleEndian)
        for polygon in polygons {
            words.append(Int64(polygon.count).littleEndian)
            for ring in rings[polygon] {
                words.append(Int64(ring.count).littleEndian)
                for p in flat[ring] {
                    words.append(p.x.littleEndian)
                    words.append(p.y.littleEndian)
                }
            }
        }
    }
}
