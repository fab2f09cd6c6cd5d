import Foundation

/// The 3 000-parcel plans the overlay tests share: Tools/gen_layers.py, seed 7, 0.2 % of features
/// damaged so that repairs and rejections happen; landuse.geojson and urban.geojson in EPSG:4529.
public enum GeneratedPlans {
    /// The repository's root folder (this file is Tests/TestSupport/GeneratedPlans.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The generator failed; what it printed.
    public struct GeneratorFailure: Error, CustomStringConvertible {
        public var output: String
        public var description: String { "Tools/gen_layers.py failed: \(output)" }
    }

    /// Writes the plans into `dir` and returns the layer paths by layer name ("landuse", "urban").
    @discardableResult
    public static func write(into dir: URL) throws -> [String: String] {
        let generator = repositoryRoot.appendingPathComponent("Tools/gen_layers.py").path
        let (status, output) = try ExternalTool.run("/usr/bin/env", [
            "python3", generator, "--parcels", "3000", "--seed", "7", "--invalid-rate", "0.002", "--out", dir.path])
        guard status == 0 else { throw GeneratorFailure(output: output) }
        return ["landuse": dir.appendingPathComponent("landuse.geojson").path,
                "urban": dir.appendingPathComponent("urban.geojson").path]
    }
}
