import Foundation
import Testing

/// `plan-check serve` under load it must survive: bursts beyond its limits, lon/lat and projected
/// sites mixed, large sites beside small ones, sites that cannot be judged. Load from
/// Tests/Fixtures/burst.py (asyncio raw sockets) on loopback; the server's descriptors and memory
/// read from /proc.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServeLimits {
    /// The fixture's conditional site (EPSG:4529 200 m x 200 m) as WGS 84 longitude/latitude
    /// (PROJ's cs2cs), without a `crs` member.
    static let lonLatSite = #"""
        {"type":"Polygon","coordinates":[[[122.797696499,39.503299667],[122.800021813,39.503303690],[122.800016650,39.505105073],[122.797691276,39.505101050],[122.797696499,39.503299667]]]}
        """#

    /// Load from burst.py; its JSON report.
    struct Load: Decodable {
        struct Latency: Decodable {
            var n: Int
            var p50: Double?
            var p99: Double?
        }
        struct Other: Decodable {
            var spec: String
            var status: Int
            var retry_after: String?
            var content_type: String?
            var body: String
        }
        struct State: Decodable {
            var fds: Int
            var file_fds: Int
            var rss_kb: Int
        }
        var statuses: [String: Int]
        var latency_ms: [String: Latency]
        var others: [Other]
        var other_count: Int
        var peak: State

        func count(_ status: Int) -> Int { statuses[String(status)] ?? 0 }
    }

    static func load(_ server: ServedPlanCheck, _ arguments: [String]) throws -> Load {
        let run = try CLI.runTool("/usr/bin/python3", [CLI.path("Tests/Fixtures/burst.py"), "--port", "\(server.port)",
                                                      "--pid", "\(server.process.processIdentifier)"] + arguments)
        guard run.status == 0 else { throw FixtureError(message: "burst.py failed: \(run.stderr)") }
        return try JSONDecoder().decode(Load.self, from: Data(run.stdout.utf8))
    }

    /// Open descriptors (all, and those that are files rather than sockets) and resident memory.
    static func state(of server: ServedPlanCheck) throws -> Load.State {
        let pid = server.process.processIdentifier
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        let files = fds.filter { fd in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "socket:"
            return !target.hasPrefix("socket:") && !target.hasPrefix("anon_inode:") && !target.hasPrefix("pipe:")
        }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
        return Load.State(fds: fds.count, file_fds: files.count, rss_kb: rss)
    }

    static func write(_ text: String, in fixture: ServeFixture, as name: String) throws -> String {
        let path = fixture.directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `count` 2 m x 2 m squares 10 m apart inside region R1, as one site.
    static func manySquares(_ count: Int) -> String {
        let features = (0..<count).map { n in
            let x = 41_482_010 + (n % 90) * 10, y = 4_374_010 + (n / 90) * 10
            return (properties: "{}", geometry: ServeFixture.polygon(x, y, x + 2, y + 2))
        }
        return ServeFixture.collection(features)
    }

    @Test func sitesThatCannotBeJudgedAre422() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let crs = ServeFixture.crs
        let point = try await server.post("/v1/query", body: Data(#"{"type":"Point","coordinates":[41482600,4374400],\#(crs)}"#.utf8))
        let world = try await server.post("/v1/query", body: Data(#"{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]}"#.utf8))
        let geocentric = try await server.post("/v1/query", body: Data(#"{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:4978"}},"coordinates":[[[-2600000,4300000],[-2600100,4300000],[-2600100,4300100],[-2600000,4300000]]]}"#.utf8))
        let good = try await server.post("/v1/query?at=2026-12-01", file: fixture.conditionalSite)
        #expect(try await server.stop().status == 0)

        for (response, fragment) in [(point, "is a Point, which has no area"), (world, "outside the area where the registry's CRS EPSG:4529 is used"),
                                     (geocentric, "is geocentric")] {
            #expect(response.status == 422, "\(response.text)")
            #expect(try response.error().exitStatus == 65)
            #expect(try response.error().message.contains(fragment), "\(response.text)")
            #expect(!response.text.contains("may_proceed"))
        }
        #expect(good.status == 200)
    }

    /// 600 requests at once against 1 worker and 40 waiting places: every request gets 200 or
    /// 503 with Retry-After (never 500 or 422), the registry connections and PROJ contexts stay
    /// bounded while the burst runs, and the server gives back what the burst took.
    @Test func aBurstBeyondTheLimitsGets503AndLeavesNothingBehind() async throws {
        let fixture = try ServeFixture.make()
        let lonLat = try Self.write(Self.lonLatSite, in: fixture, as: "lonlat.geojson")
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry, "--workers", "1", "--max-waiting", "40"])
        // Warm up: the first answers fill the pools.
        _ = try Self.load(server, ["--requests", "8", "projected=\(fixture.conditionalSite)", "lonlat=\(lonLat)"])
        let before = try Self.state(of: server)
        let burst = try Self.load(server, ["--requests", "600", "projected=\(fixture.conditionalSite)", "lonlat=\(lonLat)"])
        try await Task.sleep(for: .seconds(1))
        let after = try Self.state(of: server)
        let stopped = try await server.stop()

        print("serve burst: \(burst.statuses), peak \(burst.peak), before \(before), after \(after)")
        #expect(burst.count(200) + burst.count(503) == 600, "\(burst.statuses) \(burst.others.prefix(3))")
        #expect(burst.count(200) >= 42, "\(burst.statuses)")
        #expect(burst.count(503) > 0, "a burst of 600 against 42 places should be refused in part: \(burst.statuses)")
        for refused in burst.others {
            #expect(refused.status == 503 && refused.retry_after == "2", "\(refused)")
            #expect(refused.content_type == "application/json; charset=utf-8")
            #expect(refused.body.contains("\"exit_status\" : 75") && refused.body.contains("the service is full"), "\(refused.body)")
        }
        // Registry connections (3 descriptors each with WAL) and PROJ's database, bounded by
        // the workers and the pools, not by the requests: a few more than at rest.
        #expect(burst.peak.file_fds <= before.file_fds + 12, "files open during the burst: \(burst.peak.file_fds), at rest \(before.file_fds)")
        #expect(after.fds <= before.fds + 2, "descriptors after the burst: \(after.fds), before \(before.fds)")
        #expect(after.rss_kb - before.rss_kb < 100_000, "resident memory grew by \(after.rss_kb - before.rss_kb) kB")
        #expect(stopped.status == 0)
        #expect(!stopped.stderr.contains(" 500 ") && !stopped.stderr.contains(" 422 "), "\(stopped.stderr.suffix(2000))")
    }

    /// A lon/lat site costs about what a projected one does (its PROJ transformation comes from the
    /// pooled context's cache), and eight lon/lat clients do not hold up a projected one.
    @Test func lonLatSitesCostAboutWhatProjectedOnesDo() async throws {
        let fixture = try ServeFixture.make()
        let lonLat = try Self.write(Self.lonLatSite, in: fixture, as: "lonlat.geojson")
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry, "--workers", "2"])
        _ = try Self.load(server, ["--requests", "4", "projected=\(fixture.conditionalSite)", "lonlat=\(lonLat)"])
        let projected = try Self.load(server, ["--concurrency", "1", "--seconds", "3", "projected=\(fixture.conditionalSite)"])
        let alone = try Self.load(server, ["--concurrency", "1", "--seconds", "3", "lonlat=\(lonLat)"])
        // Eight lon/lat clients and one projected client at once.
        let mixed = try Self.load(server, ["--concurrency", "9", "--seconds", "4"]
            + (0..<8).map { "lonlat\($0)=\(lonLat)" } + ["projected=\(fixture.conditionalSite)"])
        #expect(try await server.stop().status == 0)

        print("serve latency (ms): projected alone \(projected.latency_ms), lon/lat alone \(alone.latency_ms), mixed \(mixed.latency_ms)")
        let p = try #require(projected.latency_ms["projected"]?.p50)
        let l = try #require(alone.latency_ms["lonlat"]?.p50)
        #expect(l <= 2 * p + 5, "lon/lat p50 \(l) ms vs projected \(p) ms")
        let underLoad = try #require(mixed.latency_ms["projected"]?.p50)
        // Nine clients on two workers: a projected answer waits for at most the four or five
        // answers ahead of it; it never waits for lon/lat answers one at a time.
        #expect(underLoad <= 8 * max(p, l) + 20, "projected p50 \(underLoad) ms among 8 lon/lat clients (alone \(p) ms)")
        #expect(mixed.other_count == 0, "\(mixed.others.prefix(3))")
    }

    /// Large sites run on a worker of their own: small sites keep being answered while two large
    /// ones run. Too many parts is 413; a request past --max-query-seconds is 503.
    @Test func largeSitesDoNotHoldUpSmallOnes() async throws {
        let fixture = try ServeFixture.make()
        let large = try Self.write(Self.manySquares(2_500), in: fixture, as: "large.geojson")
        let huge = try Self.write(Self.manySquares(8_000), in: fixture, as: "huge.geojson")
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry, "--max-site-parts", "3000"])
        let small = try Self.load(server, ["--concurrency", "1", "--seconds", "2", "small=\(fixture.conditionalSite)"])
        let mixed = try Self.load(server, ["--concurrency", "3", "--seconds", "6",
                                           "large1=\(large)", "large2=\(large)", "small=\(fixture.conditionalSite)"])
        let tooMany = try await server.post("/v1/query?at=2026-12-01", file: huge)
        let stopped = try await server.stop()

        print("serve latency (ms): small alone \(small.latency_ms), beside large sites \(mixed.latency_ms)")
        let alone = try #require(small.latency_ms["small"]?.p50)
        let largeTime = try #require(mixed.latency_ms["large1"]?.p50)
        let smallUnderLoad = try #require(mixed.latency_ms["small"])
        #expect(smallUnderLoad.n >= 5, "small sites answered while large ones ran: \(smallUnderLoad.n)")
        #expect((smallUnderLoad.p50 ?? .infinity) < max(largeTime / 2, 4 * alone + 20),
                "small p50 \(smallUnderLoad.p50 ?? -1) ms beside large sites of \(largeTime) ms (alone \(alone) ms)")
        #expect(mixed.other_count == 0, "\(mixed.others.prefix(3))")
        #expect(tooMany.status == 413, "\(tooMany.text)")
        #expect(try tooMany.error().message.contains("the site has 8000 polygons, more than the service takes (3000, --max-site-parts)"))
        #expect(stopped.status == 0)

        let hurried = try await ServedPlanCheck.start(["--registry", fixture.registry, "--max-query-seconds", "0.05", "--max-site-parts", "3000"])
        let late = try await hurried.post("/v1/query?at=2026-12-01", file: large)
        #expect(try await hurried.stop().status == 0)
        #expect(late.status == 503, "\(late.text)")
        #expect(late.headers["retry-after"] == "2")
        #expect(try late.error().message.contains("took longer than the service's limit of 0.05 s"), "\(late.text)")
    }
}
