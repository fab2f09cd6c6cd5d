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

    @Option(help: "Seconds a connection may send nothing (between requests, or in the middle of one) before it is closed.")
    var idleTimeout: Int64 = 60

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): not a TCP port (0-65535)") }
        guard maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be at least 1 (got \(maxBodyBytes))") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second (got \(idleTimeout))") }
    }

    func run() async throws {
        try await runReportingErrors {
            let engine = try await QueryEngine.prepare(try source.request())
            for warning in engine.warnings { StandardError.write("plan-check: \(warning)\n") }
            let server = PlanCheckServer(
                engine: engine, configuration: ServeConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes, idleTimeoutSeconds: idleTimeout),
                logger: ServeLogHandler.logger())
            try await server.run { url in StandardError.write("plan-check: listening on \(url)\n") }
            StandardError.write("plan-check: stopped\n")
            return .success
        }
    }
}
