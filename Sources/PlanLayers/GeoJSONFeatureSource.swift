#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PlanModel

/// One GeoJSON file read feature by feature, in file order, as `GeoJSONReader` describes.
///
/// A regular file is read with `pread` into a window of `windowSize` bytes (`FileWindow`) that
/// moves forward as features are handed out: when a step of the parser runs into the window's
/// end (a feature that crosses it), the step is undone, the window moved to start where the
/// step started (the bytes it holds from there kept, the rest read) and the step run again; a
/// feature larger than the window doubles it until it fits. So memory is the window plus the
/// largest feature, whatever the file's size, and nothing is mapped: a file truncated while it
/// is read gives `LayerReadError.unreadable` ("changed while it was read: N bytes when opened,
/// M now"), never SIGBUS. The file is read as it was when opened (its size then). Messages keep
/// their line:column: the locator reads bytes behind the window again with `pread`.
///
/// A FeatureCollection's `crs` and `name` may follow its `features`: opening runs a skip scan of
/// the top level (brackets and strings only, `BracketSkipper`, over the file read in 1 MiB blocks
/// with `pread`) so that `layer` is right before the first feature.
///
/// Not Sendable: it holds a descriptor and a cursor into its window.
final class GeoJSONFeatureSource {
    /// The header: name, path, format, crs; no features, no fields (GeoJSON declares none:
    /// `fields` is complete once `next()` returned nil).
    let layer: Layer
    private let path: String
    private let window: FileWindow
    @exclusivity(unchecked) private var parser: GeoJSONParser
    /// Bytes read at a time when the window moves.
    private let windowSize: Int
    @exclusivity(unchecked) private var finished = false

    /// Default `windowSize`: 4 MiB.
    static let defaultWindowSize = 4 << 20

    /// Opens `path` and reads up to the first feature (a single Feature or geometry is read
    /// whole here). `windowSize` (bytes, at least 64) is injectable for tests.
    /// - Throws: `LayerReadError` (`.fileNotFound`, `.unreadable`, syntax errors before the first
    ///   feature).
    init(path: String, layerName: String? = nil, windowSize: Int = defaultWindowSize) throws(LayerReadError) {
        self.path = path
        self.windowSize = max(windowSize, 64)
        window = try FileWindow(path: path, windowSize: self.windowSize)
        parser = GeoJSONParser(window)
        layer = try Self.openLayer(&parser, window: window, windowSize: self.windowSize, path: path, layerName: layerName)
    }

    /// Reads GeoJSON held in memory (copied); `path` names it in the layer and in messages.
    init(bytes source: [UInt8], path: String, layerName: String? = nil) throws(LayerReadError) {
        self.path = path
        windowSize = Int.max
        window = FileWindow(copying: source, path: path)
        parser = GeoJSONParser(window)
        layer = try Self.openLayer(&parser, window: window, windowSize: windowSize, path: path, layerName: layerName)
    }

    private static func openLayer(_ parser: inout GeoJSONParser, window: FileWindow, windowSize: Int, path: String, layerName: String?) throws(LayerReadError) -> Layer {
        try step(&parser, window: window, windowSize: windowSize, path: path) { parser throws(JSONFailure) in try parser.open() }
        var tails: [TailBytes] = []  // the bytes the header scan reads after `features`
        var header = parser.header(skip: { Self.scanner(after: $0, in: window, keeping: &tails) })
        while header.windowEnded {
            try window.advance(to: window.start, length: windowSize)
            parser.follow(window)
            header = parser.header(skip: { Self.scanner(after: $0, in: window, keeping: &tails) })
        }
        // The header scan met the file's end early: its crs and name cannot be trusted.
        if window.shortRead { throw window.changed() }
        return Layer(name: layerName ?? header.name ?? GeoJSONReader.fileStem(path), path: path, format: .geoJSON,
                     crs: header.crs, fields: [], features: [])
    }

    /// A scanner over the bytes after the array starting at `offset`, positioned just after
    /// it; its bytes stay alive in `tails` while the header is read.
    private static func scanner(after offset: Int, in window: FileWindow, keeping tails: inout [TailBytes]) -> JSONScanner? {
        guard let end = window.skipBrackets(from: offset), let tail = window.tail(from: end) else { return nil }
        let holder = TailBytes(tail)
        tails.append(holder)
        var scanner = JSONScanner(base: holder.pointer - end, count: end + tail.count)
        scanner.pos = end
        return scanner
    }

    /// Runs one parser step; when it stops at the window's end and the file goes on, undoes it,
    /// moves the window and runs it again.
    private static func step<T>(_ parser: inout GeoJSONParser, window: FileWindow, windowSize: Int, path: String,
                                _ body: (inout GeoJSONParser) throws(JSONFailure) -> T) throws(LayerReadError) -> T {
        let position = parser.s.pos
        let place = parser.place
        while true {
            do throws(JSONFailure) {
                return try body(&parser)
            } catch {
                guard parser.s.moreInput, case .syntax(let offset, _) = error, offset >= parser.s.count - 8 else {
                    let failure = GeoJSONReader.layerError(error, parser: &parser, path: path)
                    // Bytes behind the window that the message needed were gone: say why.
                    if window.shortRead { throw window.changed() }
                    throw failure
                }
                parser.rewind(to: position, place: place)
                try window.advance(to: position, length: windowSize)
                parser.follow(window)
            }
        }
    }

    /// The next feature, or nil at the end of the document (whose end is then checked).
    func next() throws(LayerReadError) -> Feature? {
        guard !finished else { return nil }
        let feature: Feature?
        do throws(LayerReadError) {
            feature = try Self.step(&parser, window: window, windowSize: windowSize, path: path) { parser throws(JSONFailure) in
                try parser.nextFeature()
            }
        } catch {
            finished = true
            throw error
        }
        if feature == nil { finished = true }
        return feature
    }

    /// Fields seen so far, in order of first appearance, with the JSON types seen.
    var fields: [Field] { parser.fields }
    var readProblems: [FeatureProblem] { parser.problems }
    var droppedHigherDimensions: Bool { parser.droppedHigherDimensions }
    /// Bytes the window holds allocated now (tests: memory stays bounded).
    var windowCapacity: Int { window.bufferCapacity }
}

@available(*, unavailable) extension GeoJSONFeatureSource: Sendable {}

/// The top-level bytes after `features`, alive while the header scan reads them.
private final class TailBytes {
    let pointer: UnsafeMutablePointer<UInt8>

    init(_ bytes: [UInt8]) {
        pointer = .allocate(capacity: max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { if let from = $0.baseAddress { pointer.initialize(from: from, count: $0.count) } }
    }

    deinit { pointer.deallocate() }
}
