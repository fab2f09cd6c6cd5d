import Foundation
import PlanCheckTestSupport
import PlanOutput
@testable import PlanCheckServer
import Testing

// Upload folders left by servers that were killed, on real folders in a fresh temporary folder.
@Suite struct SiteUploadFolders {
    @Test func aFolderNameCarriesThisProcessAndMachine() throws {
        let owner = try #require(TemporaryName.parse(SiteUpload.folderName(), outputName: SiteUpload.folderStem))
        #expect(owner.pid == getpid())
        #expect(owner.host == TemporaryName.host)
    }

    @Test func onlyFoldersOfEndedProcessesOfThisMachineAreRemoved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("site-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dead = try EndedProcess.pid()
        let stale = TemporaryName.make(for: SiteUpload.folderStem, pid: dead, random: 1)
        let running = TemporaryName.make(for: SiteUpload.folderStem, pid: getpid(), random: 2)
        let elsewhere = ".\(SiteUpload.folderStem).plan-check-\(dead)-3-another-machine.tmp"
        let unrelated = "plan-check-upload-\(dead)"
        for name in [stale, running, elsewhere, unrelated] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: false)
            try Data("x".utf8).write(to: dir.appendingPathComponent(name).appendingPathComponent("site.zip"))
        }
        let removed = SiteUpload.removeStaleFolders(in: dir.path)
        #expect(removed == [dir.appendingPathComponent(stale).path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [elsewhere, running, unrelated].sorted())
    }
}
