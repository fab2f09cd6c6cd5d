import Foundation
import PlanCheckKit
import PlanCheckServer
import PlanLayers
import PlanStore
import Testing

/// The service's HTTP mapping, without a socket: parameters, content types, and which HTTP
/// status and JSON body each kind of error gets. The live server is tested in
/// PlanCheckCLITests/ServeTests.swift.
@Suite struct QueryServiceTests {
    @Test func parametersGiveTheQueryOptions() throws {
        let options = try QueryService.options(from: [("project_type", "industrial"), ("at", "2026-12-01")])
        #expect(options.projectType == "industrial")
        #expect(options.at == CalendarDate("2026-12-01"))
    }

    @Test func atDefaultsToTodayUTC() throws {
        #expect(try QueryService.options(from: []).at == CalendarDate(Date()))
    }

    @Test func badParametersAreUsageErrors() throws {
        for (parameters, fragment) in [
            ([("at", "2026-13-01")], "at=2026-13-01: not a date (write YYYY-MM-DD)"),
            ([("at", "tomorrow")], "at=tomorrow: not a date"),
            ([("projecttype", "x")], "unknown query parameter 'projecttype' (did you mean 'project_type'?)"),
            ([("format", "text")], "unknown query parameter 'format'; known: project_type, at, geometry"),
            ([("at", "2026-12-01"), ("at", "2026-12-02")], "query parameter 'at' is given twice"),
            ([("project_type", "")], "project_type is empty"),
        ] as [([(name: String, value: String)], String)] {
            let error = #expect(throws: RequestError.self) { try QueryService.options(from: parameters) }
            #expect(error?.httpStatus == 400)
            #expect(error?.exitStatus == .usage)
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error")")
        }
    }

    @Test func geoJSONContentTypesAreTaken() throws {
        for type in [nil, "application/geo+json", "application/json", "application/json; charset=utf-8", "Application/GEO+JSON"] {
            try QueryService.checkContentType(type)
        }
        let error = #expect(throws: RequestError.self) { try QueryService.checkContentType("application/x-www-form-urlencoded") }
        #expect(error?.httpStatus == 415)
        #expect(error?.message.contains("application/geo+json") == true)
    }

    @Test func everyExitStatusHasAnHTTPStatus() {
        let expected: [PlanCheckKit.ExitStatus: Int] = [
            .usage: 400, .dataError: 422, .temporaryFailure: 503,
            .noInput: 500, .software: 500, .cannotWrite: 500, .success: 500, .findings: 500,
        ]
        for status in PlanCheckKit.ExitStatus.allCases {
            #expect(QueryService.httpStatus(for: status) == expected[status], "\(status)")
        }
    }

    @Test func brokenGeoJSONIs422WithTheLine() throws {
        let body = Array("{\"type\": \"FeatureCollection\",\n \"features\": [ {\"type\": \"Feature\" \"x\"} ]}".utf8)
        let error = #expect(throws: (any Error).self) { try QuerySite.read(bytes: body, name: QueryService.siteName) }
        let response = QueryService.errorResponse(try #require(error))
        #expect(response.status == 422)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let detail = try #require(json["error"] as? [String: Any])
        #expect(detail["exit_status"] as? Int == 65)
        #expect((detail["message"] as? String)?.hasPrefix("request body:2:") == true, "\(detail)")
        #expect(response.headers.isEmpty)
    }

    @Test func busyRegistryIs503WithRetryAfter() throws {
        let busy = StoreError(kind: .sqlite, resultCode: 5, message: "database is locked", path: "registry.gpkg")
        try #require(busy.isBusy)
        let response = QueryService.errorResponse(busy, retryAfterSeconds: 3)
        #expect(response.status == 503)
        #expect(response.headers == [.init(name: "Retry-After", value: "3")])
        #expect(response.text.contains("\"exit_status\" : 75"))
    }

    @Test func unknownPathsAre404AndWrongMethods405() {
        let missing = QueryService.notFound(method: "GET", path: "/v2/query")
        #expect(missing.status == 404)
        #expect(missing.text.contains("GET /v2/query: no such endpoint (known: GET /, GET /v1/health, GET /v1/items, GET /v1/openapi.json, GET /v1/project-types, POST /v1/query, GET /v1/regions, GET /v1/zones)"))
        let wrong = QueryService.notFound(method: "GET", path: "/v1/query")
        #expect(wrong.status == 405)
        #expect(wrong.headers == [.init(name: "Allow", value: "POST")])
        #expect(wrong.text.contains("GET /v1/query: method not allowed (use POST)"), "\(wrong.text)")
        let deleted = QueryService.notFound(method: "DELETE", path: "/v1/health")
        #expect(deleted.status == 405)
        #expect(deleted.headers == [.init(name: "Allow", value: "GET, HEAD")])
        #expect(deleted.text.contains("DELETE /v1/health: method not allowed (use GET, HEAD)"), "\(deleted.text)")
    }

    @Test func otherErrorsAre500() {
        let response = QueryService.errorResponse(StoreError(kind: .fileNotFound, message: "no such file", path: "gone.gpkg"))
        #expect(response.status == 500)
        #expect(response.text.contains("\"exit_status\" : 66"))
    }
}
