import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlanCheckKit

/// Where and how `plan-check serve` listens.
public struct ServeConfiguration: Sendable {
    /// The address to bind, e.g. `127.0.0.1` (loopback only), `0.0.0.0` or `::`.
    public var host: String
    /// The TCP port; 0 asks the system for a free one (the real one is reported when bound).
    public var port: Int
    /// Request bodies larger than this are refused with 413.
    public var maxBodyBytes: Int
    /// A connection that sends nothing for this long is closed.
    public var idleTimeoutSeconds: Int64
    /// Workers, waiting requests, site sizes and time per request.
    public var limits: ServiceLimits
    /// `--basemap`: a URL template of an intranet map image service (WMS GetMap) in the registry's
    /// CRS, with `{bbox}`, `{width}`, `{height}` and `{crs}`; nil: the page's map has no base map.
    public var basemap: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 10 * 1024 * 1024, idleTimeoutSeconds: Int64 = 60,
                limits: ServiceLimits = ServiceLimits(), basemap: String? = nil) {
        self.basemap = basemap
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.limits = limits
    }
}

/// Why the server could not start: the address cannot be bound.
public struct ServeError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus
    public var description: String { message }
}

/// `plan-check serve`: the query service over HTTP/1.1 (Hummingbird on SwiftNIO).
///
/// - `POST /v1/query?project_type=TYPE&at=YYYY-MM-DD`, the site's GeoJSON as the body: the
///   answer of `plan-check query --format json`;
/// - `GET /v1/health`, `GET /v1/items`;
/// - every error as `{"error": {"exit_status": N, "message": "..."}}` (see ``QueryService``).
///
/// One line per request on the request logger: method, path, status, milliseconds.
public struct PlanCheckServer: Sendable {
    public let service: QueryService
    public let configuration: ServeConfiguration
    /// The request log, and Hummingbird's own warnings and errors.
    public let logger: Logger

    public init(engine: QueryEngine, configuration: ServeConfiguration, logger: Logger) {
        service = QueryService(engine: engine, maxBodyBytes: configuration.maxBodyBytes, limits: configuration.limits,
                               basemap: configuration.basemap)
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT, then lets the requests in flight finish and returns.
    /// `onListening` gets the bound address as `http://HOST:PORT` (the real port for port 0).
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        for path in SiteUpload.removeStaleFolders(in: FileManager.default.temporaryDirectory.path) {
            logger.notice("removed \(path), an upload folder of a server that no longer runs")
        }
        var frameworkLogger = logger
        frameworkLogger.logLevel = .warning  // Hummingbird's "Server started…" is ours to say
        let serverName = "plan-check/\(PlanCheckVersion.current)"
        let app = Application(
            router: makeRouter(),
            // Hummingbird's HTTP/1.1 with plan-check's JSON answers to malformed requests.
            server: .planCheckHTTP1(
                idleTimeoutSeconds: configuration.idleTimeoutSeconds, limits: RequestHeadLimits(),
                serverName: serverName, requestLog: logger),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: serverName),
            onServerRunning: { channel in onListening(Self.url(of: channel.localAddress)) },
            logger: frameworkLogger)
        do {
            try await app.runService()
        } catch let error as IOError {
            throw bindFailure(error)
        }
    }

    /// The routes, with the request log and the JSON error mapping around every one of them
    /// (and around the not-found responder).
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(RequestLogMiddleware(logger: logger))
        let service = self.service
        let logger = self.logger
        for (path, method) in QueryService.routes {
            if path == "/v1/query" {
                router.post(RouterPath(path)) { request, _ -> Response in
                    let response = try await Self.query(request, service: service)
                    return Self.response(response, request: request, logger: logger)
                }
                continue
            }
            precondition(method == "GET", "\(path): only /v1/query takes POST")
            @Sendable func answer(_ request: Request) async -> ServiceResponse {
                let get = GetRequest(
                    path: path, parameters: request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) },
                    ifNoneMatch: request.headers[.ifNoneMatch])
                return await Self.admitted(service) { await service.get(get) }
            }
            router.get(RouterPath(path)) { request, _ -> Response in
                Self.response(await answer(request), request: request, logger: logger)
            }
            // HEAD: the GET's status and headers (its Content-Length too), no body.
            router.head(RouterPath(path)) { request, _ -> Response in
                Self.response(await answer(request), request: request, logger: logger).headOnly()
            }
        }
        return router
    }

    /// Takes the request on (or answers 503 at once when the service is full), reads the body
    /// (refusing it early when Content-Length is over the limit, and giving up at the request's
    /// deadline) and asks the service. Throws only ``IncompleteRequest``: the body stopped
    /// arriving, and nobody is left to answer.
    static func query(_ request: Request, service: QueryService) async throws(IncompleteRequest) -> ServiceResponse {
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let contentType = request.headers[.contentType]
        let deadline = QueryDeadline.after(seconds: service.limits.maxQuerySeconds)
        do {
            try QueryService.checkContentType(contentType)
            let declared = request.headers[.contentLength].flatMap { Int($0) }
            if let declared { try service.checkSize(declared) }
            let ticket = try service.admit(declaredBytes: declared)
            defer { service.release(ticket) }
            let body = try await readBody(of: request, upTo: service.maxBodyBytes, by: deadline, service: service)
            // Hummingbird ends a body whose connection ended without an error as if it were whole;
            // a body shorter than its Content-Length is not a site.
            if let declared, body.count < declared {
                throw IncompleteRequest(reason: .clientClosed, received: body.count, expected: declared)
            }
            return await service.query(parameters: parameters, contentType: contentType, body: body, deadline: deadline)
        } catch let error as IncompleteRequest {
            throw error
        } catch {
            return service.errorResponse(error)
        }
    }

    /// The whole body, unless it is over `limit` (413) or still incomplete at `deadline` (408).
    static func readBody(of request: Request, upTo limit: Int, by deadline: QueryDeadline, service: QueryService) async throws -> [UInt8] {
        let body = request.body
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                do {
                    return Array(try await body.collect(upTo: limit).readableBytesView)
                } catch is NIOTooManyBytesError {
                    throw service.tooLarge(bytes: nil)
                }
            }
            if let instant = deadline.instant {
                group.addTask {
                    try await Task.sleep(until: instant, clock: .continuous)
                    return nil
                }
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bytes = first else {
                throw RequestError(httpStatus: 408, "the request body did not arrive within \(deadline.seconds ?? 0) s")
            }
            return bytes
        }
    }

    /// `body` under an admission ticket (a cheap request still counts towards the limits).
    static func admitted(_ service: QueryService, _ body: () async -> ServiceResponse) async -> ServiceResponse {
        do {
            let ticket = try service.admit(declaredBytes: 0)
            defer { service.release(ticket) }
            return await body()
        } catch {
            return service.errorResponse(error)
        }
    }

    /// A Hummingbird response; server-side failures (500) also go to the log with their message
    /// (a 503 says the server is full or the registry busy: the request line says enough).
    static func response(_ response: ServiceResponse, request: Request, logger: Logger) -> Response {
        if response.status >= 500, response.status != 503 {
            logger.error("\(request.method) \(request.uri.path): \(Self.message(of: response))")
        }
        return Response(response)
    }

    static func message(of response: ServiceResponse) -> String {
        struct Body: Decodable {
            struct Detail: Decodable { var message: String }
            var error: Detail
        }
        return (try? JSONDecoder().decode(Body.self, from: Data(response.body)).error.message) ?? "HTTP \(response.status)"
    }

    /// `http://127.0.0.1:8080`, `http://[::1]:8080`.
    static func url(of address: SocketAddress?) -> String {
        let host = address?.ipAddress ?? "?"
        let port = address?.port.map(String.init) ?? "?"
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    func bindFailure(_ error: IOError) -> any Error {
        let address = "\(configuration.host):\(configuration.port)"
        switch error.errnoCode {
        case EADDRINUSE:
            return ServeError(message: "cannot listen on \(address): the port is in use (stop the other server or choose another --port)", exitStatus: .temporaryFailure)
        case EADDRNOTAVAIL:
            return ServeError(message: "cannot listen on \(address): --host \(configuration.host) is not an address of this machine", exitStatus: .usage)
        case EACCES:
            return ServeError(message: "cannot listen on \(address): permission denied (ports below 1024 need privileges)", exitStatus: .usage)
        default:
            return ServeError(message: "cannot listen on \(address): \(error)", exitStatus: .software)
        }
    }
}

extension Response {
    /// A 413 also says `Connection: close`: the rest of its body is not read, and the connection
    /// is closed rather than kept reading a body nobody wants.
    init(_ response: ServiceResponse) {
        var headers: HTTPFields = [.contentType: response.mediaType]
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        if response.status == 413 {
            headers[.connection] = "close"
        }
        self.init(status: .init(code: response.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// The answer to a HEAD request: this response's status and headers, with the length of its
    /// body, and no body.
    func headOnly() -> Response {
        var headers = self.headers
        headers[.contentLength] = String(body.contentLength ?? 0)
        return Response(status: status, headers: headers, body: .init())
    }
}

/// Logs one line per request (method, path and query, status, milliseconds) and turns what
/// Hummingbird throws (no such route, a body too large, anything unexpected) into the service's
/// JSON errors. A request whose body stopped arriving (``IncompleteRequest``) is logged with its
/// 4xx status and why, on the same line: `POST /v1/query 400 3.1 ms: the client closed the
/// connection before sending the whole body (100 of 812 bytes received)`.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        var note = ""
        do {
            response = try await next(request, context)
        } catch let error as IncompleteRequest {
            // Not the server's fault, and the client is gone: nothing reaches it.
            response = Response(QueryService.errorResponse(error.requestError))
            note = ": \(error)"
        } catch let error as HTTPError where error.status == .notFound {
            response = Response(QueryService.notFound(method: request.method.rawValue, path: request.uri.path))
        } catch let error as HTTPError {
            // Any other status Hummingbird chooses keeps its code; a client's mistake is a usage error.
            let code = Int(error.status.code)
            response = Response(QueryService.errorResponse(RequestError(
                httpStatus: code, error.body ?? error.status.reasonPhrase, exitStatus: code < 500 ? .usage : .software)))
        } catch is NIOTooManyBytesError {
            response = Response(QueryService.errorResponse(RequestError(httpStatus: 413, "the request body is too large")))
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(error)")
            response = Response(QueryService.errorResponse(error))
        }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("\(request.method) \(request.uri) \(response.status.code) \(String(format: "%.1f", ms)) ms\(note)")
        return response
    }
}
