import PlanModel

extension RuleSetError: PlanCheckFailure {
    /// A missing or unreadable rules file is 66; a rule set with errors is bad input (65).
    public var exitStatus: ExitStatus {
        switch self {
        case .fileNotFound, .unreadable: .noInput
        case .invalid: .dataError
        }
    }
}

extension CodePattern.ParseError: PlanCheckFailure {
    /// A class code pattern that cannot be read is a rule-set error (65).
    public var exitStatus: ExitStatus {
        switch self {
        case .empty, .misplacedWildcard: .dataError
        }
    }

    public var description: String {
        switch self {
        case .empty: "a code pattern is empty"
        case .misplacedWildcard(let offset): "'*' may only end a code pattern (found at character \(offset + 1))"
        }
    }
}
