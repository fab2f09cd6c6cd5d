#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of file a path names (the `S_IFMT` bits of `stat`).
public enum FileKind: Sendable, Hashable {
    case regular
    case directory
    case symbolicLink
    case fifo
    case characterDevice
    case blockDevice
    case socket
    case unknown

    /// The kind in `mode` (`st_mode` of `stat` or `lstat`).
    public init(mode: mode_t) {
        switch UInt32(mode) & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regular
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symbolicLink
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFBLK): self = .blockDevice
        case UInt32(S_IFSOCK): self = .socket
        default: self = .unknown
        }
    }

    /// "a FIFO", "a character device", … for messages.
    public var name: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .symbolicLink: "a symbolic link"
        case .fifo: "a FIFO"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .unknown: "a special file"
        }
    }
}

/// Where an output path really leads, found before anything is written.
///
/// - `-` is standard output (unless the caller says it is a file name).
/// - A symbolic link (or a chain of them) is followed to its final target: the output is written
///   beside the target and renamed onto it, so the link stays a link. A link whose target does
///   not exist yet creates that target, when its folder exists.
/// - A path that exists and is not a regular file (a FIFO, a character or block device, a
///   socket, a folder) is refused: plan-check replaces outputs by renaming a finished temporary
///   file onto them, which would put a regular file in place of the node.
///
/// The temporaries of an output are hidden files beside its target,
/// `.<name>.plan-check-<pid>-<random>-<host>.tmp` (SQLite adds `-journal`, `-wal`, `-shm` to
/// the registry's), so the rename is atomic and a run that is killed can be recognised by its
/// process id: `removeStaleTemporaries()` removes those of processes of this machine that are no
/// longer running.
public struct OutputPath: Sendable, Hashable, CustomStringConvertible {
    /// Where the bytes go.
    public enum Destination: Sendable, Hashable {
        case standardOutput
        /// The regular file that receives the output (links followed); it may not exist yet.
        case file(target: String)
    }

    /// The name that means standard output: `-`.
    public static let standardOutputName = "-"
    /// Links followed before giving up with ELOOP, as the kernel does (`MAXSYMLINKS`).
    static let maximumLinks = 40

    /// The path as the caller gave it.
    public let path: String
    public let destination: Destination

    /// Resolves `path`.
    /// - Parameter dashIsStandardOutput: Whether `-` means standard output (true for report
    ///   outputs; false where only a file makes sense, such as the registry).
    /// - Parameter folderOutput: Whether the output is itself a folder (a File Geodatabase,
    ///   `.gdb`): an existing folder is then its target (replaced whole by a rename), and an
    ///   existing regular file is refused instead.
    /// - Throws: `OutputFileError` with `.refuse` for a special file or a folder, `.resolve`
    ///   for a link loop or a path that cannot be looked up (no permission, too long).
    public init(_ path: String, dashIsStandardOutput: Bool = true, folderOutput: Bool = false) throws(OutputFileError) {
        self.path = path
        if dashIsStandardOutput && path == Self.standardOutputName {
            destination = .standardOutput
            return
        }
        // The empty path names no file (lstat says ENOENT, and the temporary would be `..…`).
        guard !path.isEmpty else { throw OutputFileError(path: path, operation: .resolve, code: ENOENT) }
        var info = stat()
        var current = path
        for _ in 0...Self.maximumLinks {
            if lstat(current, &info) != 0 {
                let code = errno
                // ENOTDIR: a part of the folder is a file; `checkFolder()` says which.
                guard code == ENOENT || code == ENOTDIR else {
                    throw OutputFileError(path: path, target: current == path ? nil : current, operation: .resolve, code: code)
                }
                // A link that leads nowhere the file system can follow may still lead somewhere:
                // /dev/stdout -> /proc/self/fd/1 -> "pipe:[1234]" is the process's pipe.
                if current != path, stat(path, &info) == 0 {
                    let kind = FileKind(mode: info.st_mode)
                    if kind != .regular { throw OutputFileError(path: path, operation: .refuse(kind), code: 0) }
                }
                // Nothing there yet: a new file (at the end of a dangling link, perhaps).
                destination = .file(target: current)
                return
            }
            let kind = FileKind(mode: info.st_mode)
            switch kind {
            case .regular where !folderOutput, .directory where folderOutput:
                destination = .file(target: current)
                return
            case .symbolicLink:
                guard let link = Self.readLink(current) else {
                    throw OutputFileError(path: path, target: current == path ? nil : current, operation: .resolve, code: errno)
                }
                current = link.hasPrefix("/") ? link : Self.folderPrefix(of: current) + link
            default:
                throw OutputFileError(path: path, target: current == path ? nil : current, operation: .refuse(kind), code: 0)
            }
        }
        throw OutputFileError(path: path, operation: .resolve, code: ELOOP)
    }

    /// The file that receives the output, or nil for standard output.
    public var target: String? {
        if case .file(let target) = destination { return target }
        return nil
    }

    public var isStandardOutput: Bool { destination == .standardOutput }

    /// The target when links led elsewhere, for messages; nil when it is `path` itself.
    var linkTarget: String? { target.flatMap { $0 == path ? nil : $0 } }

    public var description: String { isStandardOutput ? "standard output" : path }

    /// Checks that the target's folder exists and that this process may create files in it
    /// (`access(W_OK | X_OK)`), so that a run can fail before its work rather than after it.
    /// Standard output needs no check.
    public func checkFolder() throws(OutputFileError) {
        guard let target else { return }
        let folder = Self.folder(of: target)
        var info = stat()
        guard stat(folder, &info) == 0 else {
            throw OutputFileError(path: path, target: linkTarget, operation: .checkFolder, code: errno)
        }
        guard FileKind(mode: info.st_mode) == .directory else {
            throw OutputFileError(path: path, target: linkTarget, operation: .checkFolder, code: ENOTDIR)
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw OutputFileError(path: path, target: linkTarget, operation: .checkFolder, code: errno)
        }
    }

    // MARK: Temporaries

    /// A new temporary path beside the target for this process:
    /// `<folder>/.<name>.plan-check-<pid>-<random>-<host>.tmp`. Hidden, in the target's folder
    /// (so the rename is atomic), distinct for concurrent writers of the same output, and
    /// recognisable by `removeStaleTemporaries()` once this process has ended.
    public func makeTemporaryPath() -> String {
        let target = target ?? path
        return Self.folderPrefix(of: target)
            + TemporaryName.make(for: Self.name(of: target), pid: getpid(), random: UInt32.random(in: 0...UInt32.max))
    }

    /// Removes the temporaries of this output (and SQLite's `-journal`, `-wal` and `-shm` files
    /// beside them) that processes of this machine left when they were killed: those named with
    /// a process id that is no longer running (`kill(pid, 0)` fails with ESRCH). Temporaries of
    /// running processes, of other outputs and of other machines (a shared folder) are kept.
    /// Failures to list the folder or remove a file are ignored: the output itself does not
    /// depend on them. Returns the paths removed.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        guard let target else { return [] }
        let name = Self.name(of: target)
        let folder = Self.folder(of: target)
        let prefix = Self.folderPrefix(of: target)
        var removed: [String] = []
        for entry in Self.entries(of: folder) {
            guard let owner = TemporaryName.parse(entry, outputName: name), owner.host == TemporaryName.host,
                  !TemporaryName.isRunning(owner.pid)
            else { continue }
            // A folder: the staging folder of a Shapefile, GeoPackage or File Geodatabase output.
            if unlink(prefix + entry) == 0 || Self.removeTree(prefix + entry) { removed.append(prefix + entry) }
        }
        return removed
    }

    /// Removes `path` and, when it is a folder, everything in it (links are removed, not
    /// followed). True when nothing is left at `path`.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT }
        if FileKind(mode: info.st_mode) == .directory {
            for entry in entries(of: path) { removeTree(path + "/" + entry) }
            return rmdir(path) == 0
        }
        return unlink(path) == 0
    }

    // MARK: Paths

    /// The folder part of `path` ("." when there is none, "/" for a file at the root).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The folder part of `path` with its slash, ready to prepend to a name ("" when there is none).
    static func folderPrefix(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// The last component of `path`.
    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `readlink(2)` as a String, or nil with `errno` set.
    static func readLink(_ path: String) -> String? {
        var size = 1024
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let count = readlink(path, &buffer, size)
            if count < 0 { return nil }
            if count < size {
                return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size *= 4
        }
    }

    /// The names in `folder` (without `.` and `..`); empty when it cannot be read.
    static func entries(of folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// The names of output temporaries: `.<name>.plan-check-<pid>-<random hex>-<host>.tmp`, plus the
/// suffixes SQLite gives its companions.
public enum TemporaryName {
    /// SQLite's files beside a database: rollback journal, write-ahead log, shared memory index.
    static let companionSuffixes = ["-journal", "-wal", "-shm"]

    /// This machine's name as it appears in temporaries: the host name with anything but
    /// letters, digits, `.` and `-` replaced by `_`, at most 64 characters.
    public static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let cleaned = String(name.unicodeScalars.prefix(64).map { scalar -> Character in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-"))
                ? Character(scalar) : "_"
        })
        return cleaned.isEmpty ? "localhost" : cleaned
    }()

    /// The name of a temporary of the output file named `outputName`, for process `pid`.
    public static func make(for outputName: String, pid: pid_t, random: UInt32) -> String {
        ".\(outputName).plan-check-\(pid)-\(String(random, radix: 16))-\(host).tmp"
    }

    /// The process and machine that made `entry`, when it is a temporary (or an SQLite companion
    /// of one) of the output named `outputName`; nil for any other name.
    public static func parse(_ entry: String, outputName: String) -> (pid: pid_t, host: String)? {
        var name = Substring(entry)
        if let suffix = companionSuffixes.first(where: { name.hasSuffix($0) }) { name = name.dropLast(suffix.count) }
        let prefix = ".\(outputName).plan-check-"
        guard name.hasPrefix(prefix), name.hasSuffix(".tmp") else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(".tmp".count)
        // <pid>-<random>-<host>: the first two have no '-', the host may.
        let parts = middle.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = pid_t(parts[0]), pid > 1, String(pid) == parts[0],
              !parts[1].isEmpty, parts[1].allSatisfy(\.isHexDigit), !parts[2].isEmpty
        else { return nil }
        return (pid, String(parts[2]))
    }

    /// Whether process `pid` of this machine may still be running: true unless `kill(pid, 0)`
    /// says there is no such process (ESRCH). A process of another user (EPERM) is running.
    public static func isRunning(_ pid: pid_t) -> Bool {
        // Never 0 or -1 (a process group, every process): `parse` only returns pids above 1.
        guard pid > 1 else { return true }
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno != ESRCH
    }
}
