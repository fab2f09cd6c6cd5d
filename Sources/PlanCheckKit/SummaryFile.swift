import Foundation

/// A report file that could not be written (exit 74).
public struct OutputWriteError: PlanCheckFailure {
    public var path: String
    public var reason: String
    public var exitStatus: ExitStatus { .cannotWrite }
    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Writes small report files (summaries) atomically: a temporary file, then a rename.
public enum SummaryFile {
    public static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OutputWriteError(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}
