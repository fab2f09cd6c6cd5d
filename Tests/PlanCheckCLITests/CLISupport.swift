import Foundation
import PlanCheckTestSupport

/// Runs the built `plan-check` binary and captures what a user would see.
struct CLIRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `plan-check` binary next to this test bundle (SwiftPM puts products side by side).
    static let binary: URL = {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDir, repoRoot.appendingPathComponent(".build/debug")]
        for dir in candidates {
            let url = dir.appendingPathComponent("plan-check")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("plan-check binary not found next to \(bundleDir.path); run `swift build --build-tests` first")
    }()

    static func path(_ relative: String) -> String { repoRoot.appendingPathComponent(relative).path }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> CLIRun {
        try runTool(binary.path, arguments, stdin: stdin)
    }

    /// Runs any program to the end (a test's load generator, a checker) as `run` runs plan-check.
    static func runTool(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> CLIRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Writes the 3 000-parcel plans the overlay tests share into `dir` (`GeneratedPlans`) and
    /// returns the `--layer` arguments that read them.
    static func generatedPlans(in dir: URL) throws -> [String] {
        try GeneratedPlans.write(into: dir).sorted { $0.key < $1.key }.flatMap { ["--layer", "\($0.key)=\($0.value)"] }
    }

    /// A fresh temporary folder for files a test writes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A test's set-up step that failed (a generator, a tool), with what it printed.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
