import PlanModel

/// What the summary says of one rule's patches, added up as the patches are made, so that a run
/// whose outputs do not need the patches afterwards keeps none of them: counts, areas (m²,
/// `ExactSum`: the same to the last bit whatever the order the patches are added in, so chunk,
/// job and tile order do not matter), the class-pair table and the patches by status.
public struct RuleTotals: Sendable {
    public private(set) var patches = 0
    /// Patches of at least 1 m² (planar; ellipsoidal in a lon/lat working CRS).
    public private(set) var patchesAtLeast1M2 = 0
    private var planar = ExactSum()
    private var ellipsoidal = ExactSum()
    /// Patches and areas by the raw codes of their `a` and `b` features.
    private(set) var classPairs = OverlaySummary.ClassPairTally()
    /// Patches by `PatchStatus`.
    public private(set) var statuses: [PatchStatus: Int] = [:]

    public init() {}

    /// Total planar area in the working CRS (ellipsoidal when it is geographic), m².
    public var area: Double { planar.value }
    /// Total ellipsoidal area, m².
    public var ellipsoidalArea: Double { ellipsoidal.value }
    /// Patches whose status `--fail-on` counts (all but decisions that still hold).
    public var needingAttention: Int { statuses.filter { $0.key.needsAttention }.reduce(0) { $0 + $1.value } }

    /// Adds one patch whose `a` and `b` features have the codes `aCode`, `bCode`.
    mutating func add(_ patch: DiscrepancyPatch, aCode: String?, bCode: String?, status: PatchStatus) {
        add(area: patch.area, ellipsoidalArea: patch.ellipsoidalArea, aCode: aCode, bCode: bCode)
        statuses[status, default: 0] += 1
    }

    /// Adds one patch of `area` (planar; ellipsoidal in a lon/lat working CRS) and
    /// `ellipsoidalArea` m² without a status (`plan-check merge` adds the slices' status counts).
    mutating func add(area: Double, ellipsoidalArea: Double, aCode: String?, bCode: String?) {
        patches += 1
        if area >= 1 { patchesAtLeast1M2 += 1 }
        planar.add(area)
        ellipsoidal.add(ellipsoidalArea)
        classPairs.add(aCode: aCode, bCode: bCode, area: area, ellipsoidalArea: ellipsoidalArea)
    }

    /// Adds everything `other` counted.
    mutating func add(_ other: RuleTotals) {
        patches += other.patches
        patchesAtLeast1M2 += other.patchesAtLeast1M2
        planar.add(other.planar)
        ellipsoidal.add(other.ellipsoidal)
        for (status, n) in other.statuses { statuses[status, default: 0] += n }
        classPairs.add(other.classPairs)
    }
}

/// How a rule's patches are counted into `RuleTotals`: the raw class codes of the features of
/// both layers (by index in their checked layers) and the decisions carried over.
struct PatchTally: Sendable {
    var aCodes: InternedColumn<String?>
    var bCodes: InternedColumn<String?>
    var ledger: DispositionLedger

    /// Counts every patch of `patches` into `totals`.
    func add<Patches: Sequence<DiscrepancyPatch>>(_ patches: Patches, to totals: inout RuleTotals) {
        for patch in patches {
            totals.add(
                patch, aCode: aCodes.count == 0 ? nil : aCodes[patch.aIndex],
                bCode: patch.bIndex.flatMap { bCodes.count == 0 ? nil : bCodes[$0] }, status: ledger.classify(patch).status)
        }
    }

    /// Codes unknown (a caller with no layers, e.g. `diff` or `query`): every patch in the null
    /// class pair, every status `new`.
    static let plain = PatchTally(aCodes: InternedColumn(), bCodes: InternedColumn(), ledger: DispositionLedger(rulesSHA256: ""))
}
