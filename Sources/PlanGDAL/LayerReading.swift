internal import CGDAL
import Foundation
import PlanModel

/// One GDAL layer read feature by feature (`GDALVectorSource.openLayer(named:encoding:)`):
/// `OGR_L_GetNextFeature` one at a time, each checked for a failure GDAL reported while reading
/// it, with GDAL's messages captured for each call. Holds its `GDALVectorSource` (and so the
/// dataset) open until it is released. Not Sendable.
public final class GDALFeatureCursor {
    /// Name, path, format, crs, declared geometry type, fields, driver and text encoding; no
    /// features.
    public let layer: Layer
    /// Geometries that could not be exported or decoded, so far.
    public private(set) var readProblems: [FeatureProblem] = []
    /// True once some geometry had Z or M.
    public private(set) var droppedHigherDimensions = false

    let source: GDALVectorSource
    let handle: UnsafeMutableRawPointer
    let name: String
    let textEncoding: LayerTextEncoding
    private let fields: [FieldReader]
    private var position: Int64 = 0
    private var lastID: FeatureID?
    private var finished = false

    /// One field of the layer: its name and how to read its values.
    private struct FieldReader {
        var name: String
        var type: OGRFieldType
        var subtype: OGRFieldSubType
    }

    /// Reads the layer's fields and CRS and rewinds it (`OGR_L_ResetReading`).
    init(source: GDALVectorSource, layer handle: UnsafeMutableRawPointer, name: String,
         textEncoding: LayerTextEncoding) throws(GDALError) {
        self.source = source
        self.handle = handle
        self.name = name
        self.textEncoding = textEncoding
        let definition = OGR_L_GetLayerDefn(handle)
        var fields: [FieldReader] = []
        for index in 0..<OGR_FD_GetFieldCount(definition) {
            let field = OGR_FD_GetFieldDefn(definition, index)
            let fieldName = try Self.text(OGR_Fld_GetNameRef(field), source: source, layer: name, encoding: textEncoding,
                                          feature: nil, field: nil, what: "the name of field \(index + 1)")
            fields.append(FieldReader(name: fieldName, type: OGR_Fld_GetType(field), subtype: OGR_Fld_GetSubType(field)))
        }
        self.fields = fields
        layer = Layer(
            name: name, path: source.path, format: .gdal,
            crs: Self.crsReference(handle, source: source, name: name),
            declaredGeometryType: Self.typeName(OGR_L_GetGeomType(handle)),
            fields: fields.map { Field(name: $0.name, type: Self.typeName($0.type, $0.subtype)) },
            features: [], driver: source.driverName, textEncoding: textEncoding)
        OGR_L_ResetReading(handle)
    }

    /// The next feature in GDAL's order, or nil after the last.
    ///
    /// Throws `GDALError` `.readFailed` (a truncated or damaged file: GDAL's messages and the
    /// feature, or the one before), `.textNotUTF8`.
    public func next() throws(GDALError) -> Feature? {
        guard !finished else { return nil }
        do {
            let feature = try ErrorCapture.run { capture throws(GDALError) in try readNext(capture) }
            if feature == nil { finished = true }
            return feature
        } catch {
            finished = true
            throw error
        }
    }

    private func readNext(_ capture: ErrorCapture) throws(GDALError) -> Feature? {
        capture.clear()
        guard let feature = OGR_L_GetNextFeature(handle) else {
            if !capture.failures.isEmpty {
                throw GDALError(
                    kind: .readFailed, path: source.path, layer: name,
                    message: "GDAL could not read the feature after \(lastID.map { "feature \($0)" } ?? "the start of the layer") (the file is truncated or damaged)",
                    gdalMessages: capture.failures, function: "OGR_L_GetNextFeature")
            }
            return nil
        }
        defer { OGR_F_Destroy(feature) }
        position += 1
        let fid = OGR_F_GetFID(feature)
        let id = FeatureID.int(fid == Int64(OGRNullFID) ? position : fid)
        if !capture.failures.isEmpty {
            throw GDALError(
                kind: .readFailed, path: source.path, layer: name, feature: id,
                message: "GDAL could not read this feature whole (the file is truncated or damaged)",
                gdalMessages: capture.failures, function: "OGR_L_GetNextFeature")
        }

        var geometry: GeometryValue?
        if let native = OGR_F_GetGeometryRef(feature) {
            switch Self.wkb(of: native) {
            case .success(let bytes):
                do {
                    let decoded = try WKB.decodeWithDetails(bytes)
                    geometry = decoded.geometry
                    if decoded.droppedHigherDimensions { droppedHigherDimensions = true }
                } catch {
                    readProblems.append(FeatureProblem(featureID: id, kind: .malformedGeometry, reason: "\(error)"))
                }
            case .failure(let reason):
                readProblems.append(FeatureProblem(featureID: id, kind: .malformedGeometry, reason: reason.description))
            }
        }

        var attributes: [Attribute] = []
        attributes.reserveCapacity(fields.count)
        for (index, field) in fields.enumerated() {
            attributes.append(Attribute(field.name, try value(of: feature, Int32(index), field, id: id)))
        }
        lastID = id
        return Feature(id: id, geometry: geometry, attributes: attributes)
    }

    // MARK: Attributes

    private func value(of feature: UnsafeMutableRawPointer, _ index: Int32, _ field: FieldReader, id: FeatureID) throws(GDALError) -> AttributeValue {
        guard OGR_F_IsFieldSetAndNotNull(feature, index) != 0 else { return .null }
        switch field.type {
        case OFTInteger:
            let v = OGR_F_GetFieldAsInteger(feature, index)
            return field.subtype == OFSTBoolean ? .bool(v != 0) : .integer(Int64(v))
        case OFTInteger64:
            return .integer(OGR_F_GetFieldAsInteger64(feature, index))
        case OFTReal:
            return .double(OGR_F_GetFieldAsDouble(feature, index))
        case OFTDate, OFTTime, OFTDateTime:
            return .string(dateText(feature, index, field.type))
        case OFTBinary:
            var count: Int32 = 0
            guard let bytes = OGR_F_GetFieldAsBinary(feature, index, &count) else { return .blob([]) }
            return .blob(Array(UnsafeBufferPointer(start: bytes, count: Int(count))))
        case OFTIntegerList:
            var count: Int32 = 0
            guard let values = OGR_F_GetFieldAsIntegerList(feature, index, &count) else { return .array([]) }
            return .array(UnsafeBufferPointer(start: values, count: Int(count)).map { .integer(Int64($0)) })
        case OFTInteger64List:
            var count: Int32 = 0
            guard let values = OGR_F_GetFieldAsInteger64List(feature, index, &count) else { return .array([]) }
            return .array(UnsafeBufferPointer(start: values, count: Int(count)).map { .integer(Int64($0)) })
        case OFTRealList:
            var count: Int32 = 0
            guard let values = OGR_F_GetFieldAsDoubleList(feature, index, &count) else { return .array([]) }
            return .array(UnsafeBufferPointer(start: values, count: Int(count)).map { .double($0) })
        case OFTStringList:
            guard let list = OGR_F_GetFieldAsStringList(feature, index) else { return .array([]) }
            var items: [AttributeValue] = []
            var i = 0
            while let item = list[i] {
                items.append(.string(try text(item, feature: id, field: field.name, what: "a value")))
                i += 1
            }
            return .array(items)
        default:
            return .string(try text(OGR_F_GetFieldAsString(feature, index), feature: id, field: field.name, what: "the value"))
        }
    }

    /// ISO 8601: `2021-03-01`, `12:30:00`, `2021-03-01T12:30:00(.250)(Z|+08:00)`.
    private func dateText(_ feature: UnsafeMutableRawPointer, _ index: Int32, _ type: OGRFieldType) -> String {
        var year: Int32 = 0, month: Int32 = 0, day: Int32 = 0, hour: Int32 = 0, minute: Int32 = 0, zone: Int32 = 0
        var second: Float = 0
        guard OGR_F_GetFieldAsDateTimeEx(feature, index, &year, &month, &day, &hour, &minute, &second, &zone) != 0 else {
            return OGR_F_GetFieldAsString(feature, index).map { String(cString: $0) } ?? ""
        }
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        let whole = second.rounded(.down)
        var time = String(format: "%02d:%02d:%02d", hour, minute, Int(whole))
        let millis = Int(((second - whole) * 1000).rounded())
        if millis > 0 { time += String(format: ".%03d", millis) }
        if type == OFTDate { return date }
        if type == OFTTime { return time }
        var text = date + "T" + time
        if zone == 100 {
            text += "Z"
        } else if zone > 100 || (zone > 1 && zone < 100) {
            let minutes = Int(zone - 100) * 15
            text += String(format: "%@%02d:%02d", minutes < 0 ? "-" : "+", abs(minutes) / 60, abs(minutes) % 60)
        }
        return text
    }

    /// A C string as Swift text, which must be valid UTF-8 once GDAL has decoded it.
    private func text(_ pointer: UnsafePointer<CChar>?, feature: FeatureID?, field: String?, what: String) throws(GDALError) -> String {
        try Self.text(pointer, source: source, layer: name, encoding: textEncoding, feature: feature, field: field, what: what)
    }

    private static func text(_ pointer: UnsafePointer<CChar>?, source: GDALVectorSource, layer: String, encoding: LayerTextEncoding,
                             feature: FeatureID?, field: String?, what: String) throws(GDALError) -> String {
        guard let pointer else { return "" }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let shown = bytes.prefix(16).map { String(format: "%02X", $0) }.joined(separator: " ") + (bytes.count > 16 ? " …" : "")
        throw GDALError(
            kind: .textNotUTF8, path: source.path, layer: layer, feature: feature, field: field,
            message: "\(what) is not UTF-8 text (bytes \(shown)); \(remedy(source: source, encoding: encoding))")
    }

    /// What to do about text that is not UTF-8, given where its encoding came from.
    private static func remedy(source: GDALVectorSource, encoding textEncoding: LayerTextEncoding) -> String {
        let give = "give --encoding GBK (or encoding: GBK for this layer in the rule set), or the file's real encoding"
        switch textEncoding.source {
        case .undeclared:
            if let detail = textEncoding.detail {
                return "\(detail), so UTF-8 was assumed; if the file is GBK (ArcGIS on Chinese Windows), \(give)"
            }
            if source.driverName == "ESRI Shapefile" {
                return "the Shapefile declares no encoding (no .cpg, DBF code page byte 0), so UTF-8 was assumed; if it is GBK (ArcGIS on Chinese Windows), \(give)"
            }
            return "GDAL's \(source.driverName) driver passes this format's text on as stored; convert the file to UTF-8 (ogr2ogr) first"
        case .cpg:
            return "the .cpg says '\(textEncoding.detail ?? textEncoding.name)'; if that is wrong, correct the .cpg or give encoding: NAME for this layer in the rule set"
        case .option:
            return "it was decoded as \(textEncoding.name) (--encoding); give the file's real encoding"
        case .ruleSet:
            return "it was decoded as \(textEncoding.name) (encoding: in the rule set); give the file's real encoding"
        case .codePageByte:
            return "the DBF code page byte \(textEncoding.detail ?? "") says \(textEncoding.name); \(give)"
        case .format:
            return "the format stores UTF-8, so the file is damaged or was written by a tool that broke the format"
        }
    }

    // MARK: Geometry and CRS

    /// ISO WKB, little-endian (`OGR_G_ExportToIsoWkb`), of the geometry or of its linear
    /// approximation when it has curves (`OGR_G_GetLinearGeometry`).
    private static func wkb(of geometry: UnsafeMutableRawPointer) -> Result<[UInt8], WKBExportFailure> {
        var target = geometry
        var linear: UnsafeMutableRawPointer?
        if OGR_G_HasCurveGeometry(geometry, 0) != 0 {
            guard let made = OGR_G_GetLinearGeometry(geometry, 0, nil) else {
                return .failure(WKBExportFailure("GDAL could not turn the curved geometry into line segments"))
            }
            linear = made
            target = made
        }
        defer { if let linear { OGR_G_DestroyGeometry(linear) } }
        var bytes = [UInt8](repeating: 0, count: Int(OGR_G_WkbSize(target)))
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            OGR_G_ExportToIsoWkb(target, wkbNDR, buffer.baseAddress)
        }
        guard status == OGRERR_NONE else {
            return .failure(WKBExportFailure("GDAL could not export the geometry as WKB (OGR_G_ExportToIsoWkb error \(status))"))
        }
        return .success(bytes)
    }

    /// The layer's CRS as the file declares it (`OGR_L_GetSpatialRef`): its name (a Shapefile's
    /// `.prj` name as written), its WKT2, and the authority code GDAL gives it (`OSRGetAuthorityName`
    /// and `OSRGetAuthorityCode`, else `OSRAutoIdentifyEPSG` on a copy); nil when it has none.
    private static func crsReference(_ layer: UnsafeMutableRawPointer, source: GDALVectorSource, name: String) -> CRSReference? {
        guard let srs = OGR_L_GetSpatialRef(layer) else { return nil }
        var identified = Self.authority(srs)
        if identified == nil, let copy = OSRClone(srs) {
            if OSRAutoIdentifyEPSG(copy) == OGRERR_NONE { identified = Self.authority(copy) }
            OSRRelease(copy)
        }
        var wkt: UnsafeMutablePointer<CChar>?
        let option = strdup("FORMAT=WKT2_2019")
        defer { free(option) }
        var options: [UnsafePointer<CChar>?] = [UnsafePointer(option), nil]
        let status = options.withUnsafeMutableBufferPointer { OSRExportToWktEx(srs, &wkt, $0.baseAddress) }
        defer { VSIFree(wkt) }
        let definition = status == OGRERR_NONE ? wkt.map { String(cString: $0) } ?? "" : ""
        let gdalName = OSRGetName(srs).map { String(cString: $0) } ?? ""
        let crsName = (source.driverName == "ESRI Shapefile" ? source.prjName(of: name) : nil) ?? gdalName
        return .wkt(name: crsName, definition: definition, identifiedAs: identified)
    }

    private static func authority(_ srs: UnsafeMutableRawPointer) -> String? {
        guard let authority = OSRGetAuthorityName(srs, nil), let code = OSRGetAuthorityCode(srs, nil) else { return nil }
        return "\(String(cString: authority)):\(String(cString: code))"
    }

    /// The geometry type as GeoPackage spells it (what the layer check reads); nil for a table
    /// without geometry.
    private static func typeName(_ type: OGRwkbGeometryType) -> String? {
        switch OGR_GT_Flatten(type) {
        case wkbNone: nil
        case wkbPoint: "POINT"
        case wkbLineString: "LINESTRING"
        case wkbPolygon: "POLYGON"
        case wkbMultiPoint: "MULTIPOINT"
        case wkbMultiLineString: "MULTILINESTRING"
        case wkbMultiPolygon: "MULTIPOLYGON"
        case wkbGeometryCollection: "GEOMETRYCOLLECTION"
        case wkbCurvePolygon: "CURVEPOLYGON"
        case wkbMultiSurface: "MULTISURFACE"
        case wkbCircularString: "CIRCULARSTRING"
        case wkbCompoundCurve: "COMPOUNDCURVE"
        case wkbMultiCurve: "MULTICURVE"
        default: "GEOMETRY"
        }
    }

    /// GDAL's type name, with the subtype: "String", "Integer", "Integer(Boolean)", "Real", "Date".
    private static func typeName(_ type: OGRFieldType, _ subtype: OGRFieldSubType) -> String {
        let base = String(cString: OGR_GetFieldTypeName(type))
        return subtype == OFSTNone ? base : "\(base)(\(String(cString: OGR_GetFieldSubTypeName(subtype))))"
    }
}

/// Why a geometry could not be exported from GDAL as WKB: GDAL failing on a geometry it read
/// (70); the reader reports it as that feature's problem.
struct WKBExportFailure: PlanCheckFailure {
    var description: String
    var exitStatus: ExitStatus { .software }
    init(_ description: String) { self.description = description }
}

@available(*, unavailable) extension GDALFeatureCursor: Sendable {}
