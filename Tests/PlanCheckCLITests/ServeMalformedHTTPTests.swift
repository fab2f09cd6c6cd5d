import Foundation
import Testing

/// `plan-check serve` and requests that are not HTTP as it reads it, sent on a raw socket to the
/// built binary: each gets the service's JSON error with a fitting status and the connection is
/// closed; a client that goes away part-way is logged with a 4xx status, never a 5xx; the server
/// keeps answering afterwards.
extension ServeCommand {
    @Test func malformedHTTPGetsJSONErrorsAndTheServerGoesOn() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let many = (0..<2000).map { "X-Header-\($0): v\r\n" }.joined()
        let cases: [(name: String, request: String, status: Int, message: String)] = [
            ("bad request line", "GARBAGE\r\n\r\n", 400, "bad request line: it does not start with an HTTP method"),
            ("HTTP version", "GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad request line: it must end in HTTP/1.1"),
            ("unencoded UTF-8 in the URL", "GET /v1/health?x=é HTTP/1.1\r\nHost: x\r\n\r\n", 400, "must be percent-encoded"),
            ("100 KB URL", "GET /v1/query?at=\(String(repeating: "9", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414,
             "the URL (request target) is longer than the 81920 bytes"),
            ("1 MB header", "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 1_000_000))\r\n\r\n", 431,
             "the request headers are larger than the server reads"),
            ("2 000 headers", "GET /v1/health HTTP/1.1\r\nHost: x\r\n\(many)\r\n", 431, "at most 1000 header fields"),
            ("bad header name", "GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "bad header: a header name has a space"),
            ("Content-Length and Transfer-Encoding",
             "POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
             "bad header: both Content-Length and Transfer-Encoding"),
            ("Transfer-Encoding and Content-Length",
             "POST /v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400,
             "bad header: both Content-Length and Transfer-Encoding"),
            ("Content-Length -1", "POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
             "bad header: Content-Length is not a number of bytes"),
            ("bad chunk size",
             "POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
             "bad chunked body: a chunk size is not a hexadecimal number"),
        ]
        for (name, request, status, message) in cases {
            let connection = try RawConnection(port: server.port)
            try connection.send(Data(request.utf8))
            // The server closes the connection after its answer, so this returns.
            let responses = RawResponse.all(in: try connection.receiveAll())
            let response = try #require(responses.first, "\(name): no answer")
            #expect(responses.count == 1, "\(name)")
            #expect(response.status == status, "\(name): \(response.text)")
            #expect(response.headers["content-type"] == "application/json; charset=utf-8", "\(name)")
            #expect(response.headers["connection"] == "close", "\(name)")
            let error = try response.error()
            #expect(error.exitStatus == 64, "\(name)")
            #expect(error.message.contains(message), "\(name): \(error.message)")
        }
        let health = try await server.get("/v1/health")
        let stopped = try await server.stop()

        #expect(health.status == 200)
        #expect(stopped.status == 0)
        let refusals = stopped.stderr.split(separator: "\n").filter { $0.contains("Z malformed request from 127.0.0.1:") }
        #expect(refusals.count == cases.count - 1, "\(stopped.stderr)")  // the bad chunk is in a request line
        #expect(stopped.stderr.contains("POST /v1/query 400 "), "\(stopped.stderr)")
        #expect(!stopped.stderr.contains("error:"), "\(stopped.stderr)")
    }

    @Test func aQuoteInTheQueryReachesTheServiceAndPipelinedGarbageWaitsItsTurn() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let site = try String(contentsOfFile: fixture.conditionalSite, encoding: .utf8)
        // RFC 3986 allows ' in a query; the service, not the parser, answers it.
        let quoted = try RawConnection(port: server.port)
        try quoted.send(Data("POST /v1/query?at=2026-12-01' HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\nContent-Length: \(site.utf8.count)\r\nConnection: close\r\n\r\n\(site)".utf8))
        let quotedAnswer = try #require(RawResponse.all(in: try quoted.receiveAll()).first)
        // A good request and garbage in one write: the answer to the first, then the refusal.
        let pipelined = try RawConnection(port: server.port)
        try pipelined.send(Data("GET /v1/health?note='x' HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n".utf8))
        let answers = RawResponse.all(in: try pipelined.receiveAll())
        #expect(try await server.stop().status == 0)

        #expect(quotedAnswer.status == 400)
        #expect(try quotedAnswer.error().message == "at=2026-12-01': not a date (write YYYY-MM-DD)")
        #expect(answers.map(\.status) == [200, 400])
        #expect(answers.first?.text.contains("\"status\" : \"ok\"") == true)
        #expect(try answers.last?.error().message.hasPrefix("bad request line") == true)
    }

    @Test func aClientThatClosesMidBodyIsLoggedWithA4xxNotA5xx() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let body = try Data(contentsOf: URL(fileURLWithPath: fixture.conditionalSite))
        let head = Data("POST /v1/query?at=2026-12-01 HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        for reset in [false, true] {
            let connection = try RawConnection(port: server.port)
            try connection.send(head + body.prefix(100))
            try await Task.sleep(for: .milliseconds(200))
            if reset { connection.resetOnClose() }  // RST instead of FIN
            connection.close()
        }
        try await Task.sleep(for: .milliseconds(300))
        let after = try await server.post("/v1/query?at=2026-12-01", file: fixture.conditionalSite)
        let stopped = try await server.stop()

        #expect(after.status == 200)
        #expect(stopped.status == 0)
        let logged = stopped.stderr.split(separator: "\n").filter {
            $0.contains("POST /v1/query?at=2026-12-01 400 ")
                && $0.hasSuffix(": the client closed the connection before sending the whole body (100 of \(body.count) bytes received)")
        }
        #expect(logged.count == 2, "\(stopped.stderr)")
        #expect(!stopped.stderr.contains(" 500 "), "\(stopped.stderr)")
        #expect(!stopped.stderr.contains("error:"), "\(stopped.stderr)")
    }

    @Test func stalledRequestsAreClosedAfterTheIdleTimeout() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry, "--idle-timeout", "1"])
        let body = try Data(contentsOf: URL(fileURLWithPath: fixture.conditionalSite))
        let start = ContinuousClock.now
        // Part of a body, then nothing (slowloris): closed, logged as 408.
        let stalledBody = try RawConnection(port: server.port)
        try stalledBody.send(Data("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body.prefix(100))
        // Part of a head, then nothing: closed.
        let stalledHead = try RawConnection(port: server.port)
        try stalledHead.send(Data("POST /v1/query HTTP/1.1\r\nHost: x\r\n".utf8))
        let bodyAnswer = try stalledBody.receiveAll()
        let headAnswer = try stalledHead.receiveAll()
        let waited = ContinuousClock.now - start
        let health = try await server.get("/v1/health")
        let stopped = try await server.stop()

        #expect(bodyAnswer.isEmpty && headAnswer.isEmpty)
        #expect(waited >= .milliseconds(900) && waited < .seconds(10), "\(waited)")
        #expect(health.status == 200)
        #expect(stopped.stderr.contains("POST /v1/query 408 "), "\(stopped.stderr)")
        #expect(stopped.stderr.contains(": the client sent nothing for 1 s in the middle of the body (100 of \(body.count) bytes received); the connection was closed"))
        #expect(!stopped.stderr.contains("error:"), "\(stopped.stderr)")
    }

    @Test func aBodyOverTheLimitIsRefusedAndItsConnectionClosed() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let connection = try RawConnection(port: server.port)
        try connection.send(Data("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\nContent-Length: 50000000\r\n\r\n".utf8)
            + Data(repeating: 0x20, count: 100_000))
        // Without Connection: close the server would read (and drop) all 50 MB before the next request.
        let answers = RawResponse.all(in: try connection.receiveAll())
        #expect(try await server.stop().status == 0)
        #expect(answers.map(\.status) == [413])
        #expect(answers.first?.headers["connection"] == "close")
    }
}

/// The HTTP/1.1 responses a raw connection received, in order (each framed by Content-Length).
struct RawResponse {
    var status: Int
    /// Lower-cased names.
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func error() throws -> HTTPResult.ErrorDetail {
        try HTTPResult(status: status, headers: headers, body: body).error()
    }

    static func all(in data: Data) -> [RawResponse] {
        var responses: [RawResponse] = []
        var rest = data[...]
        let separator = Data("\r\n\r\n".utf8)
        while let end = rest.range(of: separator) {
            let lines = String(decoding: rest[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = headers["content-length"].flatMap { Int($0) } ?? 0
            let body = rest[end.upperBound...].prefix(length)
            responses.append(RawResponse(status: status, headers: headers, body: Data(body)))
            rest = rest[(end.upperBound + body.count)...]
        }
        return responses
    }
}

extension RawConnection {
    /// Makes the close send a reset (RST) instead of a FIN, as a crashed client or a proxy does.
    func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

/// HEAD, which every general-purpose server must support (RFC 9110, 9.1): on a raw socket, so the
/// bytes on the wire are seen as a client reads them.
extension ServeCommand {
    @Test func headAnswersAsGetWithoutABodyAndTheNextRequestFollowsAtOnce() async throws {
        let fixture = try ServeFixture.make()
        let server = try await ServedPlanCheck.start(["--registry", fixture.registry])
        let connection = try RawConnection(port: server.port)
        try connection.send(Data("HEAD /v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let wire = String(decoding: try connection.receiveAll(), as: UTF8.self)
        let refused = try RawConnection(port: server.port)
        try refused.send(Data("DELETE /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let refusal = String(decoding: try refused.receiveAll(), as: UTF8.self)
        #expect(try await server.stop().status == 0)

        // The HEAD's header block ends where the GET's status line begins: no body between.
        let parts = wire.components(separatedBy: "\r\n\r\n")
        try #require(parts.count == 3, "\(wire)")
        #expect(parts[0].hasPrefix("HTTP/1.1 200 OK"), "\(parts[0])")
        #expect(parts[1].hasPrefix("HTTP/1.1 200 OK"), "the HEAD answer has a body: \(wire)")
        func header(_ name: String, in block: String) -> String? {
            block.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        let length = try #require(header("content-length", in: parts[0]))
        #expect(length == header("content-length", in: parts[1]))
        #expect(Int(length) == parts[2].utf8.count, "the HEAD's Content-Length is the GET body's")
        #expect(header("content-type", in: parts[0]) == "application/json; charset=utf-8")
        #expect(refusal.hasPrefix("HTTP/1.1 405"))
        #expect(header("allow", in: refusal.components(separatedBy: "\r\n\r\n")[0]) == "GET, HEAD")
    }
}
