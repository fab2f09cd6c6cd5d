import Foundation
import PlanCheckTestSupport
import Testing

/// `plan-check merge`: the slices of `overlay --tile K/N` put together are the whole run, byte for
/// byte (the cases are run by `OverlayTileSlices.checkSlices`), and slices that do not make one
/// whole run are refused with the file named and nothing written.
@Suite struct MergeCommandTests {
    typealias Run = OverlayTileSlices.Run

    /// Merges the slices whose summaries are `summaries` (given in a shuffled order) and checks
    /// the merged file against the whole run's byte for byte, and the merged summary against
    /// its summary except timings, `tiles` and paths.
    static func checkMerge(_ summaries: [URL], whole: Run, in dir: URL, warnings: (([String]) -> [String])? = nil) throws {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("merged-\(name).geojson"), summary = dir.appendingPathComponent("merged-\(name).json")
        // Not in slice order: reversed, then rotated by one.
        var order = Array(summaries.reversed())
        if order.count > 2 { order.append(order.removeFirst()) }
        let run = try CLI.run(["merge", "--out", out.path, "--summary", summary.path, "--quiet"] + order.map(\.path))
        try #require(run.status == 0, "merge of \(summaries.count) slices: \(run.stderr)")
        let merged = try Data(contentsOf: out), expected = try Data(contentsOf: whole.out)
        #expect(merged == expected, "merged \(summaries.count) slices: \(merged.count) bytes, the whole run \(expected.count) bytes")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        let tiles = try #require(stats["tiles"] as? [String: Any])
        #expect(tiles["slice"] as? String == "merged from \(summaries.count) slices")
        expectSameSummary(stats, whole.summary, what: "\(summaries.count) slices", warnings: warnings)
    }

    /// Summaries equal except timings (`timings`, per-rule seconds), `tiles`, the output path and
    /// where the features were held (`feature_store`, `feature_store_bytes`).
    /// `warnings`, when given, maps both summaries' warnings before they are compared.
    static func expectSameSummary(_ merged: [String: Any], _ whole: [String: Any], what: String, warnings: (([String]) -> [String])? = nil) {
        var (merged, whole) = (merged, whole)
        if let warnings {
            merged["warnings"] = warnings(merged["warnings"] as? [String] ?? [])
            whole["warnings"] = warnings(whole["warnings"] as? [String] ?? [])
        }
        func text(_ value: Any?) -> String {
            guard let value else { return "absent" }
            guard JSONSerialization.isValidJSONObject([value]),
                  let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
            return String(decoding: data, as: UTF8.self)
        }
        let skipped: Set<String> = ["timings", "tiles", "output", "feature_store", "feature_store_bytes"]
        let keys = Set(merged.keys).union(whole.keys).subtracting(skipped)
        for key in keys.sorted() where key != "rules" {
            #expect(text(merged[key]) == text(whole[key]), "\(what): summary '\(key)'")
        }
        let (mine, theirs) = (merged["rules"] as? [[String: Any]] ?? [], whole["rules"] as? [[String: Any]] ?? [])
        #expect(mine.count == theirs.count && !theirs.isEmpty)
        for (m, w) in zip(mine, theirs) {
            for key in Set(m.keys).union(w.keys).subtracting(["seconds", "overlay_seconds"]).sorted() {
                #expect(text(m[key]) == text(w[key]), "\(what): rule \(w["id"] ?? "?") '\(key)'")
            }
        }
    }

    /// The merge of `summaries` fails with `status` and a message naming `file` and saying
    /// `reason`; nothing appears at --out or --summary (a file there is left as it was) and no
    /// temporary is left in their folder.
    static func expectRefused(_ summaries: [String], status: Int32, file: String, reason: String, in dir: URL,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outputs = dir.appendingPathComponent("outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let out = outputs.appendingPathComponent("merged.geojson"), summary = outputs.appendingPathComponent("merged.json")
        try "earlier run\n".write(to: out, atomically: true, encoding: .utf8)
        let run = try CLI.run(["merge", "--out", out.path, "--summary", summary.path, "--quiet"] + summaries)
        #expect(run.status == status, "\(reason): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains("plan-check: error: \(file): "), "the message names \(file): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(reason), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(try String(contentsOf: out, encoding: .utf8) == "earlier run\n", "--out was changed", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outputs.path) == ["merged.geojson"],
                "a summary or a temporary was left", sourceLocation: sourceLocation)
    }

    /// A copy of `slice`'s summary naming `patches` as its patch file.
    static func summary(of slice: Run, namingPatchFile patches: URL, in dir: URL) throws -> String {
        var stats = slice.summary
        stats["output"] = patches.path
        let url = dir.appendingPathComponent("summary-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: stats, options: [.sortedKeys]).write(to: url)
        return url.path
    }

    @Test func slicesThatAreNotOneWholeRunAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = CLI.path("SampleLayers/rules.yaml")
        let arguments = ["--rules", rules]
        func slice(_ k: Int, of n: Int, _ extra: [String] = []) throws -> Run {
            try OverlayTileSlices.overlay(arguments + extra + ["--tile", "\(k)/\(n)", "--tile-size", "1000"], in: dir)
        }
        let slices = try (1...3).map { try slice($0, of: 3) }
        let paths = slices.map(\.summaryFile.path)
        let (s1, s2, s3) = (paths[0], paths[1], paths[2])

        try Self.expectRefused([s1, s3], status: 64, file: s1, reason: "1 of the 3 slices of this run are not given: 2/3", in: dir)
        try Self.expectRefused([s1, s2, s3, s2], status: 64, file: s2, reason: "slice 2/3 is given twice", in: dir)
        let quarter = try slice(3, of: 4).summaryFile.path
        try Self.expectRefused([s1, s2, quarter], status: 65, file: quarter, reason: "slices of one run have the same N", in: dir)
        try Self.expectRefused([s1, s2, s3, "\(dir.path)/none.json"], status: 66, file: "\(dir.path)/none.json", reason: "no such slice summary", in: dir)

        // Another rule set (the same rules with a comment: another file, another sha256).
        let otherRules = dir.appendingPathComponent("rules.yaml")
        let yaml = try String(contentsOfFile: rules, encoding: .utf8)
            .replacingOccurrences(of: "path: ", with: "path: \(CLI.path("SampleLayers"))/")
        try (yaml + "\n# another rule set\n").write(to: otherRules, atomically: true, encoding: .utf8)
        let otherRuleSet = try OverlayTileSlices.overlay(["--rules", otherRules.path, "--tile", "2/3", "--tile-size", "1000"], in: dir)
        try Self.expectRefused([s1, otherRuleSet.summaryFile.path, s3], status: 65, file: otherRuleSet.summaryFile.path, reason: "the rule set (sha256", in: dir)

        // Other inputs: the same features in another file.
        let landuse = dir.appendingPathComponent("landuse.geojson")
        try (String(contentsOfFile: CLI.path("SampleLayers/landuse.geojson"), encoding: .utf8) + "\n").write(to: landuse, atomically: true, encoding: .utf8)
        let otherInput = try slice(2, of: 3, ["--layer", "landuse=\(landuse.path)"]).summaryFile.path
        try Self.expectRefused([s1, otherInput, s3], status: 65, file: otherInput, reason: "layer 'landuse' (sha256", in: dir)

        // Another tile size.
        let otherSize = try OverlayTileSlices.overlay(arguments + ["--tile", "2/3", "--tile-size", "700"], in: dir).summaryFile.path
        try Self.expectRefused([s1, otherSize, s3], status: 65, file: otherSize, reason: "the tile size", in: dir)

        // Not a slice's summary: the whole run's, a GeoJSON file.
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        try Self.expectRefused([s1, s2, s3, whole.summaryFile.path], status: 65, file: whole.summaryFile.path, reason: "the summary of a whole overlay run", in: dir)
        try Self.expectRefused([s1, s2, whole.out.path], status: 65, file: whole.out.path, reason: "not the --summary of a plan-check overlay run", in: dir)

        // Patch files cut short, with a Feature removed, or edited.
        let text = try String(contentsOf: slices[1].out, encoding: .utf8)
        let bytes = Array(text.utf8)
        let cut = dir.appendingPathComponent("cut.geojson")
        try Data(bytes[..<(bytes.count * 2 / 3)]).write(to: cut)
        let cutSummary = try Self.summary(of: slices[1], namingPatchFile: cut, in: dir)
        try Self.expectRefused([s1, cutSummary, s3], status: 65, file: cut.path, reason: "cut short after", in: dir)
        let atLineEnd = dir.appendingPathComponent("cut-at-line.geojson")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count > 5)
        try (lines.prefix(lines.count - 3).joined(separator: "\n") + "\n").write(to: atLineEnd, atomically: true, encoding: .utf8)
        try Self.expectRefused([s1, try Self.summary(of: slices[1], namingPatchFile: atLineEnd, in: dir), s3], status: 65, file: atLineEnd.path, reason: "cut short after", in: dir)
        let dropped = dir.appendingPathComponent("dropped.geojson")
        var kept = lines
        kept.remove(at: 2)
        try kept.joined(separator: "\n").write(to: dropped, atomically: true, encoding: .utf8)
        try Self.expectRefused([s1, try Self.summary(of: slices[1], namingPatchFile: dropped, in: dir), s3], status: 65, file: dropped.path, reason: "but its summary", in: dir)
        let edited = dir.appendingPathComponent("edited.geojson")
        let firstID = try #require(text.range(of: "{\"type\":\"Feature\",\"id\":\""))
        try text.replacingCharacters(in: firstID, with: "{\"type\":\"Feature\",\"id\":\"edited ").write(to: edited, atomically: true, encoding: .utf8)
        #expect(try String(contentsOf: edited, encoding: .utf8) != text)
        try Self.expectRefused([s1, try Self.summary(of: slices[1], namingPatchFile: edited, in: dir), s3], status: 65, file: edited.path, reason: "changed since the run", in: dir)
        let junk = dir.appendingPathComponent("junk.geojson")
        try Data(repeating: UInt8(ascii: "x"), count: 200_000).write(to: junk)
        try Self.expectRefused([s1, try Self.summary(of: slices[1], namingPatchFile: junk, in: dir), s3], status: 65, file: junk.path, reason: "its first 64 KiB hold no header line", in: dir)
        let wholeFile = try Self.summary(of: slices[1], namingPatchFile: whole.out, in: dir)
        try Self.expectRefused([s1, wholeFile, s3], status: 65, file: whole.out.path, reason: "does not end with its merge key", in: dir)

        // The outputs may not be one of the inputs; a merge writes GeoJSON.
        let overInput = try CLI.run(["merge", "--out", slices[0].out.path, "--quiet"] + paths)
        #expect(overInput.status == 64 && overInput.stderr.contains("--out is one of the slices' files"), "\(overInput.stderr)")
        let gpkg = try CLI.run(["merge", "--out", dir.appendingPathComponent("m.gpkg").path, "--quiet"] + paths)
        #expect(gpkg.status == 64 && gpkg.stderr.contains("merge writes GeoJSON"), "\(gpkg.stderr)")
        let none = try CLI.run(["merge", "--out", dir.appendingPathComponent("m.geojson").path])
        #expect(none.status == 64 && none.stderr.contains("give the --summary files of the slices"), "\(none.stderr)")
    }

    /// Slices written elsewhere (on executors) and collected in one folder: each summary's patch
    /// file is found beside it. The slice files stay readable by GDAL (the merge key is a
    /// foreign member it ignores).
    @Test func slicesCollectedInAnotherFolderAreFoundBesideTheirSummaries() throws {
        let dir = try CLI.temporaryDirectory(), collected = try CLI.temporaryDirectory()
        let arguments = ["--rules", CLI.path("SampleLayers/rules.yaml")]
        let whole = try OverlayTileSlices.overlay(arguments, in: dir)
        var summaries: [URL] = []
        for k in 1...2 {
            let slice = try OverlayTileSlices.overlay(arguments + ["--tile", "\(k)/2", "--tile-size", "1500"], in: dir)
            let counts = try GDAL.featureCounts(slice.out.path)
            #expect(counts == ["discrepancy_patches": slice.features.count], "ogrinfo on a slice: \(String(describing: counts))")
            for file in [slice.out, slice.summaryFile] {
                try FileManager.default.moveItem(at: file, to: collected.appendingPathComponent(file.lastPathComponent))
            }
            summaries.append(collected.appendingPathComponent(slice.summaryFile.lastPathComponent))
        }
        try Self.checkMerge(summaries, whole: whole, in: dir)
        // The table names the merge.
        let table = try CLI.run(["merge", "--out", dir.appendingPathComponent("m.geojson").path] + summaries.map(\.path))
        #expect(table.status == 0 && table.stdout.contains("merged from 2 slices"), "\(table.stdout)\(table.stderr)")
    }
}
