import ArgumentParser
import Foundation
import PlanCheckKit
import PlanRules
import Synchronization

extension Severity: ExpressibleByArgument {}
extension ReportLanguage: ExpressibleByArgument {}
extension OverlayEngine: ExpressibleByArgument {}
extension FeatureStoreMode: ExpressibleByArgument {}

/// `plan-check overlay`: discrepancy patches between plan layers, by the rules of a rule set.
struct Overlay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find discrepancy patches (差异图斑) between plan layers by the rules of a rule set.",
        discussion: """
            Reads the layers of the rule set (or --layer NAME=PATH), checks them (--invalid), \
            reprojects them to the working CRS (the first layer's, or --crs), and evaluates every \
            rule. Patches go to --out in the format of its extension: .geojson/.json (GeoJSON), .gpkg \
            (GeoPackage with a QGIS style by severity), .shp (Shapefile, UTF-8 or --out-encoding, \
            field names cut to 10 bytes as listed in NAME.fields.csv), .gdb (File Geodatabase); \
            statistics to stdout and, as JSON, to --summary. \
            The outputs appear together when the run has succeeded; a failed run leaves earlier \
            files as they were. A symbolic link is written through; FIFOs and devices are refused. \
            With --out - (or --summary -, --csv -) that output goes to stdout and the table to stderr. \
            --districts FILE --district-field NAME splits each patch by district and adds the \
            district table (ha, 亩) to the summary and the table; --csv writes one row per patch \
            (UTF-8 with BOM, for Excel); --html writes one self-contained HTML report (map, tables, \
            patch list, provenance; Chinese, or English with --lang en). \
            --dispositions PREVIOUS carries the decisions recorded in an earlier run's patch file \
            (disposition, disposition_note, disposed_by, disposed_on) to the patches with the same id \
            and classifies each patch new, open, disposed or changed. \
            Exit 1 when --fail-on is given and a patch of that severity or above exists (with \
            --dispositions, one that is new, open or changed).
            """
    )

    @Option(help: "The rule set (YAML, version 1).", completion: .file(extensions: ["yaml", "yml"]))
    var rules: String

    @Option(name: .customLong("layer"), help: ArgumentHelp("A layer file for a layer of the rule set (repeatable).", valueName: "NAME=PATH"))
    var layers: [String] = []

    @Option(help: "Write the patches to this file, in the format of its extension: .geojson, .json, .gpkg, .shp, .gdb (written whole or not at all; - for GeoJSON on stdout).")
    var out: String?

    @Option(help: ArgumentHelp(
        "Text encoding of a Shapefile --out (attributes, field names and .cpg): UTF-8 (default) or e.g. GBK for ArcGIS. --encoding is for reading.",
        valueName: "NAME"))
    var outEncoding: String?

    @Option(help: "Write the statistics as JSON to this file (- for stdout).")
    var summary: String?

    @Option(help: "Write the patches as a CSV table for Excel to this file (UTF-8 with BOM; - for stdout).")
    var csv: String?

    @Option(help: "Write a self-contained HTML report (map, tables by rule and district, patch list, provenance) to this file (- for stdout).")
    var html: String?

    @Option(help: "Language of the HTML report: zh (default) or en.")
    var lang: ReportLanguage = .zh

    @Option(help: "A districts layer (行政区, any format plan-check reads): tabulate patch area by district.")
    var districts: String?

    @Option(help: "The field of --districts that names each district (e.g. XZQMC or XZQDM).")
    var districtField: String?

    @Option(help: "Working CRS (e.g. EPSG:4529); default: the first layer's.")
    var crs: String?

    @OptionGroup var reading: LayerReadingOptions

    @Option(help: "Tasks to run at once (default: one per core). The output is the same for any value.")
    var jobs: Int?

    @Flag(help: "Write RFC 7946 GeoJSON (WGS 84 longitude/latitude, no crs member).")
    var rfc7946 = false

    @Option(help: "Exit 1 when a patch of this severity or above exists: minor, major or critical (with --dispositions: one that is new, open or changed).")
    var failOn: Severity?

    @Option(help: ArgumentHelp(
        "A patch file of an earlier run (any format --out writes, or its --csv table) whose decisions (disposition columns) carry over to the patches with the same id.",
        valueName: "PREVIOUS"))
    var dispositions: String?

    @Option(help: "What to do with invalid features: repair, reject or fail.")
    var invalid: InvalidFeaturePolicy = .repair

    @Flag(help: "Also compute each rule's dissolved area (the union of its patches, overlaps counted once); it costs about twice the overlays.")
    var dissolve = false

    @Option(help: "Kernel of the pairwise overlays: clipper (default; a 1 µm integer grid, every result checked by GEOS, GEOS where it is not valid) or geos (OverlayNG at full precision).")
    var engine: OverlayEngine = .clipper

    @Option(help: ArgumentHelp(
        "Compute only slice K of N of the tile grid (1 ≤ K ≤ N): the patches whose reference point lies in the K-th of N runs of tiles (row-major). The N slices together are the whole run, each patch once. GeoPackage layers with an R-tree are read only where the slice's patches can lie.",
        valueName: "K/N"))
    var tile: String?

    @Option(help: ArgumentHelp("Side of a --tile tile, metres (default 1000).", valueName: "METRES"))
    var tileSize: Double?

    @Option(help: ArgumentHelp(
        "Where the layers' features are held: auto (default: disk when the layer files exceed 512 MiB together and every output is GeoJSON --out, --summary or --csv), memory, or disk (a temporary SQLite file in --store-dir, about the size of the layers' geometries; memory then grows by about 40 bytes a feature).",
        valueName: "MODE"))
    var featureStore: FeatureStoreMode = .auto

    @Option(help: ArgumentHelp("Folder of the --feature-store disk file plan-check-store-*.sqlite (default: $TMPDIR, else /tmp); removed at the end of the run.", valueName: "DIR"))
    var storeDir: String?

    @Flag(help: "No progress line and no table on stdout.")
    var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        for entry in layers where !entry.contains("=") || entry.hasPrefix("=") || entry.hasSuffix("=") {
            throw ValidationError("--layer takes NAME=PATH (got '\(entry)')")
        }
        if rfc7946 && out == nil { throw ValidationError("--rfc7946 needs --out") }
        if let outEncoding {
            guard PatchFormat.canonicalEncoding(outEncoding) != nil else {
                throw ValidationError("--out-encoding \(outEncoding): not an encoding this system knows (e.g. UTF-8, GBK, GB18030, CP936)")
            }
            guard let out, out.lowercased().hasSuffix(".shp") else {
                throw ValidationError("--out-encoding is for a Shapefile: give --out NAME.shp")
            }
        }
        let outputs = [("--out", out), ("--summary", summary), ("--csv", csv), ("--html", html)].compactMap { o, p in p.map { (o, $0) } }
        for (i, first) in outputs.enumerated() {
            for second in outputs[(i + 1)...] where first.1 == second.1 {
                throw ValidationError(first.1 == "-"
                    ? "\(first.0) - and \(second.0) - would both write to standard output; give a file to one of them"
                    : "\(first.0) and \(second.0) are the same file (\(first.1)); give two files")
            }
        }
        if let tile, TileSlice.parse(tile) == nil {
            throw ValidationError("--tile \(tile): give K/N, two whole numbers with 1 ≤ K ≤ N (e.g. --tile 2/3)")
        }
        if let tileSize {
            guard tile != nil else { throw ValidationError("--tile-size needs --tile K/N") }
            guard tileSize.isFinite, tileSize > 0 else { throw ValidationError("--tile-size \(tileSize): the tile side must be a positive number of metres") }
        }
        if tile != nil {
            let others = [("--csv", csv), ("--html", html), ("--districts", districts)].filter { $0.1 != nil }.map(\.0)
            if let first = others.first {
                throw ValidationError("--tile and \(first): a slice's \(first == "--districts" ? "district table" : "table or report") would show only its own patches; write GeoJSON slices (--out K.geojson --summary K.json), put them together with plan-check merge, and make the table or report from the whole run")
            }
            if let out, let format = try? PatchFormat(path: out), format != .geoJSON {
                throw ValidationError("--tile and --out \(out): slices are written as GeoJSON (.geojson) for plan-check merge, which writes GeoJSON; convert the merged file (e.g. ogr2ogr) for a \(format.rawValue)")
            }
        }
        if tile != nil && dissolve { throw ValidationError("--tile and --dissolve: a slice cannot compute a dissolved area (overlaps across slices); run --dissolve on the whole overlay") }
        if tile != nil && dispositions != nil { throw ValidationError("--tile and --dispositions: a slice would report the other slices' patches as resolved; carry dispositions on the merged run") }
        if (districts == nil) != (districtField == nil) {
            throw ValidationError(districts == nil
                ? "--district-field needs --districts FILE"
                : "--districts needs --district-field NAME (the field that names each district, e.g. XZQMC)")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            var paths: [String: String] = [:]
            for entry in layers {
                let parts = entry.split(separator: "=", maxSplits: 1)
                paths[String(parts[0])] = String(parts[1])
            }
            var request = OverlayRequest(
                rulesPath: rules, layerPaths: paths, workingCRS: crs, policy: invalid, jobs: jobs ?? defaultJobCount,
                dissolve: dissolve, reading: try reading.settings(),
                districts: districts.flatMap { path in districtField.map { (path, $0) } })
            request.engine = engine
            request.featureStore = featureStore
            request.storeDirectory = storeDir
            let interruptions = featureStore == .memory ? [] : Self.removingStoresOnInterrupt()
            defer { interruptions.forEach { $0.cancel() } }
            request.dispositionsPath = dispositions
            request.tiles = tile.flatMap { TileSlice.parse($0, tileSizeMetres: tileSize ?? TileSlice.defaultTileSizeMetres) }
            // Both outputs are checked before any work, and put in place together at the end.
            let outputs = try OverlayOutputs(
                patches: out, summary: summary, csv: csv, html: html, rfc7946: rfc7946, jobs: request.jobs,
                encoding: outEncoding.flatMap(PatchFormat.canonicalEncoding) ?? "UTF-8")
            // Patches that every output has already written are not kept (running totals).
            request.keepsPatches = outputs.needEveryPatch
            let progressLine: ProgressLine? = (!quiet && isatty(STDERR_FILENO) == 1) ? ProgressLine() : nil
            var report: (@Sendable (OverlayProgress) -> Void)?
            if let progressLine { report = { progressLine.show($0) } }
            // The patches file is written while the overlay runs (its "write" timing is what
            // is left after the overlay: flush and sync).
            let result = try await OverlayRunner(request).run(progress: report, writingTo: outputs)
            progressLine?.finish()
            var statistics = OverlaySummary(result, request: request, output: out, rfc7946: rfc7946)
            statistics.findingsAtOrAbove = failOn?.rawValue
            // A slice names the bytes of its patch file, so that merge can refuse a changed one.
            if request.tiles != nil { statistics.tiles?.patchesSha256 = try outputs.streamedPatchesSHA256() }
            try outputs.commit(
                summary: summary == nil ? nil : try statistics.json() + "\n", csv: csv == nil || outputs.csvStreamed ? nil : PatchCSV(result).text(),
                html: html == nil ? nil : try OverlayReport(result, summary: statistics, language: lang).html())
            if !quiet {
                // Standard output carries the patches or the summary when one of them is `-`.
                if out == "-" || summary == "-" || csv == "-" || html == "-" {
                    StandardError.write(statistics.text())
                } else {
                    print(statistics.text(), terminator: "")
                }
            }
            for warning in result.warnings where quiet { StandardError.write("plan-check: \(warning)\n") }
            // A decision that still holds is not a finding; new, open and changed patches are.
            let worst = result.outcomes.filter { $0.totals.needingAttention > 0 }.map(\.rule.severity).max()
            let status: ExitStatus = if let failOn, let worst, worst >= failOn { .findings } else { .success }
            // Everything is written: end the process here rather than free the run's patches
            // and layers object by object (0.2-0.3 s at 100 000 parcels), which the system
            // does at once.
            fflush(nil)
            Foundation.exit(status.rawValue)
        }
    }
}

extension Overlay {
    /// Ends the process on SIGINT or SIGTERM (exit 130 or 143, as the default action would)
    /// after deleting the feature store, which the run's own clean-up does not get to do then.
    static func removingStoresOnInterrupt() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FeatureStore.removeLive()
                _exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// A one-line progress display on a terminal's stderr: rule, features done, rate, ETA; redrawn
/// at most ten times a second.
final class ProgressLine: Sendable {
    private let lastShown = Mutex(-1.0)

    func show(_ p: OverlayProgress) {
        let due = lastShown.withLock { last in
            guard p.done == p.total || p.elapsedSeconds - last >= 0.1 || p.elapsedSeconds < last else { return false }
            last = p.elapsedSeconds
            return true
        }
        guard due else { return }
        let rate = p.elapsedSeconds > 0 ? Double(p.done) / p.elapsedSeconds : 0
        let eta = rate > 0 ? Double(p.total - p.done) / rate : 0
        let text = String(format: "\rrule %@: %d/%d features, %.0f/s, ETA %.0f s   ", p.ruleID, p.done, p.total, rate, eta)
        StandardError.write(text)
    }

    func finish() {
        StandardError.write("\r\u{1B}[K")
    }
}
