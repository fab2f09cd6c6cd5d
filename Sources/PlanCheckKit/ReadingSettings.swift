import PlanCRS
import PlanLayers
import PlanModel
import PlanRules

/// How layer files are read where the file itself does not say: the command line's `--encoding`
/// (the text encoding of Shapefiles without a `.cpg`) and `--assume-crs` (the CRS of files that
/// declare none). A rule set's per-layer `encoding:` and `assume_crs:` win over both for its layer.
public struct ReadingSettings: Sendable, Hashable {
    /// `--encoding`, canonical (`TextEncodingName.canonical`), e.g. "GBK".
    public var encoding: String?
    /// `--assume-crs`, as written, e.g. "EPSG:4529".
    public var assumedCRS: String?
    /// The region of each layer (by rule-set layer name) an `overlay --tile` slice reads
    /// (`SliceReading`); empty: every layer whole.
    public var regions: [String: LayerRegion] = [:]

    public init(encoding: String? = nil, assumedCRS: String? = nil) {
        self.encoding = encoding
        self.assumedCRS = assumedCRS
    }

    /// What the reader is told for the layer `definition` of the rule set at `rulesPath` (nil for
    /// a file given on its own, such as inspect's files, assess's regions, query's site).
    public func readOptions(for definition: LayerDefinition? = nil, rulesPath: String? = nil) -> LayerReadOptions {
        let region = definition.flatMap { regions[$0.name] }
        if let definition, let encoding = definition.encoding {
            return LayerReadOptions(encoding: RequestedEncoding(
                name: encoding, origin: .ruleSet(path: rulesPath ?? "rules", line: definition.encodingLine ?? definition.line)),
                region: region)
        }
        return LayerReadOptions(encoding: encoding.map { RequestedEncoding(name: $0, origin: .commandLine) }, region: region)
    }

    /// The CRS to assume for the layer `definition` if its file declares none.
    public func assumption(for definition: LayerDefinition? = nil, rulesPath: String? = nil) -> AssumedCRS? {
        if let definition, let crs = definition.assumedCRS {
            return AssumedCRS(identifier: crs, origin: .ruleSet(path: rulesPath ?? "rules", line: definition.assumedCRSLine ?? definition.line))
        }
        return assumedCRS.map { AssumedCRS(identifier: $0, origin: .commandLine) }
    }

    /// Checks the command line's values before anything is read: an encoding iconv does not know,
    /// or a CRS PROJ does not know, is a usage error naming the option (exit 64).
    public static func validated(encoding: String?, assumedCRS: String?) throws -> ReadingSettings {
        var settings = ReadingSettings()
        if let encoding {
            guard let canonical = TextEncodingName.canonical(encoding) else {
                throw ReadingSettingsError(message: "--encoding \(encoding): not an encoding iconv knows (Shapefiles from ArcGIS on Chinese Windows are GBK; others: GB18030, BIG5, UTF-8, or a code page number such as 936)")
            }
            settings.encoding = canonical
        }
        if let assumedCRS {
            do { _ = try CRSContext().crs(assumedCRS) } catch let error as CRSError {
                throw ReadingSettingsError(message: "--assume-crs \(assumedCRS): \(error.message) (write e.g. EPSG:4529)")
            }
            settings.assumedCRS = assumedCRS
        }
        return settings
    }
}

/// `--encoding` or `--assume-crs` with a value plan-check cannot use (exit 64).
public struct ReadingSettingsError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .usage }
    public var description: String { message }
}
