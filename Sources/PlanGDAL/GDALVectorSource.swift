internal import CGDAL
import Foundation
import PlanModel

/// A vector file, folder or zip opened read-only through GDAL: a Shapefile (`.shp`, or a `.zip`
/// holding one), a File Geodatabase folder (`.gdb`, OpenFileGDB driver), FlatGeobuf, KML, GML,
/// MapInfo and whatever else GDAL reads, and its feature layers read into `Layer` values.
///
/// The features' ids are GDAL's FIDs (0-based for a Shapefile, `OBJECTID` for a File Geodatabase);
/// attributes keep their types; geometries come through ISO WKB (curves linearised by GDAL, Z and
/// M dropped and said). Every text, field names included, is checked to be UTF-8 after GDAL's
/// decoding; see `readLayer(named:encoding:)` for how a Shapefile's encoding is chosen.
///
/// Like `GeoPackageFile`, it belongs to one task: the GDAL datasets it holds are not shared, and
/// it is not `Sendable`. GDAL's messages are captured for the duration of each call and end up in
/// the `GDALError` it throws; nothing is printed to stderr.
public final class GDALVectorSource {
    /// The path as given.
    public let path: String
    /// GDAL's short driver name, e.g. "ESRI Shapefile", "OpenFileGDB", "FlatGeobuf".
    public let driverName: String
    /// The layers with a geometry column, in the order GDAL lists them (tables without geometry
    /// in a File Geodatabase are left out).
    public let featureLayerNames: [String]
    /// The number of layers, tables without geometry included.
    public let layerCount: Int

    /// What GDAL opens: the path, or `/vsizip/…` for a zip.
    let gdalPath: String
    /// The dataset opened without options: GDAL's own choice of encoding.
    let dataset: Dataset
    /// Datasets opened with an `ENCODING` open option, by its value.
    private var recoded: [String: Dataset] = [:]

    /// Opens `path` with the GDAL driver that recognises it (`GDALIdentifyDriverEx`, `GDALOpenEx`
    /// read-only, vector). A `.zip` is read through `/vsizip/`: the Shapefiles at its root, or the
    /// one folder (or `.gdb`) inside it that holds some.
    ///
    /// Throws `GDALError` `.notRecognized` (no driver reads it), `.openFailed` (with GDAL's reason,
    /// e.g. the missing `.shx`).
    public init(path: String) throws(GDALError) {
        self.path = path
        let opened = try ErrorCapture.run { capture throws(GDALError) in
            let gdalPath = try Self.resolveZip(path, capture: capture)
            capture.clear()
            guard let driver = GDALIdentifyDriverEx(gdalPath, UInt32(GDAL_OF_VECTOR), nil, nil) else {
                throw GDALError(
                    kind: .notRecognized, path: path,
                    message: "not a vector format GDAL reads (plan-check reads GeoJSON, GeoPackage, Shapefile, File Geodatabase, FlatGeobuf, KML, GML, MapInfo …)",
                    gdalMessages: capture.texts, function: "GDALIdentifyDriverEx")
            }
            let driverName = String(cString: GDALGetDriverShortName(driver))
            guard let dataset = Dataset.open(gdalPath, options: [], capture: capture) else {
                throw GDALError(
                    kind: .openFailed, path: path,
                    message: "GDAL's \(driverName) driver recognised the file but could not open it\(Self.hint(for: driverName))",
                    gdalMessages: capture.texts, function: "GDALOpenEx")
            }
            return (gdalPath, driverName, dataset)
        }
        (gdalPath, driverName, dataset) = opened
        layerCount = Int(GDALDatasetGetLayerCount(dataset.handle))
        var names: [String] = []
        for index in 0..<Int32(layerCount) {
            guard let layer = GDALDatasetGetLayer(dataset.handle, index) else { continue }
            let type = OGR_GT_Flatten(OGR_L_GetGeomType(layer))
            if type == wkbNone { continue }
            names.append(String(cString: OGR_L_GetName(layer)))
        }
        featureLayerNames = names
    }

    /// True when the source is a container of layers (a File Geodatabase, or anything GDAL lists
    /// more than one layer for), so that a layer name picks among them.
    public var holdsSeveralLayers: Bool {
        driverName == "OpenFileGDB" || driverName == "FileGDB" || layerCount > 1
    }

    /// Reads the layer `name` with every feature in GDAL's order.
    ///
    /// The encoding of a Shapefile's text: `encoding` from a rule set (`.ruleSet` origin) wins;
    /// else the `.cpg` beside the `.dbf` (as GDAL reads it: `GBK`, `936` → CP936, `UTF-8` …);
    /// else `encoding` from the command line; else the DBF's code-page byte (0x4D → CP936), except
    /// 0x57, which only means "the Windows code page of the machine that wrote it" and which GDAL
    /// would take as ISO-8859-1 (garbling GBK silently); else nothing is decoded and the text must
    /// be UTF-8. Other formats have their own encoding (UTF-8 in File Geodatabase, FlatGeobuf, KML,
    /// GML); an `encoding` that is not UTF-8 from a rule set is an error for them.
    ///
    /// Throws `GDALError`: `.noSuchLayer`, `.missingPart` (a Shapefile without its `.dbf`),
    /// `.readFailed` (a truncated `.shp`: GDAL's fread error and the feature),
    /// `.textNotUTF8` (file, layer, feature, field, the bytes, the encoding used and the remedy),
    /// `.unknownEncoding` (a `.cpg` naming an encoding iconv does not know),
    /// `.encodingNotApplicable`, `.library`.
    public func readLayer(named name: String, encoding: RequestedEncoding? = nil) throws(GDALError) -> Layer {
        let cursor = try openLayer(named: name, encoding: encoding)
        var layer = cursor.layer
        while let feature = try cursor.next() { layer.features.append(feature) }
        layer.readProblems = cursor.readProblems
        layer.droppedHigherDimensions = cursor.droppedHigherDimensions
        return layer
    }

    /// Opens the layer `name` for reading feature by feature (`OGR_L_GetNextFeature`), with the
    /// encoding chosen as `readLayer(named:encoding:)` says and the same errors; the cursor keeps
    /// this source open. Reading two cursors of the same layer at once interleaves them (GDAL
    /// has one read position per layer): read one to its end first.
    public func openLayer(named name: String, encoding: RequestedEncoding? = nil) throws(GDALError) -> GDALFeatureCursor {
        try ErrorCapture.run { capture throws(GDALError) in
            guard let plain = GDALDatasetGetLayerByName(dataset.handle, name), featureLayerNames.contains(name) else {
                throw GDALError(
                    kind: .noSuchLayer, path: path,
                    message: "no feature layer '\(name)'; the file has: \(featureLayerNames.isEmpty ? "none" : featureLayerNames.joined(separator: ", "))")
            }
            if driverName == "ESRI Shapefile" { try requireDBF(of: name) }
            let (layer, textEncoding) = try chooseEncoding(layer: plain, name: name, requested: encoding, capture: capture)
            return try GDALFeatureCursor(source: self, layer: layer, name: name, textEncoding: textEncoding)
        }
    }

    // MARK: Encoding

    /// The layer handle to read (the plain one, or the same layer opened with an `ENCODING` open
    /// option) and the encoding its text comes in.
    private func chooseEncoding(
        layer: UnsafeMutableRawPointer, name: String, requested: RequestedEncoding?, capture: ErrorCapture
    ) throws(GDALError) -> (UnsafeMutableRawPointer, LayerTextEncoding) {
        let fromRuleSet: Bool
        if case .ruleSet = requested?.origin { fromRuleSet = true } else { fromRuleSet = false }
        // Only GDAL's Shapefile driver takes an ENCODING open option and says, in its SHAPEFILE
        // metadata domain, where its encoding came from (checked for every driver of GDAL 3.6).
        guard driverName == "ESRI Shapefile" else {
            let isUTF8 = OGR_L_TestCapability(layer, "StringsAsUTF8") != 0
            if fromRuleSet, let requested, requested.name != "UTF-8" {
                throw GDALError(
                    kind: .encodingNotApplicable, path: path, layer: name,
                    message: "encoding: \(requested.name) applies to Shapefile (DBF) text; GDAL's \(driverName) driver reads this format's text \(isUTF8 ? "as UTF-8, as the format defines it" : "as it is stored"): remove 'encoding' from the layer")
            }
            return (layer, LayerTextEncoding(name: "UTF-8", source: isUTF8 ? .format : .undeclared))
        }
        if fromRuleSet, let requested {
            return (try recodedLayer(named: name, decodedFrom: requested.name, capture: capture),
                    LayerTextEncoding(name: requested.name, source: .ruleSet))
        }
        let cpg = metadata(layer, "CPG_VALUE")
        let ldid = metadata(layer, "LDID_VALUE").flatMap { Int($0) }
        let used = metadata(layer, "SOURCE_ENCODING") ?? ""
        if let cpg {
            let trimmed = cpg.trimmingCharacters(in: .whitespacesAndNewlines)
            if used.isEmpty && TextEncodingName.canonical(trimmed) != "UTF-8" {
                throw GDALError(
                    kind: .unknownEncoding, path: path, layer: name,
                    message: "the .cpg names the encoding '\(trimmed)', which GDAL's recoder (iconv) does not know; write the real one in the .cpg (e.g. GBK or UTF-8), or give encoding: NAME for this layer in the rule set",
                    gdalMessages: capture.texts)
            }
            return (layer, LayerTextEncoding(name: used.isEmpty ? "UTF-8" : used, source: .cpg, detail: trimmed))
        }
        if let requested {
            return (try recodedLayer(named: name, decodedFrom: requested.name, capture: capture),
                    LayerTextEncoding(name: requested.name, source: .option))
        }
        let byte = ldid.map { "0x" + String($0, radix: 16, uppercase: true) }
        if let ldid, ldid == 0x57 {
            // "ANSI": whatever the writer's Windows code page was. GDAL reads it as ISO-8859-1, which
            // never fails and turns GBK into Latin letters; read the bytes as they are instead.
            return (try recodedLayer(named: name, decodedFrom: "", capture: capture),
                    LayerTextEncoding(name: "UTF-8", source: .undeclared,
                                      detail: "the DBF code page byte 0x57 only says 'the code page of the Windows machine that wrote it'"))
        }
        if ldid != nil, ldid != 0, !used.isEmpty {
            return (layer, LayerTextEncoding(name: used, source: .codePageByte, detail: byte))
        }
        return (layer, LayerTextEncoding(name: "UTF-8", source: .undeclared))
    }

    /// The layer `name` of the dataset opened with `ENCODING=encoding` ("" = no recoding).
    private func recodedLayer(named name: String, decodedFrom encoding: String, capture: ErrorCapture) throws(GDALError) -> UnsafeMutableRawPointer {
        let dataset: Dataset
        if let cached = recoded[encoding] {
            dataset = cached
        } else {
            capture.clear()
            guard let opened = Dataset.open(gdalPath, options: ["ENCODING=\(encoding)"], capture: capture) else {
                throw GDALError(kind: .openFailed, path: path, layer: name,
                                message: "GDAL could not open the file again with ENCODING=\(encoding)",
                                gdalMessages: capture.texts, function: "GDALOpenEx")
            }
            recoded[encoding] = opened
            dataset = opened
        }
        guard let layer = GDALDatasetGetLayerByName(dataset.handle, name) else {
            throw GDALError(kind: .library, path: path, layer: name,
                            message: "the layer vanished when the file was opened again with ENCODING=\(encoding)",
                            function: "GDALDatasetGetLayerByName")
        }
        return layer
    }

    private func metadata(_ layer: UnsafeMutableRawPointer, _ key: String) -> String? {
        GDALGetMetadataItem(layer, key, "SHAPEFILE").map { String(cString: $0) }
    }

    // MARK: Files

    /// The files GDAL read the dataset from (`GDALGetFileList`): the `.shp` and its sidecars, the
    /// files of a `.gdb` folder.
    var fileList: [String] {
        guard let list = GDALGetFileList(dataset.handle) else { return [] }
        defer { CSLDestroy(list) }
        return Self.strings(list)
    }

    /// A Shapefile without its `.dbf` opens in GDAL with no attributes at all; here it is an error.
    private func requireDBF(of layer: String) throws(GDALError) {
        let files = fileList.map { Self.lastComponent($0).lowercased() }
        guard !files.contains(layer.lowercased() + ".dbf") else { return }
        throw GDALError(
            kind: .missingPart, path: path, layer: layer,
            message: "the Shapefile has no \(layer).dbf beside its .shp, so its attributes (and class codes) are missing; copy the .dbf (and .shx, .prj, .cpg) along with the .shp")
    }

    /// The name a Shapefile's `.prj` gives its CRS (e.g. the ESRI `CGCS2000_3_Degree_GK_Zone_41`),
    /// which GDAL replaces by the EPSG name when it identifies the CRS.
    func prjName(of layer: String) -> String? {
        guard let prj = fileList.first(where: { Self.lastComponent($0).lowercased() == layer.lowercased() + ".prj" }) else {
            return nil
        }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: vsi_l_offset = 0
        guard VSIIngestFile(nil, prj, &buffer, &size, 1 << 20) != 0, let buffer else { return nil }
        defer { VSIFree(buffer) }
        let text = String(decoding: UnsafeBufferPointer(start: buffer, count: Int(size)), as: UTF8.self)
        guard let open = text.range(of: "[\""), let close = text[open.upperBound...].firstIndex(of: "\"") else { return nil }
        let name = String(text[open.upperBound..<close])
        return name.isEmpty ? nil : name
    }

    // MARK: Opening

    /// `/vsizip/PATH` for a zip, narrowed to the folder inside that holds the Shapefiles or the
    /// `.gdb` when the zip has them one level down or deeper.
    private static func resolveZip(_ path: String, capture: ErrorCapture) throws(GDALError) -> String {
        var isDirectory: ObjCBool = false
        guard path.lowercased().hasSuffix(".zip"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return path }
        let zip = "/vsizip/" + path
        if GDALIdentifyDriverEx(zip, UInt32(GDAL_OF_VECTOR), nil, nil) != nil { return zip }
        var candidates = Set<String>()
        if let list = VSIReadDirRecursive(zip) {
            defer { CSLDestroy(list) }
            for entry in strings(list) {
                let components = entry.split(separator: "/", omittingEmptySubsequences: true)
                if let gdb = components.firstIndex(where: { $0.lowercased().hasSuffix(".gdb") }) {
                    candidates.insert(components[...gdb].joined(separator: "/"))
                } else if entry.lowercased().hasSuffix(".shp"), let slash = entry.lastIndex(of: "/") {
                    candidates.insert(String(entry[..<slash]))
                }
            }
        }
        switch candidates.count {
        case 1:
            return zip + "/" + candidates.first!
        case 0:
            throw GDALError(kind: .notRecognized, path: path,
                            message: "the zip holds no Shapefile (.shp with its .shx and .dbf) and no File Geodatabase (.gdb folder)",
                            gdalMessages: capture.texts)
        default:
            throw GDALError(kind: .notRecognized, path: path,
                            message: "the zip holds layers in several folders (\(candidates.sorted().joined(separator: ", "))); unzip it and give the one to read")
        }
    }

    /// What to check when a recognised file does not open.
    private static func hint(for driver: String) -> String {
        switch driver {
        case "ESRI Shapefile": " (a Shapefile needs its .shx and .dbf beside the .shp, with the same name)"
        case "OpenFileGDB": " (is it a whole File Geodatabase folder, as ArcGIS wrote it?)"
        default: ""
        }
    }

    static func strings(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String] {
        var result: [String] = []
        var index = 0
        while let item = list[index] {
            result.append(String(cString: item))
            index += 1
        }
        return result
    }

    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

@available(*, unavailable) extension GDALVectorSource: Sendable {}

/// GDAL's version, e.g. "3.6.2" (`GDALVersionInfo("RELEASE_NAME")`).
public var gdalVersion: String {
    CPLPushErrorHandler(CPLQuietErrorHandler)
    registerGDAL()
    CPLPopErrorHandler()
    return String(cString: GDALVersionInfo("RELEASE_NAME"))
}

/// Owns one `GDALDatasetH`; `GDALClose` on deinit (its messages silenced: nothing is left to report).
final class Dataset {
    let handle: UnsafeMutableRawPointer

    private init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
    }

    /// `GDALOpenEx(path, vector | read-only | verbose errors, options)`, nil when it fails (the
    /// reason is in `capture`).
    static func open(_ path: String, options: [String], capture: ErrorCapture) -> Dataset? {
        let copies = options.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var list: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        let flags = UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR)
        let handle = list.withUnsafeMutableBufferPointer { buffer in
            GDALOpenEx(path, flags, nil, options.isEmpty ? nil : buffer.baseAddress, nil)
        }
        return handle.map(Dataset.init(handle:))
    }

    deinit {
        CPLPushErrorHandler(CPLQuietErrorHandler)
        GDALClose(handle)
        CPLPopErrorHandler()
    }
}

@available(*, unavailable) extension Dataset: Sendable {}

