import NIOHTTP1
@testable import PlanCheckServer
import Testing

/// What a malformed request is told, without a socket: the raw head scan that tells an over-long
/// URL from over-long headers and names the framing headers, and the status and words per parser
/// error. The live server's answers are tested in PlanCheckCLITests/ServeMalformedHTTPTests.swift.
@Suite struct MalformedRequestTests {
    static func scan(_ chunks: String...) -> RequestHeadScan {
        var head = RequestHeadScan()
        for chunk in chunks { head.scan(Array(chunk.utf8)) }
        return head
    }

    @Test func theScanMeasuresTheRequestLineAcrossReads() {
        let partial = Self.scan("\r\nPOST /v1/query?at=", "2026-12-01")
        #expect(partial.requestLineEnded == false)
        #expect(partial.requestLineBytes == "POST /v1/query?at=2026-12-01".utf8.count)
        let whole = Self.scan("GET /v1/health HTTP/1.1\r", "\nHost: x\r\n")
        #expect(whole.requestLineEnded)
        #expect(whole.requestLineBytes == "GET /v1/health HTTP/1.1\r".utf8.count)
    }

    @Test func theScanCountsFramingFieldsInTheHeadOnly() {
        let head = Self.scan(
            "POST / HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: 5\r\ntransfer-enc", "oding: chunked\r\nContent-Length: 6\r\n",
            "X-Content-Length: 1\r\n\r\nContent-Length: 7\r\n")
        #expect(head.framing == BodyFraming(contentLengthFields: 2, transferEncodingFields: 1))
    }

    @Test func anOverflowInTheRequestLineIs414ElseIs431() throws {
        let limits = RequestHeadLimits(maxLineBytes: 20, maxHeadBytes: 40, maxHeaderFields: 3)
        let longURL = try #require(MalformedRequest.refusal(
            for: .headerOverflow, head: Self.scan("GET /" + String(repeating: "a", count: 30)), limits: limits))
        #expect(longURL.httpStatus == 414)
        #expect(longURL.message.contains("longer than the 20 bytes"))
        let endedLongURL = try #require(MalformedRequest.refusal(
            for: .headerOverflow, head: Self.scan("GET /" + String(repeating: "a", count: 30) + " HTTP/1.1\r\nA: b\r\n"), limits: limits))
        #expect(endedLongURL.httpStatus == 414)
        let headers = try #require(MalformedRequest.refusal(
            for: .headerOverflow, head: Self.scan("GET / HTTP/1.1\r\nA: bbbbbbbbbbbbbbbbbbbbbbbbbbb"), limits: limits))
        #expect(headers.httpStatus == 431)
        #expect(headers.message.contains("at most 3 header fields, 20 bytes each and 40 bytes in all"))
    }

    @Test func framingErrorsSayWhichHeaderWasWrong() {
        let both = Self.scan("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n").framing
        // llhttp reports "Transfer-Encoding can't be present with Content-Length" as unknown, the
        // other order as invalidContentLength.
        for error in [HTTPParserError.unknown, .invalidContentLength, .unexpectedContentLength] {
            #expect(MalformedRequest.message(for: error, framing: both) == "bad header: both Content-Length and Transfer-Encoding (send exactly one of them)")
        }
        let twice = BodyFraming(contentLengthFields: 2, transferEncodingFields: 0)
        #expect(MalformedRequest.message(for: .unexpectedContentLength, framing: twice) == "bad header: Content-Length is given more than once")
        let gzip = BodyFraming(contentLengthFields: 0, transferEncodingFields: 1)
        #expect(MalformedRequest.message(for: .unknown, framing: gzip).hasPrefix("bad header: a Transfer-Encoding other than chunked"))
        #expect(MalformedRequest.message(for: .invalidContentLength, framing: BodyFraming()).hasPrefix("bad header: Content-Length is not a number"))
    }

    @Test func everyOtherParserErrorIsA400UsageError() throws {
        for error in [HTTPParserError.invalidMethod, .invalidURL, .invalidVersion, .invalidHeaderToken, .invalidChunkSize, .lfExpected, .unknown] {
            let refusal = try #require(MalformedRequest.refusal(for: error, head: RequestHeadScan(), limits: RequestHeadLimits()))
            #expect(refusal.httpStatus == 400)
            #expect(refusal.exitStatus == .usage)
            #expect(!refusal.message.isEmpty)
        }
        #expect(MalformedRequest.refusal(for: .invalidEOFState, head: RequestHeadScan(), limits: RequestHeadLimits()) == nil)
    }

    @Test func anIncompleteBodySaysWhyAndWhoseSideItWasOn() {
        let closed = IncompleteRequest(reason: .clientClosed, received: 100, expected: 812)
        #expect(closed.requestError.httpStatus == 400)
        #expect(closed.description == "the client closed the connection before sending the whole body (100 of 812 bytes received)")
        let stalled = IncompleteRequest(reason: .idleTimeout(seconds: 60), received: 0, expected: nil)
        #expect(stalled.requestError.httpStatus == 408)
        #expect(stalled.description.hasPrefix("the client sent nothing for 60 s in the middle of the body (0 bytes received)"))
        // The idle timer also fires when the server held its reads back (too busy to take the body).
        let busy = IncompleteRequest(reason: .serverBusy(seconds: 60), received: 485_224, expected: 1_169_115)
        #expect(busy.requestError.httpStatus == 503)
        #expect(busy.requestError.exitStatus == .temporaryFailure)
        #expect(busy.description == "the server was too busy to read the body for 60 s (485224 of 1169115 bytes received) and its idle timer closed the connection")
    }
}
