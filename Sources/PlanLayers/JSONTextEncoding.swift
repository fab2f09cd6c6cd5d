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
        appendEscaped(utf8: utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON string made of `prefix` then `text`, without building the joined String.
    mutating func appendString(prefix: String, _ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var prefix = prefix, text = text
        prefix.withUTF8 { appendEscaped(utf8: $0) }
        text.withUTF8 { appendEscaped(utf8: $0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The escaped body of a JSON string (no quotes).
    private mutating func appendEscaped(utf8: UnsafeBufferPointer<UInt8>) {
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
    }

    // MARK: Numbers

    /// The decimal digits of `value`, with a leading `-` when negative.
    mutating func appendInteger(_ value: Int64) {
        appendFormatted { p in
            var n = 0
            if value < 0 {
                p[0] = UInt8(ascii: "-")
                n = 1
            }
            return n + Self.writeDigits(value.magnitude, minimumCount: 1, to: p + n)
        }
    }

    /// A JSON number that reads back to exactly `value`; see `writeDouble`.
    mutating func appendDouble(_ value: Double, keepFraction: Bool) {
        appendFormatted { Self.writeDouble(value, keepFraction: keepFraction, to: $0) }
    }

    /// Runs `body` on a 64-byte scratch buffer and appends the bytes it says it wrote.
    @inline(__always) private mutating func appendFormatted(_ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let count = body(base)
            bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// Writes the digits of `value`, zero-padded on the left to at least `minimumCount`
    /// (at most 20 bytes); returns how many.
    @inline(__always) static func writeDigits(_ value: UInt64, minimumCount: Int, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let count = max(digitCount(value), minimumCount)
        writeDigitsBackward(value, count: count, endingAt: p + count)
        return count
    }

    /// Number of decimal digits of `value` (1 for 0), without a loop: a number of `b` bits has
    /// ⌊b·log₁₀2⌋ digits or one more (1233/4096 is log₁₀2 rounded up, exact enough for b ≤ 64),
    /// and one comparison with a power of ten decides which.
    @inline(__always) static func digitCount(_ value: UInt64) -> Int {
        let bits = UInt64.bitWidth - value.leadingZeroBitCount
        let guess = (bits &* 1233) >> 12
        return max(1, guess + (value >= powerOfTen(guess) ? 1 : 0))
    }

    /// Writes the last `count` digits of `value` (zero-padded) in the `count` bytes before `end`,
    /// two at a time.
    @inline(__always) private static func writeDigitsBackward(_ value: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        var v = value
        var q = end
        var left = count
        let pairs = digitPairs.utf8Start
        while left >= 2 {
            let pair = Int(v % 100)
            v /= 100
            q -= 2
            q[0] = pairs[2 * pair]
            q[1] = pairs[2 * pair + 1]
            left -= 2
        }
        if left == 1 {
            q -= 1
            q[0] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
        }
    }

    /// Writes `magnitude / 10^decimals` as plain decimal text (`decimals` ≤ 19, no exponent),
    /// without trailing fraction zeros, `-` first when `negative` and not zero; `keepFraction`
    /// writes `.0` after a whole number. At most 23 bytes. Returns how many.
    @inline(__always) static func writeFixed(
        negative: Bool, magnitude: UInt64, decimals: Int, keepFraction: Bool, to p: UnsafeMutablePointer<UInt8>
    ) -> Int {
        var k = magnitude
        var d = decimals
        while d > 0 && k % 10 == 0 {
            k /= 10
            d -= 1
        }
        var n = 0
        if negative && k != 0 {
            p[0] = UInt8(ascii: "-")
            n = 1
        }
        if d == 0 {
            n += writeDigits(k, minimumCount: 1, to: p + n)
            if keepFraction {
                p[n] = UInt8(ascii: ".")
                p[n + 1] = UInt8(ascii: "0")
                n += 2
            }
            return n
        }
        // Fraction digits one at a time from the right, the point, then the whole part.
        let wholeDigits = max(digitCount(k) - d, 1)
        let end = p + n + wholeDigits + 1 + d
        var q = end
        for _ in 0..<d {
            q -= 1
            q[0] = UInt8(truncatingIfNeeded: k % 10) &+ 0x30
            k /= 10
        }
        q -= 1
        q[0] = UInt8(ascii: ".")
        writeDigitsBackward(k, count: wholeDigits, endingAt: q)
        return end - p
    }

    /// Writes a JSON number that reads back (with any correctly rounding parser, e.g. `strtod`)
    /// to exactly `value`, with as few significant digits as that needs; at most 25 bytes.
    /// Numbers from 0.001 to 2^53 are written in plain decimal notation; others as Swift's
    /// `description` writes them, which is also shortest and valid JSON (`1e-07`,
    /// `1.2345678901234568e+17`).
    ///
    /// `keepFraction` makes whole numbers end in `.0`, so an attribute that was a double reads
    /// back as a double rather than an integer. Non-finite values are written as `null` (JSON has
    /// no NaN or infinity).
    static func writeDouble(_ value: Double, keepFraction: Bool, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = value.magnitude
        if magnitude < 9_007_199_254_740_992 {  // 2^53: every whole number below is exact
            if magnitude.rounded(.towardZero) == magnitude {
                if value == 0 && value.sign == .minus { return copy("-0.0", to: p) }
                return writeFixed(negative: value < 0, magnitude: UInt64(magnitude), decimals: 0,
                                  keepFraction: keepFraction, to: p)
            }
            if magnitude >= 0.001 {
                if let k = microDecimal(magnitude) {
                    return writeFixed(negative: value < 0, magnitude: k, decimals: 6, keepFraction: false, to: p)
                }
                let (k, d) = shortestDecimal(magnitude)
                return writeFixed(negative: value < 0, magnitude: k, decimals: d, keepFraction: false, to: p)
            }
        }
        guard value.isFinite else { return copy("null", to: p) }
        var text = value.description
        return text.withUTF8 { utf8 in
            p.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    /// Writes a coordinate: rounded to `decimals` places when given (trailing zeros dropped),
    /// else the shortest exact text; whole numbers without `.0`. At most 25 bytes.
    @inline(__always) static func writeCoordinate(_ value: Double, decimals: Int?, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if let decimals {
            let scaled = (value * Double(powerOfTen(decimals))).rounded()
            if scaled.magnitude < 9_007_199_254_740_992 {
                return writeFixed(negative: scaled < 0, magnitude: UInt64(scaled.magnitude), decimals: decimals,
                                  keepFraction: false, to: p)
            }
            // Too many digits to round in 53 bits (or not finite): the exact value instead.
        }
        return writeDouble(value, keepFraction: false, to: p)
    }

    private static func copy(_ text: StaticString, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    /// The fast path of `shortestDecimal` for numbers with at most 6 decimals (every coordinate
    /// on Clipper's 1 µm grid, and most survey coordinates): `k` such that `k / 10^6` is what
    /// `shortestDecimal(x)` gives (`writeFixed` drops the trailing zeros), or nil when that is
    /// not certain (then `shortestDecimal` decides).
    ///
    /// For 0.001 ≤ x < 2^33 a double's spacing is below 10⁻⁶, so at most one number with 6
    /// decimals reads back to `x`, and every shorter decimal that does is that same number.
    /// `x · 10^6` is split exactly into `product + residual` (fused multiply-add); `k` is taken
    /// only when it lies within 0.45 of a spacing of `x` (0.2 at a power of two, whose lower
    /// neighbour is half as far), well inside the half-spacing a correctly rounding parser needs.
    @inline(__always) static func microDecimal(_ x: Double) -> UInt64? {
        guard x < 8_589_934_592 else { return nil }  // 2^33
        let product = x * 1e6
        let residual = (-product).addingProduct(x, 1e6)  // x · 10^6 − product, exactly
        let k = product.rounded()
        let distance = ((k - product) - residual).magnitude  // |k − x · 10^6|
        let margin = (x.significandBitPattern == 0 ? 0.2 : 0.45) * x.ulp * 1e6
        return distance < margin ? UInt64(k) : nil
    }

    /// For a positive, finite, non-integral `x` with 0.001 ≤ x < 2^53: the decimal `k / 10^d` with
    /// the fewest digits after the point that a correctly rounding parser turns back into `x`
    /// (of several such `k` the nearest to `x`, ties to even).
    ///
    /// Exact integer arithmetic: `x = m · 2^e`; the numbers that round to `x` are those strictly
    /// between the midpoints to its neighbours, or on a midpoint when `m` is even (as
    /// round-half-to-even then picks `x`). Scaled by 4 so both midpoints are integers:
    /// `low = 4m − 2` (or `4m − 1` when the neighbour below is in the next binade down),
    /// `high = 4m + 2`, in units of `2^(e−2)`. First the range of `k` at `D` digits, where `k`
    /// has 17 to 19 digits (17 significant digits always suffice); then digits are dropped while
    /// the range still holds a whole number.
    static func shortestDecimal(_ x: Double) -> (k: UInt64, d: Int) {
        let bits = x.bitPattern
        let exponentField = Int((bits >> 52) & 0x7FF)
        let fraction = bits & ((1 << 52) - 1)
        let m = fraction | (1 << 52)
        // x = 4m · 2^-shift; 0.001 ≤ x < 2^53 non-integral gives 1013 ≤ exponentField ≤ 1074,
        // so 3 ≤ shift ≤ 64.
        let shift = 1075 - exponentField + 2
        let mid = m << 2
        let low = mid - (fraction == 0 ? 1 : 2)
        let high = mid + 2
        let evenMantissa = m & 1 == 0

        // D = 19 minus the digits before the point, so that x · 10^D < 10^19 < 2^64.
        var digits = 19
        var limit = 1.0
        while x >= limit {
            digits -= 1
            limit *= 10
        }
        let p = powerOfTen(digits)
        let lowCeil = scaled(low, p, shift)
        let highFloor = scaled(high, p, shift)
        var kMin = lowCeil.remainder == 0 ? lowCeil.quotient : lowCeil.quotient + 1
        var kMax = highFloor.quotient
        // On a midpoint exactly: included only when round-half-to-even gives x.
        if lowCeil.remainder == 0 && !evenMantissa { kMin += 1 }
        if highFloor.remainder == 0 && !evenMantissa { kMax -= 1 }
        // Drop 16, 8, 4, 2 and 1 digits where the range still holds a whole number (at most 19
        // in all); constant divisors compile to multiplications.
        var d = digits
        @inline(__always) func drop(_ count: Int, _ divisor: UInt64) {
            guard d >= count else { return }
            let coarserMin = kMin / divisor + (kMin % divisor == 0 ? 0 : 1)
            let coarserMax = kMax / divisor
            if coarserMin <= coarserMax {
                kMin = coarserMin
                kMax = coarserMax
                d -= count
            }
        }
        drop(16, 10_000_000_000_000_000)
        drop(8, 100_000_000)
        drop(4, 10_000)
        drop(2, 100)
        drop(1, 10)
        // The k in [kMin, kMax] nearest to x · 10^d.
        let centre = scaled(mid, powerOfTen(d), shift)
        var k = centre.quotient
        let half: UInt64 = 1 << (shift - 1)
        if centre.remainder > half || (centre.remainder == half && k & 1 == 1) { k += 1 }
        return (min(max(k, kMin), kMax), d)
    }

    /// `(a · p) / 2^shift` for `0 < shift ≤ 64` when the quotient fits 64 bits: floor and remainder.
    @inline(__always) private static func scaled(_ a: UInt64, _ p: UInt64, _ shift: Int) -> (quotient: UInt64, remainder: UInt64) {
        let (high, low) = a.multipliedFullWidth(by: p)
        if shift == 64 { return (high, low) }
        return ((high << (64 - shift)) | (low >> shift), low & ((1 << shift) - 1))
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
        var first = true
        appendMembers(members, prefix: "", first: &first)
        bytes.append(UInt8(ascii: "}"))
    }

    /// An object whose members are those of `parts`, in order.
    mutating func appendObject(parts: [EncodableFeature.Part]) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for part in parts {
            switch part {
            case .members(let members):
                appendMembers(members, prefix: "", first: &first)
            case .encoded(let encoded):
                guard !encoded.bytes.isEmpty else { continue }
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                bytes.append(contentsOf: encoded.bytes)
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `"name":value` for each member (names after `prefix`), a `,` before each but the very
    /// first member of the object (`first` tracks that across calls).
    mutating func appendMembers(_ members: [Attribute], prefix: String, first: inout Bool) {
        for member in members {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            if prefix.isEmpty { appendString(member.name) } else { appendString(prefix: prefix, member.name) }
            bytes.append(UInt8(ascii: ":"))
            appendValue(member.value)
        }
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

    /// `[x,y]`, formatted in a scratch buffer and appended at once (at most 53 bytes).
    @inline(__always) private mutating func appendPosition(_ position: Position, _ decimals: Int?) {
        appendFormatted { p in
            p[0] = UInt8(ascii: "[")
            var n = 1
            n += Self.writeCoordinate(position.x, decimals: decimals, to: p + n)
            p[n] = UInt8(ascii: ",")
            n += 1
            n += Self.writeCoordinate(position.y, decimals: decimals, to: p + n)
            p[n] = UInt8(ascii: "]")
            return n + 1
        }
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

/// 10^d for 0 ≤ d ≤ 19 (every power of ten that fits in a UInt64).
@inline(__always) private func powerOfTen(_ d: Int) -> UInt64 {
    // A literal tuple rather than a global array: no lazy initialisation or bounds check per use.
    let table: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
         10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
         1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000,
         1_000_000_000_000_000_000, 10_000_000_000_000_000_000)
    precondition(d >= 0 && d < 20)
    return withUnsafeBytes(of: table) { $0.load(fromByteOffset: d * 8, as: UInt64.self) }
}

/// "00" "01" ... "99", for writing two digits at a time.
private let digitPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
private let base64Digits: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
