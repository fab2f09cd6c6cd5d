import Foundation
import PlanModel
import PlanStore

/// Why a layer file could not be opened as a layer at all (before any feature is read).
public struct LayerSourceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No file at the path.
        case missing
        /// A file plan-check does not read (the message says how to convert it).
        case unsupportedFormat
        /// A GeoPackage without the layer asked for.
        case noSuchLayer
    }

    public var kind: Kind
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// Opens any supported layer file: GeoJSON by extension `.geojson`/`.json` or a leading `{`/`[`,
/// GeoPackage by extension `.gpkg` or the SQLite header.
public enum LayerReader {
    /// The formats plan-check reads, by sniffing the path and the first bytes.
    public static func format(of path: String) throws -> LayerFormat {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LayerSourceError(kind: .missing, path: path, message: "no such file")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".geojson") || lower.hasSuffix(".json") { return .geoJSON }
        if lower.hasSuffix(".gpkg") { return .geoPackage }
        let head = (FileHandle(forReadingAtPath: path)?.readData(ofLength: 16)).map { [UInt8]($0) } ?? []
        if head.starts(with: Array("SQLite format 3".utf8)) { return .geoPackage }
        if let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }), first == UInt8(ascii: "{") {
            return .geoJSON
        }
        let hint: String
        switch (lower as NSString).pathExtension {
        case "shp", "dbf", "shx":
            hint = "Shapefile is not read directly; convert it first, e.g. ogr2ogr -f GPKG out.gpkg \(path) (add --config SHAPE_ENCODING GBK for GBK attributes)"
        case "gdb":
            hint = "File Geodatabase is not read directly; convert it first with ogr2ogr -f GPKG"
        default:
            hint = "not a GeoJSON or GeoPackage file"
        }
        throw LayerSourceError(kind: .unsupportedFormat, path: path, message: hint)
    }

    /// Reads the layers of a file: the one layer of a GeoJSON file, or the feature layers of a
    /// GeoPackage (only those in `names` when it is not empty; a missing name is an error that
    /// lists the layers the file has).
    public static func readLayers(path: String, names: [String] = []) throws -> [Layer] {
        switch try format(of: path) {
        case .geoJSON:
            return [try GeoJSONReader.read(path: path)]
        case .geoPackage:
            let file = try GeoPackageFile(path: path)
            let available = try file.featureLayerNames()
            for name in names where !available.contains(name) {
                throw LayerSourceError(
                    kind: .noSuchLayer, path: path,
                    message: "no feature layer '\(name)'; the file has: \(available.joined(separator: ", "))")
            }
            return try (names.isEmpty ? available : names).map { try file.readLayer(named: $0) }
        }
    }

    /// Reads one layer: the GeoJSON file's, or the named (or only) layer of a GeoPackage.
    public static func read(path: String, layerName: String? = nil) throws -> Layer {
        let layers = try readLayers(path: path, names: layerName.map { [$0] } ?? [])
        if layers.count > 1 {
            throw LayerSourceError(
                kind: .noSuchLayer, path: path,
                message: "the file has \(layers.count) layers (\(layers.map(\.name).joined(separator: ", "))); name one")
        }
        guard let layer = layers.first else {
            throw LayerSourceError(kind: .noSuchLayer, path: path, message: "the file has no feature layer")
        }
        return layer
    }
}
