import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Hummingbird's HTTP/1.1 connection with two channel handlers of plan-check's own, so that a
/// request NIO's parser refuses gets the service's JSON error instead of Hummingbird's empty 400.
///
/// Hummingbird (`HTTPChannelHandler.handleHTTP`) answers every `HTTPParserError` with `400`,
/// `Content-Length: 0`, and has no hook to change that. Here ``ProtocolErrorHandler`` sits between
/// the parser and Hummingbird (as one of `HTTP1Channel`'s `additionalChannelHandlers`), answers
/// the parser's errors itself and never passes them on, so Hummingbird never writes its own;
/// ``RequestHeadScanner`` sits before the parser and reads the raw request head alongside it
/// (``RequestHeadScan``), for what the parser's errors do not say.
///
///     socket → RequestHeadScanner → NIO HTTP/1 decoder and encoder → HTTP1ToHTTPServerCodec
///            → ProtocolErrorHandler → Hummingbird's idle timer → Hummingbird (the router)
struct PlanCheckHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    /// A connection that sends nothing for this long is closed (Hummingbird's idle timer).
    let idleTimeoutSeconds: Int64
    let limits: RequestHeadLimits
    /// The Server header of the JSON refusals, as Hummingbird sends on its answers.
    let serverName: String
    /// Where refusals are logged (the request log).
    let requestLog: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let errors = ProtocolErrorHandler(
            limits: limits, idleTimeoutSeconds: idleTimeoutSeconds, serverName: serverName, logger: requestLog)
        do {
            // First in the pipeline, so before the parser that HTTP1Channel adds next.
            try channel.pipeline.syncOperations.addHandler(RequestHeadScanner(errors: errors))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let handler = NIOLoopBound(errors, eventLoop: channel.eventLoop)
        return http1(additionalChannelHandlers: [handler.value]).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1(additionalChannelHandlers: []).handle(value: value, logger: logger)
    }

    private func http1(additionalChannelHandlers: @autoclosure @escaping @Sendable () -> [any RemovableChannelHandler]) -> HTTP1Channel {
        HTTP1Channel(responder: responder, configuration: .init(
            additionalChannelHandlers: additionalChannelHandlers(),
            idleTimeout: .seconds(idleTimeoutSeconds),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxLineBytes, maxHeaderListSize: limits.maxHeadBytes,
                maxHeaderFieldCount: limits.maxHeaderFields)))
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as Hummingbird's `.http1(configuration:)`, with plan-check's JSON answers to
    /// malformed requests (``PlanCheckHTTP1Channel``).
    static func planCheckHTTP1(idleTimeoutSeconds: Int64, limits: RequestHeadLimits, serverName: String, requestLog: Logger) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            PlanCheckHTTP1Channel(
                responder: responder, idleTimeoutSeconds: idleTimeoutSeconds, limits: limits,
                serverName: serverName, requestLog: requestLog)
        }
    }
}

/// Shows ``ProtocolErrorHandler`` the raw bytes of each request head before NIO's parser reads
/// them, so that a refusal can say whether the URL or the headers were too long, and which of
/// Content-Length and Transfer-Encoding was wrong.
final class RequestHeadScanner: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let errors: ProtocolErrorHandler

    init(errors: ProtocolErrorHandler) {
        self.errors = errors
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        errors.noteRawBytes(unwrapInboundIn(data).readableBytesView)
        context.fireChannelRead(data)
    }
}

/// Answers what NIO's HTTP/1.1 parser refuses with the service's JSON error, and tells the
/// route reading a body why the body stopped.
///
/// - Outside a body (a bad request line, a bad or over-long header, Content-Length with
///   Transfer-Encoding): the JSON error with its status (400, 414, 431), `Connection: close`,
///   after the answers to any requests before it on the connection; one line in the request log.
///   The parser's error is not passed on, so Hummingbird does not write its empty 400.
/// - In a body: the error is passed on in words the route turns into its answer: a
///   ``RequestError`` (a bad chunk, 400), or ``IncompleteRequest`` when the connection ended
///   (the client closed or reset it; or the idle timer closed it, while the server waited for
///   the client's bytes or while it held its own reads back). The answer says `Connection: close`.
///
/// After a refusal the connection is closed in two steps, as web servers do ("lingering close"):
/// the server's side at once, then, after ``lingerTime`` or when the client closes, the whole
/// connection. What the client still sends meanwhile is read and dropped, so that its kernel does
/// not get a reset that would discard the refusal before the client reads it.
///
/// Lives on its channel's event loop, like every channel handler.
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long a refused connection is still read (and dropped) before it is closed.
    static let lingerTime = TimeAmount.seconds(2)

    let limits: RequestHeadLimits
    let idleTimeoutSeconds: Int64
    let serverName: String
    let logger: Logger

    private enum State {
        /// Requests are read and answered as usual.
        case serving
        /// A refusal waits for the answers to the requests before it.
        case refusalPending(RequestError)
        /// A body went wrong; the route answers it, then the connection closes.
        case failedInBody
        /// The last answer is written; nothing more is sent.
        case closing
    }

    private var state = State.serving
    /// A request head has been read and its end not yet.
    private var requestOpen = false
    /// Requests read whose answer has not been written to its end.
    private var unanswered = 0
    private var bodyBytes = 0
    private var declaredLength: Int?
    /// How the open request's body is framed, from its head.
    private var framing = BodyFraming()
    /// The answer being written says `Connection: close` (a 413 whose body is not read).
    private var answerCloses = false
    /// Set when the connection was closed (by Hummingbird's idle timer) in the middle of a
    /// request: whether the server was waiting for the client's bytes then.
    private var closedWhileWaitingForClient: Bool?
    /// A read has been asked for and no bytes have come since. False while the server holds its
    /// reads back because the request reading the body has not taken what arrived (backpressure).
    private var waitingForClient = false
    private var lingerTimer: Scheduled<Void>?
    /// The raw head of the request to come, until the parser has read it.
    private var head = RequestHeadScan()

    init(limits: RequestHeadLimits, idleTimeoutSeconds: Int64, serverName: String, logger: Logger) {
        self.limits = limits
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.serverName = serverName
        self.logger = logger
    }

    /// Raw bytes as they arrive, before the parser reads them (from ``RequestHeadScanner``).
    ///
    /// Scans the head of the request to come. When a pipelined request starts in the same read
    /// as the end of the one before, its first bytes are not scanned; the only effect is a less
    /// precise message should the parser refuse that request.
    func noteRawBytes(_ bytes: ByteBufferView) {
        waitingForClient = false
        guard !requestOpen else { return }
        head.scan(bytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestOpen = true
            unanswered += 1
            bodyBytes = 0
            declaredLength = head.headerFields[.contentLength].flatMap { Int($0) }
            framing = BodyFraming(
                contentLengthFields: head.headerFields[values: .contentLength].count,
                transferEncodingFields: head.headerFields[values: .transferEncoding].count)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
        case .end:
            requestOpen = false
            head = RequestHeadScan()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .serving = state else {
            // After the first error the parser reports every later read as an error too.
            if error is HTTPParserError || error is ByteToMessageDecoderError { return }
            context.fireErrorCaught(error)
            return
        }
        if requestOpen {
            let cause: any Error
            switch error {
            case HTTPParserError.invalidEOFState, is IOError:
                let reason: IncompleteRequest.Reason =
                    switch closedWhileWaitingForClient {
                    case nil: .clientClosed
                    case true: .idleTimeout(seconds: idleTimeoutSeconds)
                    case false: .serverBusy(seconds: idleTimeoutSeconds)
                    }
                cause = IncompleteRequest(reason: reason, received: bodyBytes, expected: declaredLength)
            case let parserError as HTTPParserError:
                cause = RequestError(httpStatus: 400, MalformedRequest.message(for: parserError, framing: framing))
            default:
                context.fireErrorCaught(error)
                return
            }
            state = .failedInBody
            context.fireErrorCaught(cause)
            return
        }
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard let refusal = MalformedRequest.refusal(for: parserError, head: head, limits: limits) else {
            // The client closed the connection part-way through a request head: nobody to answer.
            state = .closing
            return
        }
        logger.info("malformed request from \(Self.peer(of: context.channel)): \(refusal.httpStatus) \(refusal.message)")
        if unanswered == 0 {
            answer(refusal, context: context)
        } else {
            state = .refusalPending(refusal)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .closing = state {
            // Hummingbird's own answer to an error it saw (the refusal has been sent instead).
            promise?.fail(ChannelError.outputClosed)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var response):
            if case .failedInBody = state {
                response.headerFields[.connection] = "close"
            }
            answerCloses = response.headerFields[.connection]?.lowercased() == "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            unanswered = max(unanswered - 1, 0)
            guard unanswered == 0 else { return }
            switch state {
            case .refusalPending(let refusal):
                answer(refusal, context: context)
            case .failedInBody:
                lingerClose(context: context)
            case .serving where answerCloses:
                lingerClose(context: context)
            case .serving, .closing:
                break
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        waitingForClient = true
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird's idle timer closes a connection whose body stopped arriving; it counts only
        // what the server has read, so it also fires when the server was the one not reading.
        if mode == .all, requestOpen, closedWhileWaitingForClient == nil { closedWhileWaitingForClient = waitingForClient }
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        lingerTimer?.cancel()
        lingerTimer = nil
    }

    /// Writes the refusal as the service's JSON error and closes the connection.
    private func answer(_ refusal: RequestError, context: ChannelHandlerContext) {
        let body = QueryService.errorResponse(refusal)
        let fields: HTTPFields = [
            .contentType: ServiceResponse.contentType, .contentLength: String(body.body.count), .connection: "close",
            .date: Self.httpDate(), .server: serverName,
        ]
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(code: body.status), headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        lingerClose(context: context)
    }

    /// Closes the server's side now and the whole connection after ``lingerTime`` (sooner when
    /// the client closes its side).
    private func lingerClose(context: ChannelHandlerContext) {
        state = .closing
        context.flush()
        context.close(mode: .output, promise: nil)
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            context.close(promise: nil)
        }
    }

    /// `127.0.0.1:51234`, `[::1]:51234`.
    static func peer(of channel: any Channel) -> String {
        guard let address = channel.remoteAddress, let ip = address.ipAddress else { return "an unknown address" }
        return "\(ip.contains(":") ? "[\(ip)]" : ip):\(address.port ?? 0)"
    }

    /// `Sun, 06 Dec 2026 01:19:16 GMT` (RFC 9110 section 5.6.7).
    static func httpDate(_ time: time_t = time(nil)) -> String {
        var seconds = time
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let count = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: text[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
