import PlanModel

/// Shared figures and shapes for the PlanCRS tests.
///
/// Reference values were cross-checked with pyproj 3.7.2 (PROJ 9.5.1) in Tools/.venv:
/// `Transformer.from_crs(4490, 4529, always_xy=True).transform(122.8, 39.5)`
///   = (41482797.3094, 4374033.2114);
/// `Geod(ellps="GRS80").polygon_area_perimeter([122,123,123,122], [39,39,40,40])`
///   = 9549.468853860 km² (geodesic edges between the four corners);
/// the same cell with 1000 points per edge, linear in lon/lat (edges following the parallels)
///   = 9549.520093919 km²;
/// the four corners projected to EPSG:4529 and joined by straight lines there
///   = 9549.227403176 km².
enum Fixture {
    static let cgcs2000 = "EPSG:4490"
    static let zone41 = "EPSG:4529"

    /// EPSG:4529 as a GeoPackage or GDAL would write it (WKT1, with its authority).
    static let zone41WKT1 = #"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 41",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",123],PARAMETER["scale_factor",1],PARAMETER["false_easting",41500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4529"]]"#

    /// The same WKT without any AUTHORITY at the top level (as some tools write it).
    static let zone41WKT1WithoutID = #"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 41",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",123],PARAMETER["scale_factor",1],PARAMETER["false_easting",41500000],PARAMETER["false_northing",0],UNIT["metre",1]]"#

    /// Xian 1980 / 3-degree Gauss-Kruger CM 120E (EPSG:2385) as old ArcGIS/GDAL exports write it:
    /// WKT1 with TOWGS84, which PROJ reads as a bound CRS.
    static let xian1980WithTOWGS84 = #"PROJCS["Xian 1980 / 3-degree Gauss-Kruger CM 120E",GEOGCS["Xian 1980",DATUM["Xian_1980",SPHEROID["IAG 1975",6378140,298.257],TOWGS84[24,-123,-94,0.02,-0.25,-0.13,1.1]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","2385"]]"#

    /// EPSG:4529 in WKT2:2019 (projinfo -o WKT2_2019).
    static let zone41WKT2 = #"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 41",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4490]],CONVERSION["3-degree Gauss-Kruger zone 41",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",123,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",41500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1],LENGTHUNIT["metre",1]],AXIS["easting (Y)",east,ORDER[2],LENGTHUNIT["metre",1]],ID["EPSG",4529]]"#

    /// The 1° × 1° cell 39–40° N, 122–123° E, counter-clockwise, closed, lon/lat.
    static let cell: PositionList = [
        Position(122, 39), Position(123, 39), Position(123, 40), Position(122, 40), Position(122, 39),
    ]

    /// Its geodesic area on GRS 1980, in km² (pyproj, see above).
    static let cellAreaKm2 = 9_549.4689

    /// The cell's boundary with `perEdge` points per edge, linear in longitude and latitude
    /// (so the east–west edges follow the parallels), closed, counter-clockwise.
    static func densifiedCell(perEdge: Int = 1000) -> PositionList {
        var ring: PositionList = []
        let corners = cell
        for k in 0..<4 {
            let a = corners[k], b = corners[k + 1]
            for i in 0..<perEdge {
                let t = Double(i) / Double(perEdge)
                ring.append(Position(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
            }
        }
        ring.append(ring[0])
        return ring
    }

    /// A square ring around (lon, lat) with half-side `h` degrees, counter-clockwise, closed.
    static func square(lon: Double, lat: Double, h: Double) -> PositionList {
        [Position(lon - h, lat - h), Position(lon + h, lat - h), Position(lon + h, lat + h),
         Position(lon - h, lat + h), Position(lon - h, lat - h)]
    }
}
