import PlanModel

/// What the summary says of one rule's patches, added up as the patches are made, so that a run
/// whose outputs do not need the patches afterwards keeps none of them: counts, areas (m²,
/// `ExactSum`: the same to the last bit whatever the order the patches are added in, so chunk,
/// job and tile order do not matter), the class-pair table and the patches by status.
public struct RuleTotals: Sendable, Equatable {
    /// One cell of the class-pair table: the patches whose `a` and `b` features have these codes.
    struct Cell: Sendable, Equatable {
        var aCode: String?
        var bCode: String?
        var patches = 0
        var area = ExactSum()
        var ellipsoidalArea = ExactSum()
    }

    public private(set) var patches = 0
    /// Patches of at least 1 m² (planar; ellipsoidal in a lon/lat working CRS).
    public private(set) var patchesAtLeast1M2 = 0
    private var planar = ExactSum()
    private var ellipsoidal = ExactSum()
    /// Keyed by the two codes with their presence (no code can collide with another).
    private(set) var cells: [String: Cell] = [:]
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
        patches += 1
        if patch.area >= 1 { patchesAtLeast1M2 += 1 }
        planar.add(patch.area)
        ellipsoidal.add(patch.ellipsoidalArea)
        statuses[status, default: 0] += 1
        let key = (aCode.map { "1" + $0 } ?? "0") + "\u{0}" + (bCode.map { "1" + $0 } ?? "0")
        cells[key, default: Cell(aCode: aCode, bCode: bCode)].patches += 1
        cells[key]!.area.add(patch.area)
        cells[key]!.ellipsoidalArea.add(patch.ellipsoidalArea)
    }

    /// Adds everything `other` counted.
    mutating func add(_ other: RuleTotals) {
        patches += other.patches
        patchesAtLeast1M2 += other.patchesAtLeast1M2
        planar.add(other.planar)
        ellipsoidal.add(other.ellipsoidal)
        for (status, n) in other.statuses { statuses[status, default: 0] += n }
        for (key, cell) in other.cells {
            guard var mine = cells[key] else {
                cells[key] = cell
                continue
            }
            mine.patches += cell.patches
            mine.area.add(cell.area)
            mine.ellipsoidalArea.add(cell.ellipsoidalArea)
            cells[key] = mine
        }
    }
}

/// How a rule's patches are counted into `RuleTotals`: the raw class codes of the features of
/// both layers (by index in their checked layers) and the decisions carried over.
struct PatchTally: Sendable {
    var aCodes: [String?]
    var bCodes: [String?]
    var ledger: DispositionLedger

    /// Counts every patch of `patches` into `totals`.
    func add<Patches: Sequence<DiscrepancyPatch>>(_ patches: Patches, to totals: inout RuleTotals) {
        for patch in patches {
            totals.add(
                patch, aCode: aCodes.isEmpty ? nil : aCodes[patch.aIndex],
                bCode: patch.bIndex.flatMap { bCodes.isEmpty ? nil : bCodes[$0] }, status: ledger.classify(patch).status)
        }
    }

    /// Codes unknown (a caller with no layers, e.g. `diff` or `query`): every patch in the null
    /// class pair, every status `new`.
    static let plain = PatchTally(aCodes: [], bCodes: [], ledger: DispositionLedger(rulesSHA256: ""))
}
