import PlanRegistry
import PlanRules

/// The one answer (一张表单) `plan-check query` and `plan-check serve` give an applicant: plan
/// conformity and, per assessment item, whether the regional result may be reused, with which
/// conditions, and why. Encoded as JSON with snake_case keys; the schema is
/// `Sources/PlanCheckKit/Query/query-answer.schema.json` (`schema_version` 1).
public struct QueryAnswer: Codable, Sendable {
    /// Always "plan-check/query-answer".
    public var schema = "plan-check/query-answer"
    /// The version of this layout; a reader refuses versions it does not know.
    public var schemaVersion = QueryAnswer.currentSchemaVersion
    public var planCheckVersion: String
    public var registry: RegistrySummary
    public var query: QueryParameters
    public var site: SiteSummary
    /// True when every item is `reuse` or `conditional` and no conformity patch is critical.
    public var mayProceed: Bool
    /// 0 when `may_proceed`, else 1 (the command's exit status).
    public var exitStatus: Int
    public var conformity: Conformity
    public var items: [ItemAnswer]
    /// Things the applicant should know that change no outcome (no project type given, …).
    public var notes: [String]

    public static let currentSchemaVersion = 1

    /// Areas of one piece of land: planar in the registry's CRS, ellipsoidal (official), and the
    /// ellipsoidal area in hectares and mu.
    public struct Area: Codable, Sendable, Equatable {
        public var m2: Double
        public var ellipsoidalM2: Double
        public var ha: Double
        public var mu: Double

        public init(planar: Double, ellipsoidal: Double) {
            m2 = planar
            ellipsoidalM2 = ellipsoidal
            ha = ellipsoidal / 10_000
            mu = ellipsoidal * 15 / 10_000
        }

        public static let zero = Area(planar: 0, ellipsoidal: 0)
    }

    public struct RegistrySummary: Codable, Sendable {
        public var path: String
        /// "EPSG:4529", or the CRS name.
        public var crs: String
        public var latestRunId: Int64
        public var latestRunAt: String
    }

    public struct QueryParameters: Codable, Sendable {
        /// The site file, or "-" for standard input.
        public var site: String
        public var siteSha256: String
        public var projectType: String?
        /// The day validity is judged on, `YYYY-MM-DD`.
        public var at: String
        /// Where the conformity rules came from: the `--rules` path, or "registry run N".
        public var rules: String
    }

    public struct SiteSummary: Codable, Sendable {
        /// Features in the site file.
        public var parts: Int
        public var area: Area
        /// What the check repaired in the site, one line each (file, feature, what).
        public var repaired: [String]
        /// Parts rejected (no usable polygon), one line each.
        public var rejected: [String]
        /// Current regions the site overlaps by at least the sliver threshold, with the area inside.
        public var regions: [SiteRegion]
        /// The part of the site outside every current region.
        public var outsideRegions: Area
        /// The site as judged (checked, repaired, in the registry's CRS); only when asked for
        /// (`serve`'s `?geometry=true`).
        public var geometry: MapGeometry? = nil
    }

    public struct SiteRegion: Codable, Sendable {
        public var regionId: String
        public var name: String?
        public var area: Area
    }

    public struct Conformity: Codable, Sendable {
        /// The rules that read the site, in rule-set order, each with its patches.
        public var rules: [ConformityRule]
        public var criticalPatches: Int
    }

    public struct ConformityRule: Codable, Sendable {
        public var rule: String
        public var title: String?
        public var severity: String
        public var relation: String
        /// The other layer, e.g. `farmland` or `urban.construction`.
        public var against: String
        public var patches: [ConformityPatch]
        public var area: Area
        /// Patches under the rule's sliver threshold: dropped and counted.
        public var sliversDropped: Int
    }

    public struct ConformityPatch: Codable, Sendable {
        public var id: String
        /// The feature of the other layer (null for `outside` rules).
        public var bFid: String?
        public var bCode: String?
        public var area: Area
        /// The patch's land in the registry's CRS; only when asked for (`?geometry=true`).
        public var geometry: MapGeometry? = nil
    }

    public struct ItemAnswer: Codable, Sendable {
        public var itemId: String
        public var title: String?
        /// The final outcome: `reuse`, `conditional`, `individual` or `prohibited`.
        public var outcome: AssessmentOutcome
        /// The Chinese term of the outcome (免于评估, 告知承诺, 单独评估, 禁止建设).
        public var outcomeTerm: String
        /// True for `reuse` and `conditional`.
        public var mayReuse: Bool
        /// The worst outcome among the zones the site touches, before the reasons below.
        public var zoneOutcome: AssessmentOutcome
        /// Why the outcome is what it is, most serious first.
        public var reasons: [Reason]
        /// Condition texts the applicant accepts (of the touched zones' outcomes), without repeats.
        public var conditions: [String]
        /// The zones the site touches by at least the sliver threshold.
        public var zones: [ZoneTouch]
        /// The region records the answer rests on (issuer, validity).
        public var records: [Record]
    }

    public struct Reason: Codable, Sendable {
        /// `zone`, `outside_region`, `expired`, `not_yet_valid`, `excluded_project_type`,
        /// `inputs_changed`.
        public var code: String
        public var message: String
        /// The area concerned, for `zone` and `outside_region`.
        public var area: Area?
    }

    public struct ZoneTouch: Codable, Sendable {
        public var regionId: String
        /// The constraint (`hazard.high`) or `default`.
        public var source: String
        public var outcome: AssessmentOutcome
        public var condition: String?
        /// The part of the site in the zone.
        public var area: Area
    }

    public struct Record: Codable, Sendable {
        public var regionId: String
        public var runId: Int64
        public var issuedBy: String?
        public var validFrom: String
        public var validUntil: String
        /// `valid`, `expired` or `not_yet_valid` on the query's day.
        public var status: String
    }
}
