/// A failure of the CRS layer: what plan-check was doing, what PROJ (or plan-check) said, and
/// which C function said it.
///
/// `message` is PROJ's own text as captured by the context's log function (e.g.
/// "proj_create: crs not found"), never PROJ's generic error-code string when a real message exists.
public struct CRSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is, so that callers can tell bad input from library trouble.
    public enum Kind: String, Sendable, Hashable {
        /// PROJ does not know the identifier or cannot parse the text (unknown code, garbage, bad WKT).
        case unknownCRS = "unknown_crs"
        /// The input names a CRS that is deliberately undefined (GeoPackage srs_id 0 or -1).
        case undefinedCRS = "undefined_crs"
        /// PROJ parsed the text, but it is not a CRS (e.g. a bare PROJ pipeline or an ellipsoid).
        case notACRS = "not_a_crs"
        /// The CRS is valid but this operation cannot use it (e.g. area in an engineering CRS).
        case unsupportedCRS = "unsupported_crs"
        /// PROJ found no coordinate operation between the two CRSs.
        case noTransformation = "no_transformation"
        /// A position could not be transformed (PROJ gave HUGE_VAL, or the input was not finite).
        case nonFiniteResult = "non_finite_result"
        /// Any other failure inside PROJ (out of memory, context could not be created, ...).
        case library = "library"
    }

    /// Whether this is bad input, an undefined CRS, a position out of range or a library failure.
    public var kind: Kind
    /// What plan-check was doing, in words a planner understands, e.g. "parse CRS 'EPSG:999999'".
    public var operation: String
    /// The message: PROJ's own text when PROJ failed, otherwise plan-check's explanation.
    public var message: String
    /// The PROJ C function that failed, e.g. "proj_create", when the failure came from PROJ.
    public var function: String?

    /// Makes an error; the CRS layer makes these, other layers may wrap or rethrow them.
    public init(kind: Kind, operation: String, message: String, function: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.message = message
        self.function = function
    }

    /// One line: "operation: message (C function)".
    public var description: String {
        if let function { "\(operation): \(message) (\(function))" } else { "\(operation): \(message)" }
    }
}
