import PlanCRS
import PlanModel
import PlanOutput

/// The files an overlay writes, the patches (`--out`), the statistics (`--summary`), the patch
/// table (`--csv`) and the HTML report (`--html`), committed together.
///
/// - Checked before the run (`NamedOutputs`): each path is resolved (links followed; FIFOs,
///   devices, sockets and folders refused; `-` is standard output), its folder must exist and be
///   writable, and the temporaries that killed runs left for it are removed. A bad path fails
///   before any work.
/// - While the run goes on, the patches (GeoJSON) and the CSV table (without district columns)
///   are written to temporary files beside their targets (or streamed to standard output);
///   `commit(summary:)` writes the summary's temporary, then
///   renames both onto their targets. Until then every earlier file stays as it was: an error
///   anywhere, or outputs dropped uncommitted, leave no file changed and no temporary behind.
///
/// Stays on the task that made it.
public final class OverlayOutputs {
    /// How the patches are written (`--out`), or nil for none.
    public let patches: PatchWriter?
    /// Where the statistics go (`--summary`), or nil for none.
    public let summary: OutputPath?
    /// Where the patch table goes (`--csv`), or nil for none.
    public let csv: OutputPath?
    /// Where the HTML report goes (`--html`), or nil for none.
    public let html: OutputPath?
    /// The format of the patches, by the extension of `--out`.
    public let patchFormat: PatchFormat?
    /// Outputs complete and waiting for `commit(summary:)`.
    private var completed: [OutputFile] = []
    /// The patches in a format written after the overlay (.gpkg, .shp, .gdb), staged.
    private var staged: StagedPatchFile?

    /// The patches writer when they are GeoJSON, streamed while the overlay runs.
    var streamedPatches: PatchWriter? { patchFormat == .geoJSON ? patches : nil }

    /// The CSV table was written during the run (`openStreams`): `commit` takes no CSV text.
    public private(set) var csvStreamed = false

    /// True when an output needs every patch once the overlay is done: a GeoPackage, Shapefile
    /// or File Geodatabase `--out` (written whole) and the HTML report. GeoJSON, the summary and
    /// the CSV table can be written as the patches are made (`OverlayRequest.keepsPatches`).
    public var needEveryPatch: Bool { (patches != nil && streamedPatches == nil) || html != nil }

    /// Opens the outputs written while the overlay runs: the GeoJSON patches, and the CSV table
    /// when `csvDuringRun` (a run that keeps no patch; one that does writes the table at the end,
    /// with district columns when it has districts). Temporary files until
    /// `streamsWritten(_:)` and `commit`.
    /// With `mergeKeys` (a `--tile` slice) each GeoJSON Feature ends with its `PatchMergeKey`.
    func openStreams(workingCRS: CRSDescription, csvDuringRun: Bool, mergeKeys: PatchMergeKey.Order?) throws -> StreamedOutputs {
        let geoJSON = try streamedPatches?.open(workingCRS: workingCRS, mergeKeys: mergeKeys)
        var table: OutputFile?
        if csvDuringRun, let csv {
            let file = try OutputFile(csv)
            do { try file.write(PatchCSV.headerWithoutDistricts) } catch {
                file.discard()
                throw error
            }
            table = file
        }
        return StreamedOutputs(patches: geoJSON, csv: table, workingCRS: workingCRS)
    }

    /// Keeps the outputs written during the run, complete, for the commit.
    func streamsWritten(_ streams: StreamedOutputs) throws {
        if let patches = streams.patches {
            let file = try patches.complete()
            streamedFile = file
            completed.append(file)
        }
        if let csv = streams.csv {
            try csv.complete()
            completed.append(csv)
            csvStreamed = true
        }
    }

    /// Checks the outputs of a run: the patches to `patches` (RFC 7946 when `rfc7946`, encoded
    /// on `jobs` tasks), the statistics to `summary`.
    /// - Throws: `OutputFileError` (`NamedOutputs`: exit 74 for a path that cannot be written,
    ///   64 when two outputs lead to the same file or more than one is standard output), or
    ///   `OverlayUsageError` (exit 64) for an option that does not fit the format.
    public convenience init(patches: String?, summary: String?, csv: String? = nil, html: String? = nil, rfc7946: Bool = false,
                            jobs: Int = defaultJobCount, encoding: String = "UTF-8") throws {
        try self.init(
            patches: patches.map { PatchWriter(path: $0, rfc7946: rfc7946, jobs: jobs, encoding: encoding) }, summary: summary, csv: csv, html: html)
    }

    public init(patches: PatchWriter?, summary: String?, csv: String? = nil, html: String? = nil) throws {
        let format = try patches.map { try PatchFormat(path: $0.path) }
        if let patches, let format {
            if patches.rfc7946 && format != .geoJSON {
                throw OverlayUsageError(message: "--rfc7946 is for GeoJSON; --out \(patches.path) is a \(format.rawValue) in the working CRS")
            }
            if format != .shapefile && TextEncodingName.canonical(patches.encoding) != "UTF-8" {
                throw OverlayUsageError(message: "--out-encoding \(patches.encoding) is for a Shapefile (--out NAME.shp); \(format.rawValue) text is UTF-8")
            }
        }
        let named = try NamedOutputs([
            ("--out", patches?.path, format == .fileGeodatabase), ("--summary", summary, false),
            ("--csv", csv, false), ("--html", html, false),
        ])
        self.patches = patches
        self.patchFormat = format
        if let patches, let format, format != .geoJSON, let output = named["--out"] {
            staged = StagedPatchFile(format: format, output: output, encoding: patches.encoding)
        }
        self.summary = named["--summary"]
        self.csv = named["--csv"]
        self.html = named["--html"]
    }

    /// The streamed GeoJSON patches file, complete and waiting for the commit.
    private var streamedFile: OutputFile?

    /// SHA-256 (lowercase hex) of the GeoJSON patches file written during the run, read back
    /// from its temporary before the commit; nil when there is none or it went to standard
    /// output. A `--tile` slice records it for `plan-check merge`.
    public func streamedPatchesSHA256() throws -> String? {
        guard let temporary = streamedFile?.temporaryPath else { return nil }
        return try FileHash.sha256(ofFile: temporary)
    }

    /// Writes the patches of `result` when they go to a GeoPackage, Shapefile or File
    /// Geodatabase (staged beside the target until `commit`); nothing for GeoJSON, which was
    /// streamed during the run.
    func writePatchFile(_ result: OverlayResult) throws {
        guard let staged else { return }
        try staged.write(PatchTable(result), crs: result.workingCRS, crsContext: try CRSContext())
    }

    /// Writes the summary (`text`, required when there is a summary output), the patch table
    /// (`csv`, required when there is a CSV output not written during the run) and the HTML report (`html`, required when
    /// there is an HTML output), and puts every output in place: all are complete before the
    /// first rename.
    /// - Throws: `OutputFileError`; every output not yet in place is then removed.
    public func commit(summary text: String?, csv table: String? = nil, html report: String? = nil) throws {
        defer { discard() }
        for (output, content, what) in [(summary, text, "summary"), (csvStreamed ? nil : csv, table, "CSV"), (html, report, "HTML")] {
            guard let output else { continue }
            guard let content else { preconditionFailure("OverlayOutputs.commit: a \(what) output and no \(what) text") }
            completed.append(try NamedOutputs.writeComplete(content, to: output))
        }
        // The staged patches first: when they cannot be moved into place, no other output is.
        try staged?.commit()
        try OutputFile.commit(completed)
    }

    /// Removes every temporary and leaves the earlier files as they were.
    public func discard() {
        for file in completed { file.discard() }
        completed = []
        staged?.discard()
    }
}

@available(*, unavailable)
extension OverlayOutputs: Sendable {}

/// The outputs an overlay writes while it runs, in the whole run's patch order: the GeoJSON
/// patches and the CSV table (either may be absent). Stays on the task that opened it.
final class StreamedOutputs {
    let patches: PatchStream?
    let csv: OutputFile?
    let workingCRS: CRSDescription

    init(patches: PatchStream?, csv: OutputFile?, workingCRS: CRSDescription) {
        self.patches = patches
        self.csv = csv
        self.workingCRS = workingCRS
    }

    /// What the workers encode for one rule's patches; nil when nothing is written during the run.
    func encoder(for lineage: PatchLineage) -> ChunkEncoder? {
        guard patches != nil || csv != nil else { return nil }
        return ChunkEncoder(geoJSON: patches?.encoder(for: lineage), csv: csv == nil ? nil : lineage, workingCRS: workingCRS)
    }

    /// Appends one encoded chunk to each output.
    func write(_ encoded: EncodedPatches) throws {
        try patches?.write(encoded)
        if let csv { try csv.write(encoded.csv) }
    }
}

@available(*, unavailable) extension StreamedOutputs: Sendable {}
