import ArgumentParser
import Foundation
import PlanCheckKit

/// `plan-check merge`: the whole overlay from the slices of `overlay --tile K/N`.
struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the slices of overlay --tile K/N together into the whole overlay's patch file and summary.",
        discussion: """
            Give the --summary files of the N slices of one run, in any order. Each names its patch \
            file (its "output"); when that path does not exist as written, the file of that name \
            beside the summary is read. The slices must be 1..N of one run (same N, tile grid, rule \
            set, inputs, engine, options and versions) and their patch files whole and unchanged. \
            The merged --out is the GeoJSON that overlay without --tile writes, byte for byte; the \
            merged --summary is the whole run's, with timings added up and tiles saying "merged from \
            N slices". Both appear together, and only when every check passed. \
            Exit 64 for a slice missing or given twice; 65 for slices of different runs or a patch \
            file cut short or changed; 66 for a file that is not there.
            """
    )

    @Option(help: "Write the merged patches to this GeoJSON file (- for standard output).")
    var out: String

    @Option(help: "Write the merged statistics as JSON to this file (- for standard output).")
    var summary: String?

    @Flag(help: "No table on stdout.")
    var quiet = false

    @Argument(help: ArgumentHelp("The --summary files of the slices (overlay --tile K/N --out K.geojson --summary K.json), in any order.", valueName: "SLICE_SUMMARY"))
    var slices: [String] = []

    func validate() throws {
        if slices.isEmpty { throw ValidationError("give the --summary files of the slices to merge (plan-check merge --out MERGED.geojson SLICE_SUMMARY.json...)") }
        if out == summary {
            throw ValidationError(out == "-"
                ? "--out - and --summary - would both write to standard output; give a file to one of them"
                : "--out and --summary are the same file (\(out)); give two files")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let merged = try SliceMerge(summaryPaths: slices, out: out, summary: summary).run()
            if !quiet {
                if out == "-" || summary == "-" { StandardError.write(merged.text()) } else { print(merged.text(), terminator: "") }
            }
            return .success
        }
    }
}
