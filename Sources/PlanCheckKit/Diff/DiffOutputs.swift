import PlanCRS
import PlanLayers
import PlanModel
import PlanOutput

/// The files a `diff` writes, the changes by id (`--out`, GeoJSON), the statistics
/// (`--summary`) and the HTML page (`--html`): each path checked before any work, all written to
/// temporaries and put in place together, as the overlay's outputs are.
public final class DiffOutputs {
    let out: OutputPath?
    let summary: OutputPath?
    let html: OutputPath?

    /// - Throws: `ReconcileError` (.usage, exit 64) for an `--out` that is not `.geojson`/`.json`
    ///   or `-`, or two outputs on one file or on standard output; `OutputFileError` (exit 74)
    ///   for a path that cannot be written.
    public init(out: String?, summary: String?, html: String?) throws {
        if let out, out != "-", !(out.lowercased().hasSuffix(".geojson") || out.lowercased().hasSuffix(".json")) {
            throw ReconcileError(.usage, "--out \(out): diff writes its changes as GeoJSON (.geojson or .json, or - for standard output)")
        }
        let named: [(String, OutputPath)] = try [("--out", out), ("--summary", summary), ("--html", html)].compactMap { option, path in
            try path.map { (option, try OverlayOutputs.resolve($0, option: option)) }
        }
        for (i, first) in named.enumerated() {
            for second in named[(i + 1)...] {
                if (first.1.isStandardOutput && second.1.isStandardOutput) || (first.1.target != nil && first.1.target == second.1.target) {
                    throw ReconcileError(.usage, "\(first.0) and \(second.0) lead to the same place (\(first.1.description)); give two files")
                }
            }
        }
        for (_, path) in named {
            try path.checkFolder()
            path.removeStaleTemporaries()
        }
        self.out = named.first { $0.0 == "--out" }?.1
        self.summary = named.first { $0.0 == "--summary" }?.1
        self.html = named.first { $0.0 == "--html" }?.1
    }

    /// Writes every output of `result` and puts them in place together.
    public func write(_ result: DiffResult, summary statistics: DiffSummary) throws {
        var files: [OutputFile] = []
        if let out {
            let writer = try GeoJSONWriter(path: out.path, name: "changes", crsName: PatchWriter.urn(for: result.workingCRS))
            for change in result.changes {
                try writer.write(id: .string(change.id), geometry: change.geometry, properties: Self.properties(of: change))
            }
            files.append(try writer.complete())
        }
        for (path, text) in [(summary, summary == nil ? nil : try statistics.json() + "\n"), (html, html == nil ? nil : statistics.html())] {
            guard let path, let text else { continue }
            let file = try OutputFile(path)
            try file.write(text)
            try file.complete()
            files.append(file)
        }
        try OutputFile.commit(files)
    }

    /// `change` (the kinds joined by commas), `old_class`, `new_class`, `old_area_m2`,
    /// `new_area_m2`, `from_ids`, `to_ids` (ids joined by commas).
    static func properties(of change: FeatureChange) -> [Attribute] {
        func text(_ s: String?) -> AttributeValue { s.map(AttributeValue.string) ?? .null }
        return [
            Attribute("change", .string(change.kinds.map(\.rawValue).joined(separator: ","))),
            Attribute("old_class", text(change.oldClass)), Attribute("new_class", text(change.newClass)),
            Attribute("old_area_m2", change.oldAreaM2.map(AttributeValue.double) ?? .null),
            Attribute("new_area_m2", change.newAreaM2.map(AttributeValue.double) ?? .null),
            Attribute("from_ids", .string(change.fromIds.joined(separator: ","))),
            Attribute("to_ids", .string(change.toIds.joined(separator: ","))),
        ]
    }
}

@available(*, unavailable)
extension DiffOutputs: Sendable {}
