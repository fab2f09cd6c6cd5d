import NIOCore
import NIOHTTP1
import PlanCheckKit

/// How large a request head the server reads before it refuses the request: the limits NIO's
/// HTTP/1.1 parser enforces (Hummingbird's defaults), named so the refusals can quote them.
public struct RequestHeadLimits: Sendable, Equatable {
    /// The longest request target (path and query) and the longest single header line, in bytes.
    public var maxLineBytes: Int
    /// All the header lines of one request together (the request target included), in bytes.
    public var maxHeadBytes: Int
    /// The most header fields one request may have.
    public var maxHeaderFields: Int

    public init(maxLineBytes: Int = 80 * 1024, maxHeadBytes: Int = 80 * 1024, maxHeaderFields: Int = 1000) {
        self.maxLineBytes = maxLineBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderFields = maxHeaderFields
    }
}

/// A request whose body stopped part-way: the client closed the connection (or reset it), or the
/// idle timer closed it. Nothing can be answered on that connection; the request log says what
/// happened and whose side it was on: a 4xx when the client went away or went silent, a 503 when
/// the server itself had stopped reading the body (too busy to take it) until the timer fired.
public struct IncompleteRequest: PlanCheckFailure {
    public enum Reason: Sendable, Equatable {
        /// The client closed or reset the connection.
        case clientClosed
        /// The client sent nothing for this many seconds while the server waited for the body,
        /// and the server closed the connection.
        case idleTimeout(seconds: Int64)
        /// The server read nothing of the body for this many seconds because the request that
        /// reads it did not run (the server was busy), and the idle timer closed the connection.
        case serverBusy(seconds: Int64)
    }

    public var reason: Reason
    /// Body bytes received before the connection ended.
    public var received: Int
    /// The body's Content-Length, when the request declared one (none for a chunked body).
    public var expected: Int?

    public init(reason: Reason, received: Int, expected: Int?) {
        self.reason = reason
        self.received = received
        self.expected = expected
    }

    public var description: String {
        let bytes = expected.map { "\(received) of \($0) bytes" } ?? "\(received) bytes"
        switch reason {
        case .clientClosed:
            return "the client closed the connection before sending the whole body (\(bytes) received)"
        case .idleTimeout(let seconds):
            return "the client sent nothing for \(seconds) s in the middle of the body (\(bytes) received); the connection was closed"
        case .serverBusy(let seconds):
            return "the server was too busy to read the body for \(seconds) s (\(bytes) received) and its idle timer closed the connection"
        }
    }

    /// The status the log gives it: the client's doing (64), or the server's busy (75).
    public var exitStatus: ExitStatus { requestError.exitStatus }

    /// What the log says (the client is gone, so nothing is sent): 400 when the client closed,
    /// 408 when it went silent, 503 when the server did not read.
    public var requestError: RequestError {
        switch reason {
        case .clientClosed: RequestError(httpStatus: 400, description)
        case .idleTimeout: RequestError(httpStatus: 408, description)
        case .serverBusy: RequestError(httpStatus: 503, description, exitStatus: .temporaryFailure)
        }
    }
}

/// What a request head said about how its body is framed, as far as it was read.
struct BodyFraming: Equatable {
    /// How many Content-Length fields.
    var contentLengthFields = 0
    /// How many Transfer-Encoding fields.
    var transferEncodingFields = 0
}

/// What the raw bytes of a request head said before NIO's parser refused it: the length of the
/// request line, to tell an over-long URL (414) from over-long headers (431), which the parser
/// reports alike (`headerOverflow`); and the Content-Length and Transfer-Encoding fields, to say
/// which of them was wrong, which its errors do not tell apart (llhttp's "Transfer-Encoding can't
/// be present with Content-Length" arrives as `unknown`, the other order as `invalidContentLength`).
struct RequestHeadScan: Equatable {
    /// Bytes of the request line so far, without its line end.
    private(set) var requestLineBytes = 0
    /// The request line has ended; headers follow.
    private(set) var requestLineEnded = false
    private(set) var framing = BodyFraming()
    /// The empty line after the headers was seen: the rest is body, and is not scanned.
    private var headEnded = false
    private var headerLineBytes = 0
    /// The lower-cased start of the current header line while it may still be a name we look for.
    private var name: [UInt8] = []
    private var inName = true

    mutating func scan(_ bytes: some Sequence<UInt8>) {
        guard !headEnded else { return }
        for byte in bytes {
            if !requestLineEnded {
                if byte == UInt8(ascii: "\n") {
                    requestLineEnded = requestLineBytes > 0  // the parser skips empty lines before a request
                } else if byte != UInt8(ascii: "\r") || requestLineBytes > 0 {
                    requestLineBytes += 1
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if headerLineBytes == 0 {
                    headEnded = true
                    return
                }
                headerLineBytes = 0
                name.removeAll(keepingCapacity: true)
                inName = true
            case UInt8(ascii: "\r"):
                break
            case UInt8(ascii: ":") where inName:
                if name.elementsEqual("content-length".utf8) { framing.contentLengthFields += 1 }
                if name.elementsEqual("transfer-encoding".utf8) { framing.transferEncodingFields += 1 }
                inName = false
                headerLineBytes += 1
            default:
                headerLineBytes += 1
                guard inName else { break }
                if name.count < 17 {
                    name.append((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte)
                } else {
                    inName = false
                }
            }
        }
    }
}

/// The answer to a request that is not HTTP/1.1 as the server reads it: the status and the
/// plain-words message of ``RequestError`` (exit status 64, usage), by the parser's error.
enum MalformedRequest {
    /// The refusal for a parser error outside a request body; nil for an error that is no
    /// refusal (the client closed the connection part-way through a request head).
    static func refusal(for error: HTTPParserError, head: RequestHeadScan, limits: RequestHeadLimits) -> RequestError? {
        switch error {
        case .invalidEOFState:
            return nil
        case .headerOverflow:
            if !head.requestLineEnded || head.requestLineBytes > limits.maxLineBytes {
                return RequestError(
                    httpStatus: 414,
                    "the URL (request target) is longer than the \(limits.maxLineBytes) bytes the server reads; the site goes in the request body")
            }
            return RequestError(
                httpStatus: 431,
                "the request headers are larger than the server reads (at most \(limits.maxHeaderFields) header fields, \(limits.maxLineBytes) bytes each and \(limits.maxHeadBytes) bytes in all)")
        default:
            return RequestError(httpStatus: 400, message(for: error, framing: head.framing))
        }
    }

    /// What was wrong, in plain words, for the errors that get 400.
    static func message(for error: HTTPParserError, framing: BodyFraming) -> String {
        let framingErrors: [HTTPParserError] = [.invalidContentLength, .unexpectedContentLength, .unknown]
        if framingErrors.contains(error), framing.contentLengthFields > 0, framing.transferEncodingFields > 0 {
            return "bad header: both Content-Length and Transfer-Encoding (send exactly one of them)"
        }
        switch error {
        case .unexpectedContentLength:
            return "bad header: Content-Length is given more than once"
        case .unknown where framing.transferEncodingFields > 0:
            return "bad header: a Transfer-Encoding other than chunked (send the body with a Content-Length, or chunked)"
        default:
            return message(for: error)
        }
    }

    /// What was wrong, by the parser's error alone.
    static func message(for error: HTTPParserError) -> String {
        switch error {
        case .invalidMethod:
            "bad request line: it does not start with an HTTP method (write, e.g., POST /v1/query HTTP/1.1)"
        case .invalidURL, .invalidHost, .invalidPort, .invalidPath, .invalidQueryString, .invalidFragment:
            "bad request line: the URL has a character that must be percent-encoded (a space, a control character, or a byte outside ASCII such as unencoded UTF-8)"
        case .invalidVersion, .invalidConstant:
            "bad request line: it must end in HTTP/1.1 (or HTTP/1.0) and CR LF"
        case .invalidHeaderToken, .invalidCharactersUsed:
            "bad header: a header name has a space or a character that is not allowed, or a header line has no ':'"
        case .invalidContentLength:
            "bad header: Content-Length is not a number of bytes (0 or more, digits only)"
        case .unexpectedContentLength:
            "bad header: Content-Length is given more than once, or with Transfer-Encoding"
        case .invalidChunkSize:
            "bad chunked body: a chunk size is not a hexadecimal number"
        case .lfExpected, .strictModeAssertion:
            "bad line ending: HTTP lines end in CR LF"
        case .closedConnection:
            "data after a request that said Connection: close"
        case .headerOverflow:
            "the request head is too large"
        case .invalidEOFState:
            "the connection ended in the middle of a request"
        default:  // trailingGarbage, unknown (llhttp's errors without a case of their own), ...
            "the request is not well-formed HTTP/1.1 (a bad Transfer-Encoding, a bare LF line end, or bytes after the end of a chunked body)"
        }
    }
}
