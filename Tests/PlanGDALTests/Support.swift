import Foundation
import PlanGDAL
import PlanLayers
import PlanModel

/// The committed fixtures (Tests/Fixtures/gdal/README.md) and the sample district they came from.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static func gdal(_ relative: String) -> String { path("Tests/Fixtures/gdal/" + relative) }

    /// The GeoJSON the fixtures were made from.
    static func landuseGeoJSON() throws -> Layer { try LayerReader.read(path: path("SampleLayers/landuse.geojson")) }

    /// The Shapefile's Chinese field names for the GeoJSON's (make_fixtures.sh).
    static let chineseNames = ["BSM": "标识码", "DLBM": "地类编码", "DLMC": "地类名称", "QSDWMC": "权属单位", "JBNTBZ": "基本农田"]

    /// A fresh folder under /tmp for files a test makes.
    static func temporaryFolder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-gdal-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Copies the fixture folder's files whose extension is in `extensions` into a new folder.
    static func copy(_ folder: String, _ stem: String, extensions: [String], into target: String) throws {
        for ext in extensions {
            try FileManager.default.copyItem(atPath: gdal("\(folder)/\(stem).\(ext)"), toPath: "\(target)/\(stem).\(ext)")
        }
    }
}

/// The GDALError a read throws, or nil when it reads.
func gdalError(_ body: () throws -> Any) -> GDALError? {
    do {
        _ = try body()
        return nil
    } catch let error as GDALError {
        return error
    } catch {
        return nil
    }
}

extension AttributeValue {
    /// Booleans as GDAL writes them into a Shapefile (0/1 integers), everything else as it is.
    var asShapefileStores: AttributeValue {
        if case .bool(let b) = self { return .integer(b ? 1 : 0) }
        return self
    }
}
