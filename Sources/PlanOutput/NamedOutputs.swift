/// The output files of one command, each named by the option that asked for it (`--out`,
/// `--summary`, `--csv`, `--html`, …), checked together before any work:
///
/// - each path is resolved (`OutputPath`: links followed; FIFOs, devices, sockets and folders
///   refused, with the advice to use `OPTION -` for standard output);
/// - no two lead to the same file, and at most one is standard output (`OutputFileError`
///   `.conflict`, exit 64);
/// - each one's folder exists and is writable, and the temporaries that killed runs left for it
///   are removed.
///
/// Commands write their outputs with `OutputFile` and put them in place together with
/// `OutputFile.commit(_:)`; `writeComplete(_:to:)` is the usual step for a text output.
public struct NamedOutputs: Sendable {
    /// The outputs asked for, in the order given.
    public let entries: [(option: String, path: OutputPath)]

    /// Checks `requested` (option, path or nil when not asked for, whether the output is a
    /// folder such as a File Geodatabase).
    /// - Throws: `OutputFileError` (exit 74 for a path that cannot be written, 64 for a conflict).
    public init(_ requested: [(option: String, path: String?, folderOutput: Bool)]) throws(OutputFileError) {
        var entries: [(option: String, path: OutputPath)] = []
        for (option, path, folderOutput) in requested {
            guard let path else { continue }
            entries.append((option, try Self.resolve(path, option: option, folderOutput: folderOutput)))
        }
        for (i, first) in entries.enumerated() {
            for second in entries[(i + 1)...] {
                let bothStandardOutput = first.path.isStandardOutput && second.path.isStandardOutput
                let sameFile = first.path.target != nil && first.path.target == second.path.target
                guard bothStandardOutput || sameFile else { continue }
                throw OutputFileError(
                    path: first.path.path, target: first.path.target,
                    operation: .conflict(option: first.option, otherOption: second.option, otherPath: second.path.path), code: 0)
            }
        }
        for (_, path) in entries {
            try path.checkFolder()
            path.removeStaleTemporaries()
        }
        self.entries = entries
    }

    /// Convenience for outputs that are all plain files.
    public init(_ requested: [(option: String, path: String?)]) throws(OutputFileError) {
        try self.init(requested.map { ($0.option, $0.path, false) })
    }

    /// The output of `option`, or nil when it was not asked for.
    public subscript(option: String) -> OutputPath? {
        entries.first { $0.option == option }?.path
    }

    /// Writes `text` to a temporary beside `path` (or to standard output) and returns the file,
    /// complete and waiting for `OutputFile.commit(_:)`.
    public static func writeComplete(_ text: String, to path: OutputPath) throws(OutputFileError) -> OutputFile {
        let file = try OutputFile(path)
        do {
            try file.write(text)
            try file.complete()
        } catch {
            file.discard()
            throw error
        }
        return file
    }

    /// `path` resolved; a special file is refused with the advice to use `OPTION -`.
    static func resolve(_ path: String, option: String, folderOutput: Bool) throws(OutputFileError) -> OutputPath {
        do {
            return try OutputPath(path, folderOutput: folderOutput)
        } catch var error {
            if case .refuse(let kind) = error.operation, kind != .directory {
                error.advice = "use \(option) - to write to standard output"
            }
            throw error
        }
    }
}
