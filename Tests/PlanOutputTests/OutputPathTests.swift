import Foundation
import PlanCheckTestSupport
import PlanModel
import Testing
@testable import PlanOutput

// Output paths and files on real files, links, FIFOs, sockets and devices in fresh folders.

/// A fresh folder under the system's temporary folder.
func makeFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-output-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Writes `text` to a new or existing file at `path`.
func put(_ path: String, _ text: String = "") throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func entries(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

func contents(_ path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}

func kind(_ path: String) -> FileKind? {
    var info = stat()
    return lstat(path, &info) == 0 ? FileKind(mode: info.st_mode) : nil
}

/// The pid of a process that has ended (a `true` that was waited for).
func deadPID() throws -> pid_t { try EndedProcess.pid() }

@Suite struct OutputPathResolution {
    @Test func aNewOrRegularFileIsItsOwnTarget() throws {
        let folder = try makeFolder()
        #expect(try OutputPath(folder + "/new.geojson").target == folder + "/new.geojson")
        try put(folder + "/old.geojson", "x")
        let old = try OutputPath(folder + "/old.geojson")
        #expect(old.destination == .file(target: folder + "/old.geojson"))
        #expect(!old.isStandardOutput)
        // A file name without a folder is in the current folder; an empty one names no file.
        #expect(try OutputPath("patches.geojson").target == "patches.geojson")
        #expect(throws: OutputFileError(path: "", operation: .resolve, code: ENOENT)) { try OutputPath("") }
    }

    @Test func dashIsStandardOutputUnlessTheCallerSaysItIsAFileName() throws {
        #expect(try OutputPath("-").destination == .standardOutput)
        #expect(try OutputPath("-", dashIsStandardOutput: false).target == "-")
    }

    @Test func aChainOfLinksLeadsToTheFinalTargetAndADanglingLinkToTheFileItNames() throws {
        let folder = try makeFolder()
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: false)
        try put(folder + "/data/real.geojson", "x")
        // out.geojson -> data/link.geojson (relative) -> <folder>/data/real.geojson (absolute)
        try FileManager.default.createSymbolicLink(atPath: folder + "/data/link.geojson", withDestinationPath: folder + "/data/real.geojson")
        try FileManager.default.createSymbolicLink(atPath: folder + "/out.geojson", withDestinationPath: "data/link.geojson")
        #expect(try OutputPath(folder + "/out.geojson").target == folder + "/data/real.geojson")
        // A link to a file that does not exist yet: the output creates that file.
        try FileManager.default.createSymbolicLink(atPath: folder + "/next.geojson", withDestinationPath: "data/next.geojson")
        #expect(try OutputPath(folder + "/next.geojson").target == folder + "/data/next.geojson")
    }

    @Test func aLinkLoopIsAnErrorNamingThePath() throws {
        let folder = try makeFolder()
        try FileManager.default.createSymbolicLink(atPath: folder + "/a", withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: folder + "/b", withDestinationPath: "a")
        let error = try #require(throws: OutputFileError.self) { try OutputPath(folder + "/a") }
        #expect(error.operation == .resolve)
        #expect(error.code == ELOOP)
        #expect(error.description.hasPrefix(folder + "/a"))
    }

    @Test func aFIFOAFolderAndASocketAreRefusedSayingWhatTheyAre() throws {
        let folder = try makeFolder()
        #expect(mkfifo(folder + "/fifo", 0o644) == 0)
        let fifo = try #require(throws: OutputFileError.self) { try OutputPath(folder + "/fifo") }
        #expect(fifo.operation == .refuse(.fifo))
        #expect(fifo.description == "\(folder)/fifo is a FIFO: plan-check replaces outputs atomically and does not write into special files")

        let directory = try #require(throws: OutputFileError.self) { try OutputPath(folder) }
        #expect(directory.operation == .refuse(.directory))
        #expect(directory.description == "\(folder) is a directory: give the name of a file in it")

        // Through a link, the message names the link and where it leads.
        try FileManager.default.createSymbolicLink(atPath: folder + "/to-fifo", withDestinationPath: "fifo")
        let linked = try #require(throws: OutputFileError.self) { try OutputPath(folder + "/to-fifo") }
        #expect(linked.operation == .refuse(.fifo))
        #expect(linked.description.hasPrefix("\(folder)/to-fifo (a symbolic link to \(folder)/fifo) is a FIFO"))

        let socketPath = folder + "/socket"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind: \(String(cString: strerror(errno)))")
        let error = try #require(throws: OutputFileError.self) { try OutputPath(socketPath) }
        #expect(error.operation == .refuse(.socket))
        // Nothing was replaced.
        #expect(kind(folder + "/fifo") == .fifo)
        #expect(kind(socketPath) == .socket)
    }

    @Test func aCharacterDeviceIsRefusedAndLeftAsItIs() throws {
        // /dev/full through a link in a temporary folder (an implementation that replaced the
        // node would replace the link, never /dev/full), and a device node of our own where
        // this process may make one (root outside a restricted container).
        let folder = try makeFolder()
        try FileManager.default.createSymbolicLink(atPath: folder + "/full", withDestinationPath: "/dev/full")
        let linked = try #require(throws: OutputFileError.self) { try OutputPath(folder + "/full") }
        #expect(linked.operation == .refuse(.characterDevice))
        #expect(kind(folder + "/full") == .symbolicLink)
        // makedev(1, 3), /dev/null's numbers (glibc's makedev is a macro Swift cannot import).
        if mknod(folder + "/null", mode_t(S_IFCHR) | 0o666, dev_t(1 << 8 | 3)) == 0 {
            let own = try #require(throws: OutputFileError.self) { try OutputPath(folder + "/null") }
            #expect(own.description.contains("is a character device"))
            #expect(kind(folder + "/null") == .characterDevice)
        }
    }

    @Test func checkFolderNamesAFolderThatDoesNotExist() throws {
        let folder = try makeFolder()
        let path = try OutputPath(folder + "/missing/s.json")
        let error = try #require(throws: OutputFileError.self) { try path.checkFolder() }
        #expect(error.code == ENOENT)
        #expect(error.description == "\(folder)/missing/s.json: cannot write in its folder \(folder)/missing: No such file or directory")
        try put(folder + "/file")
        let underFile = try OutputPath(folder + "/file/s.json")
        let notAFolder = try #require(throws: OutputFileError.self) { try underFile.checkFolder() }
        #expect(notAFolder.description == "\(folder)/file/s.json: cannot write in its folder \(folder)/file: Not a directory")
        try OutputPath(folder + "/s.json").checkFolder()
        try OutputPath("-").checkFolder()
    }
}

@Suite struct OutputFiles {
    @Test func writingThroughALinkReplacesTheTargetKeepsTheLinkAndTheTargetsMode() throws {
        let folder = try makeFolder()
        try put(folder + "/real.json", "old")
        chmod(folder + "/real.json", 0o640)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.json", withDestinationPath: "real.json")
        let file = try OutputFile(path: folder + "/link.json")
        try file.write("new\n")
        try file.complete()
        #expect(contents(folder + "/real.json") == "old")
        try file.commit()
        #expect(kind(folder + "/link.json") == .symbolicLink)
        #expect(contents(folder + "/link.json") == "new\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/real.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect(entries(folder) == ["link.json", "real.json"])
    }

    @Test func aNewFileGetsMode666LessTheUmask() throws {
        let folder = try makeFolder()
        let mask = umask(0o022)
        umask(mask)
        let file = try OutputFile(path: folder + "/new.json")
        try file.write("{}\n")
        try file.complete()
        try file.commit()
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/new.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == Int(0o666 & ~mask))
    }

    @Test func outputsDroppedBeforeTheCommitLeaveEveryFileAsItWasAndNoTemporary() throws {
        let folder = try makeFolder()
        try put(folder + "/a.json", "earlier a")
        try put(folder + "/b.json", "earlier b")
        do {
            let a = try OutputFile(path: folder + "/a.json")
            let b = try OutputFile(path: folder + "/b.json")
            try a.write("new a")
            try a.complete()
            try b.write("new b")
            // b fails (here: is given up) before the commit.
            #expect(entries(folder).count == 4)
            b.discard()
            #expect(contents(folder + "/a.json") == "earlier a")
        }
        #expect(contents(folder + "/a.json") == "earlier a")
        #expect(contents(folder + "/b.json") == "earlier b")
        #expect(entries(folder) == ["a.json", "b.json"])

        let a = try OutputFile(path: folder + "/a.json")
        let b = try OutputFile(path: folder + "/b.json")
        for (file, text) in [(a, "new a"), (b, "new b")] {
            try file.write(text)
            try file.complete()
        }
        try OutputFile.commit([a, b])
        #expect(contents(folder + "/a.json") == "new a")
        #expect(contents(folder + "/b.json") == "new b")
        #expect(entries(folder) == ["a.json", "b.json"])
    }

    @Test func aRenameThatFailsDiscardsTheOutputsNotYetInPlace() throws {
        let folder = try makeFolder()
        for name in ["a", "b", "c"] { try put(folder + "/\(name).json", "earlier") }
        let files = try ["a", "b", "c"].map { try OutputFile(path: folder + "/\($0).json") }
        for file in files {
            try file.write("new")
            try file.complete()
        }
        // b's temporary vanishes before the commit (as if its folder were cleaned meanwhile).
        unlink(try #require(files[1].temporaryPath))
        let error = try #require(throws: OutputFileError.self) { try OutputFile.commit(files) }
        #expect(error.operation == .rename)
        #expect(error.path == folder + "/b.json")
        #expect(contents(folder + "/a.json") == "new")
        #expect(contents(folder + "/b.json") == "earlier")
        #expect(contents(folder + "/c.json") == "earlier")
        #expect(entries(folder) == ["a.json", "b.json", "c.json"])
    }

    @Test func aLargeOutputIsWrittenWholeAndLeavesOnlyItsLastBlocksInThePageCache() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let block = OutputFile.writebackBlock
        // 5 blocks in pieces of 1 MiB, each piece filled with its own number.
        let pieces = 5 * block / (1 << 20)
        let file = try OutputFile(path: "\(folder)/big.geojson")
        for n in 0..<pieces { try file.write([UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1 << 20)) }
        try file.complete()
        try file.commit()
        let fd = open("\(folder)/big.geojson", O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let size = 5 * block
        var info = stat()
        try #require(fstat(fd, &info) == 0)
        #expect(Int(info.st_size) == size)
        let mapped = try #require(mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0))
        defer { munmap(mapped, size) }
        // Before reading it back: the first three blocks were written out and dropped one by one.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = [UInt8](repeating: 0, count: 3 * block / page)
        try #require(mincore(mapped, 3 * block, &resident) == 0)
        let cached = resident.filter { $0 & 1 != 0 }.count
        #expect(cached < resident.count / 10, "\(cached) of \(resident.count) pages of the first blocks still cached")
        let bytes = mapped.assumingMemoryBound(to: UInt8.self)
        for n in 0..<pieces {
            #expect(bytes[n << 20] == UInt8(truncatingIfNeeded: n) && bytes[(n << 20) + (1 << 20) - 1] == UInt8(truncatingIfNeeded: n))
        }
    }

    @Test func aTemporaryThatCannotBeCreatedNamesTheOutputAndTheTemporary() throws {
        let path = try makeFolder() + "/no-such-folder/patches.geojson"
        let error = try #require(throws: OutputFileError.self) { try OutputFile(path: path) }
        #expect(error.operation == .create)
        #expect(error.code == ENOENT)
        #expect(error.description.hasPrefix(path + ": cannot create the temporary file "))
        #expect(error.description.contains("/no-such-folder/.patches.geojson.plan-check-\(getpid())-"))
        #expect(error.description.hasSuffix(": No such file or directory"))
    }
}

@Suite struct StaleTemporaries {
    @Test func namesCarryThePidAndTheHostAndParseBack() throws {
        let name = TemporaryName.make(for: "registry.gpkg", pid: 4242, random: 0xbeef)
        #expect(name == ".registry.gpkg.plan-check-4242-beef-\(TemporaryName.host).tmp")
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let owner = try #require(TemporaryName.parse(name + suffix, outputName: "registry.gpkg"))
            #expect(owner.pid == 4242)
            #expect(owner.host == TemporaryName.host)
        }
        // Hosts with dashes and dots parse whole.
        #expect(TemporaryName.parse(".a.json.plan-check-17-ff-build-box.example.org.tmp", outputName: "a.json")?.host == "build-box.example.org")
        // Not temporaries of this output, or not plan-check's.
        for other in [name, ".registry.gpkg.plan-check-4242-beef-\(TemporaryName.host).tmp-other",
                      ".a.json.plan-check-0-ff-h.tmp", ".a.json.plan-check-1-ff-h.tmp", ".a.json.plan-check--5-ff-h.tmp",
                      ".a.json.plan-check-12-zz-h.tmp", ".a.json.plan-check-12-ff-.tmp", ".a.json.plan-check-012-ff-h.tmp",
                      ".a.json.tmp-12-ff", "a.json", ".b.a.json.plan-check-12-ff-h.tmp"] {
            #expect(TemporaryName.parse(other, outputName: "a.json") == nil, "\(other)")
        }
    }

    @Test func onlyTemporariesOfDeadProcessesOfThisMachineForThisOutputAreRemoved() throws {
        let folder = try makeFolder()
        let dead = try deadPID()
        let live = getpid()
        func make(_ output: String, pid: pid_t, host: String = TemporaryName.host, suffix: String = "") throws -> String {
            let name = ".\(output).plan-check-\(pid)-abc-\(host).tmp\(suffix)"
            try put(folder + "/" + name, "partial")
            return name
        }
        let stale = try ["", "-journal", "-wal", "-shm"].map { try make("out.gpkg", pid: dead, suffix: $0) }
        let kept = [
            try make("out.gpkg", pid: live), try make("out.gpkg", pid: live, suffix: "-wal"),  // a running process
            try make("out.gpkg", pid: dead, host: "another-machine"),                          // a shared folder
            try make("other.gpkg", pid: dead),                                                  // another output
        ]
        try put(folder + "/out.gpkg", "registry")
        let removed = try OutputPath(folder + "/out.gpkg").removeStaleTemporaries()
        #expect(Set(removed) == Set(stale.map { folder + "/" + $0 }))
        #expect(entries(folder) == (kept + ["out.gpkg"]).sorted())
        #expect(contents(folder + "/out.gpkg") == "registry")
    }

    @Test func aNewOutputFileRemovesTheStaleTemporariesOfItsTargetBesideTheTarget() throws {
        let folder = try makeFolder()
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder + "/out.geojson", withDestinationPath: "data/out.geojson")
        let stale = folder + "/data/" + TemporaryName.make(for: "out.geojson", pid: try deadPID(), random: 1)
        try put(stale)
        let file = try OutputFile(path: folder + "/out.geojson")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(file.temporaryPath?.hasPrefix(folder + "/data/.out.geojson.plan-check-\(getpid())-") == true)
        file.discard()
        #expect(entries(folder + "/data").isEmpty)
    }

    @Test func aRunningProcessOfAnotherUserCountsAsRunning() throws {
        // pid 1 is never parsed from a name; any other live process that is not ours answers
        // EPERM to an unprivileged kill(pid, 0) and must count as running.
        #expect(TemporaryName.isRunning(getpid()))
        #expect(TemporaryName.isRunning(getppid()))
        #expect(!TemporaryName.isRunning(try deadPID()))
    }
}

@Suite struct NamedOutputsTests {
    @Test func outputsAreCheckedTogetherAndFoundByOption() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let named = try NamedOutputs([("--out", "\(folder)/a.geojson"), ("--summary", nil), ("--html", "-")])
        #expect(named.entries.map(\.option) == ["--out", "--html"])
        #expect(named["--out"]?.path == "\(folder)/a.geojson")
        #expect(named["--summary"] == nil)
        #expect(named["--html"]?.isStandardOutput == true)
    }

    @Test func twoOutputsOnOneFileThroughALinkAreAUsageErrorAndNothingIsWritten() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/link.json", withDestinationPath: "report.json")
        let error = try #require(throws: OutputFileError.self) {
            try NamedOutputs([("--summary", "\(folder)/report.json"), ("--html", "\(folder)/link.json")])
        }
        #expect(error.description == "--summary \(folder)/report.json and --html \(folder)/link.json are the same file (\(folder)/report.json); give two files")
        #expect(error.exitStatus == .usage)
        #expect(entries(folder) == ["link.json"])
    }

    @Test func aSpecialFileIsRefusedWithTheAdviceOfItsOption() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(mkfifo("\(folder)/pipe", 0o644) == 0)
        let error = try #require(throws: OutputFileError.self) { try NamedOutputs([("--csv", "\(folder)/pipe")]) }
        #expect(error.exitStatus == .cannotWrite)
        #expect(error.description.hasSuffix("use --csv - to write to standard output"))
    }

    @Test func writeCompleteLeavesTheTargetAloneUntilCommit() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try put("\(folder)/r.html", "old")
        let named = try NamedOutputs([("--html", "\(folder)/r.html")])
        let file = try NamedOutputs.writeComplete("new", to: try #require(named["--html"]))
        #expect(contents("\(folder)/r.html") == "old")
        try file.commit()
        #expect(contents("\(folder)/r.html") == "new")
        #expect(entries(folder) == ["r.html"])
    }
}
