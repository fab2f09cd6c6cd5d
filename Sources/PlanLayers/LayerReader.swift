import Foundation
import PlanGDAL
import PlanModel
import PlanStore

/// Why a layer file could not be opened as a layer at all (before any feature is read).
public struct LayerSourceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No file at the path.
        case missing
        /// A file plan-check does not read (the message says what to give instead).
        case unsupportedFormat
        /// A GeoPackage without the layer asked for.
        case noSuchLayer
        /// A rule set's `encoding:` for a format whose text is UTF-8 by definition.
        case encodingNotApplicable
    }

    public var kind: Kind
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

/// Opens any supported layer file: GeoJSON by extension `.geojson`/`.json` or a leading `{`/`[`,
/// GeoPackage by extension `.gpkg` or the SQLite header, both with plan-check's own readers
/// (faster than GDAL's); everything else through GDAL (`PlanGDAL`): Shapefile (`.shp`, or a
/// `.zip` holding one), File Geodatabase (`.gdb` folder), FlatGeobuf, KML, GML, MapInfo …
public enum LayerReader {
    /// The reader a path goes to, by sniffing the path and the first bytes. Anything that is not
    /// GeoJSON or GeoPackage goes to GDAL, which says whether it can read it.
    public static func format(of path: String) throws -> LayerFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LayerSourceError(kind: .missing, path: path, message: "no such file")
        }
        if isDirectory.boolValue { return .gdal }
        let lower = path.lowercased()
        if lower.hasSuffix(".geojson") || lower.hasSuffix(".json") { return .geoJSON }
        if lower.hasSuffix(".gpkg") { return .geoPackage }
        let head = (FileHandle(forReadingAtPath: path)?.readData(ofLength: 16)).map { [UInt8]($0) } ?? []
        if head.starts(with: Array("SQLite format 3".utf8)) { return .geoPackage }
        if let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }), first == UInt8(ascii: "{") {
            return .geoJSON
        }
        switch (lower as NSString).pathExtension {
        case "dbf", "shx", "cpg", "prj":
            throw LayerSourceError(
                kind: .unsupportedFormat, path: path,
                message: "this is one part of a Shapefile; give its .shp (with the .shx, .dbf, .prj and .cpg beside it)")
        default:
            return .gdal
        }
    }

    /// Reads the layers of a file: the one layer of a GeoJSON file, or the feature layers of a
    /// GeoPackage, File Geodatabase or other GDAL source (only those in `names` when it is not
    /// empty; a missing name is an error that lists the layers the file has). `options.encoding`
    /// says how to decode a Shapefile's text (see `GDALVectorSource.readLayer(named:encoding:)`).
    /// Each layer is its `FeatureStream` collected.
    public static func readLayers(path: String, names: [String] = [], options: LayerReadOptions = LayerReadOptions()) throws -> [Layer] {
        try streams(path: path, names: names, options: options).map { try $0().collect() }
    }

    /// Reads one layer: the GeoJSON file's, or the named (or only) layer of a GeoPackage or a GDAL
    /// source: `stream(path:layerName:options:)` collected.
    public static func read(path: String, layerName: String? = nil, options: LayerReadOptions = LayerReadOptions()) throws -> Layer {
        try stream(path: path, layerName: layerName, options: options).collect()
    }

    /// Opens one layer as `read(path:layerName:options:)` would read it (same format sniffing,
    /// same layer choice, same errors for a missing file / missing layer / several layers).
    public static func stream(path: String, layerName: String? = nil, options: LayerReadOptions = LayerReadOptions()) throws -> FeatureStream {
        let openers = try streams(path: path, names: layerName.map { [$0] } ?? [], options: options)
        if openers.count > 1 {
            throw LayerSourceError(
                kind: .noSuchLayer, path: path,
                message: "the file has \(openers.count) layers (\(openers.map(\.name).joined(separator: ", "))); name one")
        }
        guard let opener = openers.first else {
            throw LayerSourceError(kind: .noSuchLayer, path: path, message: "the file has no feature layer")
        }
        return try opener()
    }

    /// A layer of a file, named, not opened yet.
    private struct StreamOpener {
        var name: String
        var open: () throws -> FeatureStream
        func callAsFunction() throws -> FeatureStream { try open() }
    }

    /// The layers `readLayers` reads, each to be opened as a stream (one at a time: a GDAL
    /// source has one read position per layer).
    private static func streams(path: String, names: [String], options: LayerReadOptions) throws -> [StreamOpener] {
        let format = try format(of: path)
        if options.region != nil, format != .geoPackage {
            throw LayerSourceError(kind: .unsupportedFormat, path: path, message: "only a GeoPackage layer with an R-tree can be read by region")
        }
        switch format {
        case .geoJSON:
            try requireUTF8(options, path: path, format: "GeoJSON")
            let stream = FeatureStream(try GeoJSONFeatureSource(path: path))
            return [StreamOpener(name: stream.layer.name, open: { stream })]
        case .geoPackage:
            try requireUTF8(options, path: path, format: "GeoPackage")
            let file = try GeoPackageFile(path: path)
            let available = try file.featureLayerNames()
            try requireLayers(names, in: available, path: path)
            return (names.isEmpty ? available : names).map { name in
                StreamOpener(name: name, open: { FeatureStream(try file.openLayer(named: name, region: options.region)) })
            }
        case .gdal:
            let source = try GDALVectorSource(path: path)
            let available = source.featureLayerNames
            try requireLayers(names, in: available, path: path)
            return (names.isEmpty ? available : names).map { name in
                StreamOpener(name: name, open: { FeatureStream(try source.openLayer(named: name, encoding: options.encoding)) })
            }
        }
    }

    /// True when layer names pick among the file's layers: a GeoPackage, a File Geodatabase, or
    /// any GDAL source with more than one layer (not a GeoJSON file or a lone Shapefile).
    public static func holdsSeveralLayers(path: String) throws -> Bool {
        switch try format(of: path) {
        case .geoJSON: false
        case .geoPackage: true
        case .gdal: try GDALVectorSource(path: path).holdsSeveralLayers
        }
    }

    private static func requireLayers(_ names: [String], in available: [String], path: String) throws {
        for name in names where !available.contains(name) {
            throw LayerSourceError(
                kind: .noSuchLayer, path: path,
                message: "no feature layer '\(name)'; the file has: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
        }
    }

    /// GeoJSON and GeoPackage text is UTF-8 by definition: a rule set's `encoding:` other than
    /// UTF-8 for such a file is a mistake to point out (`--encoding` is for Shapefiles and ignored).
    private static func requireUTF8(_ options: LayerReadOptions, path: String, format: String) throws {
        guard let requested = options.encoding, case .ruleSet(let rules, let line) = requested.origin,
              requested.name != "UTF-8" else { return }
        throw LayerSourceError(
            kind: .encodingNotApplicable, path: path,
            message: "\(rules):\(line): encoding: \(requested.name) applies to Shapefile text; \(format) is UTF-8 by definition: remove 'encoding' from the layer")
    }
}
