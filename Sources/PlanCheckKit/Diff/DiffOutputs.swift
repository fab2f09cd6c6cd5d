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
    ///   or `-`; `OutputFileError` (`NamedOutputs`: exit 74 for a path that cannot be written,
    ///   64 for two outputs on one file or on standard output).
    public init(out: String?, summary: String?, html: String?) throws {
        if let out, out != "-", !(out.lowercased().hasSuffix(".geojson") || out.lowercased().hasSuffix(".json")) {
            throw ReconcileError(.usage, "--out \(out): diff writes its changes as GeoJSON (.geojson or .json, or - for standard output)")
        }
        let named = try NamedOutputs([("--out", out), ("--summary", summary), ("--html", html)])
        self.out = named["--out"]
        self.summary = named["--summary"]
        self.html = named["--html"]
    }

    /// Writes every output of `result` and puts them in place together.
    public func write(_ result: DiffResult, summary statistics: DiffSummary) throws {
        var files: [OutputFile] = []
        // Whatever is not in place when this returns (an error part-way) is removed.
        defer { for file in files { file.discard() } }
        if let out {
            let writer = try GeoJSONWriter(path: out.path, name: "changes", crsName: PatchWriter.urn(for: result.workingCRS))
            for change in result.changes {
                try writer.write(id: .string(change.id), geometry: change.geometry, properties: Self.properties(of: change))
            }
            files.append(try writer.complete())
        }
        for (path, text) in [(summary, summary == nil ? nil : try statistics.json() + "\n"), (html, html == nil ? nil : statistics.html())] {
            guard let path, let text else { continue }
            files.append(try NamedOutputs.writeComplete(text, to: path))
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
