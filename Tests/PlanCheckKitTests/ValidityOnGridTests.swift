import Foundation
import PlanCheckTestSupport
@testable import PlanCheckKit
import PlanClipper
import PlanLayers
import PlanModel
import Testing

/// The layer check decides validity on an integer grid where that is certain (InputValidity)
/// and asks GEOS otherwise: what it reports must be exactly what asking GEOS for every feature
/// reports, and the grid should decide most features of real-looking plans.
@Suite struct ValidityOnGridTests {
    @Test("Same kept features, areas (bit for bit), problems, repairs and rejections as GEOS alone")
    func sameAsGEOSAlone() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("validity-grid-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let generated = try GeneratedPlans.write(into: dir)
        let samples = ["landuse.geojson", "urban.geojson", "ecology.geojson", "flood.geojson", "hazard.geojson", "boundary.geojson", "districts.geojson", "regions.geojson", "farmland.gpkg"]
            .map { Repo.path("SampleLayers/\($0)") }
        for path in generated.values.sorted() + samples {
            for layer in try LayerReader.readLayers(path: path) {
                var decided = 0, keptAsRead = 0
                for policy in [InvalidFeaturePolicy.repair, .reject] {
                    let onGrid = try await LayerChecker(policy: policy, jobs: 2).check(layer)
                    var geosOnly = LayerChecker(policy: policy, jobs: 2)
                    geosOnly.validityOnGrid = false
                    let reference = try await geosOnly.check(layer)
                    #expect(onGrid.features.count == reference.features.count, "\(path) \(policy)")
                    for (a, b) in zip(onGrid.features, reference.features) {
                        #expect(a.id == b.id && a.geometry == b.geometry, "\(path) \(policy) \(a.id)")
                        #expect(a.planarArea.bitPattern == b.planarArea.bitPattern, "\(path) \(a.id): \(a.planarArea) vs GEOS \(b.planarArea)")
                    }
                    #expect(onGrid.problems == reference.problems, "\(path) \(policy)")
                    #expect(onGrid.repairs == reference.repairs, "\(path) \(policy)")
                    #expect(onGrid.rejections == reference.rejections, "\(path) \(policy)")
                    #expect(onGrid.geometryTypes == reference.geometryTypes, "\(path) \(policy)")
                }
                // The share the grid decides: of the features kept as read (no problem at all).
                let problems = Set(try await LayerChecker(policy: .repair, jobs: 2).check(layer).problems.map(\.featureID))
                for feature in layer.features where !problems.contains(feature.id) {
                    guard let geometry = feature.geometry, geometry.isPolygonal else { continue }
                    keptAsRead += 1
                    if InputValidity.isCertainlyValid(geometry.polygons) { decided += 1 }
                }
                let share = Double(decided) / Double(max(1, keptAsRead))
                print("validity on the grid: \(path.split(separator: "/").suffix(2).joined(separator: "/")): \(decided) of \(keptAsRead) valid features decided (\(String(format: "%.2f", 100 * share)) %)")
                if generated.values.contains(path) { #expect(share > 0.95, "\(path): \(decided) of \(keptAsRead)") }
            }
        }
    }
}
