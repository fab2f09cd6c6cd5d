import Foundation

/// The `--summary` of one `overlay --tile K/N` run, read for `plan-check merge`, with the patch
/// file it names.
struct SliceSummary {
    /// The summary file, as given.
    var path: String
    var summary: OverlaySummary
    var tiles: OverlaySummary.Tiles
    /// K and N of "K/N".
    var slice: Int
    var count: Int
    /// The slice's patch file: the summary's `output` as written when that exists, otherwise the
    /// file of that name in the summary's own folder.
    var patchFile: String

    /// Reads and decodes `path`.
    /// - Throws: `MergeError`: `.missingFile` when it or its patch file cannot be found or read,
    ///   `.notASliceSummary` when it is not the summary of a `--tile` run.
    static func load(_ path: String) throws(MergeError) -> SliceSummary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MergeError(.missingFile, path: path, "no such slice summary")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MergeError(.missingFile, path: path, "cannot read this slice summary")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let summary: OverlaySummary
        do {
            summary = try decoder.decode(OverlaySummary.self, from: data)
        } catch {
            throw MergeError(.notASliceSummary, path: path, "not the --summary of a plan-check overlay run (\(Self.reason(error)))")
        }
        guard let tiles = summary.tiles else {
            throw MergeError(.notASliceSummary, path: path, "the summary of a whole overlay run, not of a slice (overlay --tile K/N --summary FILE)")
        }
        guard let slice = TileSlice.parse(tiles.slice) else {
            throw MergeError(.notASliceSummary, path: path, "tiles.slice is '\(tiles.slice)', not K/N: not the summary of one slice (a merged summary cannot be merged again)")
        }
        guard let parts = tiles.sliverAreaPartsM2, parts.count == summary.rules.count else {
            throw MergeError(.notASliceSummary, path: path, "tiles.sliver_area_parts_m2 is missing or does not list every rule: written by a plan-check that cannot be merged (version \(summary.planCheckVersion))")
        }
        if summary.districts != nil || summary.dispositions != nil || summary.rules.contains(where: { $0.dissolvedAreaM2 != nil }) {
            throw MergeError(.notASliceSummary, path: path, "a slice with districts, dispositions or dissolved areas, which a slice cannot compute alone")
        }
        let patchFile = try locatePatchFile(summary.output, summaryPath: path)
        return SliceSummary(path: path, summary: summary, tiles: tiles, slice: slice.slice, count: slice.count, patchFile: patchFile)
    }

    /// The summary's `output` as written when it exists (relative to the current folder);
    /// otherwise the file of the same name in the summary's folder (slices written on other
    /// machines and collected in one place).
    static func locatePatchFile(_ output: String?, summaryPath: String) throws(MergeError) -> String {
        guard let output, output != "-", !output.isEmpty else {
            throw MergeError(.missingFile, path: summaryPath, "names no patch file (output): run the slice with --out FILE.geojson")
        }
        if FileManager.default.fileExists(atPath: output) { return output }
        let beside = URL(fileURLWithPath: summaryPath).deletingLastPathComponent()
            .appendingPathComponent(URL(fileURLWithPath: output).lastPathComponent).path
        if FileManager.default.fileExists(atPath: beside) { return beside }
        throw MergeError(.missingFile, path: summaryPath, "its patch file \(output) is missing (not there as written, nor as \(beside) beside the summary)")
    }

    /// A decoding error in a few words: the key or the place.
    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "no '\(snakeCase(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(snakeCase(context.codingPath))' is not what an overlay summary has there"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "'\(snakeCase(context.codingPath))' is corrupt"
        default:
            return "\(error)"
        }
    }

    private static func snakeCase(_ path: [any CodingKey]) -> String {
        path.map { key in
            key.intValue.map(String.init) ?? key.stringValue.reduce(into: "") { text, c in
                if c.isUppercase { text += "_" + c.lowercased() } else { text.append(c) }
            }
        }.joined(separator: ".")
    }
}

/// The summaries of the N slices of one run, checked to belong together, in slice order.
struct SliceSet {
    var slices: [SliceSummary]

    /// Reads every summary and checks that together they are slices 1…N of one run, each once.
    /// - Throws: `MergeError` naming the file that does not fit.
    init(paths: [String]) throws(MergeError) {
        var loaded: [SliceSummary] = []
        for path in paths { loaded.append(try SliceSummary.load(path)) }
        guard let first = loaded.first else {
            throw MergeError(.usage, path: "merge", "give the --summary files of the slices to merge")
        }
        for slice in loaded.dropFirst() where slice.count != first.count {
            throw MergeError(.mismatch, path: slice.path, "slice \(slice.slice)/\(slice.count) of \(slice.count) slices, but \(first.path) is one of \(first.count): slices of one run have the same N")
        }
        var byNumber: [Int: SliceSummary] = [:]
        for slice in loaded {
            if let earlier = byNumber[slice.slice] {
                throw MergeError(.sliceGivenTwice, path: slice.path, "slice \(slice.slice)/\(slice.count) is given twice (also \(earlier.path)); give each slice once")
            }
            byNumber[slice.slice] = slice
        }
        let missing = (1...first.count).filter { byNumber[$0] == nil }
        if !missing.isEmpty {
            let listed = missing.prefix(10).map { "\($0)/\(first.count)" }.joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            throw MergeError(.sliceMissing, path: first.path, "\(missing.count) of the \(first.count) slices of this run are not given: \(listed); give the --summary of every slice")
        }
        slices = (1...first.count).map { byNumber[$0]! }
        for slice in slices.dropFirst() { try Self.check(slice, against: slices[0]) }
    }

    /// `slice` is of the same run as `reference`: the same tile grid, rule set, inputs, engine,
    /// options and versions.
    static func check(_ slice: SliceSummary, against reference: SliceSummary) throws(MergeError) {
        let (s, r) = (slice.summary, reference.summary)
        func require(_ same: Bool, _ what: String) throws(MergeError) {
            if !same {
                throw MergeError(.mismatch, path: slice.path, "\(what) differs from \(reference.path)'s: the slices are not of one run")
            }
        }
        let (t, u) = (slice.tiles, reference.tiles)
        try require(t.tileSizeM == u.tileSizeM && t.tileSizeCrsUnits == u.tileSizeCrsUnits, "the tile size (\(t.tileSizeM) m)")
        try require(t.originX == u.originX && t.originY == u.originY && t.columns == u.columns && t.rows == u.rows,
                    "the tile grid (origin \(t.originX), \(t.originY), \(t.columns) × \(t.rows) tiles)")
        try require(s.rulesFile.sha256 == r.rulesFile.sha256, "the rule set (sha256 \(s.rulesFile.sha256.prefix(12))…)")
        try require(s.planCheckVersion == r.planCheckVersion, "the plan-check version (\(s.planCheckVersion))")
        try require(s.engine == r.engine, "the engine (\(s.engine))")
        try require(s.geosVersion == r.geosVersion && s.clipperVersion == r.clipperVersion && s.projVersion == r.projVersion,
                    "a library version (GEOS \(s.geosVersion), Clipper \(s.clipperVersion), PROJ \(s.projVersion))")
        try require(s.invalidPolicy == r.invalidPolicy, "--invalid (\(s.invalidPolicy))")
        try require(s.rfc7946 == r.rfc7946, "--rfc7946 (\(s.rfc7946))")
        try require(s.workingCrs.identifier == r.workingCrs.identifier && s.workingCrs.name == r.workingCrs.name
                    && s.workingCrs.geographic == r.workingCrs.geographic, "the working CRS (\(s.workingCrs.identifier ?? s.workingCrs.name))")
        try require(s.inputs.count == r.inputs.count && s.inputs.map(\.layer) == r.inputs.map(\.layer),
                    "the layers read (\(s.inputs.map(\.layer).joined(separator: ", ")))")
        try require(t.reading == u.reading, "how the layers were read (\(t.reading ?? "whole"))")
        try require(t.layerFingerprints == u.layerFingerprints,
                    "a layer file (\((t.layerFingerprints ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")))")
        for (mine, theirs) in zip(s.inputs, r.inputs) {
            // A slice reading by region counts only its own features (merge adds them up), and
            // only slice 1 hashes the files (the others are compared by their fingerprints).
            guard t.reading != "region" else { continue }
            try require(mine.sha256 == theirs.sha256, "layer '\(mine.layer)' (sha256 \(mine.sha256.prefix(12))…)")
            try require(Self.layerFacts(mine) == Self.layerFacts(theirs), "what was read of layer '\(mine.layer)' (features read, kept, repaired, rejected, classes)")
        }
        try require(s.rules.map(Self.ruleDefinition) == r.rules.map(Self.ruleDefinition), "the rules evaluated")
    }

    /// The layer entries of the whole run from those of slices that read by region: each
    /// feature is counted by one slice, so the counts add up, and the repairs and rejections of
    /// all slices in fid (file) order are the whole run's.
    /// - Throws: `MergeError` when the features counted do not add up to slice 1's `layer_rows`
    ///   (a feature counted by no slice, or by two).
    func summedInputs() throws(MergeError) -> [OverlaySummary.Input] {
        var inputs = slices[0].summary.inputs
        for (n, input) in inputs.enumerated() {
            let all = slices.map { $0.summary.inputs[n] }
            var summed = input
            summed.featuresRead = all.reduce(0) { $0 + $1.featuresRead }
            summed.featuresKept = all.reduce(0) { $0 + $1.featuresKept }
            summed.unclassified = all.reduce(0) { $0 + $1.unclassified }
            summed.repaired = all.flatMap(\.repaired).sorted { $0.featureId.id < $1.featureId.id }
            summed.rejected = all.flatMap(\.rejected).sorted { $0.featureId.id < $1.featureId.id }
            var classes: [String: Int] = [:]
            for one in all { for (name, count) in one.classes { classes[name, default: 0] += count } }
            summed.classes = classes
            if let rows = slices[0].tiles.layerRows?[input.layer], rows != summed.featuresRead {
                throw MergeError(.mismatch, path: slices[0].path, "the slices count \(summed.featuresRead) features of layer '\(input.layer)', but its table has \(rows) rows: the layer's R-tree does not match its table (rebuild it) or the files changed between the slices")
            }
            inputs[n] = summed
        }
        return inputs
    }

    /// A layer entry without its path (which may differ between machines), as JSON.
    static func layerFacts(_ input: OverlaySummary.Input) -> String {
        var copy = input
        copy.path = ""
        return (try? ReportJSON.text(copy)) ?? ""
    }

    /// What defines a rule's evaluation (not its results), as one comparable text.
    static func ruleDefinition(_ rule: OverlaySummary.Rule) -> [String] {
        [rule.id, rule.title, rule.severity, rule.relation, rule.a, rule.b, "\(rule.minAreaM2)", "\(rule.gridSizeM)",
         rule.engine, rule.clipperGrid ?? "-"]
    }
}
