/// A position in a layer's CRS: `x` is easting or longitude, `y` northing or latitude
/// (GIS axis order, whatever the CRS's authority says). Units are the CRS's (metres or degrees).
public struct Position: Sendable, Hashable {
    public var x: Double
    public var y: Double

    @inlinable public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    @inlinable public init(_ x: Double, _ y: Double) {
        self.init(x: x, y: y)
    }
}

/// A ring or line: positions in order. A closed ring repeats its first position last.
public typealias PositionList = [Position]

/// A polygon: its exterior ring first, then its holes.
public typealias PolygonRings = [PositionList]

/// A geometry as plain Swift values (the OGC simple-feature types, 2D), in a layer's CRS.
///
/// This is what readers produce and writers take; the GEOS wrapper converts it to and from
/// native geometries. An empty geometry is a collection with no members (`.point(nil)` for an
/// empty point). The value keeps what the file said: an unclosed ring stays unclosed here and
/// is reported by the layer check.
public enum GeometryValue: Sendable, Equatable {
    case point(Position?)
    case lineString(PositionList)
    case polygon(PolygonRings)
    case multiPoint([Position])
    case multiLineString([PositionList])
    case multiPolygon([PolygonRings])
    case geometryCollection([GeometryValue])

    /// The simple-feature type name, as GeoJSON and GeoPackage spell it.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .lineString: "LineString"
        case .polygon: "Polygon"
        case .multiPoint: "MultiPoint"
        case .multiLineString: "MultiLineString"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// True for Polygon and MultiPolygon (the types a plan layer is made of).
    public var isPolygonal: Bool {
        switch self {
        case .polygon, .multiPolygon: true
        default: false
        }
    }

    /// True when the geometry has no positions at all.
    public var isEmpty: Bool {
        switch self {
        case .point(let p): p == nil
        case .lineString(let l): l.isEmpty
        case .polygon(let rings): rings.allSatisfy(\.isEmpty)
        case .multiPoint(let ps): ps.isEmpty
        case .multiLineString(let ls): ls.allSatisfy(\.isEmpty)
        case .multiPolygon(let polys): polys.allSatisfy { $0.allSatisfy(\.isEmpty) }
        case .geometryCollection(let gs): gs.allSatisfy(\.isEmpty)
        }
    }

    /// The polygons of a polygonal geometry (one for Polygon, each part for MultiPolygon),
    /// and every polygon inside a collection. Empty for points and lines.
    public var polygons: [PolygonRings] {
        switch self {
        case .polygon(let rings): [rings]
        case .multiPolygon(let polys): polys
        case .geometryCollection(let gs): gs.flatMap(\.polygons)
        default: []
        }
    }

    /// Number of positions in all parts.
    public var positionCount: Int {
        switch self {
        case .point(let p): p == nil ? 0 : 1
        case .lineString(let l): l.count
        case .polygon(let rings): rings.reduce(0) { $0 + $1.count }
        case .multiPoint(let ps): ps.count
        case .multiLineString(let ls): ls.reduce(0) { $0 + $1.count }
        case .multiPolygon(let polys): polys.reduce(0) { acc, p in p.reduce(acc) { $0 + $1.count } }
        case .geometryCollection(let gs): gs.reduce(0) { $0 + $1.positionCount }
        }
    }

    /// The bounding box in the geometry's CRS, or nil when it is empty.
    public var envelope: Envelope? {
        var box = Envelope.empty
        forEachPosition { box.expand(toInclude: $0) }
        return box.isEmpty ? nil : box
    }

    /// Calls `body` on every position, in order.
    public func forEachPosition(_ body: (Position) -> Void) {
        switch self {
        case .point(let p): if let p { body(p) }
        case .lineString(let l): l.forEach(body)
        case .polygon(let rings): for r in rings { r.forEach(body) }
        case .multiPoint(let ps): ps.forEach(body)
        case .multiLineString(let ls): for l in ls { l.forEach(body) }
        case .multiPolygon(let polys): for p in polys { for r in p { r.forEach(body) } }
        case .geometryCollection(let gs): for g in gs { g.forEachPosition(body) }
        }
    }

    /// The same geometry with every position replaced by `transform(position)`.
    public func mapPositions(_ transform: (Position) throws -> Position) rethrows -> GeometryValue {
        switch self {
        case .point(let p): return .point(try p.map(transform))
        case .lineString(let l): return .lineString(try l.map(transform))
        case .polygon(let rings): return .polygon(try rings.map { try $0.map(transform) })
        case .multiPoint(let ps): return .multiPoint(try ps.map(transform))
        case .multiLineString(let ls): return .multiLineString(try ls.map { try $0.map(transform) })
        case .multiPolygon(let polys):
            return .multiPolygon(try polys.map { try $0.map { try $0.map(transform) } })
        case .geometryCollection(let gs): return .geometryCollection(try gs.map { try $0.mapPositions(transform) })
        }
    }
}

/// An axis-aligned bounding box in some CRS's units.
public struct Envelope: Sendable, Hashable {
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// The box that contains nothing; expanding it by a position gives that position's box.
    public static let empty = Envelope(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)

    public var isEmpty: Bool { minX > maxX || minY > maxY }

    public mutating func expand(toInclude p: Position) {
        if p.x < minX { minX = p.x }
        if p.x > maxX { maxX = p.x }
        if p.y < minY { minY = p.y }
        if p.y > maxY { maxY = p.y }
    }

    public mutating func expand(toInclude other: Envelope) {
        guard !other.isEmpty else { return }
        minX = Swift.min(minX, other.minX)
        minY = Swift.min(minY, other.minY)
        maxX = Swift.max(maxX, other.maxX)
        maxY = Swift.max(maxY, other.maxY)
    }

    /// True when `other` lies inside this box (boundaries included).
    public func contains(_ other: Envelope) -> Bool {
        !other.isEmpty && other.minX >= minX && other.maxX <= maxX && other.minY >= minY && other.maxY <= maxY
    }

    public func intersects(_ other: Envelope) -> Bool {
        !(other.minX > maxX || other.maxX < minX || other.minY > maxY || other.maxY < minY)
    }
}
