import Foundation
import PlanCheckTestSupport
import Testing

/// `overlay --tile K/N` on GeoPackage layers with an R-tree: each slice reads only its region
/// of each layer, counts only the features it owns, and the merged slices are still the whole
/// run byte for byte, its summary (layer counts, repairs, rejections, warnings) included.
/// GeoPackages are written by GDAL's `ogr2ogr` (which adds the R-tree) from the GeoJSON layers.
@Suite struct OverlayTileRegionReading {
    typealias Run = OverlayTileSlices.Run

    /// `geojson` written as a GeoPackage layer `layer` by ogr2ogr, in `dir`.
    static func geoPackage(_ geojson: String, layer: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("\(layer).gpkg").path
        let run = try ExternalTool.run("/usr/bin/ogr2ogr", ["-f", "GPKG", path, geojson, "-nln", layer])
        try #require(run.status == 0, "ogr2ogr: \(run.output)")
        return path
    }

    /// The sample district's layers as GeoPackages: `--layer` arguments.
    static func sampleLayers(in dir: URL) throws -> [String] {
        let landuse = try geoPackage(CLI.path("SampleLayers/landuse.geojson"), layer: "landuse", in: dir)
        let urban = try geoPackage(CLI.path("SampleLayers/urban.geojson"), layer: "urban", in: dir)
        return ["--layer", "landuse=\(landuse)", "--layer", "urban=\(urban)",
                "--layer", "farmland=\(CLI.path("SampleLayers/farmland.gpkg"))"]
    }

    /// SQL run on a GeoPackage (Python's sqlite3: another SQLite than plan-check's). GDAL's
    /// R-tree triggers name ST_ functions in their conditions; attribute updates only evaluate
    /// ST_IsEmpty there, so stand-ins do.
    static func sql(_ path: String, _ statements: String) throws {
        let script = """
            import sqlite3,sys
            c=sqlite3.connect(sys.argv[1])
            for name in ['ST_IsEmpty','ST_MinX','ST_MaxX','ST_MinY','ST_MaxY']: c.create_function(name,1,lambda g: 0)
            c.executescript(sys.argv[2]); c.commit()
            """
        let run = try ExternalTool.run("/usr/bin/env", ["python3", "-c", script, path, statements])
        try #require(run.status == 0, "sqlite3: \(run.output)")
    }

    /// Every slice K/N reads by region; merged, they are the whole run (bytes and summary); each
    /// layer's features are counted once over the slices. Returns the slices.
    @discardableResult
    static func checkRegionSlices(_ arguments: [String], whole: Run, count n: Int, tileSize: Double, in dir: URL) throws -> [Run] {
        let slices = try (1...n).map { k in
            try OverlayTileSlices.overlay(arguments + ["--tile", "\(k)/\(n)", "--tile-size", "\(tileSize)"], in: dir)
        }
        for (k, slice) in slices.enumerated() {
            let tiles = try #require(slice.summary["tiles"] as? [String: Any])
            #expect(tiles["reading"] as? String == "region", "slice \(k + 1)/\(n) did not read by region")
            #expect((tiles["layer_rows"] != nil) == (k == 0), "layer_rows is slice 1's")
        }
        try MergeCommandTests.checkMerge(slices.map(\.summaryFile), whole: whole, in: dir, warnings: Self.unclassifiedCounted)
        for (l, layer) in whole.inputs.enumerated() {
            for key in ["features_read", "features_kept", "unclassified"] {
                let sum = slices.reduce(0) { $0 + ($1.inputs[l][key] as? Int ?? -1) }
                #expect(sum == layer[key] as? Int, "layer \(layer["layer"] ?? "?") \(key): \(n) slices count \(sum)")
            }
        }
        return slices
    }

    /// Each region-reading slice warns of its own unclassified features: the lines of a merged
    /// run become one per layer with the sum of their counts, as the whole run has it (the
    /// first ids and codes listed are each slice's). Other warnings are kept as they are.
    static func unclassifiedCounted(_ warnings: [String]) -> [String] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        var others: [String] = []
        for line in warnings {
            guard let match = line.firstMatch(of: #/^(.*: warning: layer '[^']+'): (\d+) features? match(?:es)? no class/#) else {
                others.append(line)
                continue
            }
            let head = String(match.output.1)
            if counts[head] == nil { order.append(head) }
            counts[head, default: 0] += Int(match.output.2) ?? 0
        }
        return others + order.map { "\($0): \(counts[$0] ?? 0) unclassified" }
    }

    @Test(arguments: [(300.0, "memory"), (1_000.0, "disk")])
    func sampleDistrictSlicesReadByRegionMakeTheWholeRun(tileSize: Double, store: String) throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml"), "--feature-store", store] + (try Self.sampleLayers(in: dir))
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        #expect(whole.features.count > 50)
        for n in [1, 2, 3, 7] { try Self.checkRegionSlices(arguments, whole: whole, count: n, tileSize: tileSize, in: dir) }
    }

    /// In a lon/lat working CRS (the layers written in EPSG:4490 by ogr2ogr) the R-trees, the
    /// grid and the Clipper grid are in degrees; the slices still make the whole run.
    @Test func lonLatGeoPackagesSlicesReadByRegion() throws {
        let dir = try CLI.temporaryDirectory()
        var arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")]
        for (layer, source) in [("landuse", "SampleLayers/landuse.geojson"), ("urban", "SampleLayers/urban.geojson"), ("farmland", "SampleLayers/farmland.gpkg")] {
            let path = dir.appendingPathComponent("\(layer)-4490.gpkg").path
            let run = try ExternalTool.run("/usr/bin/ogr2ogr", ["-f", "GPKG", "-t_srs", "EPSG:4490", path, CLI.path(source), "-nln", layer])
            try #require(run.status == 0, "ogr2ogr: \(run.output)")
            arguments += ["--layer", "\(layer)=\(path)"]
        }
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        #expect(whole.features.count > 50)
        try Self.checkRegionSlices(arguments, whole: whole, count: 3, tileSize: 700, in: dir)
    }

    /// 3 000 generated parcels a layer, some invalid (repaired or rejected): four slices read
    /// each well under half of each layer, and the repairs and rejections of the slices are the
    /// whole run's, in file order.
    @Test func generatedPlansSlicesReadTheirRegionOnly() throws {
        let dir = try CLI.temporaryDirectory()
        let plans = try GeneratedPlans.write(into: dir)
        var arguments = ["--rules", CLI.path("Tools/bench-overlay/rules.yaml")]
        for (name, path) in plans.sorted(by: { $0.key < $1.key }) {
            arguments += ["--layer", "\(name)=\(try Self.geoPackage(path, layer: name, in: dir))"]
        }
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        #expect(whole.features.count > 1_000)
        #expect(whole.inputs.contains { !(($0["repaired"] as? [Any]) ?? []).isEmpty }, "the case has repairs")
        let slices = try Self.checkRegionSlices(arguments, whole: whole, count: 4, tileSize: 250, in: dir)
        let rows = try #require((slices[0].summary["tiles"] as? [String: Any])?["layer_rows"] as? [String: Int])
        for (k, slice) in slices.enumerated() {
            let read = try #require((slice.summary["tiles"] as? [String: Any])?["layers_read"] as? [String: Int])
            for (layer, total) in rows {
                let n = read[layer] ?? .max
                #expect(n < total / 2, "slice \(k + 1)/4 read \(n) of the \(total) features of \(layer)")
            }
        }
        try Self.checkRegionSlices(arguments + ["--feature-store", "disk"], whole: whole, count: 3, tileSize: 700, in: dir)
    }

    /// A row missing from the R-tree (slice 1 reads the rows the index does not hold) and a box
    /// that no longer holds its geometry both stop the slice that meets them, naming the
    /// feature: a slice must not miss a feature its pairs need.
    @Test func staleRTreeStopsTheSlice() throws {
        let dir = try CLI.temporaryDirectory()
        var arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")] + (try Self.sampleLayers(in: dir))
        let landuse = dir.appendingPathComponent("landuse.gpkg").path
        try Self.sql(landuse, "DELETE FROM rtree_landuse_geom WHERE id = 5;")
        let missing = try CLI.run(["overlay"] + arguments + ["--tile", "1/3", "--quiet"])
        #expect(missing.status == 65, "\(missing.stderr)")
        #expect(missing.stderr.contains("layer 'landuse', feature 5: the R-tree rtree_landuse_geom is out of date"), "\(missing.stderr)")
        #expect(missing.stderr.contains("it has no entry there"), "\(missing.stderr)")

        let other = try CLI.temporaryDirectory()
        arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")] + (try Self.sampleLayers(in: other))
        let urban = other.appendingPathComponent("urban.gpkg").path
        try Self.sql(urban, "UPDATE rtree_urban_geom SET maxx = minx + 1, maxy = miny + 1 WHERE id = 7;")
        let runs = try (1...3).map { k in try CLI.run(["overlay"] + arguments + ["--tile", "\(k)/3", "--quiet"]) }
        let stopped = runs.filter { $0.status == 65 && $0.stderr.contains("layer 'urban', feature 7: the R-tree rtree_urban_geom is out of date") }
        #expect(!stopped.isEmpty, "\(runs.map(\.stderr))")
        #expect(runs.allSatisfy { $0.status == 0 || $0.status == 65 })
    }

    /// Slice 1 checks `id_field` over the whole table: a value held by two features far apart
    /// (never in one slice's region) stops it, naming both.
    @Test func identifierRepeatedAcrossRegionsStopsSliceOne() throws {
        let dir = try CLI.temporaryDirectory()
        let layers = try Self.sampleLayers(in: dir)
        let landuse = dir.appendingPathComponent("landuse.gpkg").path
        try Self.sql(landuse, "UPDATE landuse SET BSM = (SELECT BSM FROM landuse WHERE fid = 1) WHERE fid = (SELECT max(fid) FROM landuse);")
        let rules = try String(contentsOfFile: CLI.path("SampleLayers/rules.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "    path: landuse.geojson\n", with: "    path: landuse.geojson\n    id_field: BSM\n")
        let rulesFile = dir.appendingPathComponent("rules.yaml")
        try rules.write(to: rulesFile, atomically: true, encoding: .utf8)
        let run = try CLI.run(["overlay", "--rules", rulesFile.path] + layers + ["--tile", "1/4", "--tile-size", "500", "--quiet"])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("id_field 'BSM' does not identify every feature"), "\(run.stderr)")
        #expect(run.stderr.contains("4100001: features 1, 108"), "\(run.stderr)")
    }

    /// A layer without an R-tree (or not a GeoPackage) makes every slice read every layer whole,
    /// with a note saying why; the slices still merge into the whole run.
    @Test func layerWithoutRTreeIsReadWhole() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")] + (try Self.sampleLayers(in: dir))
        let urban = dir.appendingPathComponent("urban.gpkg").path
        try Self.sql(urban, "DROP TABLE rtree_urban_geom; DELETE FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index';")
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        let run = try CLI.run(["overlay"] + arguments + ["--tile", "2/3"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("read every layer whole: layer 'urban' (\(urban)) has no R-tree"), "\(run.stdout)")
        try OverlayTileSlices.checkSlices(arguments, whole: whole, count: 3, tileSize: 600, in: dir)
    }

    /// Merge adds the slices' layer counts and refuses them when they do not add up to the rows
    /// of the table (a feature counted by no slice, or by two).
    @Test func mergeRefusesLayerCountsThatDoNotAddUp() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")] + (try Self.sampleLayers(in: dir))
        let slices = try (1...2).map { k in try OverlayTileSlices.overlay(arguments + ["--tile", "\(k)/2"], in: dir) }
        var stats = slices[1].summary
        var inputs = try #require(stats["inputs"] as? [[String: Any]])
        inputs[0]["features_read"] = (inputs[0]["features_read"] as? Int ?? 0) + 1
        stats["inputs"] = inputs
        let edited = dir.appendingPathComponent("slice2-edited.json")
        try JSONSerialization.data(withJSONObject: stats, options: [.sortedKeys]).write(to: edited)
        try MergeCommandTests.expectRefused(
            [slices[0].summaryFile.path, edited.path], status: 65, file: slices[0].summaryFile.path,
            reason: "the slices count 109 features of layer 'landuse', but its table has 108 rows", in: dir)
    }

    /// Only slice 1 hashes the layer files (the others would read every byte of files they read
    /// a part of); merge compares the files' SQLite fingerprints instead, and refuses slices run
    /// on a file changed in between.
    @Test func mergeRefusesSlicesOfAChangedFile() throws {
        let dir = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")] + (try Self.sampleLayers(in: dir))
        let first = try OverlayTileSlices.overlay(arguments + ["--tile", "1/2"], in: dir)
        #expect(first.inputs.allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        try Self.sql(dir.appendingPathComponent("urban.gpkg").path, "UPDATE urban SET GHBH = 'changed' WHERE fid = 3;")
        let second = try OverlayTileSlices.overlay(arguments + ["--tile", "2/2"], in: dir)
        #expect(second.inputs.allSatisfy { ($0["sha256"] as? String) == "" })
        try MergeCommandTests.expectRefused(
            [first.summaryFile.path, second.summaryFile.path], status: 65, file: second.summaryFile.path,
            reason: "differs from \(first.summaryFile.path)'s: the slices are not of one run", in: dir)
    }
}
