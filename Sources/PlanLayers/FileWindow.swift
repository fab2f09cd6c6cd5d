#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A slice of a file, [start, end), read with `pread` into a private buffer: what the GeoJSON
/// parser sees of a regular file. Nothing is mapped, so a file truncated while it is read
/// cannot raise SIGBUS: a short read is an error naming both sizes.
///
/// The file is read as it was when opened: `size` is its length then, and bytes a writer
/// appends later are not read. Pipes, empty files and in-memory arrays are held whole.
///
/// Not Sendable: it holds a descriptor and a buffer that the parser points into.
final class FileWindow {
    /// The file's length when opened (bytes).
    let size: Int
    /// Offset in the file of the first byte held.
    private(set) var start = 0
    /// Offset just after the last byte held.
    private(set) var end = 0
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private let descriptor: Int32
    private let path: String

    /// `base[i]` is the byte at file offset `i`, for `start <= i < end`.
    var base: UnsafePointer<UInt8> { UnsafePointer(buffer) - start }
    /// Whether the file goes on after `end`.
    var moreInput: Bool { end < size }
    /// Bytes allocated for the window now (it grows for a feature larger than the window).
    var bufferCapacity: Int { capacity }

    /// Opens `path` and reads its first `windowSize` bytes (bytes, at least 64).
    init(path: String, windowSize: Int) throws(LayerReadError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreadable(path: path, reason: reason)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw .unreadable(path: path, reason: "is a directory")
        }
        let regularSize = Int(info.st_size)
        if info.st_mode & S_IFMT == S_IFREG, regularSize > 0 {
            size = regularSize
            descriptor = fd
            capacity = min(max(windowSize, 64), regularSize)
            buffer = .allocate(capacity: capacity)
            try fill(from: 0, count: capacity)
            end = capacity
            return
        }
        close(fd)
        // Empty files, pipes, /proc: read whole (they are small or have no size to read by).
        let whole = try GeoJSONReader.readFile(path: path)
        (buffer, capacity) = Self.copy(whole)
        size = whole.count
        end = size
        descriptor = -1
    }

    /// Holds `source` whole; `path` names it in messages.
    init(copying source: [UInt8], path: String) {
        self.path = path
        (buffer, capacity) = Self.copy(source)
        size = source.count
        end = size
        descriptor = -1
    }

    private static func copy(_ source: [UInt8]) -> (UnsafeMutablePointer<UInt8>, Int) {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(source.count, 1))
        source.withUnsafeBufferPointer { if let from = $0.baseAddress { buffer.initialize(from: from, count: $0.count) } }
        return (buffer, max(source.count, 1))
    }

    /// Moves the window to start at `offset` (>= `start`) and reads on: `length` bytes, or twice
    /// the bytes it holds from `offset` when that is more (a value that did not fit: the window
    /// grows until it does).
    /// - Throws: `LayerReadError.unreadable` when the file is shorter than when opened.
    func advance(to offset: Int, length: Int) throws(LayerReadError) {
        precondition(offset >= start && offset <= end && end < size)
        let wanted = max(length, 2 * (end - offset))
        let newEnd = min(size, offset + wanted)
        let kept = end - offset
        if newEnd - offset > capacity {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newEnd - offset)
            grown.update(from: buffer + (offset - start), count: kept)
            buffer.deallocate()
            buffer = grown
            capacity = newEnd - offset
        } else if kept > 0 && offset > start {
            memmove(buffer, buffer + (offset - start), kept)
        }
        let oldEnd = end
        start = offset
        end = offset + kept
        try fill(from: oldEnd, count: newEnd - oldEnd)
        end = newEnd
    }

    /// Reads `count` bytes at file offset `from` into the buffer (`from - start`).
    private func fill(from: Int, count: Int) throws(LayerReadError) {
        var done = 0
        while done < count {
            let got = pread(descriptor, buffer + (from - start + done), count - done, off_t(from + done))
            if got < 0 && errno == EINTR { continue }
            if got < 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            if got == 0 { throw changed() }
            done += got
        }
    }

    /// A `pread` outside the window came back short (the file is shorter than when opened).
    private(set) var shortRead = false

    /// The error for a file shorter than when it was opened, with both sizes.
    func changed() -> LayerReadError {
        var info = stat()
        let now = descriptor >= 0 && fstat(descriptor, &info) == 0 ? "\(info.st_size)" : "unknown"
        return .unreadable(path: path, reason: "changed while it was read: \(size) bytes when opened, \(now) now")
    }

    /// Calls `body` with the bytes in [from, upTo) in order, with each chunk's file offset: the
    /// window's own bytes, or bytes read again with `pread` (64 KiB at a time) when they are
    /// behind it. Stops early if the file no longer has them (used for messages only).
    func forEachChunk(from: Int, upTo: Int, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void) {
        var at = from
        let upTo = min(upTo, size)
        guard at < upTo else { return }
        if at >= start && upTo <= end {
            body(UnsafeBufferPointer(start: base + at, count: upTo - at), at)
            return
        }
        guard descriptor >= 0 else { return }
        let blockSize = 1 << 16
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer { block.deallocate() }
        while at < upTo {
            let got = pread(descriptor, block, min(blockSize, upTo - at), off_t(at))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { shortRead = true; return }
            body(UnsafeBufferPointer(start: block, count: got), at)
            at += got
        }
    }

    /// The offset just after the array or object starting at `offset`, found by `BracketSkipper`
    /// over the file read in 1 MiB blocks with `pread`; nil when the input ends first.
    func skipBrackets(from offset: Int) -> Int? {
        var skipper = BracketSkipper()
        guard descriptor >= 0 && !(offset >= start && end == size) else {
            return skipper.scan(UnsafeBufferPointer(start: base + offset, count: size - offset)).map { offset + $0 }
        }
        let blockSize = 1 << 20
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer { block.deallocate() }
        var at = offset
        while at < size {
            let got = pread(descriptor, block, min(blockSize, size - at), off_t(at))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { shortRead = true; return nil }
            if let end = skipper.scan(UnsafeBufferPointer(start: block, count: got)) { return at + end }
            at += got
        }
        return nil
    }

    /// The bytes from `offset` to the end of the file (as opened), read whole with `pread`: the
    /// top-level members after `features`, for the header scan. Nil when they cannot be read.
    func tail(from offset: Int) -> [UInt8]? {
        guard offset <= size else { return nil }
        if offset >= start && size == end {
            return Array(UnsafeBufferPointer(start: base + offset, count: size - offset))
        }
        var out: [UInt8] = []
        out.reserveCapacity(size - offset)
        forEachChunk(from: offset, upTo: size) { chunk, _ in out.append(contentsOf: chunk) }
        return out.count == size - offset ? out : nil
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        buffer.deallocate()
    }
}

@available(*, unavailable) extension FileWindow: Sendable {}
