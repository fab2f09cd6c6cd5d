import PlanModel

extension OutputFileError: PlanCheckFailure {
    /// An output that cannot be written, or that plan-check will not write into, is 74; two
    /// outputs on one file is a usage error, 64.
    public var exitStatus: ExitStatus {
        switch operation {
        case .resolve, .refuse, .checkFolder, .create, .write, .sync, .close, .rename: .cannotWrite
        case .conflict: .usage
        }
    }
}
