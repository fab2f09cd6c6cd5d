import PlanModel

/// The one error type of the geometry layer.
///
/// Two kinds of failure are kept apart: ``GeometryError/input(_:)`` means the caller's
/// geometry cannot be built as given (a ring that is not closed, a line with one position);
/// ``GeometryError/library(operation:message:)`` means GEOS itself reported a failure
/// while running the named C function.
public enum GeometryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// GEOS signalled failure (NULL, 0, -1 or 2, per the C API) in `operation`
    /// (the C function, e.g. `GEOSIntersection_r`); `message` is what GEOS's error handler said.
    case library(operation: String, message: String)
    /// The input geometry cannot be built as given; nothing was sent to GEOS.
    case input(GeometryInputProblem)
    /// A GEOS result that `GeometryValue` cannot represent (e.g. a MultiPoint with an empty member).
    case unrepresentable(String)

    /// One line: "GEOS failed in GEOSIntersection_r: TopologyException: ..." or the input problem.
    public var description: String {
        switch self {
        case .library(let operation, let message): "GEOS failed in \(operation): \(message)"
        case .input(let problem): problem.description
        case .unrepresentable(let reason): "geometry cannot be represented as a value: \(reason)"
        }
    }
}

/// What is wrong with an input geometry, and where in it.
public struct GeometryInputProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; its raw value is the one-line text a planner reads.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A polygon ring whose last position differs from its first.
        case ringNotClosed = "ring is not closed"
        /// A polygon ring with fewer than 4 positions (3 distinct + the closing one).
        case ringTooFewPoints = "ring has fewer than 4 positions"
        /// A line string with exactly one position.
        case lineTooFewPoints = "line has fewer than 2 positions"
        /// A coordinate that is NaN or infinite.
        case nonFiniteCoordinate = "coordinate is not a finite number"
        /// A polygon whose exterior ring is empty while a hole is not.
        case emptyExteriorRing = "exterior ring is empty but a hole is not"
        /// A member of a Multi* collection that is not of the member type (e.g. a point in a MultiPolygon).
        case wrongMemberType = "collection member has the wrong type"
        /// Two geometries from different `GeometryContext`s were combined.
        case differentContexts = "geometries belong to different contexts"
        /// More positions or parts than GEOS's 32-bit counts can hold.
        case tooLarge = "too many positions or parts"
    }

    /// What is wrong.
    public var kind: Kind
    /// Where in the geometry, e.g. "polygon 2, ring 0" (0-based), or "" for the whole geometry.
    public var path: String
    /// A position that shows the problem (e.g. the first position of an unclosed ring), when known.
    public var location: Position?
    /// Extra detail, e.g. "first (0, 0), last (1, 1)".
    public var detail: String

    /// A problem of `kind` at `path`, optionally with a location and detail.
    public init(kind: Kind, path: String = "", location: Position? = nil, detail: String = "") {
        self.kind = kind
        self.path = path
        self.location = location
        self.detail = detail
    }

    /// The layer-check problem kind this corresponds to, when there is one.
    public var problemKind: ProblemKind {
        switch kind {
        case .ringNotClosed: .ringNotClosed
        case .ringTooFewPoints, .lineTooFewPoints: .ringTooFewPoints
        case .nonFiniteCoordinate: .nonFiniteCoordinate
        case .emptyExteriorRing, .wrongMemberType, .differentContexts, .tooLarge: .malformedGeometry
        }
    }

    /// "polygon 1, ring 1: ring is not closed (first (0, 0), last (1, 1))".
    public var description: String {
        var s = path.isEmpty ? kind.rawValue : "\(path): \(kind.rawValue)"
        if !detail.isEmpty { s += " (\(detail))" }
        return s
    }
}
