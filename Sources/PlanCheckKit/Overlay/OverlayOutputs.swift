import PlanOutput

/// The files an overlay writes, the patches (`--out`) and the statistics (`--summary`), committed
/// together.
///
/// - Checked before the run: each path is resolved (`OutputPath`: links followed; FIFOs,
///   devices, sockets and folders refused; `-` is standard output), its folder must exist and be
///   writable, and the temporaries that killed runs left for it are removed. A bad path fails
///   before any work.
/// - While the run goes on, the patches are written to a temporary file beside their target
///   (or streamed to standard output); `commit(summary:)` writes the summary's temporary, then
///   renames both onto their targets. Until then every earlier file stays as it was: an error
///   anywhere, or outputs dropped uncommitted, leave no file changed and no temporary behind.
///
/// Stays on the task that made it.
public final class OverlayOutputs {
    /// How the patches are written (`--out`), or nil for none.
    public let patches: PatchWriter?
    /// Where the statistics go (`--summary`), or nil for none.
    public let summary: OutputPath?
    /// Outputs complete and waiting for `commit(summary:)`.
    private var completed: [OutputFile] = []

    /// Checks the outputs of a run: the patches to `patches` (RFC 7946 when `rfc7946`, encoded
    /// on `jobs` tasks), the statistics to `summary`.
    /// - Throws: `OutputFileError` (exit 74) for a path that cannot be written, or
    ///   `OverlayUsageError` (exit 64) when both outputs lead to the same file or both are
    ///   standard output.
    public convenience init(patches: String?, summary: String?, rfc7946: Bool = false, jobs: Int = defaultJobCount) throws {
        try self.init(patches: patches.map { PatchWriter(path: $0, rfc7946: rfc7946, jobs: jobs) }, summary: summary)
    }

    public init(patches: PatchWriter?, summary: String?) throws {
        let patchesPath = try patches.map { try Self.resolve($0.path, option: "--out") }
        let summaryPath = try summary.map { try Self.resolve($0, option: "--summary") }
        if let patchesPath, let summaryPath {
            if patchesPath.isStandardOutput && summaryPath.isStandardOutput {
                throw OverlayUsageError(message: "--out - and --summary - would both write to standard output; give a file to one of them")
            }
            if let target = patchesPath.target, target == summaryPath.target {
                throw OverlayUsageError(message: "--out \(patchesPath.path) and --summary \(summaryPath.path) are the same file (\(target)); give two files")
            }
        }
        for path in [patchesPath, summaryPath].compactMap({ $0 }) {
            try path.checkFolder()
            path.removeStaleTemporaries()
        }
        self.patches = patches
        self.summary = summaryPath
    }

    /// Keeps the patches file, complete, for the commit.
    func patchesWritten(_ stream: PatchStream) throws {
        completed.append(try stream.complete())
    }

    /// Writes the summary (`text`, required when there is a summary output) and puts every
    /// output in place: all are complete before the first rename.
    /// - Throws: `OutputFileError`; every output not yet in place is then removed.
    public func commit(summary text: String?) throws {
        defer { discard() }
        if let summary {
            guard let text else { preconditionFailure("OverlayOutputs.commit: a summary output and no summary text") }
            let file = try OutputFile(summary)
            try file.write(text)
            try file.complete()
            completed.append(file)
        }
        try OutputFile.commit(completed)
    }

    /// Removes every temporary and leaves the earlier files as they were.
    public func discard() {
        for file in completed { file.discard() }
        completed = []
    }

    /// `path` resolved; a special file is refused with the advice to use `-`.
    static func resolve(_ path: String, option: String) throws -> OutputPath {
        do {
            return try OutputPath(path)
        } catch var error {
            if case .refuse(let kind) = error.operation, kind != .directory {
                error.advice = "use \(option) - to write to standard output"
            }
            throw error
        }
    }
}

@available(*, unavailable)
extension OverlayOutputs: Sendable {}
