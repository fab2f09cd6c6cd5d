#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One output while it is written: a temporary file beside its target that appears at the target
/// only when committed, or standard output.
///
/// ```swift
/// let patches = try OutputFile(OutputPath("out/patches.geojson"))
/// let summary = try OutputFile(OutputPath("out/summary.json"))
/// try patches.write(bytes); try patches.complete()
/// try summary.write(text); try summary.complete()
/// try OutputFile.commit([patches, summary])   // both appear, or (before the renames) neither
/// ```
///
/// - The temporary is created with mode 0666 less the umask; when the target exists, it gets
///   the target's permission bits and, where this process may set them, its owner and group.
/// - `complete()` syncs and closes the temporary; `commit()` renames it onto the target and
///   syncs the folder. A file dropped before `commit()` (an error, `discard()`, or released)
///   removes its temporary, and the target stays exactly as it was.
/// - Standard output is written as it comes and cannot be taken back: a run that fails part-way
///   leaves what was written (the caller's exit status says it failed).
///
/// Owns a file descriptor; stays on one thread or task.
public final class OutputFile {
    public let path: OutputPath
    /// The temporary file, or nil for standard output.
    public let temporaryPath: String?
    private var descriptor: Int32
    private var state = State.writing
    /// Bytes written so far, how many of them the kernel was asked to start writing to disk,
    /// and how many are on disk and out of the page cache.
    private var written = 0
    private var writebackStarted = 0
    private var released = 0

    /// The file's pages are handed to the disk as they fill, this many bytes at a time
    /// (`sync_file_range` on Linux), so that `complete()`'s sync has little left to wait for:
    /// 0.2 s of a 518 MB output. One block later, the block before is waited for and dropped
    /// from the page cache (`posix_fadvise(DONTNEED)`): a large output keeps about two blocks
    /// in memory instead of evicting the machine's cache. Filling gigabytes of fresh page-cache
    /// pages cost the kernel more than the disk writes do (5 GB: 11.8 s of system time in plain
    /// writes, 1.7 s written and dropped block by block, measured on the benchmark machine).
    static let writebackBlock = 16 << 20

    private enum State {
        case writing
        /// Synced and closed, waiting for `commit()`.
        case complete
        case committed
        /// Removed after an error or `discard()`.
        case discarded(OutputFileError?)
    }

    /// Starts the output: for a file, removes stale temporaries of the same output (see
    /// `OutputPath.removeStaleTemporaries()`) and creates a new temporary beside the target.
    /// - Throws: `OutputFileError` (`.create`) when the temporary cannot be created: a missing
    ///   or read-only folder.
    public init(_ path: OutputPath) throws(OutputFileError) {
        self.path = path
        guard let target = path.target else {
            temporaryPath = nil
            descriptor = STDOUT_FILENO
            return
        }
        path.removeStaleTemporaries()
        let temporary = path.makeTemporaryPath()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw OutputFileError(path: path.path, target: path.linkTarget, temporaryPath: temporary, operation: .create, code: errno)
        }
        var existing = stat()
        if stat(target, &existing) == 0, FileKind(mode: existing.st_mode) == .regular {
            // Best effort: the owner is kept only when this process may give it (root, or the
            // file's own group); the permission bits are always the target's.
            if existing.st_uid != geteuid() || existing.st_gid != getegid() { _ = fchown(fd, existing.st_uid, existing.st_gid) }
            _ = fchmod(fd, existing.st_mode & 0o777)
        }
        temporaryPath = temporary
        descriptor = fd
    }

    /// Resolves `path` (see `OutputPath`) and starts the output.
    public convenience init(path: String) throws(OutputFileError) {
        try self.init(OutputPath(path))
    }

    deinit {
        switch state {
        case .writing, .complete: discard()
        case .committed, .discarded: break
        }
    }

    /// Appends `bytes`.
    /// - Throws: `OutputFileError` (`.write`), after which the temporary is removed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputFileError) {
        try checkState(.writing)
        var done = 0
        while done < bytes.count {
            let n = systemWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                try fail(.write, errno)
            }
            if n == 0 { try fail(.write, EIO) }
            done += n
        }
        written += bytes.count
        if temporaryPath != nil, written - writebackStarted >= Self.writebackBlock {
            startWriteback(descriptor, from: writebackStarted, count: written - writebackStarted)
            if writebackStarted > released {
                let code = finishWriteback(descriptor, from: released, count: writebackStarted - released)
                if code != 0 { try fail(.sync, code) }
                released = writebackStarted
            }
            writebackStarted = written
        }
    }

    public func write(_ bytes: [UInt8]) throws(OutputFileError) {
        let failure: OutputFileError? = bytes.withUnsafeBytes { raw in
            do throws(OutputFileError) { try write(raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    public func write(_ text: String) throws(OutputFileError) {
        try write(Array(text.utf8))
    }

    /// Makes the output complete: syncs and closes the temporary (nothing for standard output).
    /// - Throws: `OutputFileError` (`.sync`, `.close`), after which the temporary is removed.
    public func complete() throws(OutputFileError) {
        try checkState(.writing)
        if temporaryPath != nil {
            if fsync(descriptor) != 0 { try fail(.sync, errno) }
            let closed = close(descriptor)
            descriptor = -1
            if closed != 0 { try fail(.close, errno) }
        }
        state = .complete
    }

    /// Puts the completed output in place: renames the temporary onto the target and syncs the
    /// folder (nothing for standard output).
    /// - Throws: `OutputFileError` (`.rename`), after which the temporary is removed and the
    ///   target is as it was.
    public func commit() throws(OutputFileError) {
        try checkState(.complete)
        if let temporaryPath, let target = path.target {
            if rename(temporaryPath, target) != 0 { try fail(.rename, errno) }
            Self.syncFolder(of: target)
        }
        state = .committed
    }

    /// Puts several completed outputs in place, in order. Every output is complete before the
    /// first rename, so any failure of writing leaves every target as it was; if a rename fails
    /// (the folder vanished, a full inode table), the outputs not yet renamed are discarded and
    /// those before it stay committed.
    public static func commit(_ files: [OutputFile]) throws(OutputFileError) {
        for (n, file) in files.enumerated() {
            do {
                try file.commit()
            } catch {
                for rest in files[(n + 1)...] { rest.discard() }
                throw error
            }
        }
    }

    /// Stops: removes the temporary and leaves the target as it was. Safe to call more than
    /// once; does nothing after `commit()`.
    public func discard() {
        switch state {
        case .writing, .complete:
            removeTemporary()
            state = .discarded(nil)
        case .committed, .discarded:
            break
        }
    }

    // MARK: Internals

    private func checkState(_ expected: State) throws(OutputFileError) {
        switch (state, expected) {
        case (.writing, .writing), (.complete, .complete): return
        case (.discarded(let error?), _): throw error
        default: preconditionFailure("OutputFile \(path) used out of order (\(state), expected \(expected))")
        }
    }

    private func fail(_ operation: OutputFileError.Operation, _ code: Int32) throws(OutputFileError) -> Never {
        let error = OutputFileError(path: path.path, target: path.linkTarget, temporaryPath: temporaryPath,
                                    operation: operation, code: code)
        removeTemporary()
        state = .discarded(error)
        throw error
    }

    private func removeTemporary() {
        guard let temporaryPath else { return }
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporaryPath)
    }

    /// Makes a rename durable; a folder that cannot be opened or synced is not an error here,
    /// since the file itself is complete and in place.
    static func syncFolder(of path: String) {
        let fd = open(OutputPath.folder(of: path), O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}

@available(*, unavailable)
extension OutputFile: Sendable {}

/// `write(2)`, named apart from `OutputFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// Asks the kernel to start writing `count` bytes of `fd` from `offset` to disk without waiting
/// (`sync_file_range(…, SYNC_FILE_RANGE_WRITE)`, Linux); nothing elsewhere or when it is missing.
/// Only a head start for the `fsync` that follows: errors are left to that `fsync`.
private func startWriteback(_ fd: Int32, from offset: Int, count: Int) {
#if os(Linux)
    guard let syncFileRange = syncFileRangeFunction else { return }
    _ = syncFileRange(fd, Int64(offset), Int64(count), 2)  // SYNC_FILE_RANGE_WRITE
#endif
}

/// Waits until `count` bytes of `fd` from `offset` are on disk, then drops them from the page
/// cache. Returns 0, or the errno of a failed write-out (EIO, ENOSPC: the kernel reports it
/// here and not again to the later `fsync`). Where the range cannot be waited for (not Linux,
/// a file system without `sync_file_range`), nothing is dropped and the `fsync` does the work.
private func finishWriteback(_ fd: Int32, from offset: Int, count: Int) -> Int32 {
#if os(Linux)
    guard let syncFileRange = syncFileRangeFunction else { return 0 }
    // SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
    if syncFileRange(fd, Int64(offset), Int64(count), 7) != 0 {
        let code = errno
        return code == EIO || code == ENOSPC || code == EDQUOT ? code : 0
    }
    _ = posix_fadvise(fd, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
#endif
    return 0
}

#if os(Linux)
/// glibc's `sync_file_range`, which Swift's Glibc module does not declare (it is a GNU extension).
private let syncFileRangeFunction: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
}()
#endif
