#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the encoding of a layer's text came from, strongest first as plan-check applies them to
/// a Shapefile: a rule set's `encoding:`, the `.cpg` beside the `.dbf`, `--encoding`, the DBF's
/// code-page byte; else the format's own (UTF-8 by definition), else undeclared (UTF-8 assumed and
/// checked: text that is not UTF-8 is an error naming the remedy).
public enum TextEncodingSource: String, Sendable, Hashable, Codable {
    /// `encoding:` of the layer in the rule set.
    case ruleSet = "rule_set"
    /// The `.cpg` file beside the `.dbf` (e.g. `GBK`, `936`, `UTF-8`).
    case cpg
    /// `--encoding` on the command line (for files that have no `.cpg`).
    case option
    /// The DBF header's language-driver byte (offset 29), e.g. 0x4D = code page 936.
    case codePageByte = "code_page_byte"
    /// The format defines its encoding (File Geodatabase, FlatGeobuf, KML, GML: UTF-8).
    case format
    /// Nothing says: UTF-8 is assumed and every text is checked to be valid UTF-8.
    case undeclared
}

/// The encoding a layer's text was decoded from, and what said so.
public struct LayerTextEncoding: Sendable, Hashable {
    /// The encoding's name as given to the decoder, e.g. "GBK", "CP936", "UTF-8".
    public var name: String
    public var source: TextEncodingSource
    /// What the source said, when that helps: the `.cpg` text, "0x4D" for the code-page byte.
    public var detail: String?

    public init(name: String, source: TextEncodingSource, detail: String? = nil) {
        self.name = name
        self.source = source
        self.detail = detail
    }

    /// "GBK (.cpg 'GBK')", "CP936 (code page byte 0x4D)", "UTF-8 (nothing declared; checked)".
    public var description: String {
        switch source {
        case .ruleSet: "\(name) (rule set 'encoding:')"
        case .cpg: "\(name) (.cpg '\(detail ?? name)')"
        case .option: "\(name) (--encoding)"
        case .codePageByte: "\(name) (DBF code page byte \(detail ?? "?"))"
        case .format: "\(name) (the format's)"
        case .undeclared: "\(name) (nothing declared\(detail.map { ", \($0)" } ?? ""); assumed and checked)"
        }
    }
}

/// Where a reading setting came from: the command line (for every file it reads) or one layer
/// of a rule set.
public enum SettingOrigin: Sendable, Hashable {
    /// `--encoding NAME`, `--assume-crs CRS`.
    case commandLine
    /// `encoding:` or `assume_crs:` of a layer in a rule set, at this file and 1-based line.
    case ruleSet(path: String, line: Int)
}

/// An encoding a planner asked for, and where: the command line's `--encoding` fills in for
/// Shapefiles that have no `.cpg`; a rule set's per-layer `encoding:` applies whatever the file says.
public struct RequestedEncoding: Sendable, Hashable {
    /// The canonical name (`TextEncodingName.canonical`), e.g. "GBK", "CP936", "UTF-8".
    public var name: String
    public var origin: SettingOrigin

    public init(name: String, origin: SettingOrigin) {
        self.name = name
        self.origin = origin
    }
}

/// A CRS a planner gives for files that declare none (`--assume-crs`, `assume_crs:`).
public struct AssumedCRS: Sendable, Hashable {
    /// As written, e.g. "EPSG:4529".
    public var identifier: String
    public var origin: SettingOrigin

    public init(identifier: String, origin: SettingOrigin) {
        self.identifier = identifier
        self.origin = origin
    }

    /// "--assume-crs EPSG:4529" or "assume_crs: EPSG:4529 (rules.yaml:12)".
    public var description: String {
        switch origin {
        case .commandLine: "--assume-crs \(identifier)"
        case .ruleSet(let path, let line): "assume_crs: \(identifier) (\(path):\(line))"
        }
    }
}

/// What a reader is told besides the path: the encoding asked for, if any, and the region of a
/// `--tile` slice (GeoPackage layers with an R-tree only).
public struct LayerReadOptions: Sendable, Hashable {
    public var encoding: RequestedEncoding?
    /// Read only this region's features (`LayerRegion`); nil reads the whole layer.
    public var region: LayerRegion?

    public init(encoding: RequestedEncoding? = nil, region: LayerRegion? = nil) {
        self.encoding = encoding
        self.region = region
    }
}

/// Names of text encodings as GDAL's recoder takes them (on Debian GDAL recodes through iconv).
public enum TextEncodingName {
    /// The name to hand GDAL for `name`, or nil when the system's iconv does not know it.
    ///
    /// Spells numbers as GDAL spells a `.cpg` that holds one: `936` → `CP936` (`65001` → `UTF-8`);
    /// `UTF8`/`utf-8` → `UTF-8`; any other name is upper-cased and kept (`gbk` → `GBK`,
    /// `GB18030`, `BIG5`, `CP936`, `ISO-8859-1`).
    public static func canonical(_ name: String) -> String? {
        let trimmed = name.filter { !$0.isWhitespace }
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCII) else { return nil }
        var candidate = trimmed.uppercased()
        if let number = Int(candidate) {
            candidate = number == 65001 ? "UTF-8" : "CP\(number)"
        } else if candidate == "UTF8" {
            candidate = "UTF-8"
        }
        return isKnown(candidate) ? candidate : nil
    }

    /// True when iconv can decode `name` into UTF-8 (`iconv_open`).
    static func isKnown(_ name: String) -> Bool {
        let descriptor = iconv_open("UTF-8", name)
        guard Int(bitPattern: descriptor) != -1 else { return false }
        iconv_close(descriptor)
        return true
    }
}
