import Foundation
import PlanModel
import PlanRules

/// The statistics of an overlay run (`--summary FILE` as JSON; a table on stdout).
public struct OverlaySummary: Sendable, Codable {
    public struct RulesFile: Sendable, Codable {
        public var path: String
        public var sha256: String
    }

    public struct CRS: Sendable, Codable {
        public var identifier: String?
        public var name: String
        public var geographic: Bool
    }

    public struct Input: Sendable, Codable {
        public var layer: String
        public var title: String?
        public var path: String
        public var sha256: String
        public var format: String
        public var crs: String?
        public var featuresRead: Int
        public var featuresKept: Int
        public var repaired: [RepairSummary]
        public var rejected: [RejectionSummary]
        /// Kept features whose code matches no class of the layer.
        public var unclassified: Int
        /// Kept features per class.
        public var classes: [String: Int]
    }

    public struct Rule: Sendable, Codable {
        public var id: String
        public var title: String
        public var severity: String
        public var relation: String
        public var a: String
        public var b: String
        public var minAreaM2: Double
        public var gridSizeM: Double
        public var patches: Int
        /// Patches of at least 1 m² (for comparison with other tools).
        public var patchesAtLeast1M2: Int
        /// Total area: planar in the working CRS (ellipsoidal when it is geographic), m².
        public var areaM2: Double
        public var areaHa: Double
        public var areaMu: Double
        public var areaEllipsoidalM2: Double
        /// The same with overlaps between patches counted once (null with `--no-dissolve`).
        public var dissolvedAreaM2: Double?
        public var dissolvedAreaEllipsoidalM2: Double?
        public var sliversDropped: Int
        public var sliverAreaM2: Double
        public var lowerDimensionLeftovers: Int
        public var fastPathHits: Int
        public var overlaysComputed: Int
        /// The kernel this rule ran on: "clipper", or "geos" (`--engine geos`, or a rule with a
        /// grid size, which GEOS computes on that grid).
        public var engine: String
        /// Clipper's integer grid: "1 µm", or "1e-11 degree" in a lon/lat working CRS; null on GEOS.
        public var clipperGrid: String?
        /// Operations Clipper computed, and those recomputed by GEOS because Clipper could not
        /// take the input or its result was not valid.
        public var clipperOperations: Int
        public var clipperFallbacks: Int
        public var seconds: Double
        /// Seconds of the overlays alone; `seconds` minus this is the dissolve.
        public var overlaySeconds: Double
        /// The patches tabulated by the raw codes of their `a` and `b` features (the rule's classes
        /// are fixed; the codes under them differ), largest planar area first. The sums over the
        /// pairs are the rule's `patches`, `areaM2` and `areaEllipsoidalM2`.
        public var classPairs: [ClassPair]
        /// Patches by status (`new`, `open`, `disposed`, `changed`); all `new` without
        /// `--dispositions`.
        public var statuses: [String: Int]
    }

    /// The slice of the tile grid a `--tile K/N` run computed (`TileGrid`); absent on a whole run.
    /// Per-rule figures are this slice's own patches (sum them over the N slices); layer counts
    /// (`inputs`) are whole-layer facts, the same in every slice (take them from any one).
    /// `plan-check merge` writes it too, with `slice` "merged from N slices".
    public struct Tiles: Sendable, Codable {
        /// "K/N" (or "merged from N slices").
        public var slice: String
        public var tileSizeM: Double
        /// The tile side in working-CRS units (metres, or degrees in a lon/lat CRS).
        public var tileSizeCrsUnits: Double
        /// Lower-left corner of tile 0, working CRS.
        public var originX: Double
        public var originY: Double
        public var columns: Int
        public var rows: Int
        /// Tiles are numbered row-major from the origin; slice K of N owns the run of tiles
        /// ⌊(K−1)·M/N⌋ ..< ⌊K·M/N⌋ of the M.
        public var tilesTotal: Int
        public var tilesOwned: Int
        public var ownership: String
        /// "region": the slice read its layers through their R-trees, only where its pairs can
        /// lie (`SliceReading`), and `inputs` count only the features it owns; "whole": it read
        /// and counted every feature (the layers were not all GeoPackage layers with an R-tree in
        /// the working CRS).
        public var reading: String?
        /// Why a slice read every layer whole (e.g. "layer 'landuse' (landuse.geojson) is not a
        /// GeoPackage; …"); absent when it read by region.
        public var readingNote: String?
        /// Which features a region-reading slice counts in `inputs`; absent when reading whole.
        public var featuresCounted: String?
        /// Slice 1 of a region reading: the rows of each layer's table, which the slices'
        /// `features_read` must add up to (`plan-check merge` checks).
        public var layerRows: [String: Int]?
        /// A region reading: each layer file's size and SQLite change counter and page count,
        /// which merge compares across slices (only slice 1 hashes the files: `inputs[].sha256`
        /// is empty in the others, which would read every byte of a file they read a part of).
        public var layerFingerprints: [String: String]?
        /// A region reading: the features each layer's region gave, neighbours of other slices'
        /// features included (what the R-tree saved: compare with `layer_rows`).
        public var layersRead: [String: Int]?
        /// Per rule (in the order of `rules`), the slice's sliver area as the exact parts of its
        /// sum (`ExactSum.parts`, m²): `plan-check merge` adds them exactly, so the merged
        /// `sliver_area_m2` equals the whole run's to the last bit. Absent on a merged summary.
        public var sliverAreaPartsM2: [[Double]]?
        /// SHA-256 of the slice's patch file as written (`--out`, lowercase hex): `plan-check
        /// merge` refuses a file whose bytes changed since. Absent without a patch file, for
        /// standard output, and on a merged summary.
        public var patchesSha256: String?
    }

    /// What `--dispositions` carried over; absent without it.
    public struct Dispositions: Sendable, Codable {
        public var file: String
        /// Rows read from the file.
        public var previousPatches: Int
        /// Patches of this run by status, over every rule.
        public var statuses: [String: Int]
        /// Previous patches this run no longer finds, with the decision they had (empty when
        /// open): nothing decided is dropped.
        public var resolved: [DispositionRecord]
    }

    /// One cell of a rule's class-pair table: the patches whose `a` feature has code `aCode` and
    /// whose `b` feature has code `bCode` (null: the layer has no `class_field`, the feature no
    /// code, or an `outside` patch has no `b`).
    public struct ClassPair: Sendable, Codable, Equatable {
        public var aCode: String?
        public var bCode: String?
        public var patches: Int
        /// Planar area in the working CRS (as the rule's `areaM2`), m²; ha and 亩 from it.
        public var areaM2: Double
        public var areaHa: Double
        public var areaMu: Double
        public var areaEllipsoidalM2: Double

        /// The class-pair table of one rule's patches (`RuleOutcome.totals`), largest planar area
        /// first (ties by codes).
        static func table(_ outcome: RuleOutcome) -> [ClassPair] { outcome.totals.classPairs.table }
    }

    /// Patches counted and their areas summed by class pair, exactly (`ExactSum`), so the table
    /// is the same whatever order the patches come in (a whole run, or merged tile slices).
    struct ClassPairTally: Sendable {
        private var cells: [String: (aCode: String?, bCode: String?, patches: Int, area: ExactSum, ellipsoidal: ExactSum)] = [:]

        mutating func add(aCode: String?, bCode: String?, area: Double, ellipsoidalArea: Double) {
            // A key no code can collide with: the two codes with their presence.
            let key = (aCode.map { "1" + $0 } ?? "0") + "\u{0}" + (bCode.map { "1" + $0 } ?? "0")
            // Changed in place in the table: a copy taken out and put back would copy both sums'
            // partials (still shared with the table) for every patch.
            Self.count(area: area, ellipsoidalArea: ellipsoidalArea, into: &cells[key, default: (aCode, bCode, 0, ExactSum(), ExactSum())])
        }

        private static func count(
            area: Double, ellipsoidalArea: Double,
            into cell: inout (aCode: String?, bCode: String?, patches: Int, area: ExactSum, ellipsoidal: ExactSum)
        ) {
            cell.patches += 1
            cell.area.add(area)
            cell.ellipsoidal.add(ellipsoidalArea)
        }

        /// Adds every cell of `other`, exactly.
        mutating func add(_ other: ClassPairTally) {
            for (key, theirs) in other.cells {
                guard var mine = cells[key] else {
                    cells[key] = theirs
                    continue
                }
                mine.patches += theirs.patches
                mine.area.add(theirs.area)
                mine.ellipsoidal.add(theirs.ellipsoidal)
                cells[key] = mine
            }
        }

        /// The cells, largest planar area first (ties by codes).
        var table: [ClassPair] {
            cells.values.map { cell in
                let area = cell.area.value
                return ClassPair(
                    aCode: cell.aCode, bCode: cell.bCode, patches: cell.patches, areaM2: area, areaHa: AreaUnit.hectares(area),
                    areaMu: AreaUnit.mu(area), areaEllipsoidalM2: cell.ellipsoidal.value)
            }.sorted { x, y in
                if x.areaM2 != y.areaM2 { return x.areaM2 > y.areaM2 }
                if x.aCode != y.aCode { return (x.aCode ?? "") < (y.aCode ?? "") }
                return (x.bCode ?? "") < (y.bCode ?? "")
            }
        }
    }

    public var planCheckVersion: String
    public var geosVersion: String
    /// Clipper's version (the `clipper` engine's kernel).
    public var clipperVersion: String
    public var projVersion: String
    public var rulesFile: RulesFile
    public var workingCrs: CRS
    public var invalidPolicy: String
    public var jobs: Int
    /// `--engine`: "clipper" or "geos".
    public var engine: String
    /// Where the layers' kept features were held (`--feature-store`): "memory" or "disk".
    public var featureStore: String?
    /// The size of the feature store's file at its fullest, bytes (0 in memory).
    public var featureStoreBytes: Int?
    public var inputs: [Input]
    public var rules: [Rule]
    public var warnings: [String]
    /// Seconds per stage ("read", "check", "reproject", "overlay", "write").
    public var timings: [String: Double]
    public var output: String?
    public var rfc7946: Bool
    public var findingsAtOrAbove: String?
    /// Patch area by district and rule (`--districts`); absent without districts.
    public var districts: Districts?
    /// The reconciliation (`--dispositions`); absent without it.
    public var dispositions: Dispositions?
    /// The tile slice (`--tile K/N`); absent on a whole run.
    public var tiles: Tiles?

    public init(_ result: OverlayResult, request: OverlayRequest, output: String?, rfc7946: Bool, extraTimings: [String: Double] = [:]) {
        planCheckVersion = PlanCheckVersion.current
        geosVersion = LibraryVersions.geos
        clipperVersion = LibraryVersions.clipper
        projVersion = LibraryVersions.proj
        rulesFile = RulesFile(path: request.rulesPath, sha256: result.rulesSHA256)
        workingCrs = CRS(identifier: result.workingCRS.identifier, name: result.workingCRS.name, geographic: result.workingCRS.isGeographic)
        invalidPolicy = request.policy.rawValue
        jobs = request.jobs
        featureStore = result.featureStore.mode.rawValue
        featureStoreBytes = result.featureStore.bytes
        engine = request.engine.rawValue
        let geographic = result.workingCRS.isGeographic
        inputs = result.layers.map { layer in
            let (classes, unclassified) = layer.classCounts
            let counted = layer.counted
            return Input(
                layer: layer.definition.name, title: layer.definition.title, path: layer.path, sha256: layer.sha256,
                format: layer.checked.layer.formatName, crs: layer.sourceCRS.identifier ?? layer.sourceCRS.name,
                featuresRead: counted.read, featuresKept: counted.kept,
                repaired: counted.repairs.map(RepairSummary.init),
                rejected: counted.rejections.map(RejectionSummary.init),
                unclassified: unclassified, classes: classes)
        }
        rules = result.outcomes.map { o in
            Rule(
                id: o.rule.id, title: o.rule.title ?? o.rule.id, severity: o.rule.severity.rawValue, relation: o.rule.relation.rawValue,
                a: o.rule.a.description, b: o.rule.b.description,
                minAreaM2: result.ruleSet.effectiveMinArea(for: o.rule), gridSizeM: result.ruleSet.effectiveGridSize(for: o.rule),
                patches: o.totals.patches, patchesAtLeast1M2: o.totals.patchesAtLeast1M2,
                areaM2: o.totalArea, areaHa: AreaUnit.hectares(o.totalArea), areaMu: AreaUnit.mu(o.totalArea),
                areaEllipsoidalM2: o.totalEllipsoidalArea,
                dissolvedAreaM2: o.dissolvedArea, dissolvedAreaEllipsoidalM2: o.dissolvedEllipsoidalArea,
                sliversDropped: o.sliversDropped, sliverAreaM2: o.sliverArea, lowerDimensionLeftovers: o.lowerDimensionLeftovers,
                fastPathHits: o.fastPathHits, overlaysComputed: o.overlaysComputed, engine: o.engine.rawValue,
                clipperGrid: o.engine == .clipper ? clipperGridText(geographic: geographic) : nil,
                clipperOperations: o.clipperOperations, clipperFallbacks: o.clipperFallbacks, seconds: o.seconds,
                overlaySeconds: o.overlaySeconds, classPairs: ClassPair.table(o),
                statuses: Self.statusCounts(o.totals))
        }
        if let file = result.ledger.sourcePath {
            dispositions = Dispositions(
                file: file, previousPatches: result.ledger.order.count,
                statuses: Self.statusCounts(result.patches, result.ledger), resolved: result.ledger.resolved(given: result.patches))
        }
        warnings = result.warnings
        var stages: [String: Double] = [:]
        for (stage, seconds) in result.timings { stages[stage] = seconds }
        for (stage, seconds) in extraTimings { stages[stage] = seconds }
        timings = stages
        self.output = output
        self.rfc7946 = rfc7946
        if let table = result.districtTable, let layer = result.districts { districts = Districts(table, layer: layer) }
        if let grid = result.tileGrid {
            tiles = Tiles(
                slice: grid.slice.text, tileSizeM: grid.slice.tileSizeMetres, tileSizeCrsUnits: grid.size,
                originX: grid.originX, originY: grid.originY, columns: grid.columns, rows: grid.rows,
                tilesTotal: grid.columns * grid.rows, tilesOwned: grid.ownedTileCount,
                ownership: "tiles \(grid.range.first) to \(grid.range.end - 1) (row-major from the origin; slice K of N owns ⌊(K−1)·M/N⌋ to ⌊K·M/N⌋ − 1 of the M tiles); pairs by the lower-left corner of their envelopes' intersection, outside patches by their a feature's",
                reading: result.sliceReading == nil ? "whole" : "region", readingNote: result.wholeReadingReason,
                featuresCounted: result.sliceReading == nil ? nil : "features whose R-tree box has its lower-left corner in the slice's tiles (slice 1 also: rows the R-tree does not hold)",
                layerRows: result.sliceReading.flatMap { $0.layerRows.isEmpty ? nil : $0.layerRows },
                layerFingerprints: result.sliceReading?.layerFingerprints,
                layersRead: result.sliceReading == nil ? nil : Dictionary(uniqueKeysWithValues: result.layers.map { ($0.definition.name, $0.featuresRead) }),
                sliverAreaPartsM2: result.outcomes.map(\.sliverAreaSum.parts))
        }
    }

    /// Every status with its count in `totals` (zeros included).
    static func statusCounts(_ totals: RuleTotals) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: PatchStatus.allCases.map { ($0.rawValue, totals.statuses[$0] ?? 0) })
    }

    /// Every status with its count (zeros included).
    static func statusCounts(_ patches: [DiscrepancyPatch], _ ledger: DispositionLedger) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: PatchStatus.allCases.map { ($0.rawValue, 0) })
        for patch in patches { counts[ledger.classify(patch).status.rawValue, default: 0] += 1 }
        return counts
    }

    /// JSON with snake_case keys, sorted, pretty-printed.
    public func json() throws -> String {
        try ReportJSON.text(self)
    }

    /// The table a planner reads on the terminal.
    public func text() -> String {
        var lines: [String] = []
        lines.append("working CRS \(workingCrs.identifier ?? "-")  \(workingCrs.name)   rules \(rulesFile.path) (sha256 \(rulesFile.sha256.prefix(12))…)")
        for input in inputs {
            var line = "layer \(input.layer): \(input.featuresRead) read, \(input.featuresKept) kept"
            if !input.repaired.isEmpty { line += ", \(input.repaired.count) repaired (\(input.repaired.map { "\($0.featureId.id)" }.joined(separator: ", ")))" }
            if !input.rejected.isEmpty { line += ", \(input.rejected.count) rejected (\(input.rejected.map { "\($0.featureId.id): \($0.reasons.joined(separator: "; "))" }.joined(separator: ", ")))" }
            if input.unclassified > 0 { line += ", \(input.unclassified) in no class" }
            lines.append(line + "  [\(input.path)]")
        }
        // With --dispositions, the patches by status after "patches" (right-aligned as numbers).
        let statusNames = dispositions == nil ? [] : PatchStatus.allCases.map(\.rawValue)
        let header = ["rule", "severity", "relation", "patches"] + statusNames
            + ["area m²", "ha", "亩", "ellipsoidal m²", "dissolved m²", "slivers", "title"]
        var rows = [header]
        for r in rules {
            rows.append([r.id, r.severity, r.relation, String(r.patches)] + statusNames.map { String(r.statuses[$0] ?? 0) } + [
                grouped(r.areaM2, 1), grouped(r.areaHa, 2),
                grouped(r.areaMu, 1), grouped(r.areaEllipsoidalM2, 1), r.dissolvedAreaM2.map { grouped($0, 1) } ?? "-",
                "\(r.sliversDropped) (\(grouped(r.sliverAreaM2, 1)) m²)", r.title,
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        let numeric = 3...(9 + statusNames.count)
        for (n, row) in rows.enumerated() {
            let cells = row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) ? pad + cell : cell + pad
            }
            lines.append(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if n == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        lines.append(engineLine())
        if let tiles {
            let grid = "(\(grouped(tiles.tileSizeM, 0)) m, \(tiles.columns) × \(tiles.rows) from \(grouped(tiles.originX, 0)), \(grouped(tiles.originY, 0)))"
            lines.append(TileSlice.parse(tiles.slice) == nil
                ? "\(tiles.slice) of \(tiles.tilesTotal) tiles \(grid): the rule totals are the whole run's"
                : "tile slice \(tiles.slice): \(tiles.tilesOwned) of \(tiles.tilesTotal) tiles \(grid); the rule totals are this slice's; "
                    + (tiles.reading == "region" ? "layers read by region through their R-trees, counted where this slice owns them"
                        : "read every layer whole: \(tiles.readingNote ?? "")"))
        }
        lines += districts?.text() ?? []
        if let dispositions {
            let decided = dispositions.resolved.filter(\.isDisposed).count
            lines.append("dispositions from \(dispositions.file): \(dispositions.previousPatches) previous patches; \(dispositions.resolved.count) resolved (gone now, \(decided) of them decided)"
                + (dispositions.resolved.isEmpty ? "" : ": " + FeatureIdentifiers.listed(dispositions.resolved.map(\.id))))
        }
        lines += warnings
        let order = ["read", "check", "reproject", "districts", "overlay", "write", "merge"]
        lines.append("time: " + order.compactMap { s in timings[s].map { "\(s) \(String(format: "%.2f", $0)) s" } }.joined(separator: ", "))
        if let output {
            let place = output == "-" ? "standard output" : output
            lines.append("patches written to \(place)\(rfc7946 ? " (RFC 7946, WGS 84 lon/lat)" : "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension OverlaySummary {
    /// "engine clipper (1 µm grid): 1,234 operations, 0 recomputed by GEOS" (rules with a grid
    /// size, which GEOS computes, are named).
    func engineLine() -> String {
        let clipperRules = rules.filter { $0.engine == "clipper" }
        var line = "engine \(engine)"
        if let grid = clipperRules.first?.clipperGrid {
            let operations = clipperRules.reduce(0) { $0 + $1.clipperOperations }
            let fallbacks = clipperRules.reduce(0) { $0 + $1.clipperFallbacks }
            line += " (\(grid) grid): \(grouped(Double(operations), 0)) operations, \(grouped(Double(fallbacks), 0)) recomputed by GEOS"
        }
        let onGEOS = rules.filter { $0.engine == "geos" && $0.gridSizeM > 0 }.map(\.id)
        if engine == "clipper", !onGEOS.isEmpty { line += "; on GEOS for their grid size: \(onGEOS.joined(separator: ", "))" }
        return line
    }
}

/// Fixed decimals with the integer digits grouped by thousands: 11,880,276.66.
func grouped(_ value: Double, _ decimals: Int) -> String {
    let text = String(format: "%.\(decimals)f", abs(value))
    let parts = text.split(separator: ".", maxSplits: 1)
    var digits = Array(parts[0])
    var out = ""
    while digits.count > 3 {
        out = "," + String(digits.suffix(3)) + out
        digits.removeLast(3)
    }
    out = String(digits) + out
    if parts.count > 1 { out += "." + parts[1] }
    return (value < 0 ? "-" : "") + out
}
