import Crypto
import Foundation

/// One patch of a slice's file, as `plan-check merge` needs it: its merge key, its Feature
/// text without the key (the bytes the whole run writes), and the properties the merged
/// summary is recomputed from.
struct SlicePatch {
    var key: PatchMergeKey
    /// `{"type":"Feature",…}` exactly as the whole run writes it.
    var text: [UInt8]
    var ruleID: String
    /// `area_m2` and `area_ellipsoidal_m2` (they round-trip: written as the shortest text that
    /// reads back to the same double).
    var area: Double
    var ellipsoidalArea: Double
    var aCode: String?
    var bCode: String?
}

/// Reads a slice's patch file one Feature at a time, in bounded memory (a block buffer and the
/// current line), checking that it is whole: the FeatureCollection header, one Feature per line
/// each ending with its merge key, the closing `]}` and nothing after it. A file cut short, or
/// with anything else in it, is refused. The bytes are hashed as they are read (`sha256`).
///
/// Owns a file descriptor; stays on one task.
final class SlicePatchReader {
    let path: String
    /// The first line: `{"type":"FeatureCollection",…,"features":[` and its newline.
    private(set) var header: [UInt8] = []
    /// Features read so far.
    private(set) var count = 0
    private let handle: FileHandle
    private let blockSize: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var endOfFile = false
    private var finished = false
    private var lineNumber = 0
    private var hasher = SHA256()

    /// Opens `path` and reads its header line.
    /// - Throws: `MergeError` (`.missingFile` when it cannot be opened, `.patchFile` when it does
    ///   not start as a patch file).
    init(path: String, blockSize: Int) throws(MergeError) {
        self.path = path
        self.blockSize = max(4_096, blockSize)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MergeError(.missingFile, path: path, "cannot open this patch file (no permission to read it, or it is a folder)")
        }
        self.handle = handle
        guard let line = try nextLine(limit: Self.headerLimit), Self.isHeader(line) else {
            throw MergeError(.patchFile, path: path, "not a plan-check patch file: it does not start with a GeoJSON FeatureCollection header line")
        }
        header = Array(line) + [UInt8(ascii: "\n")]
    }

    deinit { try? handle.close() }

    /// The SHA-256 of every byte read (lowercase hex): the file's, once `next()` returned nil.
    var sha256: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }

    /// The next Feature, or nil after the last one (the file's end checked).
    /// - Throws: `MergeError.patchFile` naming the line that is not what a slice writes.
    func next() throws(MergeError) -> SlicePatch? {
        guard !finished else { return nil }
        guard let line = try nextLine() else { throw cutShort() }
        if count == 0 && line.isEmpty {
            // An empty collection: the header, an empty line, then the end.
            try expectEnd()
            return nil
        }
        var text = line
        let more = text.last == UInt8(ascii: ",")
        if more { text = text.dropLast() }
        guard text.starts(with: Self.featureStart) else {
            throw failure("line \(lineNumber) is not a Feature (\(Self.preview(line)))")
        }
        let patch = try parse(text)
        count += 1
        if !more { try expectEnd() }
        return patch
    }

    // MARK: Lines

    private static let featureStart = Array(#"{"type":"Feature","#.utf8)
    private static let headerStart = Array(#"{"type":"FeatureCollection""#.utf8)
    private static let headerEnd = Array(#""features":["#.utf8)

    static func isHeader(_ line: ArraySlice<UInt8>) -> Bool {
        line.starts(with: headerStart) && line.count >= headerEnd.count && line.suffix(headerEnd.count).elementsEqual(headerEnd)
    }

    /// After the last Feature: `]}`, a newline, and the end of the file.
    private func expectEnd() throws(MergeError) {
        guard let line = try nextLine() else { throw cutShort() }
        guard line.elementsEqual([UInt8(ascii: "]"), UInt8(ascii: "}")]) else {
            throw failure("line \(lineNumber) should close the FeatureCollection (]}) after the last Feature, and is \(Self.preview(line))")
        }
        guard let after = try nextLine(allowUnterminated: true) else {
            finished = true
            return
        }
        throw failure("more after the end of the FeatureCollection at line \(lineNumber) (\(Self.preview(after)))")
    }

    private func cutShort() -> MergeError {
        failure("cut short after \(count) Features: it ends before the end of its FeatureCollection (a partial copy, or a run that did not finish)")
    }

    private func failure(_ reason: String) -> MergeError {
        MergeError(.patchFile, path: path, reason)
    }

    static func preview(_ line: ArraySlice<UInt8>) -> String {
        let text = String(decoding: line.prefix(60), as: UTF8.self)
        return line.isEmpty ? "an empty line" : "'\(text)\(line.count > 60 ? "…" : "")'"
    }

    /// Longest header line read (bytes): a file whose first line is longer is not a patch file,
    /// and is not read whole to find out.
    static let headerLimit = 64 << 10
    /// Longest Feature line read (bytes): a bound on memory for a file that is not a patch file.
    static let lineLimit = 1 << 30

    /// The next line without its newline; nil at the end of the file. A last line without a
    /// newline is a file cut short, unless `allowUnterminated` (then it is returned). A line
    /// longer than `limit` bytes is refused.
    private func nextLine(allowUnterminated: Bool = false, limit: Int = SlicePatchReader.lineLimit) throws(MergeError) -> ArraySlice<UInt8>? {
        var searched = position
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[position..<newline]
                position = newline + 1
                lineNumber += 1
                return line
            }
            searched = buffer.count
            if endOfFile {
                guard position < buffer.count else { return nil }
                if allowUnterminated {
                    let line = buffer[position...]
                    position = buffer.count
                    lineNumber += 1
                    return line
                }
                throw cutShort()
            }
            if buffer.count - position > limit {
                throw failure(lineNumber == 0
                    ? "not a plan-check patch file: its first \(limit >> 10) KiB hold no header line"
                    : "line \(lineNumber + 1) is longer than \(limit >> 20) MiB: not a patch file of plan-check")
            }
            // Keep the unread part, then read another block after it.
            if position > 0 {
                buffer.removeSubrange(..<position)
                searched -= position
                position = 0
            }
            let block: Data?
            do {
                block = try handle.read(upToCount: blockSize)
            } catch {
                throw MergeError(.missingFile, path: path, "cannot read this patch file (\(error.localizedDescription))")
            }
            guard let block, !block.isEmpty else {
                endOfFile = true
                continue
            }
            hasher.update(data: block)
            buffer.append(contentsOf: block)
        }
    }

    // MARK: Features

    /// The merge key, the Feature without it, and the properties the summary needs.
    private func parse(_ text: ArraySlice<UInt8>) throws(MergeError) -> SlicePatch {
        guard let (key, memberStart) = PatchMergeKey.parse(featureText: text) else {
            throw failure("the Feature at line \(lineNumber) does not end with its merge key \"\(PatchMergeKey.memberName)\":[rule,a,b] (not a slice of overlay --tile K/N, or edited)")
        }
        var feature = Array(text[..<memberStart])
        feature.append(UInt8(ascii: "}"))
        func string(_ name: String) throws(MergeError) -> String? {
            guard let token = Self.value(of: name, in: text) else { throw missing(name) }
            if token.elementsEqual("null".utf8) { return nil }
            guard let decoded = Self.decodeString(token) else { throw missing(name) }
            return decoded
        }
        func number(_ name: String) throws(MergeError) -> Double {
            guard let token = Self.value(of: name, in: text), let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite else {
                throw missing(name)
            }
            return value
        }
        guard let ruleID = try string("rule") else { throw missing("rule") }
        return SlicePatch(
            key: key, text: feature, ruleID: ruleID, area: try number("area_m2"), ellipsoidalArea: try number("area_ellipsoidal_m2"),
            aCode: try string("a_code"), bCode: try string("b_code"))
    }

    private func missing(_ name: String) -> MergeError {
        failure("the Feature at line \(lineNumber) has no readable '\(name)' property (not a plan-check patch, or edited)")
    }

    /// The raw JSON value of the first member `"name":` of `text`: a string token with its
    /// quotes, or the text up to the next `,` or `}`. The patch properties plan-check writes
    /// come before any source attribute (those are prefixed `a.`/`b.`), and a JSON string
    /// cannot hold an unescaped `"`, so the first match is the property.
    static func value(of name: String, in text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let pattern = Array("\"\(name)\":".utf8)
        guard let start = firstRange(of: pattern, in: text)?.upperBound, start < text.endIndex else { return nil }
        if text[start] == UInt8(ascii: "\"") {
            var i = start + 1
            while i < text.endIndex {
                if text[i] == UInt8(ascii: "\\") { i += 2; continue }
                if text[i] == UInt8(ascii: "\"") { return text[start...i] }
                i += 1
            }
            return nil
        }
        let end = text[start...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? text.endIndex
        return text[start..<end]
    }

    static func firstRange(of pattern: [UInt8], in text: ArraySlice<UInt8>) -> Range<Int>? {
        guard let first = pattern.first, pattern.count <= text.count else { return nil }
        var i = text.startIndex
        let last = text.endIndex - pattern.count
        while i <= last {
            guard let hit = text[i...last].firstIndex(of: first) else { return nil }
            if text[hit..<(hit + pattern.count)].elementsEqual(pattern) { return hit..<(hit + pattern.count) }
            i = hit + 1
        }
        return nil
    }

    /// A JSON string token (with its quotes) as a String.
    static func decodeString(_ token: ArraySlice<UInt8>) -> String? {
        guard token.count >= 2, token.first == UInt8(ascii: "\""), token.last == UInt8(ascii: "\"") else { return nil }
        let inner = token.dropFirst().dropLast()
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(token), options: .fragmentsAllowed)) as? String
    }
}
