import PlanCheckTestSupport
import Foundation
@testable import PlanCRS
import PlanModel
import Testing

/// The areal-scale model stands in for the geodesic polygon area on polygons of 200 m² to
/// 1 km across in projected CRSs in metres: it must agree with `geod_polygonarea` of the same
/// vertices within 10⁻⁷ of the area plus the geodesic area's own rounding, in every kind of
/// projection planners meet. (`geod_polygonarea` of one polygon moved by 0.1 mm scatters by
/// up to 1.5·10⁻⁴ m² at 40° N: pyproj 3.7.2, 20-vertex polygons of 800 m² in EPSG:4529.)
@Suite("Ellipsoidal area from the areal scale")
struct ArealScaleModelTests {
    /// A CRS and a place in its area of use (longitude, latitude in degrees).
    struct Place: CustomTestStringConvertible, Sendable {
        var crs: String
        var lon: Double
        var lat: Double
        var testDescription: String { "\(crs) at \(lon)°, \(lat)°" }
    }

    static let places = [
        Place(crs: "EPSG:4529", lon: 122.8, lat: 39.5),   // CGCS2000 3° Gauss-Krüger zone 41, zone in the easting
        Place(crs: "EPSG:4529", lon: 124.4, lat: 40.2),   // the same zone 1.4° from its central meridian
        Place(crs: "EPSG:4549", lon: 120.5, lat: 30.3),   // CGCS2000 3° GK CM 120°E, no zone number
        Place(crs: "EPSG:2383", lon: 114.2, lat: 30.6),   // Xian 1980 3° GK CM 114°E (IAG 1975 ellipsoid)
        Place(crs: "EPSG:32650", lon: 119.5, lat: 40.0),  // WGS 84 / UTM 50N (k0 = 0.9996, 2.5° off its meridian)
        Place(crs: "EPSG:2154", lon: 3.0, lat: 46.5),     // RGF93 / Lambert-93 (conformal conic)
        Place(crs: "EPSG:3577", lon: 135.0, lat: -25.0),  // GDA94 / Australian Albers (equal area)
    ]

    /// A star-shaped polygon around `centre` (projected), `radius` m, `vertices` vertices, with a
    /// hole in the middle when asked; from a seeded generator.
    static func star(centre: Position, radius: Double, vertices: Int, hole: Bool, random: inout SeededGenerator) -> [PositionList] {
        func ring(_ r: Double, _ n: Int, clockwise: Bool) -> PositionList {
            var points = (0..<n).map { k -> Position in
                let angle = (Double(k) + 0.8 * random.unitInterval()) / Double(n) * 2 * Double.pi
                let reach = r * (0.55 + 0.45 * random.unitInterval())
                return Position(centre.x + reach * cos(angle), centre.y + reach * sin(angle))
            }
            if clockwise { points.reverse() }
            return points + [points[0]]
        }
        var rings = [ring(radius, vertices, clockwise: random.unitInterval() < 0.5)]
        if hole { rings.append(ring(radius * 0.25, 6, clockwise: random.unitInterval() < 0.5)) }
        return rings
    }

    @Test("agrees with the geodesic polygon area within 1e-7 (plus its rounding) where it is used", arguments: places)
    func agreesWithGeodesicArea(place: Place) throws {
        let context = try CRSContext()
        let crs = try context.crs(place.crs)
        let calculator = try context.areaCalculator(for: crs)
        let model = try #require(calculator.scaleModel, "no areal-scale model for \(place.crs)")
        let origin = try context.transformer(from: try context.crs("EPSG:4326"), to: crs)
            .transform(Position(place.lon, place.lat))
        var random = SeededGenerator(seed: 4529)
        var modelled = 0
        var worst = 0.0
        for n in 0..<400 {
            // Up to 30 km from the place, 12 to 700 m in radius, 8 to 60 vertices.
            let centre = Position(origin.x + (random.unitInterval() - 0.5) * 60_000, origin.y + (random.unitInterval() - 0.5) * 60_000)
            let radius = 12 * pow(700.0 / 12, random.unitInterval())
            let polygon = Self.star(centre: centre, radius: radius, vertices: 8 + Int(random.unitInterval() * 53),
                                    hole: n % 3 == 0, random: &random)
            let geodesic = try calculator.geodesicArea(of: .polygon(polygon))
            let area = try calculator.area(of: .polygon(polygon))
            if let fromModel = model.ellipsoidalArea(of: polygon) {
                modelled += 1
                #expect(fromModel == area)
                let difference = abs(area - geodesic)
                worst = max(worst, difference / geodesic)
                #expect(difference <= 1e-7 * geodesic + 2.5e-4, "polygon \(n): \(area) m² vs geodesic \(geodesic) m²")
            } else {
                // Outside the model's use, the area is the geodesic one, bit for bit.
                #expect(area == geodesic)
            }
        }
        // Most of these polygons are in the model's range (≥ 200 m², ≤ 1 km across).
        #expect(modelled > 250, "only \(modelled) of 400 polygons were measured by the model")
        #expect(worst > 0 && worst < 1e-6)  // the geodesic area's rounding on the smallest, inside the 1e-6 asked
    }

    @Test("is not used for small, wide or geographic polygons")
    func notUsedOutsideItsRange() throws {
        let context = try CRSContext()
        let zone41 = try context.crs("EPSG:4529")
        let model = try #require(try context.areaCalculator(for: zone41).scaleModel)
        let x = 41_482_797.0, y = 4_374_033.0
        func square(_ side: Double) -> [PositionList] {
            [[Position(x, y), Position(x + side, y), Position(x + side, y + side), Position(x, y + side), Position(x, y)]]
        }
        #expect(model.ellipsoidalArea(of: square(14)) == nil)      // 196 m²: under 200 m²
        #expect(model.ellipsoidalArea(of: square(15)) != nil)      // 225 m²
        #expect(model.ellipsoidalArea(of: square(1_000)) != nil)   // 1 km across
        #expect(model.ellipsoidalArea(of: square(1_001)) == nil)   // wider
        // A hole that takes the area under 200 m² (1 600 − 1 444 = 156 m²).
        var holed = square(40)
        holed.append([Position(x + 1, y + 1), Position(x + 1, y + 39), Position(x + 39, y + 39), Position(x + 39, y + 1), Position(x + 1, y + 1)])
        #expect(model.ellipsoidalArea(of: holed) == nil)
        #expect(try context.areaCalculator(for: try context.crs("EPSG:4490")).scaleModel == nil)
    }
}
