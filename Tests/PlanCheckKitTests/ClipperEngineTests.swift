import Foundation
import PlanCheckTestSupport
import PlanCheckKit
import PlanGeometry
import PlanModel
import Testing

/// `overlay --engine clipper` (the default) against `--engine geos` on the same inputs: the same
/// patches of at least 1 m², each rule's total area within 1e-9, each patch's area within what
/// the 1 µm grid can move (perimeter × cell), and every Clipper patch valid by GEOS.
@Suite struct ClipperAgainstGEOS {
    static let ruleSets = ["SampleLayers/rules.yaml", "Tests/Fixtures/public/ny8.rules.yaml", "Tests/Fixtures/public/nc.rules.yaml"]

    @Test(arguments: ruleSets)
    func oracleCasesAgree(rules: String) async throws {
        try await compareEngines(OverlayRequest(rulesPath: Repo.path(rules), jobs: 2))
    }

    /// The 3 000-parcel plans of the CLI tests (Tools/gen_layers.py, seed 7, some features damaged
    /// and repaired first): many chunks, every rule of the benchmark rule set.
    @Test func generatedPlansAgree() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clipper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let request = OverlayRequest(
            rulesPath: Repo.path("Tools/bench-overlay/rules.yaml"), layerPaths: try GeneratedPlans.write(into: dir), jobs: 2)
        let clipper = try await compareEngines(request)
        #expect(clipper.outcomes.allSatisfy { $0.clipperOperations > 100 }, "every rule ran on Clipper")
    }

    /// A feature 5 × 10¹² m from the others does not fit Clipper's 64-bit grid (±4.6 × 10¹² m at
    /// 1 µm): its operations go to GEOS, counted, and its patches are still there.
    @Test func aFeatureBeyondTheGridFallsBackToGEOS() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clipper-far-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func layer(_ name: String, _ offset: Double) throws {
            let squares = [(0.0, 1), (5e12, 2)].map { x, id in
                let (x0, y0, x1, y1) = (x + offset, offset, x + offset + 100, offset + 100)
                return #"{"type":"Feature","id":\#(id),"properties":{},"geometry":{"type":"Polygon","coordinates":[[[\#(x0),\#(y0)],[\#(x1),\#(y0)],[\#(x1),\#(y1)],[\#(x0),\#(y1)],[\#(x0),\#(y0)]]]}}"#
            }
            let text = #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":["# + squares.joined(separator: ",") + "]}"
            try text.write(to: dir.appendingPathComponent("\(name).geojson"), atomically: true, encoding: .utf8)
        }
        try layer("a", 0)
        try layer("b", 50)
        let rules = """
            version: 1
            min_area_m2: 1
            layers:
              a:
                path: a.geojson
              b:
                path: b.geojson
            rules:
              - {id: X, title: x, severity: minor, relation: intersects, a: a, b: b}
              - {id: O, title: o, severity: minor, relation: outside, a: a, b: b}
            """
        try rules.write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let result = try await OverlayRunner(OverlayRequest(rulesPath: dir.appendingPathComponent("rules.yaml").path, jobs: 1)).run()
        for outcome in result.outcomes {
            #expect(outcome.patches.count == 2, "rule \(outcome.rule.id)")
            #expect(outcome.clipperOperations == 1 && outcome.clipperFallbacks == 1, "rule \(outcome.rule.id)")
        }
        #expect(abs(result.outcomes[0].totalArea - 2 * 2_500) < 1e-6)
        #expect(abs(result.outcomes[1].totalArea - 2 * 7_500) < 1e-6)
    }

    @discardableResult
    func compareEngines(_ request: OverlayRequest) async throws -> OverlayResult {
        var onGEOS = request
        onGEOS.engine = .geos
        let geos = try await OverlayRunner(onGEOS).run()
        let clipper = try await OverlayRunner(request).run()
        let cell = clipper.workingCRS.isGeographic ? 1e-11 : 1e-6
        // Square metres per (CRS unit × CRS unit) at most: a degree is at most 111.32 km.
        let squareMetres = clipper.workingCRS.isGeographic ? 111_320.0 * 111_320 : 1
        let context = try GeometryContext()
        for (c, g) in zip(clipper.outcomes, geos.outcomes) {
            let rule = c.rule.id
            #expect(c.engine == .clipper && g.engine == .geos)
            #expect(g.clipperOperations == 0 && g.clipperFallbacks == 0)
            #expect(c.clipperOperations + c.clipperFallbacks > 0 || c.overlaysComputed == 0, "rule \(rule)")
            #expect(Set(c.patches.filter { $0.area >= 1 }.map(\.id)) == Set(g.patches.filter { $0.area >= 1 }.map(\.id)), "rule \(rule)")
            #expect(relative(c.totalArea, g.totalArea) < 1e-9, "rule \(rule): clipper \(c.totalArea), geos \(g.totalArea)")
            let byID = Dictionary(g.patches.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for patch in c.patches {
                #expect(try Geometry(patch.geometry, context: context).validity().isValid, "rule \(rule) patch \(patch.id)")
                guard let other = byID[patch.id] else { continue }
                let bound = perimeter(patch.geometry) * cell * squareMetres + 1e-9 * other.area
                #expect(abs(patch.area - other.area) <= bound, "rule \(rule) patch \(patch.id): \(patch.area) vs \(other.area)")
            }
        }
        return clipper
    }

    /// The length of every ring, in CRS units.
    func perimeter(_ geometry: GeometryValue) -> Double {
        geometry.polygons.joined().reduce(0) { sum, ring in
            zip(ring, ring.dropFirst()).reduce(sum) { $0 + hypot($1.1.x - $1.0.x, $1.1.y - $1.0.y) }
        }
    }
}
