/// The CRS a layer says it is in, as the file says it, before PROJ has looked at it.
public enum CRSReference: Sendable, Hashable, CustomStringConvertible {
    /// An authority code or URN, e.g. `EPSG:4529`, `urn:ogc:def:crs:EPSG::4529`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`.
    case identifier(String)
    /// A GeoPackage `gpkg_spatial_ref_sys` row: its id, organisation and code, and definition (WKT).
    case geoPackage(srsID: Int64, organization: String, organizationCode: Int64, definition: String, name: String)
    /// A CRS a file read through GDAL declares as WKT (a Shapefile's `.prj`, a File Geodatabase's
    /// definition): its name as the file writes it (e.g. the ESRI `CGCS2000_3_Degree_GK_Zone_41`),
    /// the WKT GDAL made of it, and the authority code GDAL identified it as (e.g. `EPSG:4529`),
    /// nil when GDAL found none.
    case wkt(name: String, definition: String, identifiedAs: String?)

    public var description: String {
        switch self {
        case .identifier(let s): s
        case .geoPackage(let id, let org, let code, _, _): "\(org):\(code) (srs_id \(id))"
        case .wkt(let name, _, let identified):
            identified.map { "WKT '\(name)', identified by GDAL as \($0)" } ?? "WKT '\(name)'"
        }
    }
}

/// The file format a layer came from.
public enum LayerFormat: String, Sendable, Hashable {
    case geoJSON = "GeoJSON"
    case geoPackage = "GeoPackage"
    /// Any vector format read through GDAL (Shapefile, File Geodatabase, FlatGeobuf, KML, GML,
    /// MapInfo …); `Layer.driver` names GDAL's driver.
    case gdal = "GDAL"
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
    /// GDAL's driver for a layer read through GDAL, e.g. "ESRI Shapefile", "OpenFileGDB"; nil
    /// for the native readers.
    public var driver: String?
    /// The encoding the layer's text was decoded from and what said so; nil when the format
    /// itself fixes it (GeoJSON and GeoPackage are UTF-8).
    public var textEncoding: LayerTextEncoding?
    /// Features read only as neighbours of a `--tile` slice's own features (`LayerRegion`): in
    /// `features`, but counted by the slice that owns them. Empty for a whole layer.
    public var neighbours: Set<FeatureID> = []

    public init(
        name: String, path: String, format: LayerFormat, crs: CRSReference?,
        declaredGeometryType: String? = nil, fields: [Field], features: [Feature],
        readProblems: [FeatureProblem] = [], droppedHigherDimensions: Bool = false,
        driver: String? = nil, textEncoding: LayerTextEncoding? = nil
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
        self.driver = driver
        self.textEncoding = textEncoding
    }

    /// The format as a planner names it: "GeoJSON", "GeoPackage", or GDAL's driver
    /// ("ESRI Shapefile", "OpenFileGDB", …).
    public var formatName: String {
        format == .gdal ? (driver ?? format.rawValue) : format.rawValue
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
