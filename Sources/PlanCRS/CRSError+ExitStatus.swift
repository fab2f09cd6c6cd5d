import PlanModel

extension CRSError: PlanCheckFailure {
    /// A CRS the input names that PROJ cannot use, or a position it cannot transform, is bad input
    /// (65); PROJ failing in itself is a library failure (70).
    public var exitStatus: ExitStatus {
        switch kind {
        case .unknownCRS, .undefinedCRS, .notACRS, .unsupportedCRS, .noTransformation, .nonFiniteResult: .dataError
        case .library: .software
        }
    }
}
