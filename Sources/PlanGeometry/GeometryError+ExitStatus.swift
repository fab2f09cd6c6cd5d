import PlanModel

extension GeometryError: PlanCheckFailure {
    /// A geometry that cannot be built as given is bad input (65); GEOS failing on a geometry it
    /// accepted, or a result plan-check cannot hold, is a library failure (70).
    public var exitStatus: ExitStatus {
        switch self {
        case .input: .dataError
        case .library, .unrepresentable: .software
        }
    }
}
