/// The CRS a layer says it is in, as the file says it, before PROJ has looked at it.
public enum CRSReference: Sendable, Hashable, CustomStringConvertible {
    /// An authority code or URN, e.g. `EPSG:4529`, `urn:ogc:def:crs:EPSG::4529`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`.
    case identifier(String)
    /// A GeoPackage `gpkg_spatial_ref_sys` row: its id, organisation and code, and definition (WKT).
    case geoPackage(srsID: Int64, organization: String, organizationCode: Int64, definition: String, name: String)

    public var description: String {
        switch self {
        case .identifier(let s): s
        case .geoPackage(let id, let org, let code, _, _): "\(org):\(code) (srs_id \(id))"
        }
    }
}

/// The file format a layer came from.
public enum LayerFormat: String, Sendable, Hashable {
    case geoJSON = "GeoJSON"
    case geoPackage = "GeoPackage"
}

/// A field (attribute column) of a layer and the types of the values seen in it.
public struct Field: Sendable, Hashable {
    public var name: String
    /// The declared type (GeoPackage column type) or, for GeoJSON, the JSON types seen, joined by
    /// `|` in order of first appearance (e.g. `string`, `integer|null`).
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

/// A layer read from a file: a name, a CRS, fields, and features in file order.
public struct Layer: Sendable {
    public var name: String
    /// The file the layer came from, as given on the command line.
    public var path: String
    public var format: LayerFormat
    /// The CRS the file declares. nil means "none declared": GeoJSON then is RFC 7946
    /// (`urn:ogc:def:crs:OGC:1.3:CRS84`, WGS 84 longitude/latitude), as the readers set explicitly.
    public var crs: CRSReference?
    /// The geometry type a GeoPackage declares for its geometry column (nil for GeoJSON).
    public var declaredGeometryType: String?
    public var fields: [Field]
    public var features: [Feature]
    /// Problems the reader saw that concern one feature (the feature is still in `features`).
    public var readProblems: [FeatureProblem]
    /// True when some position had a third (Z) or fourth (M) value; plan-check keeps x and y only.
    public var droppedHigherDimensions: Bool

    public init(
        name: String, path: String, format: LayerFormat, crs: CRSReference?,
        declaredGeometryType: String? = nil, fields: [Field], features: [Feature],
        readProblems: [FeatureProblem] = [], droppedHigherDimensions: Bool = false
    ) {
        self.name = name
        self.path = path
        self.format = format
        self.crs = crs
        self.declaredGeometryType = declaredGeometryType
        self.fields = fields
        self.features = features
        self.readProblems = readProblems
        self.droppedHigherDimensions = droppedHigherDimensions
    }
}

/// What is wrong with one feature, as a planner would say it.
public enum ProblemKind: String, Sendable, Hashable, Codable, CaseIterable {
    case nullGeometry = "null_geometry"
    /// The geometry could not be read (unknown type, coordinates that are not numbers, bad WKB).
    case malformedGeometry = "malformed_geometry"
    case emptyGeometry = "empty_geometry"
    case wrongGeometryType = "wrong_geometry_type"
    case ringTooFewPoints = "ring_too_few_points"
    case ringNotClosed = "ring_not_closed"
    case nonFiniteCoordinate = "non_finite_coordinate"
    case invalidPolygon = "invalid_polygon"
}

/// A problem found in one feature of one layer, with where it is when that is known.
public struct FeatureProblem: Sendable, Hashable {
    public var featureID: FeatureID
    public var kind: ProblemKind
    /// One line a planner understands, e.g. "Self-intersection".
    public var reason: String
    /// Where the problem is, in the layer's CRS, when known.
    public var location: Position?

    public init(featureID: FeatureID, kind: ProblemKind, reason: String, location: Position? = nil) {
        self.featureID = featureID
        self.kind = kind
        self.reason = reason
        self.location = location
    }
}
