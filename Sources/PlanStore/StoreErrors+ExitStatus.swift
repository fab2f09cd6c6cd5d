import PlanModel

extension StoreError: PlanCheckFailure {
    /// A registry or GeoPackage locked by another writer is "try again" (75); a missing file 66;
    /// a file that is not what it should be 65; any other SQLite failure 70.
    public var exitStatus: ExitStatus {
        if isBusy { return .temporaryFailure }
        switch kind {
        case .fileNotFound: return .noInput
        case .notAGeoPackage, .layerNotFound, .malformedGeoPackage: return .dataError
        case .sqlite: return .software
        }
    }
}

extension GeoPackageBinary.DecodeError: PlanCheckFailure {
    /// A stored geometry that cannot be read is bad input data (65).
    public var exitStatus: ExitStatus { .dataError }
}
