#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why byte-level JSON reading stopped. Offsets are byte offsets into the input; they become
/// line and column only when a message is made (`TextLocator`).
enum JSONFailure: Error {
    /// The bytes are not JSON; `message` says what was expected at `offset`.
    case syntax(offset: Int, message: String)
    /// The JSON is well formed but a geometry cannot be read (per feature, not fatal).
    case geometry(offset: Int, reason: String)
    /// The JSON is well formed but is not GeoJSON (fatal).
    case notGeoJSON(offset: Int, reason: String)
}

/// The byte range of a string token's content (between the quotes) and whether it has escapes.
struct StringToken {
    var start: Int
    var end: Int
    var escaped: Bool
}

/// A number token: up to 19 significant decimal digits in `mantissa`, scaled by 10^`exponent`.
struct NumberToken {
    var mantissa: UInt64
    var exponent: Int
    var negative: Bool
    /// A nonzero digit beyond the 19th significant digit was dropped (the fast path is not exact).
    var truncated: Bool
    /// Written without fraction or exponent.
    var integerSyntax: Bool
    var start: Int
    var end: Int
}

/// Exact powers of ten representable in a Double (10^0 ... 10^22).
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// A cursor over JSON text in memory (RFC 8259), strict about syntax.
///
/// It never builds a generic JSON tree: callers ask for the token they expect and compare keys as
/// bytes. The pointer is only valid inside the `withUnsafeBufferPointer` call that made it, so a
/// scanner must not outlive that call.
struct JSONScanner {
    /// Offset 0 of the input: `base[i]` is valid for the offsets of the bytes held, which end at
    /// `count` (a `FileWindow` holds a slice of the file and shifts `base` to match).
    var base: UnsafePointer<UInt8>
    var count: Int
    var pos: Int = 0
    /// The input goes on after `count` (a window that is not at the end of its file): a number
    /// that reaches `count` may be cut short, so it fails instead (the window is then moved).
    var moreInput = false
    /// Exact powers of ten, held here so the hot number path does not touch a lazy global.
    let powersOfTen: [Double] = exactPowersOfTen
    static let maxDepth = 512

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    // MARK: Bytes and whitespace

    /// The byte at the cursor, or 0 at the end of the input.
    @inline(__always) var current: UInt8 { pos < count ? base[pos] : 0 }

    @inline(__always) var atEnd: Bool { pos >= count }

    @inline(__always) mutating func skipWhitespace() {
        while pos < count {
            let c = base[pos]
            if c > 0x20 { return }
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// What the byte at `offset` starts, for messages ("a string", "']'", "end of file").
    func describe(at offset: Int) -> String {
        guard offset < count else { return "end of file" }
        let c = base[offset]
        switch c {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(c)))'"
        default: return "byte 0x\(String(c, radix: 16, uppercase: true))"
        }
    }

    // MARK: Structure

    /// At `{`: consumes it. Returns true when a member follows (cursor at its key).
    @inline(__always) mutating func enterObject() throws(JSONFailure) -> Bool {
        pos += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") { pos += 1; return false }
        return true
    }

    /// At a member's key: scans the key and the `:`, leaves the cursor at the value.
    @inline(__always) mutating func readKey() throws(JSONFailure) -> StringToken {
        guard current == UInt8(ascii: "\"") else {
            throw .syntax(offset: pos, message: "expected a string key in object, found \(describe(at: pos))")
        }
        let key = try scanString()
        skipWhitespace()
        guard current == UInt8(ascii: ":") else {
            throw .syntax(offset: pos, message: "expected ':' after object key")
        }
        pos += 1
        skipWhitespace()
        return key
    }

    /// After a member's value: consumes `,` (true: another member follows, cursor at its key)
    /// or `}` (false).
    @inline(__always) mutating func nextMember() throws(JSONFailure) -> Bool {
        skipWhitespace()
        let c = current
        if c == UInt8(ascii: ",") { pos += 1; skipWhitespace(); return true }
        if c == UInt8(ascii: "}") { pos += 1; return false }
        throw .syntax(offset: pos, message: "expected ',' or '}' after object member")
    }

    /// At `[`: consumes it. Returns true when an element follows (cursor at it).
    @inline(__always) mutating func enterArray() throws(JSONFailure) -> Bool {
        pos += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") { pos += 1; return false }
        return true
    }

    /// After an element: consumes `,` (true, cursor at the next element) or `]` (false).
    @inline(__always) mutating func nextElement() throws(JSONFailure) -> Bool {
        skipWhitespace()
        let c = current
        if c == UInt8(ascii: ",") { pos += 1; skipWhitespace(); return true }
        if c == UInt8(ascii: "]") { pos += 1; return false }
        throw .syntax(offset: pos, message: "expected ',' or ']' after array element")
    }

    /// Consumes the literal `word` (true, false, null) or fails.
    mutating func expectLiteral(_ word: StaticString) throws(JSONFailure) {
        let n = word.utf8CodeUnitCount
        if pos + n <= count && memcmp(base + pos, word.utf8Start, n) == 0 {
            pos += n
            return
        }
        throw .syntax(offset: pos, message: "expected '\(word)'")
    }

    /// Skips one value of any type, checking its syntax.
    mutating func skipValue(depth: Int = 0) throws(JSONFailure) {
        guard depth < Self.maxDepth else {
            throw .syntax(offset: pos, message: "nesting deeper than \(Self.maxDepth) levels")
        }
        switch current {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            if try enterObject() {
                repeat {
                    _ = try readKey()
                    try skipValue(depth: depth + 1)
                } while try nextMember()
            }
        case UInt8(ascii: "["):
            if try enterArray() {
                repeat {
                    try skipValue(depth: depth + 1)
                } while try nextElement()
            }
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber()
        default:
            throw .syntax(offset: pos, message: "expected a value, found \(describe(at: pos))")
        }
    }

    /// The high bit of each byte of `word` that equals `byte`, exactly (no borrow between bytes).
    @inline(__always) static func bytesEqual(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        let low7 = 0x7F7F_7F7F_7F7F_7F7F as UInt64
        return ~(((x & low7) &+ low7) | x | low7)
    }

    // MARK: Strings

    /// At the opening quote: scans to after the closing quote, checking escapes and rejecting raw
    /// control characters. Returns the content's byte range.
    @inline(__always) mutating func scanString() throws(JSONFailure) -> StringToken {
        var i = pos + 1
        let start = i
        var escaped = false
        let n = count
        let p = base
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                return StringToken(start: start, end: i, escaped: escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i = try checkEscape(at: i)
                continue
            }
            if c < 0x20 {
                throw .syntax(offset: i, message: "control character in string (must be escaped)")
            }
            i += 1
        }
        throw .syntax(offset: n, message: "expected '\"' to close the string, found end of file")
    }

    /// Checks the escape at `i` (a backslash); returns the offset after it.
    private func checkEscape(at i: Int) throws(JSONFailure) -> Int {
        guard i + 1 < count else {
            throw .syntax(offset: count, message: "expected an escape after '\\', found end of file")
        }
        switch base[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            for k in (i + 2)..<(i + 6) where k >= count || hexValue(base[k]) == nil {
                throw .syntax(offset: min(k, count), message: "expected 4 hex digits after '\\u'")
            }
            return i + 6
        default:
            throw .syntax(offset: i, message: "invalid escape '\\\(describeRaw(base[i + 1]))' in string")
        }
    }

    private func describeRaw(_ c: UInt8) -> String {
        c >= 0x21 && c <= 0x7E ? String(Character(Unicode.Scalar(c))) : "0x" + String(c, radix: 16)
    }

    @inline(__always) private func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c &- 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c &- 0x57)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c &- 0x37)
        default: nil
        }
    }

    /// The text of a scanned string, escapes decoded. Invalid UTF-8 and lone surrogates become
    /// U+FFFD.
    func string(_ t: StringToken) -> String {
        if !t.escaped {
            return String(decoding: UnsafeBufferPointer(start: base + t.start, count: t.end - t.start), as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(t.end - t.start)
        var i = t.start
        while i < t.end {
            let c = base[i]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate: valid only when a low surrogate escape follows.
                    if i + 6 <= t.end && base[i] == UInt8(ascii: "\\") && base[i + 1] == UInt8(ascii: "u") {
                        let low = hex4(at: i + 2)
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func hex4(at i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in i..<(i + 4) { v = v << 4 | (hexValue(base[k]) ?? 0) }
        return v
    }

    private func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80:
            out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | s >> 6))
            out.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | s >> 12))
            out.append(UInt8(0x80 | (s >> 6) & 0x3F))
            out.append(UInt8(0x80 | s & 0x3F))
        default:
            out.append(UInt8(0xF0 | s >> 18))
            out.append(UInt8(0x80 | (s >> 12) & 0x3F))
            out.append(UInt8(0x80 | (s >> 6) & 0x3F))
            out.append(UInt8(0x80 | s & 0x3F))
        }
    }

    /// True when the scanned string (without escapes) is exactly `literal`, compared as bytes.
    @inline(__always) func string(_ t: StringToken, is literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        return !t.escaped && t.end - t.start == n && memcmp(base + t.start, literal.utf8Start, n) == 0
    }

    /// True when the scanned string (without escapes) has exactly the bytes of `bytes`.
    @inline(__always) func string(_ t: StringToken, equals bytes: [UInt8]) -> Bool {
        let n = t.end - t.start
        guard !t.escaped, n == bytes.count else { return false }
        return bytes.withUnsafeBufferPointer { memcmp(base + t.start, $0.baseAddress!, n) == 0 }
    }

    // MARK: Numbers

    /// At `-` or a digit: scans a JSON number strictly (no leading zeros, no `+`, no bare `.`).
    @inline(__always) mutating func scanNumber() throws(JSONFailure) -> NumberToken {
        let p = base
        let n = count
        let start = pos
        var i = pos
        var negative = false
        if i < n && p[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var m: UInt64 = 0
        var digits = 0
        var exponent = 0
        var truncated = false
        guard i < n, p[i] &- 0x30 < 10 else {
            throw numberError(at: i, "expected a digit in number, found \(describe(at: i))")
        }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                if digits < 19 {
                    m = m &* 10 &+ UInt64(d)
                    digits += 1
                } else {
                    exponent += 1
                    if d != 0 { truncated = true }
                }
                i += 1
            }
        }
        var integerSyntax = true
        if i < n && p[i] == UInt8(ascii: ".") {
            integerSyntax = false
            i += 1
            guard i < n, p[i] &- 0x30 < 10 else {
                throw numberError(at: i, "expected a digit after '.' in number")
            }
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                if digits < 19 {
                    if m != 0 || d != 0 {
                        m = m &* 10 &+ UInt64(d)
                        digits += 1
                    }
                    exponent -= 1
                } else if d != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        if i < n && (p[i] | 0x20) == UInt8(ascii: "e") {
            integerSyntax = false
            i += 1
            var negativeExponent = false
            if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < n, p[i] &- 0x30 < 10 else {
                throw numberError(at: i, "expected a digit in number's exponent")
            }
            var e = 0
            while i < n {
                let d = p[i] &- 0x30
                if d >= 10 { break }
                if e < 100_000_000 { e = e * 10 + Int(d) }
                i += 1
            }
            exponent += negativeExponent ? -e : e
        }
        if i == n && moreInput { throw numberError(at: n, "number cut at the end of the window") }
        pos = i
        return NumberToken(mantissa: m, exponent: exponent, negative: negative, truncated: truncated,
                           integerSyntax: integerSyntax, start: start, end: i)
    }

    @inline(never) private func numberError(at offset: Int, _ message: @autoclosure () -> String) -> JSONFailure {
        .syntax(offset: offset, message: message())
    }

    /// The Double nearest to the number, identical to `strtod` on its text.
    ///
    /// Fast path (Clinger): when the significant digits fit 2^53 and the power of ten is exact
    /// (|exponent| <= 22), one IEEE multiplication or division rounds correctly. Everything else
    /// goes to the C library's correctly rounded `strtod`.
    @inline(__always) func double(_ t: NumberToken) -> Double {
        if !t.truncated {
            let m = t.mantissa
            if m == 0 { return t.negative ? -0.0 : 0.0 }
            if m <= 1 << 53 {
                let e = t.exponent
                var d = Double(m)
                if e == 0 {
                    // exact
                } else if e > 0 {
                    if e <= 22 {
                        d *= powersOfTen[e]
                    } else if e <= 22 + 15 {
                        // Move part of the power into the mantissa while it stays exact.
                        let (scaled, overflow) = m.multipliedReportingOverflow(by: UInt64(powersOfTen[e - 22]))
                        guard !overflow, scaled <= 1 << 53 else { return slowDouble(t) }
                        d = Double(scaled) * 1e22
                    } else {
                        return slowDouble(t)
                    }
                } else {
                    guard e >= -22 else { return slowDouble(t) }
                    d /= powersOfTen[-e]
                }
                return t.negative ? -d : d
            }
        }
        return slowDouble(t)
    }

    /// `strtod` on a NUL-terminated copy of the number's text.
    @inline(never) func slowDouble(_ t: NumberToken) -> Double {
        let n = t.end - t.start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            let raw = UnsafeMutableRawPointer(buf.baseAddress!)
            raw.copyMemory(from: base + t.start, byteCount: n)
            buf[n] = 0
            return strtod(buf.baseAddress!, nil)
        }
    }

    /// The number as Int64 when it is written without fraction or exponent and fits.
    @inline(__always) func integer(_ t: NumberToken) -> Int64? {
        guard t.integerSyntax, !t.truncated, t.exponent == 0 else { return nil }
        if t.negative {
            if t.mantissa <= UInt64(Int64.max) { return -Int64(t.mantissa) }
            if t.mantissa == UInt64(Int64.max) + 1 { return Int64.min }
            return nil
        }
        return t.mantissa <= UInt64(Int64.max) ? Int64(t.mantissa) : nil
    }

    /// The number's text as written.
    func text(_ t: NumberToken) -> String {
        String(decoding: UnsafeBufferPointer(start: base + t.start, count: t.end - t.start), as: UTF8.self)
    }
}

/// Turns byte offsets into 1-based line and column (columns count characters, not bytes).
/// Remembers the last answer, so offsets asked for in increasing order cost one pass in total.
/// Bytes behind the window are read again from the file (`FileWindow.forEachChunk`).
struct TextLocator {
    let bytes: FileWindow
    private(set) var offset = 0
    private var line = 1
    private(set) var lineStart = 0

    init(_ bytes: FileWindow) {
        self.bytes = bytes
    }

    mutating func location(of target: Int) -> (line: Int, column: Int) {
        let target = min(max(target, 0), bytes.size)
        if target < offset { offset = 0; line = 1; lineStart = 0 }
        var line = self.line
        var lineStart = self.lineStart
        bytes.forEachChunk(from: offset, upTo: target) { chunk, at in
            for k in chunk.indices where chunk[k] == 0x0A {
                line += 1
                lineStart = at + k + 1
            }
        }
        self.line = line
        self.lineStart = lineStart
        offset = target
        var column = 1
        bytes.forEachChunk(from: lineStart, upTo: target) { chunk, _ in
            for c in chunk where c & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}

/// Finds the end of a JSON array or object by counting brackets outside strings, and nothing else
/// (no syntax check), over the input given block by block: what `GeoJSONFeatureSource` uses to
/// skip a FeatureCollection's `features` when it looks for the members after them.
///
/// Eight bytes at a time while they hold no quote and cannot close the outermost bracket (the
/// depth exceeds the closing brackets among them): the brackets are counted from byte masks
/// (SWAR); everything else byte by byte. Several times faster than the parser.
struct BracketSkipper {
    private var depth = 0
    private var inString = false
    private var escaped = false

    /// The number of bytes marked in a `bytesEqual` mask (one multiply: x86-64's baseline has no
    /// popcount instruction).
    @inline(__always) private static func countMarks(_ mask: UInt64) -> Int {
        Int(((mask >> 7) &* 0x0101_0101_0101_0101) >> 56)
    }

    /// Scans the next block (starting at the `[` or `{` for the first one). Returns the index in
    /// this block just after the matching close, or nil when the block ends first.
    mutating func scan(_ block: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let p = block.baseAddress else { return nil }
        let n = block.count
        let raw = UnsafeRawPointer(p)
        // Locals, so that the loop keeps them in registers; stored back when the block ends.
        var depth = self.depth
        var inString = self.inString
        var escaped = self.escaped
        defer {
            self.depth = depth
            self.inString = inString
            self.escaped = escaped
        }
        var i = 0
        while i < n {
            if inString {
                // To the closing quote, stepping over escapes.
                if escaped { escaped = false; i += 1 }
                while i < n {
                    let c = p[i]
                    i += 1
                    if c == UInt8(ascii: "\"") { inString = false; break }
                    if c == UInt8(ascii: "\\") {
                        if i < n { i += 1 } else { escaped = true }
                    }
                }
                continue
            }
            while depth > 0 && i + 8 <= n {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                guard JSONScanner.bytesEqual(word, 0x22) == 0 else { break }
                let folded = word | 0x2020_2020_2020_2020
                let closeMask = JSONScanner.bytesEqual(folded, 0x7D)
                let openMask = JSONScanner.bytesEqual(folded, 0x7B)
                if closeMask | openMask != 0 {
                    let closes = Self.countMarks(closeMask)
                    guard depth > closes else { break }
                    depth += Self.countMarks(openMask) - closes
                }
                i += 8
            }
            guard i < n else { break }
            let c = p[i]
            i += 1
            if c == UInt8(ascii: "\"") {
                inString = true
            } else if c | 0x20 == UInt8(ascii: "{") {  // '[' or '{'
                depth += 1
            } else if c | 0x20 == UInt8(ascii: "}") {  // ']' or '}'
                depth -= 1
                if depth == 0 { return i }
            }
        }
        return nil
    }
}
