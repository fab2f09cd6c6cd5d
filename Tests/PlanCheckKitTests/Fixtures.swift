import Foundation

/// Paths of files in the repository, found from this source file (tests run from any folder).
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// The independent figures made by Tools/oracle/inspect_oracle.py (GDAL, shapely, pyproj).
struct InspectOracle: Decodable {
    struct Invalid: Decodable { var index: Int; var reason: String }
    struct LayerFigures: Decodable {
        var path: String
        var layer: String?
        var features: Int
        var null_or_empty: Int
        var invalid: [Invalid]
        var polygonal_features_kept: Int
        var crs_is_geographic: Bool
        var extent: [Double]
        var planar_area_m2: Double?
        var ellipsoidal_area_m2: Double
    }
    var versions: [String: String]
    var layers: [LayerFigures]

    static func load() throws -> InspectOracle {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.path("Tests/Fixtures/inspect-oracle.json")))
        return try JSONDecoder().decode(InspectOracle.self, from: data)
    }
}
