import Foundation
import PlanCheckKit
import PlanLayers
import PlanModel
import Testing

/// `inspect` against figures from GDAL, shapely and pyproj (Tests/Fixtures/inspect-oracle.json):
/// the sample district and public layers no one here wrote.
@Suite struct InspectAgainstOracle {
    static let oracle = try! InspectOracle.load()

    @Test(arguments: oracle.layers.map(\.path))
    func countsProblemsAndAreasAgree(path: String) async throws {
        let figures = try #require(Self.oracle.layers.first { $0.path == path })
        let report = try await Inspector(policy: .repair, jobs: 2)
            .inspect(paths: [Repo.path(path)], layerNames: figures.layer.map { [$0] } ?? [])
        let layer = try #require(report.layers.first)

        #expect(layer.featureCount == figures.features)
        #expect(layer.kind == "polygons")
        #expect(layer.crs.geographic == figures.crs_is_geographic)
        // Null/empty features are rejected with a reason; everything else is kept (repaired or not).
        #expect(layer.rejected.count == figures.null_or_empty)
        #expect(layer.featuresKept == figures.polygonal_features_kept)
        // Every feature shapely finds invalid is reported (and repaired) by plan-check too.
        let invalidIDs = Set(layer.problems.filter { $0.kind == "invalid_polygon" }.map(\.featureId))
        #expect(invalidIDs.count == figures.invalid.count)

        let extent = try #require(layer.extent)
        for (mine, theirs) in zip(extent, figures.extent) {
            #expect(abs(mine - theirs) <= 1e-9 * max(1, abs(theirs)))
        }
        let area = try #require(layer.area)
        if let planar = figures.planar_area_m2 {
            let mine = try #require(area.planarM2)
            #expect(abs(mine - planar) / planar < 1e-9, "planar \(mine) vs oracle \(planar)")
        } else {
            #expect(area.planarM2 == nil)
        }
        #expect(abs(area.ellipsoidalM2 - figures.ellipsoidal_area_m2) / figures.ellipsoidal_area_m2 < 1e-6,
                "ellipsoidal \(area.ellipsoidalM2) vs pyproj \(figures.ellipsoidal_area_m2)")
        #expect(abs(area.ellipsoidalHa - area.ellipsoidalM2 / 10_000) < 1e-9 * area.ellipsoidalM2)
        #expect(abs(area.ellipsoidalMu - area.ellipsoidalM2 * 15 / 10_000) < 1e-9 * area.ellipsoidalM2)
    }
}

@Suite struct InvalidFeaturePolicies {
    let landuse = Repo.path("SampleLayers/landuse.geojson")
    let urban = Repo.path("SampleLayers/urban.geojson")

    @Test func repairReportsEachRepairWithItsAreaChange() async throws {
        let layer = try #require(try await Inspector(policy: .repair).inspect(paths: [urban]).layers.first)
        #expect(layer.featureCount == 80)
        #expect(layer.featuresKept == 80)
        let repair = try #require(layer.repaired.first)
        #expect(layer.repaired.count == 1)
        #expect(repair.featureId == FeatureIDJSON(.string("U034")))
        #expect(repair.reasons.contains { $0.contains("Self-intersection") })
        // The bow-tie's lobes cancel in the shoelace sum; the repair keeps both.
        #expect(repair.areaAfter > repair.areaBefore)
        #expect(abs(repair.areaChange - (repair.areaAfter - repair.areaBefore)) < 1e-9)
        let problem = try #require(layer.problems.first { $0.kind == "invalid_polygon" })
        #expect(problem.location != nil)
    }

    @Test func unclosedRingIsClosedAndNullGeometryRejected() async throws {
        let layer = try #require(try await Inspector(policy: .repair).inspect(paths: [landuse]).layers.first)
        #expect(layer.featureCount == 108)
        #expect(layer.featuresKept == 107)
        #expect(layer.repaired.map(\.featureId) == [FeatureIDJSON(.int(17))])
        #expect(layer.repaired[0].actions.contains("closed 1 ring(s)"))
        #expect(layer.rejected.map(\.featureId) == [FeatureIDJSON(.int(60))])
        #expect(layer.rejected[0].reasons == ["null geometry"])
        #expect(layer.geometryTypes == ["Polygon": 107, "null": 1])
    }

    @Test func rejectKeepsOnlyFeaturesWithoutProblems() async throws {
        let layer = try #require(try await Inspector(policy: .reject).inspect(paths: [landuse]).layers.first)
        #expect(layer.featuresKept == 106)
        #expect(layer.repaired.isEmpty)
        #expect(Set(layer.rejected.map(\.featureId)) == [FeatureIDJSON(.int(17)), FeatureIDJSON(.int(60))])
    }

    @Test func failStopsAtTheFirstProblemNamingFileFeatureAndReason() async throws {
        let error = try await #require(throws: InvalidFeatureError.self) {
            try await Inspector(policy: .fail).inspect(paths: [landuse])
        }
        #expect(error.exitStatus == .dataError)
        #expect(error.description.contains("landuse.geojson"))
        #expect(error.description.contains("feature 17"))
        #expect(error.description.contains("not closed"))
    }

    @Test func sameReportWhateverTheJobCount() async throws {
        let one = try await Inspector(jobs: 1).inspect(paths: [landuse, urban]).json()
        let two = try await Inspector(jobs: 2).inspect(paths: [landuse, urban]).json()
        #expect(one == two)
    }
}

@Suite struct LayerCheckEdgeCases {
    func layer(_ features: [Feature]) -> Layer {
        Layer(name: "t", path: "t.geojson", format: .geoJSON, crs: .identifier("EPSG:4529"), fields: [], features: features)
    }

    @Test func bowTieRepairKeepsBothLobes() async throws {
        let bowTie = GeometryValue.polygon([[Position(0, 0), Position(2, 2), Position(2, 0), Position(0, 2), Position(0, 0)]])
        let checked = try await LayerChecker(policy: .repair).check(layer([Feature(id: .int(1), geometry: bowTie)]))
        let kept = try #require(checked.features.first)
        #expect(kept.geometry.polygons.count == 2)
        #expect(abs(kept.planarArea - 2) < 1e-12)
        #expect(checked.repairs.first?.areaBefore == 0)
    }

    @Test func pointsAndLinesInAPolygonLayerAreRejectedCollectionsTrimmed() async throws {
        let square: PolygonRings = [[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 1), Position(0, 0)]]
        let features = [
            Feature(id: .int(1), geometry: .polygon(square)),
            Feature(id: .int(2), geometry: .polygon(square)),
            Feature(id: .int(3), geometry: .lineString([Position(0, 0), Position(1, 1)])),
            Feature(id: .int(4), geometry: .geometryCollection([.polygon(square), .point(Position(5, 5))])),
            Feature(id: .int(5), geometry: .polygon([[Position(0, 0), Position(1, 0), Position(0, 0)]])),
            Feature(id: .int(6), geometry: .multiPolygon([])),
        ]
        let checked = try await LayerChecker(policy: .repair).check(layer(features))
        #expect(checked.features.map(\.id) == [.int(1), .int(2), .int(4)])
        #expect(checked.repairs.map(\.featureID) == [.int(4)])
        #expect(checked.rejections.map(\.featureID) == [.int(3), .int(5), .int(6)])
        let kinds = Dictionary(grouping: checked.problems, by: \.featureID).mapValues { $0.map(\.kind) }
        #expect(kinds[.int(3)] == [.wrongGeometryType])
        #expect(kinds[.int(4)] == [.wrongGeometryType])
        #expect(kinds[.int(5)] == [.ringTooFewPoints])
        #expect(kinds[.int(6)] == [.emptyGeometry])
        // Nothing is lost: every feature is kept or rejected.
        #expect(checked.features.count + checked.rejections.count == features.count)
    }

    @Test func nonFiniteCoordinatesAreRejected() async throws {
        let bad = GeometryValue.polygon([[Position(0, 0), Position(.nan, 0), Position(1, 1), Position(0, 0)]])
        let checked = try await LayerChecker(policy: .repair).check(layer([Feature(id: .int(9), geometry: bad)]))
        #expect(checked.rejections.first?.problems.first?.kind == .nonFiniteCoordinate)
    }
}
