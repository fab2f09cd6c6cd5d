import PlanModel
import PlanRules

/// Where a patch stands in the reconciliation (多规合一 is worked through over several runs).
public enum PatchStatus: String, Sendable, CaseIterable, Codable {
    /// Not in the previous run's file (or no `--dispositions` was given).
    case new
    /// In the previous file with no decision.
    case open
    /// Decided, and the land is the land it was decided on.
    case disposed
    /// Decided, but its area moved beyond the tolerance or its geometry hash differs from the
    /// one stored with the decision: the decision must be looked at again.
    case changed

    /// Counted by `--fail-on`: everything but a decision that still holds.
    public var needsAttention: Bool { self != .disposed }
}

/// One row of a previous patch file, as `--dispositions` reads it.
public struct DispositionRecord: Sendable, Codable, Hashable {
    public var id: String
    public var rule: String?
    /// Empty: open.
    public var disposition: String
    public var dispositionNote: String
    public var disposedBy: String
    public var disposedOn: String
    /// The geometry hash and area (m², as `area_m2`) the decision was made on: `disposed_hash`
    /// and `disposed_area_m2` when the row carries them (a decision carried over from an earlier
    /// run), else the row's own `geometry_hash` and `area_m2` (decided in that file). Nil for an
    /// open record or a file without them.
    public var decidedHash: String?
    public var decidedAreaM2: Double?

    public var isDisposed: Bool { !disposition.isEmpty }
}

/// The decisions of a previous run and the rule set's hash: classifies each patch of this run
/// and writes the disposition columns of every patch output.
///
/// Without `--dispositions` the ledger is empty and every patch is `new`. A pure value, so the
/// workers that encode patches can use it.
public struct DispositionLedger: Sendable {
    /// SHA-256 of this run's rules file, written in every row (`rules_sha256`).
    public var rulesSHA256: String
    public var settings: DispositionSettings
    /// The file the decisions came from, or nil.
    public var sourcePath: String?
    /// The previous rows by patch id, and their ids in file order.
    public var records: [String: DispositionRecord]
    public var order: [String]

    public init(rulesSHA256: String, settings: DispositionSettings = DispositionSettings(),
                sourcePath: String? = nil, records: [DispositionRecord] = []) {
        self.rulesSHA256 = rulesSHA256
        self.settings = settings
        self.sourcePath = sourcePath
        self.records = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.order = records.map(\.id)
    }

    /// The status of `patch` and the previous record with its id.
    public func classify(_ patch: DiscrepancyPatch) -> (status: PatchStatus, record: DispositionRecord?) {
        // Without `--dispositions` there is nothing to look up (no hashing of the id per patch).
        guard !records.isEmpty, let record = records[patch.id] else { return (.new, nil) }
        guard record.isDisposed else { return (.open, record) }
        // Nothing to compare with (a hand-made table): the decision cannot be shown to hold.
        guard record.decidedHash != nil || record.decidedAreaM2 != nil else { return (.changed, record) }
        if let area = record.decidedAreaM2, abs(area - patch.area) > settings.areaToleranceM2 { return (.changed, record) }
        if let hash = record.decidedHash, hash != patch.geometryHash { return (.changed, record) }
        return (.disposed, record)
    }

    /// The columns after the areas in every patch output: `status`, `geometry_hash`,
    /// `disposition`, `disposition_note`, `disposed_by`, `disposed_on`, `disposed_area_m2`,
    /// `disposed_hash`, `rules_sha256` (null where empty). A decision is carried with the area
    /// and hash it was made on.
    public static let columnNames = [
        "status", "geometry_hash", "disposition", "disposition_note", "disposed_by", "disposed_on",
        "disposed_area_m2", "disposed_hash", "rules_sha256",
    ]

    /// The values of `columnNames` for `patch`.
    func columns(of patch: DiscrepancyPatch) -> [Attribute] {
        let (status, record) = classify(patch)
        return columns(status: status, geometryHash: patch.geometryHash, record: record)
    }

    /// The values of `columnNames` for a patch of `status` and `geometryHash` whose previous
    /// record is `record` (`classify(_:)`).
    func columns(status: PatchStatus, geometryHash: String, record: DispositionRecord?) -> [Attribute] {
        let decided = record?.isDisposed == true ? record : nil
        // Empty is null: every format then reads back the same (a Shapefile cannot tell an
        // empty text from a missing one).
        func text(_ s: String?) -> AttributeValue { s.flatMap { $0.isEmpty ? nil : AttributeValue.string($0) } ?? .null }
        let values: [AttributeValue] = [
            .string(status.rawValue), .string(geometryHash),
            text(decided?.disposition), text(decided?.dispositionNote ?? record?.dispositionNote),
            text(decided?.disposedBy), text(decided?.disposedOn),
            decided?.decidedAreaM2.map(AttributeValue.double) ?? .null,
            text(decided?.decidedHash), .string(rulesSHA256),
        ]
        return zip(Self.columnNames, values).map { Attribute($0, $1) }
    }

    /// The previous rows whose patch is gone from `patches` (resolved), in file order.
    public func resolved(given patches: [DiscrepancyPatch]) -> [DispositionRecord] {
        let now = Set(patches.map(\.id))
        return order.filter { !now.contains($0) }.compactMap { records[$0] }
    }
}
