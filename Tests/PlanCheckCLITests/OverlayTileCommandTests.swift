import Foundation
import Testing

/// `overlay --tile K/N`: the N slices of a run together give the whole run's patches, each once,
/// byte for byte, and their per-rule totals add up to the whole run's.
@Suite struct OverlayTileSlices {
    /// One overlay run's patch Features (each line of the GeoJSON as written) and summary.
    struct Run {
        var features: [String]
        var summary: [String: Any]
        /// The patch file and the summary file.
        var out: URL
        var summaryFile: URL
        var rules: [[String: Any]] { summary["rules"] as? [[String: Any]] ?? [] }
        var inputs: [[String: Any]] { summary["inputs"] as? [[String: Any]] ?? [] }
    }

    static func overlay(_ arguments: [String], in dir: URL) throws -> Run {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("\(name).geojson"), summary = dir.appendingPathComponent("\(name).json")
        let run = try CLI.run(["overlay"] + arguments + ["--out", out.path, "--summary", summary.path, "--quiet"])
        try #require(run.status == 0, "\(arguments): \(run.stderr)")
        let text = try String(contentsOf: out, encoding: .utf8)
        let features = text.split(separator: "\n").filter { $0.hasPrefix("{\"type\":\"Feature\"") }.map { line in
            line.hasSuffix(",") ? String(line.dropLast()) : String(line)
        }
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        return Run(features: features, summary: stats, out: out, summaryFile: summary)
    }

    /// A slice's Feature ends with its merge key; the whole run's has none. The Feature without
    /// its merge key, and the key.
    static func withoutMergeKey(_ feature: String) -> (text: String, key: [Int])? {
        guard let match = feature.firstMatch(of: #/,"plan_check_order":\[(\d+),(\d+),(-1|\d+)\]\}$/#) else { return nil }
        let key = [match.output.1, match.output.2, match.output.3].compactMap { Int($0) }
        return (String(feature[..<match.range.lowerBound]) + "}", key)
    }

    /// Runs every slice K/N of `arguments` and checks them against `whole`.
    static func checkSlices(_ arguments: [String], whole: Run, count n: Int, tileSize: Double, in dir: URL) throws {
        var slices = try (1...n).map { k in
            try overlay(arguments + ["--tile", "\(k)/\(n)", "--tile-size", "\(tileSize)"], in: dir)
        }
        // Each slice's Feature ends with its merge key (rule, a, b), in increasing order; without
        // it, the Feature is the whole run's.
        for (k, slice) in slices.enumerated() {
            let split = slice.features.map(withoutMergeKey)
            #expect(!split.contains { $0 == nil }, "slice \(k + 1)/\(n): a Feature without its merge key")
            let keys = split.compactMap { $0?.key }
            #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "slice \(k + 1)/\(n): keys out of order")
            slices[k].features = split.map { $0?.text ?? "" }
        }
        try MergeCommandTests.checkMerge(slices.map(\.summaryFile), whole: whole, in: dir)
        let position = Dictionary(uniqueKeysWithValues: whole.features.enumerated().map { ($1, $0) })
        #expect(position.count == whole.features.count, "the whole run has no patch twice")
        var seen = Set<String>()
        for (k, slice) in slices.enumerated() {
            // Each slice is in the whole run's order (rule, a's position, b's position) ...
            let places = slice.features.map { position[$0] ?? -1 }
            #expect(!places.contains(-1), "slice \(k + 1)/\(n), \(tileSize) m: a patch the whole run does not have (same bytes)")
            #expect(places == places.sorted(), "slice \(k + 1)/\(n) out of the whole run's order")
            // ... and no patch is in two slices.
            for feature in slice.features { #expect(seen.insert(feature).inserted, "patch in two slices") }
            let tiles = try #require(slice.summary["tiles"] as? [String: Any])
            #expect(tiles["slice"] as? String == "\(k + 1)/\(n)")
            // Layer counts of a slice reading whole layers are whole-layer facts, the same in
            // every slice (a slice reading by region counts its own: OverlayTileRegionTests).
            guard tiles["reading"] as? String == "whole" else { continue }
            for (mine, full) in zip(slice.inputs, whole.inputs) {
                for key in ["layer", "features_read", "features_kept"] { #expect("\(mine[key]!)" == "\(full[key]!)") }
                #expect((mine["repaired"] as? [Any])?.count == (full["repaired"] as? [Any])?.count)
                #expect((mine["rejected"] as? [Any])?.count == (full["rejected"] as? [Any])?.count)
            }
        }
        // Merged by the whole run's order, the slices are the whole run byte for byte.
        #expect(seen.count == whole.features.count)
        let merged = slices.flatMap(\.features).sorted { position[$0] ?? -1 < position[$1] ?? -1 }
        #expect(merged == whole.features)
        // Per-rule totals: patches, slivers and leftovers add up exactly, areas within 1e-9.
        for (r, rule) in whole.rules.enumerated() {
            let id = rule["id"] as? String ?? "?"
            for key in ["patches", "slivers_dropped", "lower_dimension_leftovers", "patches_at_least1_m2"] {
                let sum = slices.reduce(0) { $0 + ($1.rules[r][key] as? Int ?? -1) }
                #expect(sum == rule[key] as? Int, "rule \(id) \(key), \(n) slices of \(tileSize) m")
            }
            for key in ["area_m2", "area_ellipsoidal_m2", "sliver_area_m2"] {
                let sum = slices.reduce(0.0) { $0 + ($1.rules[r][key] as? Double ?? .nan) }
                let full = rule[key] as? Double ?? .nan
                #expect(abs(sum - full) <= 1e-9 * max(1, abs(full)), "rule \(id) \(key): \(sum) vs \(full)")
            }
        }
    }

    @Test(arguments: [300.0, 1_000.0, 2_500.0])
    func sampleDistrictSlicesMakeTheWholeRun(tileSize: Double) throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")]
        let whole = try Self.overlay(arguments, in: dir)
        #expect(whole.summary["tiles"] == nil)
        #expect(whole.features.count > 50)
        for n in [1, 2, 3, 7] { try Self.checkSlices(arguments, whole: whole, count: n, tileSize: tileSize, in: dir) }
    }

    /// In a lon/lat working CRS the tile side is metres / 111 319.49 degrees.
    @Test func lonLatWorkingCRSSlicesMakeTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml"), "--crs", "EPSG:4490"]
        let whole = try Self.overlay(arguments, in: dir)
        try Self.checkSlices(arguments, whole: whole, count: 3, tileSize: 700, in: dir)
        let slice = try Self.overlay(arguments + ["--tile", "1/3", "--tile-size", "700"], in: dir)
        let tiles = try #require(slice.summary["tiles"] as? [String: Any])
        #expect(abs((tiles["tile_size_crs_units"] as? Double ?? 0) - 700 / 111_319.490_793) < 1e-15)
    }

    @Test func generatedPlansSlicesMakeTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("Tools/bench-overlay/rules.yaml")] + (try CLI.generatedPlans(in: dir))
        let whole = try Self.overlay(arguments, in: dir)
        #expect(whole.features.count > 1_000)
        for n in [1, 2, 3, 7] { try Self.checkSlices(arguments, whole: whole, count: n, tileSize: 500, in: dir) }
        try Self.checkSlices(arguments, whole: whole, count: 3, tileSize: 137, in: dir)
    }

    /// Two squares whose overlap straddles the tile edge at x = 1000 m (from the grid's origin):
    /// the pair is computed by one slice only, and the `outside` remainder of `a` by the slice of
    /// `a`'s lower-left corner.
    @Test func pairAcrossATileEdgeIsComputedOnce() throws {
        let dir = try CLI.temporaryDirectory()
        func square(_ x0: Double, _ x1: Double) -> String {
            let (y0, y1) = (4_374_000.0, 4_374_400.0)
            let (a, b) = (41_482_000 + x0, 41_482_000 + x1)
            return #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}},"features":[{"type":"Feature","id":1,"properties":{},"geometry":{"type":"Polygon","coordinates":[[[\#(a),\#(y0)],[\#(b),\#(y0)],[\#(b),\#(y1)],[\#(a),\#(y1)],[\#(a),\#(y0)]]]}}]}"#
        }
        try square(0, 1_500).write(to: dir.appendingPathComponent("a.geojson"), atomically: true, encoding: .utf8)
        try square(600, 2_900).write(to: dir.appendingPathComponent("b.geojson"), atomically: true, encoding: .utf8)
        let rules = """
            version: 1
            min_area_m2: 1
            layers:
              a: {path: a.geojson}
              b: {path: b.geojson}
            rules:
              - {id: X, title: overlap, severity: major, relation: intersects, a: a, b: b}
              - {id: O, title: a outside b, severity: minor, relation: outside, a: a, b: b}
            """
        try rules.write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let arguments = ["--rules", dir.appendingPathComponent("rules.yaml").path]
        let whole = try Self.overlay(arguments, in: dir)
        #expect(whole.features.count == 2)
        // Tiles of 1 000 m from x = 41 482 000: the overlap (600..1 500) starts in tile 0 and
        // crosses into tile 1; with two slices, slice 1 (tile 0 of the 3) owns both patches.
        let first = try Self.overlay(arguments + ["--tile", "1/2", "--tile-size", "1000"], in: dir)
        let second = try Self.overlay(arguments + ["--tile", "2/2", "--tile-size", "1000"], in: dir)
        #expect(first.features.map { Self.withoutMergeKey($0)?.text } == whole.features)
        #expect(second.features.isEmpty)
        #expect((second.rules.first?["patches"] as? Int) == 0)
        // Tiles of 500 m, one per slice: the overlap's corner (600) is in tile 1 (slice 2), `a`'s
        // corner in tile 0 (slice 1).
        let tile0 = try Self.overlay(arguments + ["--tile", "1/6", "--tile-size", "500"], in: dir)
        let tile1 = try Self.overlay(arguments + ["--tile", "2/6", "--tile-size", "500"], in: dir)
        #expect(tile0.features.count == 1 && tile0.features.first?.contains("\"rule\":\"O\"") == true)
        #expect(tile1.features.count == 1 && tile1.features.first?.contains("\"rule\":\"X\"") == true)
        let tiles = try #require(tile1.summary["tiles"] as? [String: Any])
        #expect(tiles["columns"] as? Int == 6 && tiles["rows"] as? Int == 1)
        #expect(tiles["tiles_total"] as? Int == 6 && tiles["tiles_owned"] as? Int == 1)
        // Two slices of the 6 tiles: slice 1 owns tiles 0-2, and so both patches.
        let firstHalf = try Self.overlay(arguments + ["--tile", "1/2", "--tile-size", "500"], in: dir)
        #expect(firstHalf.features.count == 2)
        let half = try #require(firstHalf.summary["tiles"] as? [String: Any])
        #expect(half["tiles_owned"] as? Int == 3 && half["reading"] as? String == "whole")
        try Self.checkSlices(arguments, whole: whole, count: 3, tileSize: 700, in: dir)
    }

    @Test(arguments: ["0/3", "4/3", "x", "1/0", "1/2/3", "", "2/", "1.5/3"])
    func badSliceIsAUsageError(tile: String) throws {
        let run = try CLI.run(["overlay", "--rules", CLI.path("SampleLayers/rules.yaml"), "--tile", tile, "--quiet"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--tile \(tile): give K/N, two whole numbers with 1 ≤ K ≤ N"), "\(run.stderr)")
    }

    @Test func sliceOptionsThatCannotBeAnsweredAloneAreRefused() throws {
        let rules = CLI.path("SampleLayers/rules.yaml")
        for (extra, message) in [
            (["--tile", "1/2", "--dissolve"], "--tile and --dissolve"),
            (["--tile-size", "500"], "--tile-size needs --tile K/N"),
            (["--tile", "1/2", "--tile-size", "0"], "the tile side must be a positive number of metres"),
            (["--tile", "1/2", "--tile-size", "nan"], "the tile side must be a positive number of metres"),
            (["--tile", "1/2", "--dispositions", rules], "--tile and --dispositions"),
            (["--tile", "1/2", "--tile-size", "1e-9"], "would be more than 10¹² tiles; give a larger tile side"),
            (["--tile", "1/2", "--out", "/tmp/x.gpkg"], "slices are written as GeoJSON (.geojson) for plan-check merge"),
            (["--tile", "1/2", "--csv", "/tmp/x.csv"], "--tile and --csv"),
            (["--tile", "1/2", "--html", "/tmp/x.html"], "--tile and --html"),
            (["--tile", "1/2", "--districts", CLI.path("SampleLayers/districts.geojson"), "--district-field", "XZQMC"], "--tile and --districts"),
        ] {
            let run = try CLI.run(["overlay", "--rules", rules, "--quiet"] + extra)
            #expect(run.status == 64, "\(extra)")
            #expect(run.stderr.contains(message), "\(extra): \(run.stderr)")
        }
    }
}
