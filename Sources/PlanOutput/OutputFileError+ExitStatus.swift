import PlanModel

extension OutputFileError: PlanCheckFailure {
    /// An output that cannot be written, or that plan-check will not write into, is 74.
    public var exitStatus: ExitStatus {
        switch operation {
        case .resolve, .refuse, .checkFolder, .create, .write, .sync, .close, .rename: .cannotWrite
        }
    }
}
