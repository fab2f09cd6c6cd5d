import PlanCRS
import PlanGDAL
import PlanGeometry
import PlanLayers
import PlanModel
import PlanRules
import PlanStore

/// An error that happened while working on one layer: says which file and layer, then the cause.
public struct LayerFailure: Error, CustomStringConvertible {
    public var path: String
    public var layer: String
    public var underlying: any Error

    public var description: String { "\(path): layer '\(layer)': \(underlying)" }
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

    /// The exit status for an error from any layer of plan-check (see ``ExitStatus``).
    static func status(of error: any Error) -> ExitStatus {
        switch error {
        case let e as PlanCheckFailure:
            return e.exitStatus
        case let e as LayerFailure:
            return status(of: e.underlying)
        case let e as LayerSourceError:
            return e.kind == .missing ? .noInput : .dataError
        case let e as LayerReadError:
            switch e {
            case .fileNotFound, .unreadable: return .noInput
            case .syntax, .notGeoJSON, .duplicateFeatureID: return .dataError
            }
        case let e as GDALError:
            return e.kind == .library ? .software : .dataError
        case let e as StoreError:
            if e.isBusy { return .temporaryFailure }
            switch e.kind {
            case .fileNotFound: return .noInput
            case .notAGeoPackage, .layerNotFound, .malformedGeoPackage: return .dataError
            case .sqlite: return .software
            }
        case let e as CRSError:
            switch e.kind {
            case .unknownCRS, .undefinedCRS, .notACRS, .unsupportedCRS, .noTransformation, .nonFiniteResult:
                return .dataError
            case .library:
                return .software
            }
        case let e as GeometryError:
            if case .input = e { return .dataError }
            return .software
        case is WKBError:
            return .dataError
        case is LayerWriteError:
            return .cannotWrite
        case let e as RuleSetError:
            switch e {
            case .fileNotFound, .unreadable: return .noInput
            case .invalid: return .dataError
            }
        default:
            return .software
        }
    }
}
