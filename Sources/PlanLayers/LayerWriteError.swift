#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a layer file could not be written: the file asked for, what the writer was doing, and the
/// operating system's reason. The command line exits 74 (EX_IOERR) on it.
///
/// Prints as one line, e.g.
/// `out/patches.geojson: cannot create the temporary file out/.patches.geojson.tmp-812-3f2a: No such file or directory`.
public struct LayerWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the writer was doing when the system call failed.
    public enum Operation: String, Sendable, Hashable {
        /// Creating the temporary file next to `path` (a missing folder or no permission end here).
        case create = "create the temporary file"
        /// Writing to the temporary file (a full disk ends here).
        case write
        /// Flushing the temporary file to disk (`fsync`).
        case sync = "sync"
        /// Closing the temporary file.
        case close
        /// Renaming the finished temporary file onto `path`.
        case rename = "rename the temporary file onto it"
    }

    /// The file that was to be written (as the caller gave it).
    public var path: String
    /// The temporary file the writer was using, when it had one.
    public var temporaryPath: String?
    public var operation: Operation
    /// The `errno` value.
    public var code: Int32
    /// `strerror(code)`, e.g. "No space left on device".
    public var reason: String

    public init(path: String, temporaryPath: String?, operation: Operation, code: Int32) {
        self.path = path
        self.temporaryPath = temporaryPath
        self.operation = operation
        self.code = code
        self.reason = String(cString: strerror(code))
    }

    public var description: String {
        switch operation {
        case .create:
            "\(path): cannot create the temporary file \(temporaryPath ?? "next to it"): \(reason)"
        case .rename:
            "\(path): cannot rename the temporary file \(temporaryPath ?? "") onto it: \(reason)"
        default:
            "\(path): cannot \(operation.rawValue): \(reason)"
        }
    }
}
