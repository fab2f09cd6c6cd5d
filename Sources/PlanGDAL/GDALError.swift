import PlanModel

/// A failure of reading through GDAL: which file, layer, feature and field, what went wrong in
/// words a planner understands, and GDAL's own message and C function when GDAL said something.
///
/// Every case but `.library` is a problem of the input (exit 65 on the command line); `.library`
/// is GDAL failing on input that should have worked (exit 70).
public struct GDALError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// No GDAL driver reads the file as vector data.
        case notRecognized = "not_recognized"
        /// A driver recognised the file but could not open it (a Shapefile without its `.shx`,
        /// a folder named `.gdb` that is not a File Geodatabase).
        case openFailed = "open_failed"
        /// A part of the file is missing: a Shapefile's `.dbf` (its attributes).
        case missingPart = "missing_part"
        /// The file has no (feature) layer of the name asked for, or none at all.
        case noSuchLayer = "no_such_layer"
        /// A feature could not be read (a truncated `.shp`, a damaged table).
        case readFailed = "read_failed"
        /// Text (an attribute value or a field name) is not valid UTF-8 after decoding: the file
        /// declares no encoding or the wrong one.
        case textNotUTF8 = "text_not_utf8"
        /// An encoding name that GDAL's recoder (iconv) does not know, from a `.cpg` or a setting.
        case unknownEncoding = "unknown_encoding"
        /// An encoding setting for a format whose text encoding is fixed (File Geodatabase is UTF-8).
        case encodingNotApplicable = "encoding_not_applicable"
        /// GDAL could not create or write an output file (a dataset, layer, field or feature).
        case writeFailed = "write_failed"
        /// GDAL failed where it should not have (out of memory, a WKB export that failed).
        case library
    }

    public var kind: Kind
    /// The file as given (not GDAL's `/vsizip/` path).
    public var path: String
    /// The layer, when the error concerns one.
    public var layer: String?
    /// The feature (its GDAL FID), when the error concerns one.
    public var feature: FeatureID?
    /// The field, when the error concerns one.
    public var field: String?
    /// What went wrong and, where it helps, what to do about it.
    public var message: String
    /// GDAL's own messages (CPLError) captured while the failing call ran.
    public var gdalMessages: [String]
    /// The GDAL C function that failed, e.g. "GDALOpenEx".
    public var function: String?

    public init(
        kind: Kind, path: String, layer: String? = nil, feature: FeatureID? = nil, field: String? = nil,
        message: String, gdalMessages: [String] = [], function: String? = nil
    ) {
        self.kind = kind
        self.path = path
        self.layer = layer
        self.feature = feature
        self.field = field
        self.message = message
        self.gdalMessages = gdalMessages
        self.function = function
    }

    /// One line: "file: layer 'l': feature 3: field 'DLMC': message (GDAL: text; GDALOpenEx)".
    public var description: String {
        var text = path
        if let layer { text += ": layer '\(layer)'" }
        if let feature { text += ": feature \(feature)" }
        if let field { text += ": field '\(field)'" }
        text += ": " + message
        var details: [String] = []
        if !gdalMessages.isEmpty { details.append("GDAL: " + gdalMessages.joined(separator: "; ")) }
        if let function { details.append(function) }
        if !details.isEmpty { text += " (" + details.joined(separator: "; ") + ")" }
        return text
    }
}
