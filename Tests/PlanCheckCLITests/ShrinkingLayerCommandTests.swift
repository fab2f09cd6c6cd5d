#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A layer file cut while `plan-check inspect` reads it (a planner copying a new version over
/// it mid-run): a one-line error and the documented exit code, never a signal.
@Suite struct ShrinkingLayerCommand {
    @Test func layerCutWhileInspectReadsItExitsWithAMessage() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let generator = try CLI.runTool("/usr/bin/env", [
            "python3", CLI.path("Tools/gen_layers.py"), "--parcels", "40000", "--seed", "3", "--out", dir.path])
        try #require(generator.status == 0, "\(generator.stderr)")
        let layer = dir.appendingPathComponent("urban.geojson").path
        let size = try #require(FileManager.default.attributesOfItem(atPath: layer)[.size] as? Int)

        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["inspect", layer]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        // Cut the file as soon as plan-check has it open.
        var cut = false
        while process.isRunning && !cut {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd")) ?? []
            if fds.contains(where: { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/fd/" + $0)) == layer }) {
                cut = truncate(layer, 4096 * 3 + 17) == 0
            } else {
                usleep(500)
            }
        }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(cut, "plan-check finished before the file could be cut")
        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 66, "\(stderr)")
        #expect(stderr.contains("\(layer): cannot read: changed while it was read: \(size) bytes when opened, \(4096 * 3 + 17) now"), "\(stderr)")
    }
}
