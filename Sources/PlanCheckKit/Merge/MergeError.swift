import PlanModel

/// Why `plan-check merge` refused its slices: the file concerned and the reason, in one line.
/// Nothing is written at `--out` (or `--summary`) when it is thrown.
public struct MergeError: PlanCheckFailure {
    public enum Kind: Sendable, Equatable {
        /// A slice summary or a patch file does not exist or cannot be read (exit 66).
        case missingFile
        /// A file given as a slice summary is not the `--summary` of an `overlay --tile K/N` run (exit 65).
        case notASliceSummary
        /// A slice K of 1…N is not among the summaries given (exit 64).
        case sliceMissing
        /// Two summaries are the same slice K (exit 64).
        case sliceGivenTwice
        /// The slices are not of one run: another N, tile grid, rule set, input, engine, option or
        /// version (exit 65).
        case mismatch
        /// A slice's patch file is not what its summary says: not a slice's GeoJSON, cut short,
        /// edited, out of order, another number of patches (exit 65).
        case patchFile
        /// The command line: an output that is not GeoJSON or is one of the inputs (exit 64).
        case usage
    }

    public var kind: Kind
    /// The file the problem is in (a slice summary, a patch file, or the output asked for).
    public var path: String
    public var reason: String

    public init(_ kind: Kind, path: String, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    public var exitStatus: ExitStatus {
        switch kind {
        case .missingFile: .noInput
        case .notASliceSummary, .mismatch, .patchFile: .dataError
        case .sliceMissing, .sliceGivenTwice, .usage: .usage
        }
    }
}
