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
    public static func of(_ geometry: GeometryValue, geographic: Bool) -> String {
        let scale = geographic ? 1e8 : 1e3
        let polygons = geometry.polygons.map { polygon -> [[Int64x2]] in
            let rings = polygon.enumerated().compactMap { k, ring in normalised(ring, scale: scale, exterior: k == 0) }
            guard let exterior = rings.first else { return [] }
            return [exterior] + rings.dropFirst().sorted(by: lexicographic)
        }.filter { !$0.isEmpty }.sorted { lexicographic($0[0], $1[0]) }
        var words: [Int64] = [Int64(polygons.count)]
        words.reserveCapacity(1 + polygons.reduce(0) { $0 + 1 + $1.reduce(0) { $0 + 1 + 2 * $1.count } })
        for polygon in polygons {
            words.append(Int64(polygon.count))
            for ring in polygon {
                words.append(Int64(ring.count))
                for p in ring {
                    words.append(p.x.littleEndian)
                    words.append(p.y.littleEndian)
                }
            }
        }
        let digest = words.withUnsafeBytes { SHA256.hash(data: $0) }
        return hexPrefix(digest, bytes: 8)
    }

    /// The first `bytes` bytes of `digest` as lower-case hex digits.
    static func hexPrefix(_ digest: SHA256.Digest, bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * bytes)
        for byte in digest.prefix(bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    struct Int64x2: Hashable {
        var x: Int64
        var y: Int64
    }

    /// The ring's rounded points without the closing one or repeats, from its smallest point,
    /// counter-clockwise for an exterior and clockwise for a hole; nil when fewer than 3 remain.
    static func normalised(_ ring: PositionList, scale: Double, exterior: Bool) -> [Int64x2]? {
        var points: [Int64x2] = []
        points.reserveCapacity(ring.count)
        for p in ring {
            let q = Int64x2(x: rounded(p.x * scale), y: rounded(p.y * scale))
            if points.last != q { points.append(q) }
        }
        if points.count > 1, points.first == points.last { points.removeLast() }
        guard points.count >= 3 else { return nil }
        var twiceArea = 0.0
        for k in points.indices {
            let p = points[k], q = points[(k + 1) % points.count]
            twiceArea += Double(p.x - points[0].x) * Double(q.y - points[0].y) - Double(q.x - points[0].x) * Double(p.y - points[0].y)
        }
        if (twiceArea < 0) == exterior { points.reverse() }
        let start = points.indices.min { precedes(points[$0], points[$1]) }!
        return start == 0 ? points : Array(points[start...]) + points[..<start]
    }

    /// `value` to the nearest integer; 0 for what no Int64 holds (never in a checked geometry).
    static func rounded(_ value: Double) -> Int64 {
        let r = value.rounded()
        return r.isFinite && abs(r) < 9.2e18 ? Int64(r) : 0
    }

    static func lexicographic(_ a: [Int64x2], _ b: [Int64x2]) -> Bool {
        for (p, q) in zip(a, b) where p != q { return precedes(p, q) }
        return a.count < b.count
    }

    /// Points ordered by x, then y.
    static func precedes(_ p: Int64x2, _ q: Int64x2) -> Bool {
        p.x != q.x ? p.x < q.x : p.y < q.y
    }
}
