/// A checked rule set (YAML version 1): the layers to overlay, how each layer's raw codes map to
/// canonical classes, and the conflict rules that turn overlays into discrepancy patches (差异图斑).
public struct RuleSet: Sendable {
    /// The rule-set format version; always 1.
    public var version: Int
    /// Sliver threshold in m² for every rule: patches smaller than this are counted, not listed.
    /// Default 1 m².
    public var minAreaM2: Double
    /// Fixed-precision overlay grid in metres (of the working CRS); 0 means full precision. Default 0.
    public var gridSizeM: Double
    /// The layers in file order. The first layer's CRS is the default working CRS.
    public var layers: [LayerDefinition]
    /// The conflict rules in file order.
    public var rules: [ConflictRule]
    /// Project types applicants may declare (`project_types`), in file order; empty when the rule
    /// set lists none (then any type is accepted and exclusion lists are not checked against a list).
    public var projectTypes: [ProjectType]
    /// Regional assessment items (`assessments`) in file order.
    public var assessments: [AssessmentItem]
    /// The rules file as the caller named it.
    public var sourcePath: String
    /// The folder of the rules file (`.` when the path has none); layer paths are relative to it.
    public var baseDirectory: String
    /// Things that are allowed but probably not meant (an unused layer, a code in two classes).
    public var warnings: [RuleSetDiagnostic]
    /// How decisions on patches are recorded (`dispositions:`); the Chinese default without it.
    public var dispositions: DispositionSettings = DispositionSettings()

    public init(
        version: Int = 1, minAreaM2: Double = 1, gridSizeM: Double = 0, layers: [LayerDefinition],
        rules: [ConflictRule], projectTypes: [ProjectType] = [], assessments: [AssessmentItem] = [],
        sourcePath: String, baseDirectory: String, warnings: [RuleSetDiagnostic] = []
    ) {
        self.version = version
        self.minAreaM2 = minAreaM2
        self.gridSizeM = gridSizeM
        self.layers = layers
        self.rules = rules
        self.projectTypes = projectTypes
        self.assessments = assessments
        self.sourcePath = sourcePath
        self.baseDirectory = baseDirectory
        self.warnings = warnings
    }

    /// The layer with this name, or nil.
    public func layer(named name: String) -> LayerDefinition? {
        layers.first { $0.name == name }
    }

    /// The rule with this id, or nil.
    public func rule(id: String) -> ConflictRule? {
        rules.first { $0.id == id }
    }

    /// The assessment item with this id, or nil.
    public func assessment(id: String) -> AssessmentItem? {
        assessments.first { $0.id == id }
    }

    /// The rules that read `layer` on either side, in file order.
    public func rules(involving layer: String) -> [ConflictRule] {
        rules.filter { $0.a.layer == layer || $0.b.layer == layer }
    }

    /// The sliver threshold in m² (planar) that applies to `item`: its own, else the rule set's.
    public func effectiveMinArea(for item: AssessmentItem) -> Double {
        item.minAreaM2 ?? minAreaM2
    }

    /// The sliver threshold in m² that applies to `rule`: its own `min_area_m2`, else the rule set's.
    public func effectiveMinArea(for rule: ConflictRule) -> Double {
        rule.minAreaM2 ?? minAreaM2
    }

    /// The overlay grid in metres that applies to `rule`: its own `grid_size_m`, else the rule
    /// set's (0 = full precision).
    public func effectiveGridSize(for rule: ConflictRule) -> Double {
        rule.gridSizeM ?? gridSizeM
    }
}

/// One layer of a rule set: where to read it and how its raw codes map to classes.
public struct LayerDefinition: Sendable, Hashable {
    /// The name rules use (`landuse`, `urban`, `farmland`); may contain dots.
    public var name: String
    /// A title for reports, e.g. 土地利用总体规划.
    public var title: String?
    /// The file as the rules file wrote it (relative to the rules file's folder unless absolute).
    public var path: String?
    /// `path` joined with the rule set's base directory: absolute, or relative to the current
    /// directory. The command's `--layer NAME=PATH` replaces it.
    public var resolvedPath: String?
    /// Which layer (table) of a multi-layer GeoPackage or File Geodatabase.
    public var layerName: String?
    /// `encoding:` the encoding of the file's text (a Shapefile's DBF), whatever the file
    /// declares; canonical (`TextEncodingName.canonical`), e.g. "GBK", "CP936".
    public var encoding: String?
    /// The line of `encoding:`.
    public var encodingLine: Int?
    /// `assume_crs:` the CRS of the file when it declares none, as written (e.g. "EPSG:4529").
    public var assumedCRS: String?
    /// The line of `assume_crs:`.
    public var assumedCRSLine: Int?
    /// `id_field:` the attribute that identifies a feature across exports (e.g. `BSM`, 标识码);
    /// patch ids are built from it. Nil: the GeoJSON `id`, GeoPackage `fid` or position.
    public var idField: String?
    /// The line of `id_field:`.
    public var idFieldLine: Int?
    /// The attribute holding the raw class code (e.g. `DLBM`, `YDDM`). Without it every feature is
    /// in the one class `all`.
    public var classField: String?
    /// Where `class_field` is written, for diagnostics about the field.
    public var classFieldLocation: SourceLocation?
    /// Canonical classes in file order.
    public var classes: [ClassDefinition]
    /// 1-based line of the layer's name in the rules file.
    public var line: Int
    /// 1-based column of the layer's name in the rules file.
    public var column: Int

    /// The class a feature of a layer without `class_field` is in.
    public static let allClassName = "all"

    /// The layer name that stands for an applicant's site: conformity rules read it, `plan-check
    /// query` supplies its file, and `plan-check overlay` skips its rules unless given
    /// `--layer site=PATH`.
    public static let siteLayerName = "site"

    public init(
        name: String, title: String? = nil, path: String? = nil, resolvedPath: String? = nil,
        layerName: String? = nil, classField: String? = nil, classFieldLocation: SourceLocation? = nil,
        classes: [ClassDefinition] = [], line: Int = 0, column: Int = 0
    ) {
        self.name = name
        self.title = title
        self.path = path
        self.resolvedPath = resolvedPath
        self.layerName = layerName
        self.classField = classField
        self.classFieldLocation = classFieldLocation
        self.classes = classes
        self.line = line
        self.column = column
    }

    /// The class names a selector of this layer may use: the defined classes, or `all` when the
    /// layer has no `class_field`.
    public var classNames: [String] {
        classField == nil ? [Self.allClassName] : classes.map(\.name)
    }

    /// The class with this name, or nil.
    public func classDefinition(named name: String) -> ClassDefinition? {
        classes.first { $0.name == name }
    }
}

/// A canonical class of a layer (`construction`, `basic_farmland`) and the raw codes in it.
public struct ClassDefinition: Sendable, Hashable {
    /// The canonical class name; never contains a dot.
    public var name: String
    /// The raw codes, exact or prefix, in file order.
    public var patterns: [CodePattern]
    /// 1-based line of the class name in the rules file.
    public var line: Int
    /// 1-based column of the class name in the rules file.
    public var column: Int

    public init(name: String, patterns: [CodePattern], line: Int = 0, column: Int = 0) {
        self.name = name
        self.patterns = patterns
        self.line = line
        self.column = column
    }

    /// True when some pattern of the class matches `code`.
    public func matches(_ code: String) -> Bool {
        patterns.contains { $0.matches(code) }
    }
}

/// How serious a discrepancy is: `critical` > `major` > `minor`.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case minor
    case major
    case critical

    private var rank: Int {
        switch self {
        case .minor: 0
        case .major: 1
        case .critical: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}

/// How a rule combines its two selections.
public enum Relation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `a ∩ b`: one patch per (a feature, b feature) pair that overlaps (e.g. construction on
    /// basic farmland).
    case intersects
    /// `a − ∪b`: the parts of each `a` feature not covered by the union of `b` (e.g. 城规建设、土规非建设).
    case outside

    public var description: String { rawValue }
}

/// The features a rule takes from one layer: a class of it (`urban.construction`) or every feature
/// (`farmland`).
public struct LayerSelector: Sendable, Hashable, CustomStringConvertible {
    /// The layer name (may contain dots).
    public var layer: String
    /// The class name (never contains a dot); nil means every feature of the layer.
    public var className: String?

    public init(layer: String, className: String? = nil) {
        self.layer = layer
        self.className = className
    }

    /// Parses `layer.class` or `layer`. Class names have no dots but layer names may, so a text
    /// that is itself one of `layerNames` selects that whole layer; otherwise the text after the
    /// last dot is the class. Without `layerNames`, any text with a dot is split at the last dot.
    public init(parsing text: String, layerNames: Set<String> = []) {
        if layerNames.contains(text) {
            self.init(layer: text)
        } else if let dot = text.lastIndex(of: ".") {
            self.init(layer: String(text[..<dot]), className: String(text[text.index(after: dot)...]))
        } else {
            self.init(layer: text)
        }
    }

    /// `layer.class` or `layer`, as a rules file writes it.
    public var description: String {
        className.map { "\(layer).\($0)" } ?? layer
    }
}

/// One conflict rule: which selections to overlay, how, and how serious a patch is.
public struct ConflictRule: Sendable, Hashable {
    /// Unique within the rule set (`A`, `B`, `C1`); patch ids start with it.
    public var id: String
    /// A title for reports, e.g. 城规建设、土规非建设.
    public var title: String?
    public var severity: Severity
    public var relation: Relation
    /// The features patches are cut from.
    public var a: LayerSelector
    /// The features `a` is compared with.
    public var b: LayerSelector
    /// This rule's own sliver threshold in m², or nil for the rule set's.
    public var minAreaM2: Double?
    /// This rule's own overlay grid in metres, or nil for the rule set's.
    public var gridSizeM: Double?
    /// 1-based line where the rule starts in the rules file.
    public var line: Int

    public init(
        id: String, title: String? = nil, severity: Severity, relation: Relation, a: LayerSelector,
        b: LayerSelector, minAreaM2: Double? = nil, gridSizeM: Double? = nil, line: Int = 0
    ) {
        self.id = id
        self.title = title
        self.severity = severity
        self.relation = relation
        self.a = a
        self.b = b
        self.minAreaM2 = minAreaM2
        self.gridSizeM = gridSizeM
        self.line = line
    }
}

/// The `dispositions:` section of a rule set: the decisions a planner may record on a patch
/// (the `disposition` column of the patch outputs) and when a disposed patch counts as changed.
public struct DispositionSettings: Sendable, Hashable {
    /// The allowed values of `disposition`, in file order; an empty cell means open.
    public var values: [String]
    /// A disposed patch whose area differs from its area when disposed by more than this
    /// (m², planar as `area_m2`) is `changed`, whatever its geometry hash says. Default 1 m².
    public var areaToleranceM2: Double

    /// 调整城规 (amend the urban plan), 调整土规 (amend the land-use plan), 保留 (keep, with the
    /// reason in the note), 规划修改 (a formal plan revision), 核实无误 (checked: a data error).
    public static let defaultValues = ["调整城规", "调整土规", "保留", "规划修改", "核实无误"]

    public init(values: [String] = DispositionSettings.defaultValues, areaToleranceM2: Double = 1) {
        self.values = values
        self.areaToleranceM2 = areaToleranceM2
    }
}
