internal import CGDAL
import PlanModel

/// A field of a layer `GDALVectorWriter` creates.
public struct GDALFieldDefinition: Sendable, Hashable {
    public enum FieldType: Sendable, Hashable {
        /// `OFTInteger64`.
        case integer
        /// `OFTInteger` (32-bit: File Geodatabase).
        case integer32
        /// `OFTReal` (a Shapefile stores it as text: width 24, 15 decimals).
        case real
        /// `OFTString` (a Shapefile's width is 254 bytes).
        case string
    }

    public var name: String
    public var type: FieldType

    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }
}

/// Writes one vector layer through a GDAL driver (Shapefile, OpenFileGDB …): creates the
/// dataset and its layer with its fields, takes features as WKB and plain values, and closes
/// the dataset (which is when most drivers write their files out).
///
/// ```swift
/// let writer = try GDALVectorWriter(driver: "ESRI Shapefile", path: "x/patches.shp", layerName: "patches",
///                                   srsWKT: wkt, fields: fields, layerOptions: ["ENCODING=UTF-8"])
/// try writer.add(wkb: bytes, values: [.string("p1"), .double(12.5)])
/// try writer.close()
/// ```
///
/// The caller chooses the path; atomic replacement of an earlier output is its business (write
/// into a temporary folder, then rename). Owns GDAL handles; stays on one thread.
public final class GDALVectorWriter {
    public let path: String
    public let layerName: String
    private var dataset: UnsafeMutableRawPointer?
    private let layer: UnsafeMutableRawPointer
    private let fieldCount: Int

    /// Creates the dataset (`GDALCreate` with the driver `driver`, vector only) and its layer
    /// (`GDALDatasetCreateLayer`, MultiPolygon, CRS from `srsWKT` via `OSRSetFromUserInput`),
    /// then its fields (`OGR_L_CreateField`) in order.
    /// - Throws: `GDALError` (`.writeFailed`) naming the path and GDAL's messages.
    public init(driver: String, path: String, layerName: String, srsWKT: String?, fields: [GDALFieldDefinition],
                datasetOptions: [String] = [], layerOptions: [String] = []) throws(GDALError) {
        self.path = path
        self.layerName = layerName
        let made: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) = try ErrorCapture.run { capture throws(GDALError) in
            guard let handle = GDALGetDriverByName(driver) else {
                throw GDALError(kind: .writeFailed, path: path, message: "GDAL has no driver '\(driver)'", function: "GDALGetDriverByName")
            }
            let created = withCStringList(datasetOptions) { options in
                GDALCreate(handle, path, 0, 0, 0, GDT_Unknown, options)
            }
            guard let created else {
                throw GDALError(kind: .writeFailed, path: path, message: "cannot create the \(driver) dataset",
                                gdalMessages: capture.texts, function: "GDALCreate")
            }
            var srs: OGRSpatialReferenceH?
            if let srsWKT {
                srs = OSRNewSpatialReference(nil)
                OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER)
                if OSRSetFromUserInput(srs, srsWKT) != OGRERR_NONE {
                    OSRDestroySpatialReference(srs)
                    GDALClose(created)
                    throw GDALError(kind: .writeFailed, path: path, message: "GDAL cannot read the working CRS",
                                    gdalMessages: capture.texts, function: "OSRSetFromUserInput")
                }
            }
            defer { if let srs { OSRDestroySpatialReference(srs) } }
            let layer = withCStringList(layerOptions) { options in
                GDALDatasetCreateLayer(created, layerName, srs, wkbMultiPolygon, options)
            }
            guard let layer else {
                GDALClose(created)
                throw GDALError(kind: .writeFailed, path: path, layer: layerName, message: "cannot create the layer",
                                gdalMessages: capture.texts, function: "GDALDatasetCreateLayer")
            }
            for field in fields {
                let type: OGRFieldType = switch field.type {
                case .integer: OFTInteger64
                case .integer32: OFTInteger
                case .real: OFTReal
                case .string: OFTString
                }
                let definition = OGR_Fld_Create(field.name, type)
                if field.type == .real && driver == "ESRI Shapefile" {
                    OGR_Fld_SetWidth(definition, 24)
                    OGR_Fld_SetPrecision(definition, 15)
                }
                let status = OGR_L_CreateField(layer, definition, 0)
                OGR_Fld_Destroy(definition)
                if status != OGRERR_NONE {
                    GDALClose(created)
                    throw GDALError(kind: .writeFailed, path: path, layer: layerName, field: field.name,
                                    message: "cannot create the field", gdalMessages: capture.texts, function: "OGR_L_CreateField")
                }
            }
            return (created, layer)
        }
        dataset = made.0
        layer = made.1
        fieldCount = fields.count
    }

    deinit {
        if let dataset { GDALClose(dataset) }
    }

    /// Adds one feature (`OGR_L_CreateFeature`): the geometry as WKB (`OGR_G_CreateFromWkb`),
    /// `values` in field order (nil leaves the field null).
    public func add(wkb: [UInt8], values: [AttributeValue]) throws(GDALError) {
        precondition(values.count == fieldCount, "GDALVectorWriter.add: \(values.count) values for \(fieldCount) fields")
        let layer = self.layer
        let path = self.path
        let layerName = self.layerName
        try ErrorCapture.run { capture throws(GDALError) in
            let feature = OGR_F_Create(OGR_L_GetLayerDefn(layer))
            defer { OGR_F_Destroy(feature) }
            var geometry: OGRGeometryH?
            let parsed = wkb.withUnsafeBytes { raw in
                OGR_G_CreateFromWkb(raw.baseAddress, nil, &geometry, Int32(raw.count))
            }
            guard parsed == OGRERR_NONE, let geometry else {
                throw GDALError(kind: .library, path: path, layer: layerName, message: "GDAL cannot read a patch's WKB",
                                gdalMessages: capture.texts, function: "OGR_G_CreateFromWkb")
            }
            OGR_F_SetGeometryDirectly(feature, geometry)
            for (index, value) in values.enumerated() {
                let i = Int32(index)
                switch value {
                case .null: OGR_F_SetFieldNull(feature, i)
                case .integer(let n): OGR_F_SetFieldInteger64(feature, i, n)
                case .double(let d): OGR_F_SetFieldDouble(feature, i, d)
                case .string(let s): OGR_F_SetFieldString(feature, i, s)
                case .bool(let b): OGR_F_SetFieldInteger64(feature, i, b ? 1 : 0)
                default: preconditionFailure("GDALVectorWriter.add: a \(value.typeName) value (give plain values)")
                }
            }
            if OGR_L_CreateFeature(layer, feature) != OGRERR_NONE || !capture.failures.isEmpty {
                throw GDALError(kind: .writeFailed, path: path, layer: layerName, message: "cannot write a feature",
                                gdalMessages: capture.texts, function: "OGR_L_CreateFeature")
            }
        }
    }

    /// Closes the dataset (`GDALClose`), which writes the files out; a failure GDAL reports
    /// while closing is thrown.
    public func close() throws(GDALError) {
        guard let handle = dataset else { return }
        dataset = nil
        let path = self.path
        try ErrorCapture.run { capture throws(GDALError) in
            GDALClose(handle)
            if !capture.failures.isEmpty {
                throw GDALError(kind: .writeFailed, path: path, message: "cannot finish the file",
                                gdalMessages: capture.failures, function: "GDALClose")
            }
        }
    }
}

@available(*, unavailable) extension GDALVectorWriter: Sendable {}

/// Runs `body` with `strings` as a NULL-terminated `char **` (GDAL's option lists).
private func withCStringList<T>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
