import Foundation
import PlanModel
import PlanOutput

/// `plan-check merge`: the whole overlay from the N slices of `overlay --tile K/N`.
///
/// Reads the slices' `--summary` files, checks that they are slices 1…N of one run (`SliceSet`),
/// and interleaves their patch files by merge key (`PatchMergeKey`, a k-way merge holding one
/// Feature per slice), stripping the key: the merged file is the one `overlay` without `--tile`
/// writes, byte for byte. The merged summary is the whole run's: per-rule counts added up, patch
/// areas and class pairs recomputed from the merged patches, sliver areas added exactly from the
/// slices' exact parts; layer entries from the first slice (every slice has the same), warnings
/// once each. Both outputs appear together, and only when every check passed.
public struct SliceMerge {
    /// The slices' `--summary` files, in any order.
    public var summaryPaths: [String]
    /// The merged patch file (GeoJSON; `-` for standard output).
    public var out: String
    /// The merged summary (JSON; `-` for standard output), or nil for none.
    public var summary: String?

    public init(summaryPaths: [String], out: String, summary: String?) {
        self.summaryPaths = summaryPaths
        self.out = out
        self.summary = summary
    }

    /// Memory for the slices' read buffers together (bytes); each slice gets a share, between
    /// 16 KiB and 1 MiB.
    static let readBufferBudget = 64 << 20

    /// Merges and writes both outputs; returns the merged summary.
    /// - Throws: `MergeError` for slices that do not make one run, `OutputFileError` for an
    ///   output that cannot be written; nothing is then written.
    public func run() throws -> OverlaySummary {
        let started = Date()
        let format = try? PatchFormat(path: out)
        guard format == .geoJSON else {
            throw MergeError(.usage, path: out, "merge writes GeoJSON (.geojson, .json or - for standard output); convert the merged file for another format (e.g. ogr2ogr)")
        }
        let outputs = try NamedOutputs([("--out", out), ("--summary", summary)])
        let set = try SliceSet(paths: summaryPaths)
        let slices = set.slices
        // Slices that read by region each counted their own features: the whole run's are the sums.
        let inputs = slices[0].tiles.reading == "region" ? try set.summedInputs() : nil
        try checkOutputsAreNotInputs(outputs, slices)
        let patches = try OutputFile(outputs["--out"]!)
        var tallies = slices[0].summary.rules.map { _ in RuleTotals() }
        try mergePatches(of: slices, into: patches, tallies: &tallies)
        try patches.complete()
        var merged = mergedSummary(slices, tallies: tallies)
        if let inputs { merged.inputs = inputs }
        merged.timings["merge"] = Date().timeIntervalSince(started)
        var files = [patches]
        if let place = outputs["--summary"] {
            files.append(try NamedOutputs.writeComplete(try merged.json() + "\n", to: place))
        }
        try OutputFile.commit(files)
        return merged
    }

    /// The k-way merge: the Feature with the smallest key of all slices goes next. Checks that
    /// each file is in key order, that no key is in two slices, that every patch's rule is one
    /// of the summary's, and that each slice's file holds the patches its summary counts and
    /// has the bytes its summary's sha256 names.
    func mergePatches(of slices: [SliceSummary], into output: OutputFile, tallies: inout [RuleTotals]) throws {
        let blockSize = max(16 << 10, min(1 << 20, Self.readBufferBudget / slices.count))
        let readers = try slices.map { try SlicePatchReader(path: $0.patchFile, blockSize: blockSize) }
        for (reader, slice) in zip(readers, slices) where reader.header != readers[0].header {
            throw MergeError(.mismatch, path: reader.path, "its FeatureCollection header (name, CRS) differs from \(readers[0].path)'s (of \(slice.path))")
        }
        let ruleNumbers = Dictionary(slices[0].summary.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var writer = BufferedOutput(output)
        try writer.write(readers[0].header)
        var perSlice = slices.map { _ in [Int](repeating: 0, count: tallies.count) }
        var heap = MergeHeap()
        var lastKey = [PatchMergeKey?](repeating: nil, count: slices.count)
        func advance(_ k: Int) throws {
            guard let patch = try readers[k].next() else {
                try finish(slice: slices[k], reader: readers[k], counts: perSlice[k])
                return
            }
            if let last = lastKey[k], !(last < patch.key) {
                throw MergeError(.patchFile, path: readers[k].path, "patch \(patch.key) at Feature \(readers[k].count) does not come after \(last): not in the order a slice writes (edited or put together by hand)")
            }
            lastKey[k] = patch.key
            heap.push(patch, from: k)
        }
        for k in slices.indices { try advance(k) }
        var previous: (key: PatchMergeKey, slice: Int)?
        var written = 0
        while let (patch, k) = heap.pop() {
            if let previous, previous.key == patch.key {
                throw MergeError(.patchFile, path: readers[k].path, "patch \(patch.key) is also in \(readers[previous.slice].path): two slices computed the same patch (slices of different grids?)")
            }
            guard let r = ruleNumbers[patch.ruleID] else {
                throw MergeError(.patchFile, path: readers[k].path, "Feature \(readers[k].count): rule '\(patch.ruleID)' is not one of the rules its summary lists")
            }
            if written > 0 { try writer.write(Self.separator) }
            try writer.write(patch.text)
            written += 1
            perSlice[k][r] += 1
            // Recomputed from the merged patches in merged order, as the whole run counts them.
            tallies[r].add(area: patch.area, ellipsoidalArea: patch.ellipsoidalArea, aCode: patch.aCode, bCode: patch.bCode)
            previous = (patch.key, k)
            try advance(k)
        }
        try writer.write(Self.footer)
        try writer.flush()
    }

    static let separator = Array(",\n".utf8)
    static let footer = Array("\n]}\n".utf8)

    /// At the end of a slice's file: its patches per rule are those its summary counts, and its
    /// bytes are those its summary's sha256 names.
    func finish(slice: SliceSummary, reader: SlicePatchReader, counts: [Int]) throws {
        for (rule, count) in zip(slice.summary.rules, counts) where rule.patches != count {
            throw MergeError(.patchFile, path: reader.path, "has \(count) patches of rule \(rule.id), but its summary \(slice.path) counts \(rule.patches) (a Feature was removed or added)")
        }
        if let expected = slice.tiles.patchesSha256, reader.sha256 != expected {
            throw MergeError(.patchFile, path: reader.path, "its bytes are not those the slice wrote (sha256 \(reader.sha256.prefix(12))…, its summary \(slice.path) says \(expected.prefix(12))…): changed since the run")
        }
    }

    /// The merged run's summary: the first slice's, with every per-rule figure of the whole run.
    func mergedSummary(_ slices: [SliceSummary], tallies: [RuleTotals]) -> OverlaySummary {
        var merged = slices[0].summary
        for (r, tally) in tallies.enumerated() {
            var rule = merged.rules[r]
            let all = slices.map { $0.summary.rules[r] }
            func sum(_ value: (OverlaySummary.Rule) -> Int) -> Int { all.reduce(0) { $0 + value($1) } }
            rule.patches = tally.patches
            rule.patchesAtLeast1M2 = tally.patchesAtLeast1M2
            rule.areaM2 = tally.area
            rule.areaHa = AreaUnit.hectares(tally.area)
            rule.areaMu = AreaUnit.mu(tally.area)
            rule.areaEllipsoidalM2 = tally.ellipsoidalArea
            rule.classPairs = tally.classPairs.table
            rule.sliversDropped = sum(\.sliversDropped)
            var slivers = ExactSum()
            for slice in slices { for part in slice.tiles.sliverAreaPartsM2?[r] ?? [] { slivers.add(part) } }
            rule.sliverAreaM2 = slivers.value
            rule.lowerDimensionLeftovers = sum(\.lowerDimensionLeftovers)
            rule.fastPathHits = sum(\.fastPathHits)
            rule.overlaysComputed = sum(\.overlaysComputed)
            rule.clipperOperations = sum(\.clipperOperations)
            rule.clipperFallbacks = sum(\.clipperFallbacks)
            rule.seconds = all.reduce(0) { $0 + $1.seconds }
            rule.overlaySeconds = all.reduce(0) { $0 + $1.overlaySeconds }
            var statuses: [String: Int] = [:]
            for one in all { for (status, n) in one.statuses { statuses[status, default: 0] += n } }
            rule.statuses = statuses
            merged.rules[r] = rule
        }
        var seen = Set<String>()
        merged.warnings = slices.flatMap(\.summary.warnings).filter { seen.insert($0).inserted }
        var timings: [String: Double] = [:]
        for slice in slices { for (stage, seconds) in slice.summary.timings { timings[stage, default: 0] += seconds } }
        merged.timings = timings
        merged.output = out
        let levels = Set(slices.map { $0.summary.findingsAtOrAbove ?? "" })
        merged.findingsAtOrAbove = levels.count == 1 ? slices[0].summary.findingsAtOrAbove : nil
        var tiles = slices[0].tiles
        tiles.slice = "merged from \(slices.count) slices"
        tiles.tilesOwned = tiles.tilesTotal
        tiles.ownership = "every tile: the \(slices.count) slices (runs of tiles) merged by plan-check merge"
        if tiles.reading == "region" {
            var read: [String: Int] = [:]
            for slice in slices { for (layer, n) in slice.tiles.layersRead ?? [:] { read[layer, default: 0] += n } }
            tiles.layersRead = read
        }
        tiles.sliverAreaPartsM2 = nil
        tiles.patchesSha256 = nil
        merged.tiles = tiles
        return merged
    }

    /// Neither output may be one of the files read (it would be replaced while it is read).
    func checkOutputsAreNotInputs(_ outputs: NamedOutputs, _ slices: [SliceSummary]) throws {
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        let inputs = Set(slices.flatMap { [canonical($0.path), canonical($0.patchFile)] })
        for (option, place) in outputs.entries {
            guard let target = place.target, inputs.contains(canonical(target)) else { continue }
            throw MergeError(.usage, path: place.path, "\(option) is one of the slices' files; write the merged run to another file")
        }
    }
}

/// Output in blocks of about 1 MiB.
struct BufferedOutput {
    let file: OutputFile
    var bytes: [UInt8] = []

    init(_ file: OutputFile) {
        self.file = file
        bytes.reserveCapacity((1 << 20) + (1 << 16))
    }

    mutating func write(_ more: [UInt8]) throws {
        bytes.append(contentsOf: more)
        if bytes.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        try file.write(bytes)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// A binary min-heap of the current patch of each slice, by merge key.
struct MergeHeap {
    private var items: [(patch: SlicePatch, slice: Int)] = []

    mutating func push(_ patch: SlicePatch, from slice: Int) {
        items.append((patch, slice))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].patch.key < items[parent].patch.key else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (SlicePatch, Int)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let (left, right) = (2 * parent + 1, 2 * parent + 2)
            var smallest = parent
            if left < items.count, items[left].patch.key < items[smallest].patch.key { smallest = left }
            if right < items.count, items[right].patch.key < items[smallest].patch.key { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.patch, top.slice)
    }
}
