import Foundation
import PlanCheckTestSupport
import PlanModel
import Testing
@testable import PlanCheckKit

/// The on-disk feature store's parts: its record layout (every attribute value back bit for
/// bit) and the streamed fill in batches, which must give the in-memory run's outputs whatever
/// the batch size (the CLI tests run with one batch: their layers are smaller than one).
@Suite struct FeatureStoreTests {
    @Test func recordsGiveBackEveryValueBitForBit() throws {
        let attributes = [
            Attribute("null", .null), Attribute("yes", .bool(true)), Attribute("no", .bool(false)),
            Attribute("min", .integer(.min)), Attribute("max", .integer(.max)),
            Attribute("negativeZero", .double(-0.0)), Attribute("tiny", .double(.leastNonzeroMagnitude)),
            Attribute("third", .double(1.0 / 3.0)), Attribute("nan", .double(.nan)),
            Attribute("名称", .string("城镇开发边界 \u{0}\"\n")), Attribute("", .string("")),
            Attribute("list", .array([.integer(1), .string("a"), .array([]), .object([Attribute("k", .double(2.5))])])),
            Attribute("bytes", .blob([0, 255, 7])),
        ]
        let geometry = GeometryValue.polygon([[Position(x: 41_480_000.123456789, y: 4_360_000.1), Position(x: 41_480_010, y: 4_360_000.1),
                                               Position(x: 41_480_010, y: 4_360_010.987654321), Position(x: 41_480_000.123456789, y: 4_360_000.1)]])
        for id in [FeatureID.int(-42), .string("BSM-0001")] {
            let record = StoredFeatureRecord.encode(id: id, identifier: "4100001", attributes: attributes)
            let wkb = WKB.encode(geometry)
            let back = try record.withUnsafeBytes { r in
                try wkb.withUnsafeBytes { g in try StoredFeatureRecord.decode(record: r, geometry: g) }
            }
            #expect(back.id == id)
            #expect(back.identifier == "4100001")
            #expect(back.geometry == geometry)
            #expect(back.attributes.count == attributes.count)
            for (mine, theirs) in zip(back.attributes, attributes) {
                #expect(mine.name == theirs.name)
                if case .double(let d) = theirs.value, case .double(let e) = mine.value {
                    #expect(d.bitPattern == e.bitPattern, "\(theirs.name)")
                } else {
                    #expect(mine.value == theirs.value, "\(theirs.name)")
                }
            }
            // Cut short, a record is an error, not a crash.
            #expect(throws: StoredFeatureRecord.Reader.Malformed.self) {
                try record.dropLast(3).withUnsafeBytes { r in
                    try wkb.withUnsafeBytes { g in _ = try StoredFeatureRecord.decode(record: r, geometry: g) }
                }
            }
        }
    }

    /// `auto`: disk for layer files over 512 MiB together when every output is streamed; memory,
    /// with a note naming the output, when one needs every patch; memory for small files.
    /// (Sparse files: their size costs no disk.)
    @Test func autoChoosesByTheFilesSizeAndTheOutputs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feature-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func sparse(_ name: String, bytes: UInt64) throws -> String {
            let path = dir.appendingPathComponent(name).path
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: bytes)
            try handle.close()
            return path
        }
        let big = [try sparse("a.geojson", bytes: 300 << 20), try sparse("b.geojson", bytes: 300 << 20)]
        let small = [try sparse("c.geojson", bytes: 100 << 20)]
        var request = OverlayRequest(rulesPath: "rules.yaml")
        request.featureStore = .auto
        request.keepsPatches = false
        let streamed = try OverlayOutputs(patches: dir.appendingPathComponent("p.geojson").path, summary: nil)
        #expect(try OverlayRunner(request).featureStoreMode(for: big, outputs: streamed) == (.disk, nil))
        #expect(try OverlayRunner(request).featureStoreMode(for: small, outputs: streamed) == (.memory, nil))
        let report = try OverlayOutputs(patches: nil, summary: nil, html: dir.appendingPathComponent("r.html").path)
        request.keepsPatches = true
        let (mode, note) = try OverlayRunner(request).featureStoreMode(for: big, outputs: report)
        #expect(mode == .memory)
        #expect(note?.contains("600 MiB together, but --html") == true, "\(note ?? "no note")")
        request.featureStore = .disk
        #expect(throws: OverlayUsageError.self) { try OverlayRunner(request).featureStoreMode(for: small, outputs: report) }
    }

    /// Runs `request` in memory, then on disk with `disk` applied to it, and expects the same
    /// patches file and summary (timings and store figures aside); returns the patches file's size (bytes).
    static func expectDiskGivesTheMemoryRun(_ request: OverlayRequest, in dir: URL, _ what: String,
                                            disk: (inout OverlayRequest) -> Void) async throws -> Int {
        var request = request
        request.featureStore = .memory
        let memory = try await run(request, in: dir)
        request.featureStore = .disk
        disk(&request)
        let stored = try await run(request, in: dir)
        #expect(stored.patches == memory.patches, "\(what): the patches differ")
        #expect(try text(stored.summary) == text(memory.summary), "\(what): the summaries differ")
        return memory.patches.count
    }

    /// The patches file and the summary of a run.
    static func run(_ request: OverlayRequest, in dir: URL) async throws -> (patches: Data, summary: [String: Any]) {
        let name = UUID().uuidString
        let out = dir.appendingPathComponent("\(name).geojson")
        let outputs = try OverlayOutputs(patches: out.path, summary: nil)
        var request = request
        request.keepsPatches = false
        request.storeDirectory = dir.path
        let result = try await OverlayRunner(request).run(progress: nil, writingTo: outputs)
        try outputs.commit(summary: nil)
        var summary = try #require(try JSONSerialization.jsonObject(
            with: Data(OverlaySummary(result, request: request, output: nil, rfc7946: false).json().utf8)) as? [String: Any])
        for key in ["timings", "feature_store", "feature_store_bytes"] { summary[key] = nil }
        summary["rules"] = (summary["rules"] as? [[String: Any]])?.map { $0.filter { $0.key != "seconds" && $0.key != "overlay_seconds" } }
        return (try Data(contentsOf: out), summary)
    }

    static func text(_ summary: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The 3 000-parcel plans (repaired and rejected features across batch edges) in batches of
    /// 100: the in-memory run's outputs under both policies.
    @Test func generatedPlansInBatches() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feature-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layers = try GeneratedPlans.write(into: dir)
        for policy in [InvalidFeaturePolicy.repair, .reject] {
            var request = OverlayRequest(
                rulesPath: Repo.path("Tools/bench-overlay/rules.yaml"),
                layerPaths: layers, policy: policy, jobs: 2)
            request.featureStore = .memory
            let memory = try await Self.run(request, in: dir)
            request.featureStore = .disk
            request.storeBatchSize = 100
            let disk = try await Self.run(request, in: dir)
            #expect(disk.patches == memory.patches, "\(policy): the patches differ")
            #expect(try Self.text(disk.summary) == Self.text(memory.summary), "\(policy): the summaries differ")
            let inputs = memory.summary["inputs"] as? [[String: Any]] ?? []
            let key = policy == .repair ? "repaired" : "rejected"
            #expect(inputs.contains { ($0[key] as? [Any])?.isEmpty == false }, "\(policy): the case has \(key) features")
        }
    }

    /// The 3 000-parcel plans with workers whose cache of stored `b` features holds 1 or 40 (a
    /// chunk needs hundreds: read one by one beyond the cache, generations turned over within a
    /// chunk) and the default: the in-memory run's outputs.
    @Test(arguments: [1, 40, RuleEvaluator.Worker.bCacheLimit])
    func smallStoreCachesGiveTheInMemoryRun(limit: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feature-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let request = OverlayRequest(rulesPath: Repo.path("Tools/bench-overlay/rules.yaml"), layerPaths: try GeneratedPlans.write(into: dir), jobs: 2)
        let bytes = try await Self.expectDiskGivesTheMemoryRun(request, in: dir, "a cache of \(limit)") { $0.storedCacheLimit = limit }
        #expect(bytes > 10_000)
    }

    /// Batches of 1, 7 and 100 features (classification reports merged, read problems and
    /// repairs across batch edges, one transaction each), read, checked and stored one batch at a
    /// time (1 job) or overlapping (2 and 3 jobs): the in-memory run's outputs.
    @Test(arguments: [1, 7, 100], [1, 2, 3])
    func smallBatchesGiveTheInMemoryRun(batchSize: Int, jobs: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feature-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let request = OverlayRequest(rulesPath: Repo.path("SampleLayers/rules.yaml"), jobs: jobs)
        let bytes = try await Self.expectDiskGivesTheMemoryRun(request, in: dir, "batches of \(batchSize), \(jobs) jobs") { $0.storeBatchSize = batchSize }
        #expect(bytes > 10_000)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("plan-check-store-") }
        #expect(left.isEmpty, "store files left: \(left)")
    }

    /// A file that breaks in its third batch, while the batches before it are checked and
    /// stored: the in-memory run's error, and no store file left behind.
    @Test(arguments: [1, 2])
    func aLayerThatBreaksPartWayFailsAsInMemoryAndLeavesNoStore(jobs: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feature-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layers = try GeneratedPlans.write(into: dir)
        // Cut the landuse file inside its 250th feature.
        let landuse = try #require(layers["landuse"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: landuse))
        var starts: [Int] = []
        let marker = Data("{\"type\":\"Feature\"".utf8)
        var from = bytes.startIndex
        while let found = bytes.range(of: marker, in: from..<bytes.endIndex), starts.count < 250 {
            starts.append(found.lowerBound)
            from = found.upperBound
        }
        try #require(starts.count == 250, "the generated landuse layer has 250 features")
        try bytes[..<(starts[249] + 40)].write(to: URL(fileURLWithPath: landuse))
        var request = OverlayRequest(rulesPath: Repo.path("Tools/bench-overlay/rules.yaml"), layerPaths: layers, jobs: jobs)
        request.featureStore = .memory
        let memoryError = await Self.failure(request, in: dir)
        request.featureStore = .disk
        request.storeBatchSize = 100
        let diskError = await Self.failure(request, in: dir)
        #expect(memoryError != nil)
        #expect(diskError == memoryError)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("plan-check-store-") }
        #expect(left.isEmpty, "store files left: \(left)")
    }

    /// The description of the error `request` fails with, or nil when it runs.
    static func failure(_ request: OverlayRequest, in dir: URL) async -> String? {
        do {
            _ = try await run(request, in: dir)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
