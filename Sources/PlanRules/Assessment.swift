/// What a regional assessment (区域评估) means for a project whose site touches a zone, from best to
/// worst: `reuse` < `conditional` < `individual` < `prohibited`.
public enum AssessmentOutcome: String, Sendable, Hashable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    /// 免于评估: the regional result stands; nothing more to commission.
    case reuse
    /// 简化/告知承诺: reuse with the stated conditions; the applicant signs a commitment.
    case conditional
    /// 单独评估: the project must commission its own assessment for this item.
    case individual
    /// 禁止: construction is not allowed there.
    case prohibited

    /// 0 for `reuse` up to 3 for `prohibited`; stored in the registry so SQL can order outcomes.
    public var rank: Int {
        switch self {
        case .reuse: 0
        case .conditional: 1
        case .individual: 2
        case .prohibited: 3
        }
    }

    /// The outcome with this rank, or nil.
    public init?(rank: Int) {
        guard let outcome = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = outcome
    }

    /// The Chinese term planners use for the outcome.
    public var chineseTerm: String {
        switch self {
        case .reuse: "免于评估"
        case .conditional: "告知承诺"
        case .individual: "单独评估"
        case .prohibited: "禁止建设"
        }
    }

    /// True when a project may go ahead on the regional result (`reuse` or `conditional`).
    public var allowsReuse: Bool { self <= .conditional }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}

/// One constraint of an assessment item: the features a selector picks (`hazard.high`, `ecology`)
/// and the outcome of region land they cover.
public struct AssessmentConstraint: Sendable, Hashable {
    public var selector: LayerSelector
    public var outcome: AssessmentOutcome
    /// 1-based line of the constraint in the rules file.
    public var line: Int

    public init(selector: LayerSelector, outcome: AssessmentOutcome, line: Int = 0) {
        self.selector = selector
        self.outcome = outcome
        self.line = line
    }
}

/// One assessment item of a region (地质灾害危险性评估, 环境影响评价, …): how its constraint layers
/// divide a region into outcome zones, how long the result is valid, what it asks of applicants and
/// which project types may not reuse it (负面清单).
public struct AssessmentItem: Sendable, Hashable {
    /// Unique within the rule set (`geohazard`, `eia`); the registry and answers use it.
    public var id: String
    /// A title for reports, e.g. 地质灾害危险性评估.
    public var title: String?
    /// The validity period (时效期) in whole years from the first valid day.
    public var validityYears: Int
    /// The outcome of region land that no constraint covers (usually `reuse`).
    public var defaultOutcome: AssessmentOutcome
    /// Constraints in file order.
    public var constraints: [AssessmentConstraint]
    /// The text attached to each outcome: the condition to accept, or why the result cannot be used.
    public var conditions: [AssessmentOutcome: String]
    /// Project types (ids of the rule set's `project_types`) that may not reuse this item.
    public var excludedProjectTypes: [String]
    /// This item's sliver threshold in m² (planar), or nil for the rule set's `min_area_m2`.
    public var minAreaM2: Double?
    /// 1-based line where the item starts in the rules file.
    public var line: Int

    public init(
        id: String, title: String? = nil, validityYears: Int, defaultOutcome: AssessmentOutcome = .reuse,
        constraints: [AssessmentConstraint] = [], conditions: [AssessmentOutcome: String] = [:],
        excludedProjectTypes: [String] = [], minAreaM2: Double? = nil, line: Int = 0
    ) {
        self.id = id
        self.title = title
        self.validityYears = validityYears
        self.defaultOutcome = defaultOutcome
        self.constraints = constraints
        self.conditions = conditions
        self.excludedProjectTypes = excludedProjectTypes
        self.minAreaM2 = minAreaM2
        self.line = line
    }

    /// The constraints in the order zones are cut: worst outcome first, file order among equals.
    /// Cutting in this order makes the zones a partition in which overlapping constraints keep
    /// the worse outcome.
    public var constraintsWorstFirst: [AssessmentConstraint] {
        constraints.enumerated()
            .sorted { l, r in l.element.outcome == r.element.outcome ? l.offset < r.offset : l.element.outcome > r.element.outcome }
            .map(\.element)
    }

    /// The layers the constraints read, in first-use order.
    public var constraintLayers: [String] {
        var seen = Set<String>()
        return constraints.map(\.selector.layer).filter { seen.insert($0).inserted }
    }
}

/// A project type an applicant declares (`chemical` 化工); the ids exclusion lists use.
public struct ProjectType: Sendable, Hashable {
    public var id: String
    public var title: String?

    public init(id: String, title: String? = nil) {
        self.id = id
        self.title = title
    }
}
