import Foundation
@testable import PlanCheckServer
import Testing

/// The page's assets, the OpenAPI document and the route table, without a socket (the live
/// server and the browser are tested in PlanCheckCLITests/ServePageTests.swift).
@Suite struct PageServiceTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// PageAssets.swift is what Tools/embed-assets.sh makes of the asset files.
    @Test func embeddedAssetsMatchTheirFiles() throws {
        for (path, embedded) in [
            ("Sources/PlanCheckServer/assets/index.html", PageAssets.html), ("Sources/PlanCheckServer/assets/page.css", PageAssets.css),
            ("Sources/PlanCheckServer/assets/page.js", PageAssets.js), ("Sources/PlanCheckServer/assets/openapi.json", PageAssets.openAPI),
            ("Sources/PlanCheckKit/Query/query-answer.schema.json", PageAssets.queryAnswerSchema),
        ] {
            var file = try String(contentsOf: Self.repo.appendingPathComponent(path), encoding: .utf8)
            if file.hasSuffix("\n") { file.removeLast() }
            #expect(file == embedded, "\(path) changed: run Tools/embed-assets.sh")
        }
    }

    /// The document's paths and methods are the route table the router is made from, and the
    /// query answer's schema is the one the command line's answers are tested against.
    @Test func theOpenAPIDocumentListsTheRouteTable() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(PageService.openAPIDocument().utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: [String: String] = [:]
        for (path, operations) in paths {
            #expect(operations.count == 1, "\(path): \(operations.keys)")
            documented[path] = operations.keys.first?.uppercased()
        }
        #expect(documented == QueryService.routes)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let embedded = try #require(schemas["QueryAnswer"] as? NSDictionary)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.repo.appendingPathComponent("Sources/PlanCheckKit/Query/query-answer.schema.json"))) as? NSDictionary
        #expect(embedded == file)
        let query = try #require(paths["/v1/query"]?["post"] as? [String: Any])
        let ok = ((query["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: [String: [String: String]]]
        #expect(ok?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/QueryAnswer")
    }

    @Test func eTagsAreRevalidated() throws {
        let page = PageService(basemap: nil, registryEPSG: 4529)
        let first = try page.answer(GetRequest(path: "/assets/page.js", parameters: [], ifNoneMatch: nil))
        let etag = try #require(first.headers.first { $0.name == "ETag" }?.value)
        #expect(try page.answer(GetRequest(path: "/assets/page.js", parameters: [], ifNoneMatch: "W/\(etag), \"x\"")).status == 304)
        #expect(try page.answer(GetRequest(path: "/assets/page.js", parameters: [], ifNoneMatch: "\"other\"")).status == 200)
        #expect(throws: RequestError.self) { try page.answer(GetRequest(path: "/", parameters: [("lang", "fr")], ifNoneMatch: nil)) }
    }

    /// `--basemap` must be a WMS-like template in the registry's CRS; the page learns it (and
    /// its origin is the only other one the page may load images from) only when the registry
    /// CRS has an EPSG code.
    @Test func theBasemapIsATemplateInTheRegistryCRS() throws {
        let template = "http://wms.intranet:8080/wms?CRS={crs}&BBOX={bbox}&WIDTH={width}&HEIGHT={height}"
        #expect(PageService.basemapProblem(template) == nil)
        #expect(PageService.basemapProblem("http://t.intranet/{z}/{x}/{y}.png")?.contains("XYZ tile templates are not supported") == true)
        #expect(PageService.basemapProblem("file:///etc/passwd?{bbox}{width}{height}") == "not an http:// or https:// URL")
        let page = PageService(basemap: template, registryEPSG: 4529)
        let html = try page.answer(GetRequest(path: "/", parameters: [], ifNoneMatch: nil))
        #expect(html.text.contains("data-basemap=\"http://wms.intranet:8080/wms?CRS={crs}&amp;BBOX={bbox}"))
        #expect(html.headers.first { $0.name == "Content-Security-Policy" }?.value.contains("img-src 'self' data: http://wms.intranet:8080;") == true)
        let noEPSG = try PageService(basemap: template, registryEPSG: nil).answer(GetRequest(path: "/", parameters: [], ifNoneMatch: nil))
        #expect(noEPSG.text.contains("data-basemap=\"\""))
    }
}
