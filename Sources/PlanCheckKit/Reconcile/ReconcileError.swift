import PlanModel

/// Bad input to the reconciliation workflow: an `id_field` that does not identify features, a
/// dispositions file that does not belong to this rule set or contradicts itself, a `diff`
/// that cannot be made. Says the file, the ids and the reason.
public struct ReconcileError: PlanCheckFailure {
    public enum Kind: Sendable {
        /// `id_field` missing, null or repeated (exit 65).
        case identifiers
        /// The `--dispositions` file: another rule set, repeated ids, unknown values (exit 65).
        case dispositions
        /// A `diff` option that does not fit its inputs (exit 64).
        case usage
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public var exitStatus: ExitStatus {
        switch kind {
        case .identifiers, .dispositions: .dataError
        case .usage: .usage
        }
    }
}
