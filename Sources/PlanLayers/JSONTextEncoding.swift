import PlanModel

/// JSON text appended to a byte buffer: strings escaped per RFC 8259, integers, doubles as the
/// shortest text that reads back to the same bits, GeoJSON geometries and attribute values.
///
/// No Foundation and no `String` per number: formatting `Double.description` costs about 85 ns a
/// number (measured), which alone would take 0.7 s for 100 000 polygons of 40 vertices.
struct JSONText {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Literals and strings

    @inline(__always) mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// ASCII text known at compile time (punctuation, member names, literals).
    @inline(__always) mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string: `"`, `\` and control characters below U+0020 escaped (`\n`, `\t`, ... and
    /// `\u00XX` for the rest); everything else, Chinese text included, written as raw UTF-8.
    mutating func appendString(_ text: String) {
        var text = text
        text.withUTF8 { appendString(utf8: $0) }
    }

    mutating func appendString(utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            switch c {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            default:
                append("\\u00")
                bytes.append(hexDigits[Int(c >> 4)])
                bytes.append(hexDigits[Int(c & 0xF)])
            }
            i += 1
            runStart = i
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: Numbers

    /// The decimal digits of `value`, with a leading `-` when negative.
    mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumCount: 1)
    }

    /// Digits of `value`, zero-padded on the left to at least `minimumCount` digits.
    @inline(__always) private mutating func appendDigits(_ value: UInt64, minimumCount: Int) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &scratch) { raw in
            var end = raw.count
            var v = value
            repeat {
                end -= 1
                raw[end] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            } while v != 0
            while raw.count - end < minimumCount {
                end -= 1
                raw[end] = 0x30
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[end...]))
        }
    }

    /// `magnitude / 10^decimals` as plain decimal text (`decimals` ≤ 19, no exponent), without
    /// trailing fraction zeros; `keepFraction` writes `.0` after a whole number.
    private mutating func appendFixed(negative: Bool, magnitude: UInt64, decimals: Int, keepFraction: Bool) {
        var k = magnitude
        var d = decimals
        while d > 0 && k % 10 == 0 {
            k /= 10
            d -= 1
        }
        if negative && k != 0 { bytes.append(UInt8(ascii: "-")) }
        if d == 0 {
            appendDigits(k, minimumCount: 1)
            if keepFraction { append(".0") }
            return
        }
        let scale = powersOfTen[d]
        appendDigits(k / scale, minimumCount: 1)
        bytes.append(UInt8(ascii: "."))
        appendDigits(k % scale, minimumCount: d)
    }

    /// A JSON number that reads back (with any correctly rounding parser, e.g. `strtod`) to
    /// exactly `value`, using as few significant digits as that needs. Numbers from 0.001 to
    /// 2^53 are written in plain decimal notation; others as Swift's `description` writes them,
    /// which is also shortest and valid JSON (`1e-07`, `1.2345678901234568e+17`).
    ///
    /// `keepFraction` makes whole numbers end in `.0`, so an attribute that was a double reads back
    /// as a double rather than an integer. Non-finite values are written as `null` (JSON has no
    /// NaN or infinity).
    mutating func appendDouble(_ value: Double, keepFraction: Bool) {
        guard value.isFinite else {
            append("null")
            return
        }
        let magnitude = value.magnitude
        if magnitude < 9_007_199_254_740_992 {  // 2^53: every whole number below is exact
            if magnitude.rounded(.towardZero) == magnitude {
                if value == 0 && value.sign == .minus {
                    append("-0.0")
                    return
                }
                appendFixed(negative: value < 0, magnitude: UInt64(magnitude), decimals: 0, keepFraction: keepFraction)
                return
            }
            if magnitude >= 0.001, let (k, d) = Self.shortestDecimal(magnitude) {
                appendFixed(negative: value < 0, magnitude: k, decimals: d, keepFraction: keepFraction)
                return
            }
        }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A coordinate: rounded to `decimals` places when given (trailing zeros dropped), else the
    /// shortest exact text. Whole numbers are written without `.0`.
    @inline(__always) mutating func appendCoordinate(_ value: Double, decimals: Int?) {
        if let decimals {
            let scaled = (value * Double(powersOfTen[decimals])).rounded()
            if scaled.magnitude < 9_007_199_254_740_992 {
                appendFixed(negative: scaled < 0, magnitude: UInt64(scaled.magnitude), decimals: decimals, keepFraction: false)
                return
            }
            // Too many digits to round in 53 bits (or not finite): the exact value instead.
        }
        appendDouble(value, keepFraction: false)
    }

    /// For a positive, finite, non-integral `x` with 0.001 ≤ x < 2^53: the decimal `k / 10^d` with
    /// the fewest digits after the point that a correctly rounding parser turns back into `x`
    /// (of several such `k`, the nearest to `x`). nil if none is found with d ≤ 19.
    ///
    /// Exact integer arithmetic: `x = m · 2^e`; the numbers that round to `x` are those strictly
    /// between the midpoints to its neighbours (or on a midpoint when `m` is even, as
    /// round-half-to-even then picks `x`). Scaled by 4 so both midpoints are integers:
    /// `low = 4m − 2` (or `4m − 1` when the neighbour below is in the next binade down),
    /// `high = 4m + 2`, in units of `2^(e−2)`. A `k` exists for some `d` if and only if it exists
    /// for every larger `d`, so the smallest `d` is found by bisection.
    static func shortestDecimal(_ x: Double) -> (UInt64, Int)? {
        let bits = x.bitPattern
        let exponentField = Int((bits >> 52) & 0x7FF)
        let fraction = bits & ((1 << 52) - 1)
        guard exponentField > 0 else { return nil }  // subnormal: not in range anyway
        let m = fraction | (1 << 52)
        let shift = 1075 - exponentField + 2  // x = 4m · 2^-shift
        // x ≥ 0.001 means exponentField ≥ 1013, so shift ≤ 64; x non-integral means shift > 2.
        guard shift > 2 && shift <= 64 else { return nil }
        let mid = m << 2
        let low = mid - (fraction == 0 && exponentField > 1 ? 1 : 2)
        let high = mid + 2
        let evenMantissa = m & 1 == 0

        /// The k for `d`, or nil when no k/10^d rounds to x.
        func candidate(_ d: Int) -> UInt64? {
            let p = powersOfTen[d]
            let lowCeil = Self.scaled(low, p, shift, roundUp: true)
            let highFloor = Self.scaled(high, p, shift, roundUp: false)
            guard !lowCeil.overflow && !highFloor.overflow else { return nil }
            var kMin = lowCeil.quotient
            var kMax = highFloor.quotient
            // On a midpoint exactly: included only when round-half-to-even gives x.
            if lowCeil.exact && !evenMantissa { kMin &+= 1 }
            if highFloor.exact && !evenMantissa {
                if kMax == 0 { return nil }
                kMax -= 1
            }
            guard kMin <= kMax else { return nil }
            let centre = Self.scaled(mid, p, shift, roundUp: false)
            // Nearest to x: the floor or the one above, whichever is closer (ties: the even one).
            var k = centre.quotient
            let half: UInt64 = 1 << (shift - 1)
            if centre.remainder > half || (centre.remainder == half && k & 1 == 1) { k += 1 }
            return min(max(k, kMin), kMax)
        }

        // The most digits whose k still fits in 64 bits (at least 18 significant digits, so a
        // k exists there for every x in range).
        var maxDigits = 19
        while maxDigits > 0 && Self.scaled(high, powersOfTen[maxDigits], shift, roundUp: false).overflow {
            maxDigits -= 1
        }
        guard candidate(maxDigits) != nil else { return nil }
        var lo = 0, hi = maxDigits  // candidate(hi) exists
        while lo < hi {
            let midD = (lo + hi) / 2
            if candidate(midD) != nil { hi = midD } else { lo = midD + 1 }
        }
        guard let k = candidate(hi) else { return nil }
        return (k, hi)
    }

    /// `(a · p) / 2^shift` for `0 < shift ≤ 64`: the floor (or ceiling), whether the division was
    /// exact, the remainder (only meaningful for the floor), and whether the quotient did not fit
    /// in 64 bits (the other results are then meaningless).
    @inline(__always) private static func scaled(_ a: UInt64, _ p: UInt64, _ shift: Int, roundUp: Bool)
        -> (quotient: UInt64, exact: Bool, remainder: UInt64, overflow: Bool)
    {
        let (high, low) = a.multipliedFullWidth(by: p)
        var quotient: UInt64
        let remainder: UInt64
        var overflow = false
        if shift == 64 {
            quotient = high
            remainder = low
        } else {
            overflow = high >> shift != 0
            quotient = (high << (64 - shift)) | (low >> shift)
            remainder = low & ((1 << shift) - 1)
        }
        let exact = remainder == 0
        if roundUp && !exact {
            if quotient == .max { overflow = true } else { quotient += 1 }
        }
        return (quotient, exact, remainder, overflow)
    }

    // MARK: Attribute values

    /// Any attribute value as JSON. Doubles keep a fraction or exponent so they read back as
    /// doubles; non-finite doubles become `null`; BLOBs become base64 strings.
    mutating func appendValue(_ value: AttributeValue) {
        switch value {
        case .null: append("null")
        case .bool(let b): b ? append("true") : append("false")
        case .integer(let i): appendInteger(i)
        case .double(let d): appendDouble(d, keepFraction: true)
        case .string(let s): appendString(s)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendValue(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            appendObject(members)
        case .blob(let data):
            appendBase64(data)
        }
    }

    /// An object with `members` in their order.
    mutating func appendObject(_ members: [Attribute]) {
        bytes.append(UInt8(ascii: "{"))
        for (i, member) in members.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendString(member.name)
            bytes.append(UInt8(ascii: ":"))
            appendValue(member.value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func appendBase64(_ data: [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var i = 0
        while i + 3 <= data.count {
            let n = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            for shift in [18, 12, 6, 0] { bytes.append(base64Digits[Int((n >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = data.count - i
        if rest > 0 {
            let n = UInt32(data[i]) << 16 | (rest == 2 ? UInt32(data[i + 1]) << 8 : 0)
            bytes.append(base64Digits[Int((n >> 18) & 63)])
            bytes.append(base64Digits[Int((n >> 12) & 63)])
            bytes.append(rest == 2 ? base64Digits[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            bytes.append(UInt8(ascii: "="))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: Geometry

    /// A GeoJSON geometry object. An empty point is `"coordinates":[]`; a non-finite coordinate
    /// is written as `null` (the reader then reports that geometry as malformed, which is what
    /// such a coordinate is).
    mutating func appendGeometry(_ geometry: GeometryValue, decimals: Int?) {
        append("{\"type\":\"")
        switch geometry {
        case .point(let p):
            append("Point\",\"coordinates\":")
            if let p { appendPosition(p, decimals) } else { append("[]") }
        case .lineString(let line):
            append("LineString\",\"coordinates\":")
            appendPositions(line, decimals)
        case .polygon(let rings):
            append("Polygon\",\"coordinates\":")
            appendRings(rings, decimals)
        case .multiPoint(let points):
            append("MultiPoint\",\"coordinates\":")
            appendPositions(points, decimals)
        case .multiLineString(let lines):
            append("MultiLineString\",\"coordinates\":")
            appendRings(lines, decimals)
        case .multiPolygon(let polygons):
            append("MultiPolygon\",\"coordinates\":[")
            for (i, polygon) in polygons.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendRings(polygon, decimals)
            }
            bytes.append(UInt8(ascii: "]"))
        case .geometryCollection(let members):
            append("GeometryCollection\",\"geometries\":[")
            for (i, member) in members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendGeometry(member, decimals: decimals)
            }
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    @inline(__always) private mutating func appendPosition(_ p: Position, _ decimals: Int?) {
        bytes.append(UInt8(ascii: "["))
        appendCoordinate(p.x, decimals: decimals)
        bytes.append(UInt8(ascii: ","))
        appendCoordinate(p.y, decimals: decimals)
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func appendPositions(_ positions: PositionList, _ decimals: Int?) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for p in positions {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            appendPosition(p, decimals)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func appendRings(_ rings: [PositionList], _ decimals: Int?) {
        bytes.append(UInt8(ascii: "["))
        for (i, ring) in rings.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendPositions(ring, decimals)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

/// 10^0 ... 10^19, every power of ten that fits in a UInt64.
private let powersOfTen: [UInt64] = (0...19).map { (0..<$0).reduce(UInt64(1)) { acc, _ in acc * 10 } }

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
private let base64Digits: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
