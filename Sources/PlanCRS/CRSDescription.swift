/// A coordinate reference system as PROJ understood it: plain values that may cross tasks.
///
/// Made by `CRSContext.crs(_:)` or `CRSContext.crs(for:)`. Two spellings of the same CRS
/// (`EPSG:4529`, `urn:ogc:def:crs:EPSG::4529`, its WKT, ...) give equal descriptions.
/// To use it again in any context, PROJ recreates it from `definition`.
public struct CRSDescription: Sendable, Hashable, CustomStringConvertible {
    /// The authority code the CRS carries, canonically spelt, e.g. "EPSG:4529" or "OGC:CRS84",
    /// or the one PROJ matches with full confidence (`proj_identify`) when a WKT carries none;
    /// nil when there is none. A WKT1 with TOWGS84 keeps the code of its horizontal CRS here while
    /// `definition` keeps the TOWGS84 parameters.
    public var identifier: String?
    /// The CRS's name, e.g. "CGCS2000 / 3-degree Gauss-Kruger zone 41".
    public var name: String
    /// What kind of CRS the horizontal part is (geographic, projected, ...): a compound CRS reports
    /// its horizontal component, a bound CRS (WKT1 with TOWGS84) its source CRS.
    public var kind: CRSKind
    /// The unit of the horizontal axes: metre for projected CRSs, degree for geographic ones.
    public var unit: CRSUnit
    /// The ellipsoid of the CRS's datum; nil only for CRSs without one (engineering CRSs).
    public var ellipsoid: Ellipsoid?
    /// Text PROJ recreates exactly this CRS from: the authority code when the database entry is
    /// equivalent (axis order aside), otherwise WKT2:2019.
    public var definition: String

    /// Memberwise; descriptions normally come from `CRSContext.crs(_:)`, which fills them from PROJ.
    public init(identifier: String?, name: String, kind: CRSKind, unit: CRSUnit, ellipsoid: Ellipsoid?, definition: String) {
        self.identifier = identifier
        self.name = name
        self.kind = kind
        self.unit = unit
        self.ellipsoid = ellipsoid
        self.definition = definition
    }

    /// True for geographic (longitude/latitude) CRSs such as EPSG:4490 and OGC:CRS84.
    public var isGeographic: Bool { kind == .geographic2D || kind == .geographic3D }

    /// True for projected CRSs such as EPSG:4529.
    public var isProjected: Bool { kind == .projected }

    /// The planar area unit of this CRS in m²: 1 for metres, 0.3048² for feet, and so on;
    /// nil when the axes are angular (a planar area in degree² means nothing).
    public var squareMetresPerSquareUnit: Double? {
        unit.isLinear ? unit.toSI * unit.toSI : nil
    }

    /// "EPSG:4529 (CGCS2000 / 3-degree Gauss-Kruger zone 41)", or the name alone.
    public var description: String {
        if let identifier { "\(identifier) (\(name))" } else { name }
    }
}

/// The kind of a CRS, after PROJ's `PJ_TYPE`.
public enum CRSKind: String, Sendable, Hashable {
    case geographic2D = "geographic 2D"
    case geographic3D = "geographic 3D"
    case geocentric
    case projected
    case engineering
    case vertical
    case other
}

/// The unit of a CRS's horizontal axes, as PROJ reports it (`proj_cs_get_axis_info`).
public struct CRSUnit: Sendable, Hashable, CustomStringConvertible {
    /// The unit's name, e.g. "metre", "degree", "US survey foot".
    public var name: String
    /// Factor to SI: metres per unit for linear units, radians per unit for angular ones.
    public var toSI: Double
    /// True for length units (metre, foot), false for angles (degree, grad).
    public var isLinear: Bool

    /// Memberwise; units normally come from `proj_cs_get_axis_info` through `CRSContext`.
    public init(name: String, toSI: Double, isLinear: Bool) {
        self.name = name
        self.toSI = toSI
        self.isLinear = isLinear
    }

    public var description: String { name }
}

/// An ellipsoid, in metres. CGCS2000's (EPSG:1024, named "CGCS2000") has a = 6 378 137 m and
/// 1/f = 298.257222101, the GRS 1980 figures.
public struct Ellipsoid: Sendable, Hashable, CustomStringConvertible {
    /// The ellipsoid's name as the CRS's datum gives it, e.g. "CGCS2000", "WGS 84", "IAG 1975".
    public var name: String
    /// Semi-major axis a, in metres (6 378 137 for GRS 1980).
    public var semiMajorAxis: Double
    /// Semi-minor axis b, in metres.
    public var semiMinorAxis: Double
    /// Inverse flattening 1/f (298.257222101 for CGCS2000); 0 for a sphere.
    public var inverseFlattening: Double

    /// Memberwise; ellipsoids normally come from `proj_ellipsoid_get_parameters` through `CRSContext`.
    public init(name: String, semiMajorAxis: Double, semiMinorAxis: Double, inverseFlattening: Double) {
        self.name = name
        self.semiMajorAxis = semiMajorAxis
        self.semiMinorAxis = semiMinorAxis
        self.inverseFlattening = inverseFlattening
    }

    /// Flattening f = (a − b)/a; 0 for a sphere.
    public var flattening: Double { inverseFlattening == 0 ? 0 : 1 / inverseFlattening }

    public var description: String { "\(name) (a = \(semiMajorAxis) m, 1/f = \(inverseFlattening))" }
}

/// Where a CRS may be used: a box in degrees (longitude, latitude; `west > east` when it crosses
/// the antimeridian) and the authority's name for the area.
public struct AreaOfUse: Sendable, Hashable, CustomStringConvertible {
    public var west: Double
    public var south: Double
    public var east: Double
    public var north: Double
    /// E.g. "China - onshore between 121°30'E and 124°30'E."
    public var name: String

    public init(west: Double, south: Double, east: Double, north: Double, name: String) {
        self.west = west
        self.south = south
        self.east = east
        self.north = north
        self.name = name
    }

    /// True when the position (longitude, latitude in degrees) lies in the box widened by
    /// `margin` degrees on every side.
    public func contains(longitude: Double, latitude: Double, margin: Double = 0) -> Bool {
        guard latitude >= south - margin, latitude <= north + margin else { return false }
        if west <= east { return longitude >= west - margin && longitude <= east + margin }
        return longitude >= west - margin || longitude <= east + margin  // across the antimeridian
    }

    /// "121.5..124.5°E, 28.22..53.56°N (China - onshore between 121°30'E and 124°30'E.)"
    public var description: String {
        func lon(_ v: Double) -> String { "\(Self.formatDegrees(abs(v)))°\(v < 0 ? "W" : "E")" }
        func lat(_ v: Double) -> String { "\(Self.formatDegrees(abs(v)))°\(v < 0 ? "S" : "N")" }
        return "\(lon(west))..\(lon(east)), \(lat(south))..\(lat(north))" + (name.isEmpty ? "" : " (\(name))")
    }

    /// Degrees to four decimals, without trailing zeros: 121.5, 28.22, 124.
    public static func formatDegrees(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        let text = "\(rounded)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
