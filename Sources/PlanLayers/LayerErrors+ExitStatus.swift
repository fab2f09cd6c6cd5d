import PlanModel

extension LayerReadError: PlanCheckFailure {
    /// A missing or unreadable file is 66; a file that is not valid GeoJSON is bad input (65).
    public var exitStatus: ExitStatus {
        switch self {
        case .fileNotFound, .unreadable: .noInput
        case .syntax, .notGeoJSON, .duplicateFeatureID: .dataError
        }
    }
}

extension LayerSourceError: PlanCheckFailure {
    /// A missing file is 66; a file plan-check cannot read as a layer is bad input (65).
    public var exitStatus: ExitStatus {
        switch kind {
        case .missing: .noInput
        case .unsupportedFormat, .noSuchLayer, .encodingNotApplicable: .dataError
        }
    }
}

extension JSONFailure: PlanCheckFailure {
    /// Bytes that are not JSON or not GeoJSON are bad input (65). The reader turns these into
    /// `LayerReadError`s with line and column before they leave the module.
    var exitStatus: ExitStatus {
        switch self {
        case .syntax, .geometry, .notGeoJSON: .dataError
        }
    }

    var description: String {
        switch self {
        case .syntax(let offset, let message): "byte \(offset): \(message)"
        case .geometry(let offset, let reason): "byte \(offset): \(reason)"
        case .notGeoJSON(let offset, let reason): "byte \(offset): not GeoJSON: \(reason)"
        }
    }
}
