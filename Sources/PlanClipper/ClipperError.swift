import PlanModel

/// The one error type of PlanClipper. The overlay treats every case as "Clipper cannot do this
/// one" and computes the operation with GEOS instead (counted as a fallback).
public enum ClipperError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A coordinate that does not fit the 64-bit grid (beyond ±4.6 × 10¹⁸ cells from the origin,
    /// about ±4.6 × 10¹² m at 1 µm) or is not a finite number.
    case coordinateOutOfRange(x: Double, y: Double)
    /// Clipper threw or reported failure in `Execute`; `message` is its own text.
    case library(message: String)

    public var description: String {
        switch self {
        case .coordinateOutOfRange(let x, let y): "coordinate (\(x), \(y)) does not fit Clipper's 64-bit integer grid"
        case .library(let message): "Clipper failed in Execute: \(message)"
        }
    }
}

extension ClipperError: PlanCheckFailure {
    /// A coordinate off the grid is bad input (65); Clipper failing is a library failure (70).
    public var exitStatus: ExitStatus {
        switch self {
        case .coordinateOutOfRange: .dataError
        case .library: .software
        }
    }
}
