import ArgumentParser
import Foundation
import PlanCheckKit
import PlanCheckServer

/// `plan-check serve`: the query as a web service for applicants.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the query over HTTP: applicants POST their site and get the same answer as plan-check query.",
        discussion: """
            POST /v1/query?project_type=TYPE&at=YYYY-MM-DD with the site's GeoJSON as the body \
            (Content-Type application/geo+json) answers with the JSON of plan-check query --format json. \
            GET /v1/health and GET /v1/items tell the registry's latest run and its items. Errors are \
            {"error": {"exit_status": N, "message": "..."}} with HTTP 400 (usage, 64), 422 (bad data, 65), \
            413 (body too large), 503 with Retry-After (registry busy, 75) or 500; malformed HTTP gets 400, \
            414 (URL too long) or 431 (headers too large) and the connection is closed. Each request reads the \
            registry afresh, so a new plan-check assess run is answered without a restart; the conformity \
            rules and their layers are read once at start. One line per request on stderr; SIGTERM or \
            SIGINT stops the server after the requests in flight.
            """
    )

    @OptionGroup var source: RegistryOptions

    @Option(help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0 or :: for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The TCP port (0: any free port; the one bound is printed).")
    var port = 8080

    @Option(help: "The largest request body accepted, in bytes (larger ones get 413).")
    var maxBodyBytes = 10 * 1024 * 1024

    @Option(help: "Sites answered at once (default: one per core); larger sites have one more worker of their own.")
    var workers = ServiceLimits.defaultWorkers

    @Option(help: "Requests taken on beyond those being answered; more get 503 with Retry-After.")
    var maxWaiting = ServiceLimits().maxWaiting

    @Option(help: "The most polygons a site may have (more get 413).")
    var maxSiteParts = ServiceLimits().maxSiteParts

    @Option(help: "The most vertices a site may have (more get 413).")
    var maxSiteVertices = ServiceLimits().maxSiteVertices

    @Option(help: "Seconds a request may take from arrival to answer (beyond: 503 with Retry-After).")
    var maxQuerySeconds = ServiceLimits().maxQuerySeconds

    @Option(help: "Seconds a connection may send nothing (between requests, or in the middle of one) before it is closed.")
    var idleTimeout: Int64 = 60

    @Option(help: ArgumentHelp(
        "A base map for the page's map: the URL template of an intranet WMS GetMap in the registry's CRS, with {bbox}, {width}, {height} (and {crs}).",
        valueName: "URL"))
    var basemap: String?

    func validate() throws {
        if let basemap {
            guard let problem = PageService.basemapProblem(basemap) else { return try validateLimits() }
            throw ValidationError("--basemap \(basemap): \(problem)")
        }
        try validateLimits()
    }

    func validateLimits() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): not a TCP port (0-65535)") }
        guard maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be at least 1 (got \(maxBodyBytes))") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1 (got \(workers))") }
        guard maxWaiting >= 0 else { throw ValidationError("--max-waiting must be 0 or more (got \(maxWaiting))") }
        guard maxSiteParts >= 1 else { throw ValidationError("--max-site-parts must be at least 1 (got \(maxSiteParts))") }
        guard maxSiteVertices >= 4 else { throw ValidationError("--max-site-vertices must be at least 4 (got \(maxSiteVertices))") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second (got \(idleTimeout))") }
        guard maxQuerySeconds > 0 else { throw ValidationError("--max-query-seconds must be more than 0 (got \(maxQuerySeconds))") }
    }

    /// The service's limits from the options.
    var limits: ServiceLimits {
        var limits = ServiceLimits(workers: workers, maxWaiting: maxWaiting, maxSiteParts: maxSiteParts,
                                   maxSiteVertices: maxSiteVertices, maxQuerySeconds: maxQuerySeconds)
        limits.maxPendingBodyBytes = max(limits.maxPendingBodyBytes, maxBodyBytes)
        return limits
    }

    func run() async throws {
        raiseOpenFileLimit()
        try await runReportingErrors {
            let engine = try await QueryEngine.prepare(try source.request())
            for warning in engine.warnings { StandardError.write("plan-check: \(warning)\n") }
            let server = PlanCheckServer(
                engine: engine,
                configuration: ServeConfiguration(
                    host: host, port: port, maxBodyBytes: maxBodyBytes, idleTimeoutSeconds: idleTimeout, limits: limits,
                    basemap: basemap),
                logger: ServeLogHandler.logger())
            try await server.run { url in StandardError.write("plan-check: listening on \(url)\n") }
            StandardError.write("plan-check: stopped\n")
            return .success
        }
    }
}

/// Raises the soft limit on open files to the hard limit: every connection is a descriptor, and
/// the default soft limit (often 1 024) would refuse connections long before the service's own
/// limits (`--max-waiting`) answer them with 503.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
