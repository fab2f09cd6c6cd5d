import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// `plan-check serve` as applicants reach it: the built binary listening on loopback, a registry
/// made by `plan-check assess`, requests over HTTP, SIGTERM at the end of every test.
@Suite(.timeLimit(.minutes(2))) struct ServeCommand {
    @Test func answersAsPlanCheckQueryDoes() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let response = try await server.post("/v1/query?project_type=industrial&at=2026-12-01", file: fixture.conditionalSite)
        let stopped = try await server.stop()

        #expect(response.status == 200, "\(response.text)")
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        let cli = try CLI.run(["query", "--registry", fixture.registry, "--project-type", "industrial", "--at", "2026-12-01",
                               "--format", "json", fixture.conditionalSite])
        #expect(cli.status == 0, "\(cli.stderr)")
        // The same bytes but for the site's name: a file path there, "request body" here. The
        // SHA-256 is of the same bytes (the file, the body), so it is the same.
        let cliAnswer = cli.stdout.replacingOccurrences(of: "\"site\" : \"\(fixture.conditionalSite)\"", with: "\"site\" : \"request body\"")
        #expect(cliAnswer != cli.stdout)
        #expect(response.text == cliAnswer)
        let answer = try response.object()
        #expect(answer["may_proceed"] as? Bool == true)
        let items = try #require(answer["items"] as? [[String: Any]])
        #expect(items.map { $0["item_id"] as? String } == ["geohazard", "mineral"])
        #expect(items.map { $0["outcome"] as? String } == ["conditional", "reuse"])

        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.isEmpty)
        #expect(stopped.stderr.contains("POST /v1/query?project_type=industrial&at=2026-12-01 200 "), "\(stopped.stderr)")
        #expect(stopped.stderr.hasSuffix("plan-check: stopped\n"))
    }

    @Test func aSiteThatMayNotProceedIsStillA200Answer() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let response = try await server.post("/v1/query?at=2026-12-01", file: fixture.hazardSite, contentType: "application/json")
        #expect(try await server.stop().status == 0)
        #expect(response.status == 200, "\(response.text)")
        let answer = try response.object()
        #expect(answer["may_proceed"] as? Bool == false)
        #expect(answer["exit_status"] as? Int == 1)
        #expect((answer["conformity"] as? [String: Any])?["critical_patches"] as? Int == 1)
    }

    @Test func errorsAreJSONWithTheirExitStatus() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry, "--max-body-bytes", "1000"])
        let broken = try await server.post("/v1/query", body: Data("{\"type\": \"FeatureCollection\",\n  \"features\": [ {\"type\": \"Feature\" \"x\"} ]}".utf8))
        let badDate = try await server.post("/v1/query?at=2026-02-30", file: fixture.conditionalSite)
        let badType = try await server.post("/v1/query?project_type=casino", file: fixture.conditionalSite)
        let form = try await server.post("/v1/query", file: fixture.conditionalSite, contentType: "application/x-www-form-urlencoded")
        let large = try await server.post("/v1/query", body: Data(repeating: 0x20, count: 5000))
        let missing = try await server.get("/v1/nothing")
        let wrongMethod = try await server.get("/v1/query")
        #expect(try await server.stop().status == 0)

        #expect(broken.status == 422)
        #expect(try broken.error().exitStatus == 65)
        #expect(try broken.error().message.hasPrefix("request body:2:"), "\(broken.text)")
        #expect(badDate.status == 400)
        #expect(try badDate.error() == .init(exitStatus: 64, message: "at=2026-02-30: not a date (write YYYY-MM-DD)"))
        #expect(badType.status == 400)
        #expect(try badType.error().message.hasPrefix("project_type=casino: not a project type of the rule set (known: industrial, chemical)"))
        #expect(form.status == 415)
        #expect(large.status == 413)
        #expect(try large.error().message.contains("1000 bytes"))
        #expect(missing.status == 404)
        #expect(try missing.error().exitStatus == 64)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
        for response in [broken, badDate, badType, form, large, missing, wrongMethod] {
            #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        }
    }

    @Test func twentyConcurrentQueriesGetTheSameAnswer() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let site = try Data(contentsOf: URL(fileURLWithPath: fixture.hazardSite))
        let responses = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for _ in 0..<20 {
                group.addTask { try await server.post("/v1/query?at=2026-12-01", body: site) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stopped = try await server.stop()
        #expect(responses.count == 20)
        #expect(responses.allSatisfy { $0.status == 200 })
        #expect(Set(responses.map(\.body)).count == 1)
        #expect(stopped.status == 0)
        let logged = stopped.stderr.split(separator: "\n").filter { $0.contains("POST /v1/query?at=2026-12-01 200 ") }
        #expect(logged.count == 20, "\(stopped.stderr)")
    }

    @Test func healthItemsAndANewRunWithoutRestart() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let health = try await server.get("/v1/health").object()
        let items = try await server.get("/v1/items").object()
        let before = try await server.post("/v1/query?at=2026-12-01", file: fixture.conditionalSite).object()

        // A new assessment of the region, valid only from next year, while the server runs.
        let reassess = try CLI.run(["assess", "--rules", fixture.rules, "--regions", fixture.regions, "--registry", fixture.registry,
                                    "--valid-from", "2027-01-01", "--quiet"])
        #expect(reassess.status == 0, "\(reassess.stderr)")
        let healthAfter = try await server.get("/v1/health").object()
        let after = try await server.post("/v1/query?at=2026-12-01", file: fixture.conditionalSite).object()
        #expect(try await server.stop(signal: SIGINT).status == 0)

        #expect(health["status"] as? String == "ok")
        #expect(health["registry"] as? String == fixture.registry)
        #expect(health["latest_run_id"] as? Int == 1)
        #expect(health["rules"] as? String == "registry run 1")
        #expect((health["plan_check_version"] as? String)?.isEmpty == false)
        let listed = try #require(items["items"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["geohazard", "mineral"])
        #expect(listed.map { $0["title"] as? String } == ["地质灾害危险性评估", "压覆重要矿产资源评估"])

        #expect(healthAfter["latest_run_id"] as? Int == 2)
        func geohazard(_ answer: [String: Any]) -> [String: Any]? {
            (answer["items"] as? [[String: Any]])?.first { $0["item_id"] as? String == "geohazard" }
        }
        #expect(geohazard(before)?["outcome"] as? String == "conditional")
        #expect(geohazard(after)?["outcome"] as? String == "individual")
        let reasons = (geohazard(after)?["reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        #expect(reasons?.contains("not_yet_valid") == true)
    }

    @Test func aRequestInFlightAtSIGTERMIsStillAnswered() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let body = try Data(contentsOf: URL(fileURLWithPath: fixture.conditionalSite))
        let connection = try RawConnection(port: server.port)
        // Half of the request, then SIGTERM, then the rest: the server finishes this request
        // before it stops.
        try connection.send(Data("POST /v1/query?at=2026-12-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/geo+json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body.prefix(100))
        try await Task.sleep(for: .milliseconds(200))
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        try connection.send(body.dropFirst(100))
        let response = String(decoding: try connection.receiveAll(), as: UTF8.self)
        let stopped = try await server.stop(signal: nil)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response.prefix(300))")
        #expect(response.contains("\"schema\" : \"plan-check/query-answer\""))
        #expect(stopped.status == 0)
        #expect(stopped.stderr.hasSuffix("plan-check: stopped\n"), "\(stopped.stderr)")
    }

    @Test func startupErrorsExitWithTheDocumentedCodes() async throws {
        let fixture = try ServeFixture.make()
        let missing = try CLI.run(["serve", "--registry", fixture.directory.appendingPathComponent("none.gpkg").path, "--port", "0"])
        #expect(missing.status == 66, "\(missing.stderr)")
        #expect(missing.stderr.hasPrefix("plan-check: error: "))
        let badPort = try CLI.run(["serve", "--registry", fixture.registry, "--port", "70000"])
        #expect(badPort.status == 64)
        #expect(badPort.stderr.contains("--port 70000"))

        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let taken = try CLI.run(["serve", "--registry", fixture.registry, "--port", String(server.port)])
        #expect(try await server.stop().status == 0)
        #expect(taken.status == 75, "\(taken.stderr)")
        #expect(taken.stderr.contains("the port is in use"), "\(taken.stderr)")
    }
}

// MARK: - Fixture

/// A registry made by `plan-check assess` in a fresh folder: one region (R1) with a geological
/// hazard layer (high in the west strip, medium in the east strip), and two sites.
struct ServeFixture {
    var directory: URL
    var rules: String
    var regions: String
    var registry: String
    /// Half in the medium-hazard strip: geohazard conditional, no conformity patch.
    var conditionalSite: String
    /// In the high-hazard strip: geohazard individual and a critical S1 patch.
    var hazardSite: String

    static let crs = #""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}}"#

    static func polygon(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> String {
        #"{"type":"Polygon","coordinates":[[[\#(x0),\#(y0)],[\#(x1),\#(y0)],[\#(x1),\#(y1)],[\#(x0),\#(y1)],[\#(x0),\#(y0)]]]}"#
    }

    static func collection(_ features: [(properties: String, geometry: String)]) -> String {
        let body = features.map { #"{"type":"Feature","properties":\#($0.properties),"geometry":\#($0.geometry)}"# }
        return "{\"type\":\"FeatureCollection\",\(crs),\"features\":[\n\(body.joined(separator: ",\n"))\n]}\n"
    }

    static func make() throws -> ServeFixture {
        let dir = try CLI.temporaryDirectory()
        func write(_ name: String, _ text: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let rules = try write("rules.yaml", """
            version: 1
            min_area_m2: 1
            project_types: {industrial: 一般工业, chemical: 化工}
            layers:
              hazard:
                title: 地质灾害易发区
                path: hazard.geojson
                class_field: YFCD
                classes: {high: ["高易发"], medium: ["中易发"]}
              site:
                title: 项目用地范围
            rules:
              - {id: S1, title: 项目用地位于地质灾害高易发区, severity: critical, relation: intersects, a: site, b: hazard.high}
            assessments:
              - id: geohazard
                title: 地质灾害危险性评估
                validity_years: 3
                default_outcome: reuse
                constraints: {hazard.high: individual, hazard.medium: conditional}
                conditions: {conditional: 落实区域评估提出的地质灾害防治措施，签署告知承诺书}
                excluded_project_types: [chemical]
              - id: mineral
                title: 压覆重要矿产资源评估
                validity_years: 5
                default_outcome: reuse

            """)
        _ = try write("hazard.geojson", collection([
            (#"{"YFCD":"高易发"}"#, polygon(41482000, 4374000, 41482300, 4375000)),
            (#"{"YFCD":"中易发"}"#, polygon(41482700, 4374000, 41483000, 4375000)),
        ]))
        let regions = try write("regions.geojson", collection([
            (#"{"region_id":"R1","name":"测试园区"}"#, polygon(41482000, 4374000, 41483000, 4375000)),
        ]))
        let conditional = try write("conditional.geojson", collection([("{}", polygon(41482600, 4374400, 41482800, 4374600))]))
        let hazard = try write("hazard-site.geojson", collection([("{}", polygon(41482100, 4374400, 41482200, 4374500))]))
        let registry = dir.appendingPathComponent("registry.gpkg").path
        let assess = try CLI.run(["assess", "--rules", rules, "--regions", regions, "--registry", registry,
                                  "--valid-from", "2026-01-01", "--quiet"])
        guard assess.status == 0 else { throw FixtureError(message: "plan-check assess failed: \(assess.stderr)") }
        return ServeFixture(directory: dir, rules: rules, regions: regions, registry: registry,
                            conditionalSite: conditional, hazardSite: hazard)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

// MARK: - Server process and HTTP

/// One HTTP exchange as the client saw it.
struct HTTPResult: Sendable {
    var status: Int
    /// Lower-cased names.
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)")
    }

    struct ErrorDetail: Decodable, Equatable {
        var exitStatus: Int
        var message: String
    }

    /// The `error` member of an error body.
    func error() throws -> ErrorDetail {
        struct Body: Decodable { var error: ErrorDetail }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Body.self, from: body).error
    }
}

/// A `plan-check serve --port 0` subprocess: started, its port read from the line it prints on
/// stderr, asked over URLSession, and stopped with a signal.
final class ServedPlanCheck: Sendable {
    let process: Process
    let port: Int
    let stdoutPipe: Pipe
    let stderrText: TextBuffer
    let session: URLSession
    /// Signalled when the stderr reader has seen the end of the pipe.
    let stderrClosed: DispatchSemaphore

    private init(process: Process, port: Int, stdoutPipe: Pipe, stderrText: TextBuffer, stderrClosed: DispatchSemaphore, session: URLSession) {
        self.process = process
        self.port = port
        self.stdoutPipe = stdoutPipe
        self.stderrText = stderrText
        self.stderrClosed = stderrClosed
        self.session = session
    }

    /// `plan-check serve --port 0 ARGUMENTS`, with `environment` added to this process's.
    static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> ServedPlanCheck {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // Read stderr on its own thread until the process closes it, so the pipe never fills.
        let text = TextBuffer()
        let reader = err.fileHandleForReading
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text.append(String(decoding: chunk, as: UTF8.self))
            }
            finished.signal()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        var port: Int?
        while port == nil {
            let seen = text.value
            if let line = seen.split(separator: "\n").first(where: { $0.hasPrefix("plan-check: listening on http://127.0.0.1:") }) {
                port = Int(line.split(separator: ":").last ?? "")
            } else if !process.isRunning || ContinuousClock.now > deadline {
                if process.isRunning { process.terminate() }
                throw FixtureError(message: "plan-check serve did not start: \(seen)")
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 20
        return ServedPlanCheck(process: process, port: port!, stdoutPipe: out, stderrText: text, stderrClosed: finished,
                               session: URLSession(configuration: configuration))
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func get(_ path: String) async throws -> HTTPResult {
        try await send(URLRequest(url: url(path)))
    }

    func post(_ path: String, file: String, contentType: String? = "application/geo+json") async throws -> HTTPResult {
        try await post(path, body: try Data(contentsOf: URL(fileURLWithPath: file)), contentType: contentType)
    }

    func post(_ path: String, body: Data, contentType: String? = "application/geo+json") async throws -> HTTPResult {
        var request = URLRequest(url: url(path))
        request.httpMethod = "POST"
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        return try await send(request)
    }

    func send(_ request: URLRequest) async throws -> HTTPResult {
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return HTTPResult(status: http.statusCode, headers: headers, body: data)
    }

    /// Sends `signal` (none: it was sent already) and waits for the process to end; its exit
    /// status, stdout and stderr.
    func stop(signal: Int32? = SIGTERM) async throws -> CLIRun {
        session.invalidateAndCancel()
        if let signal { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw FixtureError(message: "plan-check serve did not stop within 20 s of signal \(signal ?? SIGTERM)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let stdout = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        stderrClosed.wait()
        return CLIRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: stderrText.value)
    }
}

/// Text that one thread appends to while another reads it.
final class TextBuffer: Sendable {
    private let text = Mutex("")

    func append(_ more: String) { text.withLock { $0 += more } }
    var value: String { text.withLock { $0 } }
}

/// A plain TCP connection to 127.0.0.1, for what URLSession cannot do: send half a request,
/// wait, and send the rest. Receives time out after 20 s.
final class RawConnection {
    private(set) var descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError(message: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw FixtureError(message: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { close() }

    /// Closes the connection (once; deinit closes it otherwise).
    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    func send(_ data: Data) throws {
        let bytes = Array(data)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw FixtureError(message: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Everything until the server closes the connection.
    func receiveAll() throws -> Data {
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n == 0 { return result }
            guard n > 0 else { throw FixtureError(message: "recv: errno \(errno) after \(result.count) bytes") }
            result.append(contentsOf: buffer[..<n])
        }
    }
}
