import Foundation
import PlanCheckKit

/// The applicants' page (`GET /`), its stylesheet and script, and the OpenAPI document, served
/// from the binary (``PageAssets``, generated from `Sources/PlanCheckServer/assets/`). Each has
/// an ETag (SHA-256 of its bytes) and `Cache-Control: no-cache`: a browser keeps it and asks again
/// with `If-None-Match`, and gets 304 with no body until the binary changes.
public struct PageService: Sendable {
    struct Asset: Sendable {
        var body: [UInt8]
        var mediaType: String
        var etag: String
        /// Query parameters the path takes, with the values each may have.
        var parameters: [String: Set<String>] = [:]
        var headers: [ServiceResponse.Header] = []
    }

    let assets: [String: Asset]

    /// `basemap`: the `--basemap` template (checked by ``basemapProblem(_:)``), drawn only when the
    /// registry CRS has an EPSG code to ask the map service for.
    init(basemap: String?, registryEPSG: Int32?) {
        let usable = basemap.flatMap { registryEPSG == nil ? nil : $0 }
        let html = PageAssets.html
            .replacingOccurrences(of: "{{BASEMAP}}", with: Self.attribute(usable ?? ""))
            .replacingOccurrences(of: "{{CRS}}", with: registryEPSG.map { "EPSG:\($0)" } ?? "")
            .replacingOccurrences(of: "{{VERSION}}", with: Self.attribute(PlanCheckVersion.current))
        let imageSources = ["'self'", "data:"] + (usable.flatMap(Self.origin).map { [$0] } ?? [])
        let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src \(imageSources.joined(separator: " ")); connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
        assets = [
            "/": Self.asset(html, "text/html; charset=utf-8", parameters: ["lang": ["zh", "en"]],
                            headers: [.init(name: "Content-Security-Policy", value: policy)]),
            "/assets/page.css": Self.asset(PageAssets.css, "text/css; charset=utf-8"),
            "/assets/page.js": Self.asset(PageAssets.js, "text/javascript; charset=utf-8"),
            "/v1/openapi.json": Self.asset(Self.openAPIDocument(), "application/json; charset=utf-8"),
        ]
    }

    /// The asset at the request's path, or 304 when `If-None-Match` names its ETag.
    func answer(_ request: GetRequest) throws -> ServiceResponse {
        guard let asset = assets[request.path] else { return QueryService.notFound(method: "GET", path: request.path) }
        let values = try QueryService.checkParameters(request.parameters, known: asset.parameters.keys.sorted())
        for (name, value) in values where !(asset.parameters[name]?.contains(value) ?? false) {
            throw RequestError(httpStatus: 400, "\(name)=\(value): write one of \(asset.parameters[name]!.sorted().joined(separator: ", "))")
        }
        let headers = [
            ServiceResponse.Header(name: "ETag", value: asset.etag), .init(name: "Cache-Control", value: "no-cache"),
            .init(name: "X-Content-Type-Options", value: "nosniff"),
        ] + asset.headers
        if let tags = request.ifNoneMatch, Self.matches(tags, asset.etag) {
            return ServiceResponse(status: 304, headers: headers, body: [], mediaType: asset.mediaType)
        }
        return ServiceResponse(status: 200, headers: headers, body: asset.body, mediaType: asset.mediaType)
    }

    static func asset(_ text: String, _ mediaType: String, parameters: [String: Set<String>] = [:],
                      headers: [ServiceResponse.Header] = []) -> Asset {
        let body = Array(text.utf8)
        return Asset(body: body, mediaType: mediaType, etag: "\"\(FileHash.sha256(of: body).prefix(32))\"",
                     parameters: parameters, headers: headers)
    }

    /// `If-None-Match: "a", W/"b"` or `*` against one ETag.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// The OpenAPI 3.1 document: the template with the query answer's JSON Schema as the
    /// component `QueryAnswer` (the schema keeps its `$id`, so its own `$ref`s resolve in it).
    static func openAPIDocument() -> String {
        guard var document = try? JSONSerialization.jsonObject(with: Data(PageAssets.openAPI.utf8)) as? [String: Any],
              let schema = try? JSONSerialization.jsonObject(with: Data(PageAssets.queryAnswerSchema.utf8)),
              var components = document["components"] as? [String: Any],
              var schemas = components["schemas"] as? [String: Any] else {
            preconditionFailure("the embedded OpenAPI template or answer schema is not JSON (Tools/embed-assets.sh)")
        }
        schemas["QueryAnswer"] = schema
        components["schemas"] = schemas
        document["components"] = components
        var info = document["info"] as? [String: Any] ?? [:]
        info["version"] = PlanCheckVersion.current
        document["info"] = info
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Why a `--basemap` template cannot be used, or nil: it must be an http(s) URL with
    /// `{bbox}`, `{width}` and `{height}` (one image in the registry's CRS; tile pyramids in Web
    /// Mercator do not lie under a Gauss-Krüger map).
    public static func basemapProblem(_ template: String) -> String? {
        guard origin(template) != nil else { return "not an http:// or https:// URL" }
        let missing = ["{bbox}", "{width}", "{height}"].filter { !template.contains($0) }
        guard missing.isEmpty else {
            return "the template lacks \(missing.joined(separator: ", ")): give a WMS GetMap URL in the registry's CRS, e.g. http://tiles.intranet/wms?SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0&LAYERS=img&CRS={crs}&BBOX={bbox}&WIDTH={width}&HEIGHT={height}&FORMAT=image/png (XYZ tile templates are not supported)"
        }
        guard !template.contains("\""), !template.contains("'"), !template.contains(" ") else { return "quotes and spaces must be percent-encoded" }
        return nil
    }

    /// `http://host:port` of a URL, for the page's Content-Security-Policy.
    static func origin(_ template: String) -> String? {
        let probe = template.replacingOccurrences(of: "{", with: "%7B").replacingOccurrences(of: "}", with: "%7D")
        guard let url = URL(string: probe), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else { return nil }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    /// Text for a double-quoted HTML attribute.
    static func attribute(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
