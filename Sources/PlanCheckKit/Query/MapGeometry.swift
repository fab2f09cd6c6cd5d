import PlanModel

/// A polygonal geometry as a GeoJSON geometry object (`MultiPolygon`), for the maps of the
/// applicants' page: coordinates in the registry's CRS (easting, northing in metres for a
/// projected one), rounded to a millimetre. Points and lines of a geometry are left out: only
/// land is drawn.
public struct MapGeometry: Codable, Sendable, Equatable {
    /// Always "MultiPolygon".
    public var type = "MultiPolygon"
    /// Polygons, each its exterior ring then its holes, each ring `[[x, y], …]` closed.
    public var coordinates: [[[[Double]]]]

    public init(_ value: GeometryValue) {
        coordinates = value.polygons.map { rings in
            rings.map { ring in ring.map { [$0.x, $0.y] } }
        }
    }

    /// Positions in all rings.
    public var vertexCount: Int {
        coordinates.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
    }
}
