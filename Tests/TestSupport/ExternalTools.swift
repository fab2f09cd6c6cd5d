import Foundation

/// Programs the tests run as independent checkers (GDAL's GeoPackage validator, ogrinfo), shared
/// by the test targets. A missing program is an error that says how to install it; tests never
/// skip because a checker is missing.
public enum ExternalTool {
    /// A checker that is not installed.
    public struct Missing: Error, CustomStringConvertible {
        public var program: String
        public var package: String
        public var description: String { "\(program) is missing: install \(package) (apt-get install \(package); `make test-deps` does)" }
    }

    /// Runs a program to the end; returns its exit status and its stdout and stderr together.
    public static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// GDAL's own tools from Debian (gdal-bin, python3-gdal): independent readers of what plan-check
/// writes.
public enum GDAL {
    /// Debian's Python, which sees python3-gdal (the `python3` on PATH may be another one).
    public static let python = "/usr/bin/python3"
    public static let validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
    public static let ogrinfo = "/usr/bin/ogrinfo"

    /// GDAL's GeoPackage validator on `path`: (exit status, output); a valid file gives (0, "").
    public static func validate(_ path: String) throws -> (status: Int32, output: String) {
        let files = FileManager.default
        guard files.isExecutableFile(atPath: python), files.fileExists(atPath: validator) else {
            throw ExternalTool.Missing(program: "GDAL's GeoPackage validator", package: "python3-gdal")
        }
        return try ExternalTool.run(python, [validator, path])
    }

    /// `ogrinfo -so -al -ro path`: (exit status, output).
    public static func summary(_ path: String) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: ogrinfo) else {
            throw ExternalTool.Missing(program: "ogrinfo", package: "gdal-bin")
        }
        return try ExternalTool.run(ogrinfo, ["-so", "-al", "-ro", path])
    }

    /// Feature counts per layer as `ogrinfo -so -al` reports them; nil when ogrinfo fails.
    public static func featureCounts(_ path: String) throws -> [String: Int]? {
        let (status, output) = try summary(path)
        guard status == 0 else { return nil }
        var counts: [String: Int] = [:]
        var layer: String?
        for line in output.split(separator: "\n") {
            if line.hasPrefix("Layer name: ") { layer = String(line.dropFirst("Layer name: ".count)) }
            if line.hasPrefix("Feature Count: "), let layer { counts[layer] = Int(line.dropFirst("Feature Count: ".count)) }
        }
        return counts
    }
}
