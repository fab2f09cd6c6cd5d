import Foundation
import PlanCheckKit
import PlanModel

/// A GET request as the service sees it: the route's path, the query parameters in the order
/// sent, and `If-None-Match` (for the page's assets).
struct GetRequest: Sendable {
    var path: String
    var parameters: [(name: String, value: String)]
    var ifNoneMatch: String?
}

/// How much one map answer (`/v1/regions`, `/v1/zones`) may carry.
public struct MapLimits: Sendable {
    /// `limit` when the request gives none.
    public var defaultFeatures = 1_000
    /// The largest `limit` a request may ask.
    public var maxFeatures = 5_000
    /// Vertices in all the features of one answer (about 40 bytes of JSON each).
    public var maxVertices = 500_000

    public init() {}
}

extension QueryService {
    /// Answers every GET route of ``routes``.
    func get(_ request: GetRequest) async -> ServiceResponse {
        do {
            switch request.path {
            // Health and items take no parameter and none could change their answer: monitors
            // that add one of their own (a cache buster) are answered.
            case "/v1/health":
                return await health()
            case "/v1/items":
                return await items()
            case "/v1/project-types":
                try Self.checkParameters(request.parameters, known: [])
                return projectTypes()
            case "/v1/regions":
                return try await regions(request.parameters)
            case "/v1/zones":
                return try await zones(request.parameters)
            default:
                return try page.answer(request)
            }
        } catch {
            return errorResponse(error)
        }
    }

    /// `GET /v1/project-types`: the rule set's project types (id, title), for the page's list.
    func projectTypes() -> ServiceResponse {
        struct ProjectTypes: Encodable {
            struct Entry: Encodable { var id: String; var title: String? }
            var projectTypes: [Entry]
        }
        return Self.json(200, ProjectTypes(projectTypes: engine.ruleSet.projectTypes.map { .init(id: $0.id, title: $0.title) }))
    }

    /// `GET /v1/regions?bbox=&limit=`: the current regions as GeoJSON in the registry's CRS.
    func regions(_ parameters: [(name: String, value: String)]) async throws -> ServiceResponse {
        let values = try Self.checkParameters(parameters, known: ["bbox", "limit"])
        let bbox = try values["bbox"].map(Self.bbox)
        let limit = try Self.limit(values["limit"], map: mapLimits)
        let (engine, maxVertices) = (self.engine, mapLimits.maxVertices)
        let collection = try await smallSites.run(deadline: .after(seconds: limits.maxQuerySeconds)) {
            try engine.currentRegions(bbox: bbox, limit: limit, maxVertices: maxVertices)
        }
        return Self.json(200, collection, mediaType: "application/geo+json")
    }

    /// `GET /v1/zones?item=&bbox=&limit=`: the current outcome zones as GeoJSON in the registry's CRS.
    func zones(_ parameters: [(name: String, value: String)]) async throws -> ServiceResponse {
        let values = try Self.checkParameters(parameters, known: ["item", "bbox", "limit"])
        let bbox = try values["bbox"].map(Self.bbox)
        let limit = try Self.limit(values["limit"], map: mapLimits)
        if let item = values["item"] {
            let known = try await registryStatus().items.map(\.id)
            guard known.contains(item) else {
                throw RequestError(httpStatus: 400, "item=\(item): not an assessment item of the registry (known: \(known.joined(separator: ", ")))")
            }
        }
        let (engine, maxVertices) = (self.engine, mapLimits.maxVertices)
        let collection = try await smallSites.run(deadline: .after(seconds: limits.maxQuerySeconds)) {
            try engine.currentZones(itemID: values["item"], bbox: bbox, limit: limit, maxVertices: maxVertices)
        }
        return Self.json(200, collection, mediaType: "application/geo+json")
    }

    // MARK: Parameters

    /// The parameters by name; an unknown, repeated or empty one is refused (400), so that a
    /// misspelt one never silently widens the answer.
    @discardableResult
    static func checkParameters(_ parameters: [(name: String, value: String)], known: [String]) throws -> [String: String] {
        var seen: [String: String] = [:]
        for (name, value) in parameters {
            guard known.contains(name) else {
                let hint = closest(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                let list = known.isEmpty ? "this endpoint takes none" : "known: \(known.joined(separator: ", "))"
                throw RequestError(httpStatus: 400, "unknown query parameter '\(name)'\(hint); \(list)")
            }
            guard seen[name] == nil else { throw RequestError(httpStatus: 400, "query parameter '\(name)' is given twice") }
            guard !value.isEmpty else { throw RequestError(httpStatus: 400, "query parameter '\(name)' is empty") }
            seen[name] = value
        }
        return seen
    }

    /// `bbox=MINX,MINY,MAXX,MAXY` in the registry's CRS: four finite numbers, min ≤ max.
    static func bbox(_ text: String) throws -> Envelope {
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 4, let values = numbers as? [Double], values.allSatisfy(\.isFinite) else {
            throw RequestError(httpStatus: 400, "bbox=\(text): write four numbers MINX,MINY,MAXX,MAXY in the registry's CRS")
        }
        guard values[0] <= values[2], values[1] <= values[3] else {
            throw RequestError(httpStatus: 400, "bbox=\(text): MINX must not exceed MAXX, nor MINY MAXY")
        }
        return Envelope(minX: values[0], minY: values[1], maxX: values[2], maxY: values[3])
    }

    /// `limit=N`, 1 to `maxFeatures` (default `defaultFeatures`).
    static func limit(_ text: String?, map: MapLimits) throws -> Int {
        guard let text else { return map.defaultFeatures }
        guard let value = Int(text), (1...map.maxFeatures).contains(value) else {
            throw RequestError(httpStatus: 400, "limit=\(text): write a whole number from 1 to \(map.maxFeatures)")
        }
        return value
    }
}
