import Foundation
import Logging

/// A swift-log handler that writes one line per event to standard error, in the style of every
/// other plan-check diagnostic: `plan-check: 2026-11-20T01:52:29.123Z POST /v1/query 200 41.7 ms`,
/// with `warning:` or `error:` before the message at those levels. Standard output stays empty.
public struct ServeLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String) {}

    /// A logger at `level` that writes through this handler.
    public static func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "plan-check.serve", factory: ServeLogHandler.init)
        logger.logLevel = level
        return logger
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level >= .warning ? "\(event.level): " : ""
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
        let all = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        let details = all.isEmpty ? "" : " (" + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
        // One write per line, so lines from concurrent requests never interleave.
        FileHandle.standardError.write(Data("plan-check: \(time) \(level)\(event.message)\(details)\n".utf8))
    }
}
