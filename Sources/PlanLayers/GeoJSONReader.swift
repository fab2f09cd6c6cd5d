#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import PlanModel

/// Reads a GeoJSON file (RFC 7946, and the 2008 form with a `crs` member) into a `Layer`.
///
/// - A FeatureCollection gives its features in file order; a single Feature or a bare geometry
///   gives a layer of one feature.
/// - Feature ids: the `id` member (string, or integer that fits 64 bits; other numbers keep their
///   text as a string id); without one, the feature's 1-based position in the file. Duplicate ids
///   are an error (`LayerReadError.duplicateFeatureID`).
/// - `crs`: the 2008 `name` form (`urn:ogc:def:crs:EPSG::4529`), the older `EPSG` (`EPSG:code`)
///   and `link` (its href) forms become `CRSReference.identifier`; without a `crs` member the
///   layer's `crs` is nil, which means RFC 7946 (WGS 84 longitude/latitude).
/// - Positions keep x and y; when any has Z or M, `droppedHigherDimensions` is set.
/// - A geometry that cannot be read (unknown type, coordinates that are not numbers, a position
///   with fewer than 2 numbers, missing coordinates) leaves the feature with a nil geometry and a
///   `.malformedGeometry` entry in `readProblems` saying what and where (line:column). Geometries
///   are otherwise kept exactly as written: validity is the layer check's job.
/// - Fields: every property name in order of first appearance; the type lists the JSON types
///   seen (`AttributeValue.typeName`), joined by `|` in order of first appearance.
/// - Layer name: `layerName`, else the FeatureCollection's `name` member, else the file name
///   without its extension.
///
/// The JSON is parsed byte by byte here (no Foundation): strict RFC 8259 syntax, numbers
/// converted exactly as `strtod` does.
/// Memory: the file is read with `pread` through a window of a few MiB that moves forward as
/// features are handed out (`GeoJSONFeatureSource`), so reading feature by feature holds one
/// feature and the window whatever the file's size; a file cut while it is read is an error,
/// never a crash.
public enum GeoJSONReader {
    /// Reads the file at `path`: every feature of `stream(path:layerName:)`, collected.
    /// - Throws: `LayerReadError` (`.fileNotFound` when there is no such file).
    public static func read(path: String, layerName: String? = nil) throws(LayerReadError) -> Layer {
        try collect(try GeoJSONFeatureSource(path: path, layerName: layerName))
    }

    /// Reads GeoJSON held in memory; `path` names it in the layer and in messages.
    /// - Throws: `LayerReadError`.
    public static func read(bytes: [UInt8], path: String, layerName: String? = nil) throws(LayerReadError) -> Layer {
        try collect(try GeoJSONFeatureSource(bytes: bytes, path: path, layerName: layerName))
    }

    private static func collect(_ source: GeoJSONFeatureSource) throws(LayerReadError) -> Layer {
        var layer = source.layer
        while let feature = try source.next() { layer.features.append(feature) }
        layer.fields = source.fields
        layer.readProblems = source.readProblems
        layer.droppedHigherDimensions = source.droppedHigherDimensions
        return layer
    }

    static func layerError(_ failure: JSONFailure, parser: inout GeoJSONParser, path: String) -> LayerReadError {
        if let duplicate = parser.duplicate {
            let first = parser.locator.location(of: duplicate.firstOffset)
            let here = parser.locator.location(of: duplicate.offset)
            return .duplicateFeatureID(path: path, id: duplicate.id, line: here.line, column: here.column,
                                       firstLine: first.line, firstColumn: first.column)
        }
        switch failure {
        case .syntax(let offset, let message):
            let at = parser.locator.location(of: offset)
            return .syntax(path: path, line: at.line, column: at.column, message: message)
        case .notGeoJSON(let offset, let reason), .geometry(let offset, let reason):
            // A geometry failure escapes only from a bare top-level geometry's own parser paths,
            // which are all caught; treat any stray one as "not GeoJSON".
            let at = parser.locator.location(of: offset)
            return .notGeoJSON(path: path, line: at.line, column: at.column, reason: reason)
        }
    }

    /// The last path component without its extension ("plans/urban.geojson" → "urban").
    static func fileStem(_ path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return String(name[..<dot])
        }
        return name
    }

    /// The whole file as bytes, read with one `read(2)` loop into an array of the file's size.
    static func readFile(path: String) throws(LayerReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw .unreadable(path: path, reason: "is a directory")
        }
        // One allocation of the size stat reports, plus one byte to see the end of the file.
        let size = max(Int(info.st_size), 0)
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, initialized in
            initialized = readFully(fd, buffer.baseAddress!, size + 1, &failure)
        }
        // Files whose size stat does not know (pipes, /proc) or that grew: read the rest in chunks.
        if failure == 0 && bytes.count > size {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while failure == 0 {
                let n = chunk.withUnsafeMutableBufferPointer { readFully(fd, $0.baseAddress!, $0.count, &failure) }
                bytes.append(contentsOf: chunk[0..<n])
                if n < chunk.count { break }
            }
        }
        if failure != 0 {
            throw .unreadable(path: path, reason: String(cString: strerror(failure)))
        }
        return bytes
    }
}

/// Reads up to `count` bytes; stops early only at end of file or on an error (left in `failure`).
private func readFully(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int, _ failure: inout Int32) -> Int {
    var got = 0
    while got < count {
        let n = read(fd, buffer + got, count - got)
        if n < 0 {
            if errno == EINTR { continue }
            failure = errno
            break
        }
        if n == 0 { break }
        got += n
    }
    return got
}
