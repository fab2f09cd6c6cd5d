extension WKBError: PlanCheckFailure {
    /// Geometry bytes that cannot be read are bad input data (65).
    public var exitStatus: ExitStatus {
        switch kind {
        case .truncated, .invalidByteOrder, .unknownTypeCode, .unexpectedMemberType, .nestedTooDeeply: .dataError
        }
    }
}
