import Foundation
@testable import PlanCheckKit
import PlanModel
import PlanStore
import Testing

/// A copy of the sample district in a folder of its own, to edit as a planner would: its rule
/// set with `id_field: BSM` (landuse) and `id_field: JBNTBH` (farmland) unless told otherwise.
struct SampleCopy {
    let folder: URL

    init(idFields: Bool = true, extraRules: String = "") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-reconcile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["landuse.geojson", "urban.geojson", "farmland.gpkg", "ecology.geojson", "boundary.geojson", "hazard.geojson", "flood.geojson"] {
            try FileManager.default.copyItem(atPath: Repo.path("SampleLayers/" + name), toPath: folder.appendingPathComponent(name).path)
        }
        var rules = try String(contentsOfFile: Repo.path("SampleLayers/rules.yaml"), encoding: .utf8)
        if idFields {
            rules = rules.replacingOccurrences(of: "    class_field: DLBM\n", with: "    class_field: DLBM\n    id_field: BSM\n")
            rules = rules.replacingOccurrences(of: "    path: farmland.gpkg\n", with: "    path: farmland.gpkg\n    id_field: JBNTBH\n")
        }
        try (rules + extraRules).write(to: folder.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
    }

    var rules: String { path("rules.yaml") }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs the overlay, writing the patches to `out` (in this folder) and reading `dispositions`.
    func overlay(out: String? = nil, csv: String? = nil, dispositions: String? = nil) async throws -> OverlayResult {
        var request = OverlayRequest(rulesPath: rules, jobs: 2)
        request.dispositionsPath = dispositions.map(path)
        let outputs = try OverlayOutputs(patches: out.map(path), summary: nil, csv: csv.map(path))
        let result = try await OverlayRunner(request).run(progress: nil, writingTo: outputs)
        try outputs.commit(summary: nil, csv: csv == nil ? nil : PatchCSV(result).text())
        return result
    }

    /// Rewrites a GeoJSON layer of the copy: its features through `edit`.
    func editFeatures(of name: String, _ edit: ([[String: Any]]) -> [[String: Any]]) throws {
        let url = folder.appendingPathComponent(name)
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        document["features"] = edit(document["features"] as! [[String: Any]])
        try JSONSerialization.data(withJSONObject: document).write(to: url)
    }

    /// Shifts every position of `geometry` by `dx` (GeoJSON Polygon or MultiPolygon coordinates).
    static func shifted(_ coordinates: Any, dx: Double) -> Any {
        if let position = coordinates as? [Double] { return [position[0] + dx] + position.dropFirst() }
        if let list = coordinates as? [Any] { return list.map { shifted($0, dx: dx) } }
        return coordinates
    }
}

extension OverlayResult {
    /// Every patch's status by id.
    var statuses: [String: PatchStatus] {
        Dictionary(uniqueKeysWithValues: patches.map { ($0.id, ledger.classify($0).status) })
    }
}

/// `id_field`: patch ids from the features' own identifiers, stable across a re-export.
@Suite struct IdentifierTests {
    @Test func idFieldKeepsPatchIdsWhenTheFileIsReexportedInAnotherOrder() async throws {
        let copy = try SampleCopy()
        let before = try await copy.overlay()
        #expect(before.patches.contains { $0.id.hasPrefix("B:4100") }, "B patches are named by BSM")
        // Re-exported: features in reverse order, and the GeoJSON ids gone (positions instead).
        try copy.editFeatures(of: "landuse.geojson") { features in
            features.reversed().map { var f = $0; f.removeValue(forKey: "id"); return f }
        }
        let after = try await copy.overlay()
        let areas = { (r: OverlayResult) in Dictionary(uniqueKeysWithValues: r.patches.map { ($0.id, $0.area) }) }
        #expect(Set(areas(after).keys) == Set(areas(before).keys))
        for (id, area) in areas(before) { #expect(relative(area, areas(after)[id] ?? -1) < 1e-12, "patch \(id)") }
        #expect(Set(before.patches.map { "\($0.id) \($0.geometryHash)" }) == Set(after.patches.map { "\($0.id) \($0.geometryHash)" }))
        #expect(!after.warnings.contains { $0.contains("layer 'landuse' has no id_field") })
        #expect(after.warnings.contains { $0.contains("layer 'urban' has no id_field") })

        // Without id_field the same re-export renames the patches: that is what the note warns of.
        let plain = try SampleCopy(idFields: false)
        let plainBefore = try await plain.overlay()
        try plain.editFeatures(of: "landuse.geojson") { features in
            features.reversed().map { var f = $0; f.removeValue(forKey: "id"); return f }
        }
        let plainAfter = try await plain.overlay()
        #expect(Set(plainAfter.patches.map(\.id)) != Set(plainBefore.patches.map(\.id)))
        #expect(plainAfter.warnings.contains { $0.contains("rules.yaml:16: note: layer 'landuse' has no id_field") })
    }

    @Test func repeatedAndMissingIdsAreAnErrorThatNamesThem() async throws {
        let copy = try SampleCopy()
        try copy.editFeatures(of: "landuse.geojson") { features in
            features.enumerated().map { k, feature in
                var f = feature, properties = f["properties"] as! [String: Any]
                if k == 4 { properties["BSM"] = 4100004 }        // the 4th feature's BSM again
                if k == 9 { properties["BSM"] = NSNull() }
                if k == 11 { properties["BSM"] = "  " }
                f["properties"] = properties
                return f
            }
        }
        let error = try await #require(throws: ReconcileError.self) { try await copy.overlay() }
        #expect(error.exitStatus == .dataError)
        #expect(error.message.contains("landuse.geojson: layer 'landuse': id_field 'BSM' does not identify every feature"))
        #expect(error.message.contains("2 feature(s) have no BSM (features 10, 12)"))
        #expect(error.message.contains("4100004: features 4, 5"))
    }

    @Test func anIdFieldTheLayerDoesNotHaveIsAnError() async throws {
        let copy = try SampleCopy()
        let rules = try String(contentsOfFile: copy.rules, encoding: .utf8).replacingOccurrences(of: "id_field: BSM", with: "id_field: BMS")
        try rules.write(toFile: copy.rules, atomically: true, encoding: .utf8)
        let error = try await #require(throws: ReconcileError.self) { try await copy.overlay() }
        #expect(error.message.contains("id_field 'BMS' is not an attribute of the layer (it has: BSM, DLBM, DLMC"))
    }
}

/// `--dispositions`: decisions recorded in a patch file carry over to the next run.
@Suite struct DispositionTests {
    /// Records decisions in a GeoPackage output as QGIS would: an UPDATE on its table, on a
    /// connection with the GeoPackage functions its R-tree triggers call.
    static func dispose(_ path: String, _ decisions: [(id: String, disposition: String)]) throws {
        let database = try Database(path: path, mode: .readWrite)
        try database.registerGeoPackageFunctions()
        for (id, disposition) in decisions {
            try database.execute(
                "UPDATE patches SET disposition = ?, disposition_note = ?, disposed_by = ?, disposed_on = ? WHERE id = ?",
                arguments: [.text(disposition), .text("会议纪要 \(id)"), .text("规划科"), .text("2026-12-01"), .text(id)])
        }
    }

    /// The rows of the patches table: id → column → text.
    static func rows(_ path: String) throws -> [String: [String: String]] {
        let database = try Database(path: path)
        let columns = ["id", "status", "geometry_hash", "disposition", "disposition_note", "disposed_by", "disposed_on", "disposed_area_m2", "disposed_hash", "area_m2"]
        let rows = try database.rows("SELECT \(columns.joined(separator: ", ")) FROM patches")
        return Dictionary(uniqueKeysWithValues: rows.map { row in
            (text(row[0]), Dictionary(uniqueKeysWithValues: zip(columns, row.map(text))))
        })
    }

    static func text(_ value: DatabaseValue) -> String {
        switch value {
        case .text(let s): s
        case .real(let d): String(d)
        case .integer(let n): String(n)
        default: ""
        }
    }

    @Test func decisionsInAGeoPackageCarryOverAndAMovedFeatureMakesItsPatchChanged() async throws {
        let copy = try SampleCopy()
        let first = try await copy.overlay(out: "run1.gpkg")
        #expect(Set(first.statuses.values) == [.new])
        let a = first.outcomes.first { $0.rule.id == "A" }!.patches.prefix(3).map(\.id)
        let c1 = first.outcomes.first { $0.rule.id == "C1" }!.patches.prefix(2).map(\.id)
        try Self.dispose(copy.path("run1.gpkg"), a.map { ($0, "保留") } + c1.map { ($0, "调整城规") })

        let second = try await copy.overlay(out: "run2.gpkg", dispositions: "run1.gpkg")
        for id in a + c1 { #expect(second.statuses[id] == .disposed, "patch \(id)") }
        #expect(second.statuses.values.filter { $0 == .open }.count == second.patches.count - 5)
        let rows2 = try Self.rows(copy.path("run2.gpkg"))
        let carried = try #require(rows2[a[0]])
        #expect(carried["disposition"] == "保留" && carried["disposed_by"] == "规划科" && carried["disposed_on"] == "2026-12-01")
        #expect(carried["disposition_note"] == "会议纪要 \(a[0])")
        #expect(carried["disposed_hash"] == carried["geometry_hash"] && carried["disposed_area_m2"] == carried["area_m2"])
        #expect(rows2[c1[0]]?["status"] == "disposed" && rows2.values.filter { $0["status"] == "open" }.count == second.patches.count - 5)

        // The urban feature under the first disposed A patch moves 10 m east.
        let moved = try #require(second.patches.first { $0.id == a[0] })
        let urbanID = try #require(second.layer(named: "urban")?.checked.features[moved.aIndex].id.description)
        try copy.editFeatures(of: "urban.geojson") { features in
            features.map { feature in
                guard "\(feature["id"]!)" == urbanID else { return feature }
                var f = feature, geometry = f["geometry"] as! [String: Any]
                geometry["coordinates"] = SampleCopy.shifted(geometry["coordinates"]!, dx: 10)
                f["geometry"] = geometry
                return f
            }
        }
        // Read from the second run's file: the decision there carries the hash it was made on.
        let third = try await copy.overlay(out: "run3.gpkg", dispositions: "run2.gpkg")
        #expect(third.statuses[a[0]] == .changed)
        for id in a.dropFirst() + c1 where third.patches.contains(where: { $0.id == id }) {
            let patch = third.patches.first { $0.id == id }!
            let touched = third.layer(named: "urban")?.checked.features[patch.aIndex].id.description == urbanID
            #expect(third.statuses[id] == (touched ? .changed : .disposed), "patch \(id)")
        }
        let rows3 = try Self.rows(copy.path("run3.gpkg"))
        #expect(rows3[a[0]]?["status"] == "changed" && rows3[a[0]]?["disposition"] == "保留")
        #expect(rows3[a[0]]?["disposed_hash"] == carried["geometry_hash"] && rows3[a[0]]?["geometry_hash"] != carried["geometry_hash"])
        // And it stays changed at the next run, until someone looks at it again.
        let fourth = try await copy.overlay(dispositions: "run3.gpkg")
        #expect(fourth.statuses[a[0]] == .changed)
    }

    @Test func aPatchThatIsGoneIsResolvedAndItsDecisionReported() async throws {
        let copy = try SampleCopy()
        let first = try await copy.overlay(out: "run1.gpkg")
        let patch = first.outcomes.first { $0.rule.id == "A" }!.patches[0]
        try Self.dispose(copy.path("run1.gpkg"), [(patch.id, "调整土规")])
        let urbanID = first.layer(named: "urban")!.checked.features[patch.aIndex].id.description
        try copy.editFeatures(of: "urban.geojson") { $0.filter { "\($0["id"]!)" != urbanID } }
        let second = try await copy.overlay(dispositions: "run1.gpkg")
        #expect(!second.patches.contains { $0.id == patch.id })
        let resolved = second.ledger.resolved(given: second.patches)
        #expect(resolved.contains { $0.id == patch.id && $0.disposition == "调整土规" && $0.disposedBy == "规划科" })
        #expect(second.warnings.contains { $0.contains("decision(s) are on patches this run no longer finds") && $0.contains("\(patch.id) (调整土规)") })
        let summary = OverlaySummary(second, request: OverlayRequest(rulesPath: copy.rules), output: nil, rfc7946: false)
        #expect(summary.dispositions?.resolved.contains { $0.id == patch.id } == true)
        #expect(summary.text().contains("resolved (gone now, 1 of them decided)"))
    }

    @Test(arguments: ["run1.shp", "run1.gdb", "run1.geojson", "run1.csv"])
    func everyPatchFormatCarriesTheDecisionsBack(format: String) async throws {
        let copy = try SampleCopy()
        _ = try await copy.overlay(out: "run0.gpkg")
        let ids = try Self.rows(copy.path("run0.gpkg")).keys.sorted().prefix(4)
        try Self.dispose(copy.path("run0.gpkg"), ids.map { ($0, "核实无误") })
        let formula = "=HYPERLINK(\"http://x\", \"见纪要\")"
        let database = try Database(path: copy.path("run0.gpkg"), mode: .readWrite)
        try database.registerGeoPackageFunctions()
        try database.execute("UPDATE patches SET disposition_note = ? WHERE id = ?", arguments: [.text(formula), .text(ids[ids.startIndex + 1])])
        let isCSV = format.hasSuffix(".csv")
        _ = try await copy.overlay(out: isCSV ? nil : format, csv: isCSV ? format : nil, dispositions: "run0.gpkg")
        let again = try await copy.overlay(dispositions: format)
        #expect(Set(again.statuses.filter { $0.value == .disposed }.keys) == Set(ids))
        #expect(again.statuses.values.filter { $0 == .open }.count == again.patches.count - 4)
        let record = try #require(again.ledger.records[ids.first!])
        // A note that starts like a formula comes back as written (the CSV guards it with a `'`).
        #expect(again.ledger.records[ids[ids.startIndex + 1]]?.dispositionNote == formula)
        if isCSV {
            let table = try String(contentsOfFile: copy.path(format), encoding: .utf8)
            #expect(table.contains("\"'=HYPERLINK(") && !table.contains(",=HYPERLINK("))
        }
        #expect(record.disposition == "核实无误" && record.dispositionNote == "会议纪要 \(ids.first!)" && record.disposedOn == "2026-12-01")
        if format.hasSuffix(".shp") {
            // Without its NAME.fields.csv the short names of the leading columns are known.
            try FileManager.default.removeItem(atPath: copy.path("run1.fields.csv"))
            let bare = try await copy.overlay(dispositions: format)
            #expect(bare.statuses == again.statuses)
        }
    }

    @Test func aFileFromAnotherRuleSetIsRefused() async throws {
        let copy = try SampleCopy()
        _ = try await copy.overlay(out: "run1.geojson")
        try (try String(contentsOfFile: copy.rules, encoding: .utf8) + "# edited\n").write(toFile: copy.rules, atomically: true, encoding: .utf8)
        let error = try await #require(throws: ReconcileError.self) { try await copy.overlay(dispositions: "run1.geojson") }
        #expect(error.exitStatus == .dataError)
        #expect(error.message.contains("run1.geojson: written for another rule set"))
        // A layer file is not a patch file at all.
        let other = try await #require(throws: ReconcileError.self) { try await copy.overlay(dispositions: "landuse.geojson") }
        #expect(other.message.contains("no rules_sha256 column: not a patch file written by plan-check overlay"))
        try "garbage\r\n".write(toFile: copy.path("garbage.csv"), atomically: true, encoding: .utf8)
        let table = try await #require(throws: ReconcileError.self) { try await copy.overlay(dispositions: "garbage.csv") }
        #expect(table.message.contains("garbage.csv: no id and rules_sha256 columns"))
        // A run with no patches wrote an empty table: nothing to carry, and no error.
        try "\u{FEFF}id,rule,rules_sha256,disposition\r\n".write(toFile: copy.path("empty.csv"), atomically: true, encoding: .utf8)
        let empty = try await copy.overlay(dispositions: "empty.csv")
        #expect(Set(empty.statuses.values) == [.new])
    }

    @Test func repeatedIdsAndUnknownDecisionsAreErrorsNamingTheRows() async throws {
        let copy = try SampleCopy()
        _ = try await copy.overlay(csv: "run1.csv")
        var lines = try String(contentsOfFile: copy.path("run1.csv"), encoding: .utf8).components(separatedBy: "\r\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let column = try #require(header.firstIndex(of: "disposition"))
        var third = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        third[column] = "随便"
        lines[3] = third.joined(separator: ",")
        lines.insert(lines[1], at: 2)  // the first patch twice
        try lines.joined(separator: "\r\n").write(toFile: copy.path("run1.csv"), atomically: true, encoding: .utf8)
        let error = try await #require(throws: ReconcileError.self) { try await copy.overlay(dispositions: "run1.csv") }
        let firstID = String(lines[1].prefix { $0 != "," }.drop { $0 == "\u{FEFF}" })
        #expect(error.message.contains("patch ids repeated: \(firstID) (rows 1, 2)"))
        #expect(error.message.contains("disposition '随便' is not one of the rule set's (调整城规, 调整土规, 保留, 规划修改, 核实无误)"))
    }

    @Test func theVocabularyComesFromTheRuleSet() async throws {
        let copy = try SampleCopy(extraRules: "dispositions:\n  values: [amend_urban, keep]\n  area_tolerance_m2: 5\n")
        _ = try await copy.overlay(out: "run1.gpkg")
        let ids = try Self.rows(copy.path("run1.gpkg")).keys.sorted()
        try Self.dispose(copy.path("run1.gpkg"), [(ids[0], "keep")])
        let second = try await copy.overlay(dispositions: "run1.gpkg")
        #expect(second.statuses[ids[0]] == .disposed && second.ledger.settings.areaToleranceM2 == 5)
        try Self.dispose(copy.path("run1.gpkg"), [(ids[1], "保留")])
        let error = try await #require(throws: ReconcileError.self) { try await copy.overlay(dispositions: "run1.gpkg") }
        #expect(error.message.contains("patch \(ids[1]): disposition '保留' is not one of the rule set's (amend_urban, keep)"))
    }

    @Test func aDecisionWithNothingToCheckItAgainstIsChangedNotDisposed() {
        let patch = DiscrepancyPatch(
            id: "A:1", ruleIndex: 0, aIndex: 0, bIndex: nil, geometry: .polygon([]), area: 100, ellipsoidalArea: 100, geometryHash: "abc")
        func status(_ hash: String?, _ area: Double?) -> PatchStatus {
            let record = DispositionRecord(id: "A:1", rule: "A", disposition: "保留", dispositionNote: "", disposedBy: "", disposedOn: "",
                                           decidedHash: hash, decidedAreaM2: area)
            return DispositionLedger(rulesSHA256: "x", records: [record]).classify(patch).status
        }
        #expect(status(nil, nil) == .changed)
        #expect(status("abc", 100.5) == .disposed)
        #expect(status("abc", 102) == .changed)     // beyond the default 1 m²
        #expect(status("abd", 100) == .changed)
        #expect(status(nil, 100) == .disposed)      // a hand-made table with the area only
    }
}

/// The geometry hash stored with a decision: the same land gives the same hash however GEOS
/// wrote it; other land a different one.
@Suite struct GeometryHashTests {
    static let square: PositionList = [Position(41_482_000, 4_374_000), Position(41_482_100, 4_374_000),
                                       Position(41_482_100, 4_374_100), Position(41_482_000, 4_374_100), Position(41_482_000, 4_374_000)]
    static let hole: PositionList = [Position(41_482_010, 4_374_010), Position(41_482_010, 4_374_020),
                                     Position(41_482_020, 4_374_020), Position(41_482_010, 4_374_010)]
    static let other: PositionList = square.map { Position($0.x + 500, $0.y) }

    @Test func theSameLandWrittenAnotherWayHasTheSameHash() {
        let base = GeometryHash.of(.multiPolygon([[Self.square, Self.hole], [Self.other]]), geographic: false)
        // Other start point, other orientation, repeated point, parts and holes in another order,
        // coordinates off by less than half a millimetre.
        let rotated = Array(Self.square[2..<4] + Self.square[0..<3])
        let reversed = Array(Self.other.reversed())
        let wobbly = Self.hole.map { Position($0.x + 0.0002, $0.y - 0.0002) }
        let repeated = [Self.square[0]] + Self.square
        #expect(GeometryHash.of(.multiPolygon([[Array(reversed)], [rotated, wobbly]]), geographic: false) == base)
        #expect(GeometryHash.of(.multiPolygon([[repeated, Array(Self.hole.reversed())], [Self.other]]), geographic: false) == base)
        #expect(base.count == 16 && base.allSatisfy(\.isHexDigit))
    }

    @Test func otherLandHasAnotherHash() {
        let base = GeometryHash.of(.polygon([Self.square]), geographic: false)
        let moved = Self.square.map { Position($0.x + 0.01, $0.y) }
        #expect(GeometryHash.of(.polygon([moved]), geographic: false) != base)
        #expect(GeometryHash.of(.polygon([Self.square, Self.hole]), geographic: false) != base)
        #expect(GeometryHash.of(.polygon([Self.square]), geographic: true) != base)  // another grid
    }

    /// A worker's hasher keeps its arrays from one patch to the next: nothing of one geometry may
    /// leak into the next one's hash (larger before smaller, holes to sort, rings that vanish).
    @Test func aReusedHasherGivesEachGeometryItsOwnHash() {
        let holes = (0..<3).map { n in Self.hole.map { Position($0.x + Double(30 * n), $0.y + 40) } }
        let collapsed: PositionList = [Self.square[0], Self.square[0], Self.square[0], Self.square[0]]
        let geometries: [GeometryValue] = [
            .multiPolygon([[Self.square] + holes.reversed(), [Self.other, Self.hole.map { Position($0.x + 500, $0.y) }]]),
            .polygon([Self.square]),
            .polygon([collapsed, Self.hole]),
            .multiPolygon([[Self.other], [collapsed], [Self.square, Self.hole]]),
            .multiPolygon([]),
            .polygon([Self.other]),
        ]
        var hasher = GeometryHasher(geographic: false)
        for geometry in geometries + geometries.reversed() {
            #expect(hasher.hash(geometry) == GeometryHash.of(geometry, geographic: false))
        }
        #expect(Set(geometries.map { GeometryHash.of($0, geographic: false) }).count == geometries.count)
    }
}
