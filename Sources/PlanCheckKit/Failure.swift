import PlanCRS
import PlanGDAL
import PlanGeometry
import PlanLayers
import PlanModel
import PlanOutput
import PlanRules
import PlanStore

/// An error that happened while working on one layer: says which file and layer, then the cause.
/// Its exit status is the cause's.
public struct LayerFailure: PlanCheckFailure {
    public var path: String
    public var layer: String
    public var underlying: any Error

    public var description: String { "\(path): layer '\(layer)': \(underlying)" }
    public var exitStatus: ExitStatus { Failure.status(of: underlying) }
}

/// Any error as the command line reports it: one line and the documented exit status.
public struct Failure: CustomStringConvertible {
    public var message: String
    public var status: ExitStatus

    public var description: String { message }

    public init(_ error: any Error) {
        message = String(describing: error)
        status = Self.status(of: error)
    }

    /// The exit status for an error from any layer of plan-check: each error type says its own
    /// (``PlanCheckFailure``). An error from outside plan-check (Foundation, SwiftNIO) that
    /// reached this far is a failure of plan-check's own handling: 70.
    static func status(of error: any Error) -> ExitStatus {
        (error as? any PlanCheckFailure)?.exitStatus ?? .software
    }
}
