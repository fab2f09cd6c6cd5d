import Foundation
import PlanCheckKit

/// One HTTP answer of the service before it meets the server: status, extra headers and a
/// body: JSON (`application/json; charset=utf-8`) but for the applicants' page and its assets.
public struct ServiceResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Headers besides Content-Type (Retry-After, Allow, ETag), in the order sent.
    public var headers: [Header]
    /// UTF-8 JSON ending in a newline, or the page's HTML, CSS or script.
    public var body: [UInt8]
    /// The Content-Type sent.
    public var mediaType: String = ServiceResponse.contentType

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public static let contentType = "application/json; charset=utf-8"

    public init(status: Int, headers: [Header] = [], body: [UInt8], mediaType: String = ServiceResponse.contentType) {
        self.status = status
        self.headers = headers
        self.body = body
        self.mediaType = mediaType
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The service holds as many requests as its limits allow: 503 with Retry-After (exit status 75,
/// as for a busy registry: try again).
public struct ServiceBusy: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .temporaryFailure }
    public var description: String { message }
}

/// Why a request was refused before the engine saw it (a bad parameter, a wrong content type,
/// a body over the limit, an unknown path). Chooses its own HTTP status; its exit status is the
/// one the same mistake would give on the command line.
public struct RequestError: PlanCheckFailure {
    public var httpStatus: Int
    public var message: String
    public var exitStatus: ExitStatus
    public var headers: [ServiceResponse.Header]

    public var description: String { message }

    public init(httpStatus: Int, _ message: String, exitStatus: ExitStatus = .usage, headers: [ServiceResponse.Header] = []) {
        self.httpStatus = httpStatus
        self.message = message
        self.exitStatus = exitStatus
        self.headers = headers
    }
}

/// The endpoints of `plan-check serve`, independent of the HTTP server that carries them: each
/// takes what the request says and gives a `ServiceResponse`, never throws. Sendable: one value
/// serves every connection. Answers run on the service's own worker threads, small sites and
/// large ones in lanes of their own (``ServiceLimits``); each reads the registry from one snapshot
/// on a pooled connection (``QueryEngine/answer(_:options:)``), so a new `plan-check assess` run
/// is seen at once.
public struct QueryService: Sendable {
    public let engine: QueryEngine
    /// Request bodies larger than this are refused with 413.
    public let maxBodyBytes: Int
    /// Seconds a client is asked to wait (Retry-After) when the registry or the service is busy.
    public let retryAfterSeconds: Int
    public let limits: ServiceLimits
    /// How much `/v1/regions` and `/v1/zones` may answer at once.
    public let mapLimits: MapLimits
    /// The applicants' page, its assets and the OpenAPI document.
    let page: PageService
    let admission: QueryAdmission
    let smallSites: QueryLane
    let largeSites: QueryLane

    /// The query parameters `POST /v1/query` knows.
    public static let queryParameters = ["project_type", "at", "geometry"]
    /// The name of the site in answers and messages (`query.site`, `request body:3:17: …`).
    public static let siteName = "request body"

    /// `basemap`: the `--basemap` URL template the page draws under its map (nil: none).
    public init(engine: QueryEngine, maxBodyBytes: Int, limits: ServiceLimits = ServiceLimits(), retryAfterSeconds: Int = 2,
                mapLimits: MapLimits = MapLimits(), basemap: String? = nil) {
        self.engine = engine
        self.mapLimits = mapLimits
        page = PageService(basemap: basemap, registryEPSG: engine.registryEPSGCode)
        self.maxBodyBytes = maxBodyBytes
        self.limits = limits
        self.retryAfterSeconds = retryAfterSeconds
        admission = QueryAdmission(
            maxRequests: limits.workers + limits.largeSiteWorkers + limits.maxWaiting, maxBytes: limits.maxPendingBodyBytes,
            smallBodyBytes: limits.largeBodyBytes)
        smallSites = QueryLane(name: "site", workers: limits.workers)
        largeSites = QueryLane(name: "large-site", workers: limits.largeSiteWorkers)
    }

    // MARK: Endpoints

    /// `POST /v1/query?project_type=TYPE&at=YYYY-MM-DD` with the site's GeoJSON as the body: the
    /// answer exactly as `plan-check query --format json` prints it, with status 200 whether or
    /// not the site may proceed (`may_proceed`, `exit_status` in the answer say that).
    ///
    /// The site is parsed, checked against the part and vertex limits (413) and answered on a
    /// worker of its lane; `deadline` (default: `maxQuerySeconds` from now) bounds the wait for a
    /// worker and the answer (503 with Retry-After beyond it).
    public func query(
        parameters: [(name: String, value: String)], contentType: String?, body: [UInt8], deadline: QueryDeadline? = nil
    ) async -> ServiceResponse {
        do {
            var options = try Self.options(from: parameters)
            try checkProjectType(options.projectType)
            try Self.checkContentType(contentType)
            try checkSize(body.count)
            options.deadline = deadline ?? .after(seconds: limits.maxQuerySeconds)
            let lane = body.count > limits.largeBodyBytes ? largeSites : smallSites
            let (engine, limits, frozen) = (self.engine, self.limits, options)
            let upload = SiteUpload(contentType: contentType)
            let text = try await lane.run(deadline: options.deadline) {
                let site = try upload.read(body)
                try Self.checkSiteSize(site, limits: limits)
                return try await engine.answer(site, options: frozen).json() + "\n"
            }
            return ServiceResponse(status: 200, body: Array(text.utf8))
        } catch {
            return errorResponse(error)
        }
    }

    /// `GET /v1/health`: 200 when the registry can be read, with its latest run.
    public func health() async -> ServiceResponse {
        do {
            let status = try await registryStatus()
            return Self.json(200, Health(
                status: "ok", registry: engine.request.registryPath, latestRunId: status.latestRunId,
                latestRunAt: status.latestRunAt, rules: engine.rulesSource, rulesSha256: engine.rulesSHA256,
                crs: engine.workingCRS.identifier ?? engine.workingCRS.name, planCheckVersion: PlanCheckVersion.current))
        } catch {
            return errorResponse(error)
        }
    }

    /// `GET /v1/items`: the assessment items current in the registry (id, title).
    public func items() async -> ServiceResponse {
        do {
            let status = try await registryStatus()
            return Self.json(200, Items(latestRunId: status.latestRunId, items: status.items))
        } catch {
            return errorResponse(error)
        }
    }

    /// The registry's latest run and items, read on a worker of the small-site lane (so that a
    /// burst of them takes no more registry connections than the workers hold).
    func registryStatus() async throws -> RegistryStatus {
        let engine = self.engine
        return try await smallSites.run(deadline: .after(seconds: limits.maxQuerySeconds)) { try engine.registryStatus() }
    }

    // MARK: Admission

    /// A ticket for a request whose body declares `declaredBytes` (nil: sent without
    /// Content-Length, counted as `maxBodyBytes`), or the 503 to answer at once when the service
    /// already holds as many requests or body bytes as its limits allow. Give the ticket back
    /// with `release(_:)` when the answer is sent.
    func admit(declaredBytes: Int?) throws -> QueryAdmission.Ticket {
        if let ticket = admission.admit(bytes: declaredBytes ?? maxBodyBytes) { return ticket }
        let (requests, _) = admission.current
        throw ServiceBusy(message: "the service is full (\(requests) requests taken on: \(limits.workers + limits.largeSiteWorkers) being answered, the rest waiting); try again in \(retryAfterSeconds) s")
    }

    func release(_ ticket: QueryAdmission.Ticket) {
        admission.release(ticket)
    }

    /// A site over `maxSiteParts` parts or `maxSiteVertices` vertices: 413, before any work on it.
    static func checkSiteSize(_ site: QuerySite, limits: ServiceLimits) throws {
        let parts = site.layer.features.reduce(0) { $0 + max(1, $1.geometry?.polygons.count ?? 1) }
        if parts > limits.maxSiteParts {
            throw RequestError(httpStatus: 413, "the site has \(parts) polygons, more than the service takes (\(limits.maxSiteParts), --max-site-parts): send the site's outline, or ask plan-check query on the command line")
        }
        let vertices = site.layer.features.reduce(0) { $0 + ($1.geometry?.positionCount ?? 0) }
        if vertices > limits.maxSiteVertices {
            throw RequestError(httpStatus: 413, "the site has \(vertices) vertices, more than the service takes (\(limits.maxSiteVertices), --max-site-vertices): simplify the outline, or ask plan-check query on the command line")
        }
    }

    /// A path the service does not have (404), or a method a path does not take (405 with Allow).
    public static func notFound(method: String, path: String) -> ServiceResponse {
        if let taken = routes[path] {
            let allowed = taken == "GET" ? "GET, HEAD" : taken
            return errorResponse(RequestError(
                httpStatus: 405, "\(method) \(path): method not allowed (use \(allowed))",
                headers: [.init(name: "Allow", value: allowed)]))
        }
        let known = routes.filter { !$0.key.hasPrefix("/assets/") }.sorted { $0.key < $1.key }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return errorResponse(RequestError(httpStatus: 404, "\(method) \(path): no such endpoint (known: \(known))"))
    }

    /// The service's paths and the method each takes: the router is made from this table, and
    /// the OpenAPI document (`/v1/openapi.json`) lists exactly these.
    public static let routes = [
        "/v1/query": "POST", "/v1/health": "GET", "/v1/items": "GET", "/v1/project-types": "GET",
        "/v1/regions": "GET", "/v1/zones": "GET", "/v1/openapi.json": "GET",
        "/": "GET", "/assets/page.css": "GET", "/assets/page.js": "GET",
    ]

    // MARK: Requests

    /// `project_type` and `at` (default: today, UTC, on the day of the request). Unknown or
    /// repeated parameters are refused, so that a misspelt one does not silently change the answer.
    public static func options(from parameters: [(name: String, value: String)]) throws -> QueryOptions {
        var seen: [String: String] = [:]
        for (name, value) in parameters {
            guard queryParameters.contains(name) else {
                let hint = closest(to: name, in: queryParameters).map { " (did you mean '\($0)'?)" } ?? ""
                throw RequestError(httpStatus: 400, "unknown query parameter '\(name)'\(hint); known: \(queryParameters.joined(separator: ", "))")
            }
            guard seen[name] == nil else {
                throw RequestError(httpStatus: 400, "query parameter '\(name)' is given twice")
            }
            seen[name] = value
        }
        var at = CalendarDate(Date())
        if let text = seen["at"] {
            guard let date = CalendarDate(text) else {
                throw RequestError(httpStatus: 400, "at=\(text): not a date (write YYYY-MM-DD)")
            }
            at = date
        }
        let projectType = seen["project_type"]
        if let projectType, projectType.isEmpty {
            throw RequestError(httpStatus: 400, "project_type is empty (leave it out, or name a project type)")
        }
        var geometry = false
        if let text = seen["geometry"] {
            guard let flag = ["true": true, "false": false][text] else {
                throw RequestError(httpStatus: 400, "geometry=\(text): write geometry=true or geometry=false")
            }
            geometry = flag
        }
        return QueryOptions(projectType: projectType, at: at, includeGeometry: geometry)
    }

    /// A project type the rule set does not know is refused in the parameter's own name (the
    /// engine would name the command line's `--project-type`).
    func checkProjectType(_ type: String?) throws {
        let known = engine.ruleSet.projectTypes.map(\.id)
        guard let type, !known.isEmpty, !known.contains(type) else { return }
        throw RequestError(httpStatus: 400, "project_type=\(type): not a project type of the rule set (known: \(known.joined(separator: ", ")))")
    }

    /// GeoJSON comes as `application/geo+json` or `application/json` (no Content-Type is taken as
    /// GeoJSON too); a site file in another format as its own type (``SiteUpload/fileTypes``:
    /// a zipped Shapefile as `application/zip`, …). Anything else (curl's default form encoding
    /// among them) is refused with 415.
    public static func checkContentType(_ contentType: String?) throws {
        guard let contentType else { return }
        let mediaType = SiteUpload.mediaType(of: contentType)
        guard mediaType != "application/geo+json", mediaType != "application/json", SiteUpload.fileTypes[mediaType] == nil else { return }
        let others = SiteUpload.fileTypes.sorted { $0.key < $1.key }.map { "\($0.key) (.\($0.value))" }.joined(separator: ", ")
        throw RequestError(
            httpStatus: 415,
            "Content-Type \(contentType): send the site as application/geo+json (or application/json), e.g. curl -H 'Content-Type: application/geo+json' --data-binary @site.geojson; other site files as \(others)")
    }

    /// Refuses a body (or a declared Content-Length) over `maxBodyBytes` with 413.
    public func checkSize(_ bytes: Int) throws {
        guard bytes > maxBodyBytes else { return }
        throw tooLarge(bytes: bytes)
    }

    /// 413 for a body over `maxBodyBytes` (of `bytes` bytes, when known).
    public func tooLarge(bytes: Int?) -> RequestError {
        RequestError(
            httpStatus: 413,
            "the request body\(bytes.map { " has \($0) bytes," } ?? " is") more than the service takes (\(maxBodyBytes) bytes, --max-body-bytes)")
    }

    // MARK: Errors

    /// The HTTP status for an exit status: 400 usage, 422 bad input data, 503 registry busy,
    /// 500 the rest (a missing or broken registry, a GEOS/PROJ/SQLite failure: the server's side).
    public static func httpStatus(for status: ExitStatus) -> Int {
        switch status {
        case .usage: 400
        case .dataError: 422
        case .temporaryFailure: 503
        case .success, .findings, .noInput, .software, .cannotWrite: 500
        }
    }

    /// Any error as `{"error": {"exit_status": N, "message": "..."}}` with its HTTP status.
    public func errorResponse(_ error: any Error) -> ServiceResponse {
        Self.errorResponse(error, retryAfterSeconds: retryAfterSeconds)
    }

    /// Any error as `{"error": {"exit_status": N, "message": "..."}}` with its HTTP status; a
    /// busy registry (503) says when to try again.
    public static func errorResponse(_ error: any Error, retryAfterSeconds: Int = 2) -> ServiceResponse {
        let failure = Failure(error)
        let request = error as? RequestError
        var response = json(
            request?.httpStatus ?? httpStatus(for: failure.status),
            ErrorBody(error: .init(exitStatus: Int(failure.status.rawValue), message: failure.message)))
        response.headers = request?.headers ?? []
        if failure.status == .temporaryFailure {
            response.headers.append(.init(name: "Retry-After", value: String(retryAfterSeconds)))
        }
        return response
    }

    // MARK: JSON

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var exitStatus: Int
            var message: String
        }
        var error: Detail
    }

    struct Health: Encodable {
        var status: String
        var registry: String
        var latestRunId: Int64
        var latestRunAt: String
        /// Where the conformity rules came from (read at start): `registry run N` or the --rules path.
        var rules: String
        /// SHA-256 of those rules.
        var rulesSha256: String
        /// The registry's CRS (`EPSG:4529`): maps and bboxes are in it.
        var crs: String
        var planCheckVersion: String
    }

    struct Items: Encodable {
        var latestRunId: Int64
        var items: [RegistryStatus.Item]
    }

    /// Encoded as the query answer is: snake_case keys, sorted, pretty, a final newline.
    static func json(_ status: Int, _ value: some Encodable, mediaType: String = ServiceResponse.contentType) -> ServiceResponse {
        let data = (try? ReportJSON.encoder().encode(value)) ?? Data(#"{"error":{"exit_status":70,"message":"cannot encode the response"}}"#.utf8)
        return ServiceResponse(status: status, body: Array(data) + [0x0A], mediaType: mediaType)
    }

    /// The known name within edit distance 2, for "did you mean".
    static func closest(to name: String, in known: [String]) -> String? {
        known.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
