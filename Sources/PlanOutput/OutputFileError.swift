#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file could not be written: the path asked for (and where its links lead), what
/// plan-check was doing, and the operating system's reason. The command line exits 74 (EX_IOERR)
/// on it, or 64 (usage) when two outputs lead to one file.
///
/// Prints as one line, e.g.
/// `out/patches.geojson: cannot create the temporary file out/.patches.geojson.plan-check-812-3f2a-host.tmp: No such file or directory`,
/// `out/patches.geojson is a FIFO: plan-check replaces outputs atomically and does not write into special files`.
public struct OutputFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What plan-check was doing when it failed.
    public enum Operation: Sendable, Hashable {
        /// Looking the path up and following its symbolic links (a loop, no permission).
        case resolve
        /// The path (or what its links lead to) exists and is not a regular file: a FIFO, a
        /// device, a socket or a folder. Nothing was written.
        case refuse(FileKind)
        /// Checking the folder that is to hold the file (missing, not a folder, not writable).
        case checkFolder
        /// Creating the temporary file beside the target.
        case create
        /// Writing to the temporary file, or to standard output (a full disk ends here).
        case write
        /// Flushing the temporary file to disk (`fsync`).
        case sync
        /// Closing the temporary file.
        case close
        /// Renaming the finished temporary file onto the target.
        case rename
        /// Two outputs of one command (`option`, at `path`, and `otherOption` at `otherPath`)
        /// lead to the same file, or both to standard output. Nothing was written.
        case conflict(option: String, otherOption: String, otherPath: String)
    }

    /// The output as the caller gave it (`-` is standard output).
    public var path: String
    /// Where the path's symbolic links lead, when that is not `path` itself.
    public var target: String?
    /// The temporary file that was being written, when there was one.
    public var temporaryPath: String?
    public var operation: Operation
    /// The `errno` value (0 for `.refuse`).
    public var code: Int32
    /// `strerror(code)`, e.g. "No space left on device"; empty for `.refuse`.
    public var reason: String
    /// What to do instead, added by the caller that knows the command's options
    /// (e.g. "use --out - to write to standard output").
    public var advice: String?

    public init(path: String, target: String? = nil, temporaryPath: String? = nil, operation: Operation, code: Int32,
                advice: String? = nil) {
        self.path = path
        self.target = target
        self.temporaryPath = temporaryPath
        self.operation = operation
        self.code = code
        self.reason = code == 0 ? "" : String(cString: strerror(code))
        self.advice = advice
    }

    public var description: String {
        let name = path == OutputPath.standardOutputName ? "standard output" : path.isEmpty ? "the empty path" : path
        let subject = target.map { "\(name) (a symbolic link to \($0))" } ?? name
        let text: String
        switch operation {
        case .resolve:
            text = "\(subject): cannot resolve the path: \(reason)"
        case .refuse(.directory):
            text = "\(subject) is a directory: give the name of a file in it"
        case .refuse(let kind):
            text = "\(subject) is \(kind.name): plan-check replaces outputs atomically and does not write into special files"
        case .checkFolder:
            text = "\(subject): cannot write in its folder \(OutputPath.folder(of: target ?? path)): \(reason)"
        case .create:
            text = "\(subject): cannot create the temporary file \(temporaryPath ?? "beside it"): \(reason)"
        case .write:
            text = "\(subject): cannot write: \(reason)"
        case .sync:
            text = "\(subject): cannot sync: \(reason)"
        case .close:
            text = "\(subject): cannot close: \(reason)"
        case .rename:
            text = "\(subject): cannot rename the temporary file \(temporaryPath ?? "") onto it: \(reason)"
        case .conflict(let option, let otherOption, _) where path == OutputPath.standardOutputName:
            text = "\(option) - and \(otherOption) - would both write to standard output; give a file to one of them"
        case .conflict(let option, let otherOption, let otherPath):
            text = "\(option) \(path) and \(otherOption) \(otherPath) are the same file (\(target ?? path)); give two files"
        }
        return advice.map { "\(text); \($0)" } ?? text
    }
}
