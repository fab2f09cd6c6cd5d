import Foundation

/// The independent figures made by Tools/oracle/overlay_oracle.py (GeoPandas, shapely, pyproj).
struct OverlayOracle: Decodable {
    struct Area: Decodable {
        var planar_area: Double?
        var ellipsoidal_area_m2: Double
    }
    struct Slivers: Decodable {
        var count: Int
        var planar_area: Double?
        var ellipsoidal_area_m2: Double?
    }
    struct Patch: Decodable {
        var a_fid: FID
        var b_fid: FID?
        var planar_area: Double?
        var ellipsoidal_area_m2: Double
    }
    /// A feature id as JSON has it: a number or a string.
    enum FID: Decodable, Hashable, CustomStringConvertible {
        case int(Int64)
        case string(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int64.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
        }
        var description: String {
            switch self {
            case .int(let i): String(i)
            case .string(let s): s
            }
        }
    }
    /// GeoPandas' own `overlay` (intersection, or its one-by-one difference) on the same inputs.
    struct GeoPandasFigures: Decodable {
        var how: String
        var area_parts_at_least_min_area: Double
    }
    struct RuleResult: Decodable {
        var id: String
        var relation: String
        var patches: Int
        var patches_ge_1m2: Int
        var planar_area: Double?
        var ellipsoidal_area_m2: Double
        var dissolved: Area
        var slivers: Slivers
        var patch_list: [Patch]
        var geopandas: GeoPandasFigures
    }
    struct RuleSetFigures: Decodable {
        var rules: String
        var results: [RuleResult]
    }
    var versions: [String: String]
    var rule_sets: [RuleSetFigures]

    static func load() throws -> OverlayOracle {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.path("Tests/Fixtures/overlay-oracle.json")))
        return try JSONDecoder().decode(OverlayOracle.self, from: data)
    }
}
