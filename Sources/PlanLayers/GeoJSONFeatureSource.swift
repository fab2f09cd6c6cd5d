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
/// A regular file is mapped read-only (`mmap`); every `releaseInterval` bytes of progress the
/// pages behind the cursor are given back (`madvise(MADV_DONTNEED)`: file-backed pages leave the
/// process's resident memory and are read again from the file only if a message needs them), so
/// memory does not grow with the file. What stays is one feature, the fields seen, the problems,
/// and for the duplicate-id check 32 bytes per feature (id and offset).
///
/// A FeatureCollection's `crs` and `name` may follow its `features`: opening runs a skip scan of
/// the top level (brackets and strings only, `BracketSkipper`, over the file read in 1 MiB blocks
/// with `pread`, not through the mapping) so that `layer` is right before the first feature.
///
/// Not Sendable: it holds a mapping and a cursor into it.
final class GeoJSONFeatureSource {
    /// The header: name, path, format, crs; no features, no fields (GeoJSON declares none:
    /// `fields` is complete once `next()` returned nil).
    let layer: Layer
    private let path: String
    private let bytes: MappedBytes
    @exclusivity(unchecked) private var parser: GeoJSONParser
    /// Bytes of progress between two releases of the pages behind the cursor.
    private let releaseInterval: Int
    /// Pages below this offset were released and not read since.
    @exclusivity(unchecked) private var releasedUpTo = 0
    @exclusivity(unchecked) private var finished = false

    /// Default `releaseInterval`: 8 MiB.
    static let defaultReleaseInterval = 8 << 20

    /// Opens and maps `path`; reads up to the first feature (a single Feature or geometry is read
    /// whole here).
    /// - Throws: `LayerReadError` (`.fileNotFound`, `.unreadable`, syntax errors before the first
    ///   feature).
    init(path: String, layerName: String? = nil, releaseInterval: Int = defaultReleaseInterval) throws(LayerReadError) {
        self.path = path
        self.releaseInterval = max(releaseInterval, 1)
        bytes = try MappedBytes(path: path)
        parser = GeoJSONParser(base: bytes.base, count: bytes.count)
        layer = try Self.openLayer(&parser, bytes: bytes, path: path, layerName: layerName)
    }

    /// Reads GeoJSON held in memory (copied); `path` names it in the layer and in messages.
    init(bytes source: [UInt8], path: String, layerName: String? = nil) throws(LayerReadError) {
        self.path = path
        releaseInterval = Int.max
        bytes = MappedBytes(copying: source)
        parser = GeoJSONParser(base: bytes.base, count: bytes.count)
        layer = try Self.openLayer(&parser, bytes: bytes, path: path, layerName: layerName)
    }

    private static func openLayer(_ parser: inout GeoJSONParser, bytes: MappedBytes, path: String, layerName: String?) throws(LayerReadError) -> Layer {
        do throws(JSONFailure) {
            try parser.open()
        } catch {
            throw GeoJSONReader.layerError(error, parser: &parser, path: path)
        }
        let header = parser.header(skip: bytes.skipBrackets(from:))
        return Layer(name: layerName ?? header.name ?? GeoJSONReader.fileStem(path), path: path, format: .geoJSON,
                     crs: header.crs, fields: [], features: [])
    }

    /// The next feature, or nil at the end of the document (whose end is then checked).
    func next() throws(LayerReadError) -> Feature? {
        guard !finished else { return nil }
        let feature: Feature?
        do throws(JSONFailure) {
            feature = try parser.nextFeature()
        } catch {
            finished = true
            throw GeoJSONReader.layerError(error, parser: &parser, path: path)
        }
        if feature == nil { finished = true }
        releaseBehindCursor()
        return feature
    }

    /// Fields seen so far, in order of first appearance, with the JSON types seen.
    var fields: [Field] { parser.fields }
    var readProblems: [FeatureProblem] { parser.problems }
    var droppedHigherDimensions: Bool { parser.droppedHigherDimensions }

    private func releaseBehindCursor() {
        if parser.revisitedFrom < releasedUpTo {
            bytes.release(from: parser.revisitedFrom, upTo: releasedUpTo)
            parser.revisitedFrom = Int.max
        }
        let position = parser.s.pos
        if position - releasedUpTo >= releaseInterval || finished {
            releasedUpTo = bytes.release(from: releasedUpTo, upTo: position)
        }
    }
}

@available(*, unavailable) extension GeoJSONFeatureSource: Sendable {}

/// The bytes of a file mapped read-only (`mmap`, `MAP_PRIVATE`), or of a pipe or an in-memory
/// array copied into memory; unmapped or freed on deinit.
final class MappedBytes {
    let base: UnsafePointer<UInt8>
    let count: Int
    /// The mapped length (0 when the bytes are not mapped).
    private let mappedLength: Int
    /// The mapped file, open for `skipBrackets(from:)`; -1 when the bytes are not mapped.
    private let descriptor: Int32
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(path: String) throws(LayerReadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        var keepOpen = false
        defer { if !keepOpen { close(fd) } }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw .unreadable(path: path, reason: "is a directory")
        }
        let size = Int(info.st_size)
        if info.st_mode & S_IFMT == S_IFREG, size > 0,
           let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED {
            _ = madvise(mapped, size, MADV_SEQUENTIAL)
            base = UnsafePointer(mapped.assumingMemoryBound(to: UInt8.self))
            count = size
            mappedLength = size
            descriptor = fd
            keepOpen = true
            return
        }
        // Empty files, pipes, /proc: read whole (they are small or cannot be mapped).
        let whole = try GeoJSONReader.readFile(path: path)
        (base, count) = Self.copy(whole)
        mappedLength = 0
        descriptor = -1
    }

    init(copying source: [UInt8]) {
        (base, count) = Self.copy(source)
        mappedLength = 0
        descriptor = -1
    }

    private static func copy(_ source: [UInt8]) -> (UnsafePointer<UInt8>, Int) {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(source.count, 1))
        source.withUnsafeBufferPointer { if let from = $0.baseAddress { buffer.initialize(from: from, count: $0.count) } }
        return (UnsafePointer(buffer), source.count)
    }

    /// Gives back the whole pages in [from, upTo) (`madvise(MADV_DONTNEED)`); returns the offset
    /// released up to (page aligned). Does nothing for bytes that are not mapped.
    @discardableResult
    func release(from: Int, upTo: Int) -> Int {
        guard mappedLength > 0 else { return from }
        let start = from / Self.pageSize * Self.pageSize
        let end = min(upTo, mappedLength) / Self.pageSize * Self.pageSize
        guard end > start else { return from }
        _ = madvise(UnsafeMutableRawPointer(mutating: base) + start, end - start, MADV_DONTNEED)
        return end
    }

    /// The offset just after the array or object starting at `offset`, found by `BracketSkipper`;
    /// nil when the input ends first. A mapped file is read with `pread` into one 1 MiB buffer,
    /// so the scan neither faults the mapping's pages in nor keeps them.
    func skipBrackets(from offset: Int) -> Int? {
        var skipper = BracketSkipper()
        guard descriptor >= 0 else {
            return skipper.scan(UnsafeBufferPointer(start: base + offset, count: count - offset)).map { offset + $0 }
        }
        let blockSize = 1 << 20
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer { block.deallocate() }
        var at = offset
        while at < count {
            let got = pread(descriptor, block, min(blockSize, count - at), off_t(at))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            if let end = skipper.scan(UnsafeBufferPointer(start: block, count: got)) { return at + end }
            at += got
        }
        return nil
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if mappedLength > 0 {
            munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
        } else {
            UnsafeMutablePointer(mutating: base).deallocate()
        }
    }
}
