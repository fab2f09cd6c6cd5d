import PlanCRS
import PlanModel
import Testing

/// What one task computes with its own context: Sendable values only.
private struct TaskResult: Sendable, Equatable {
    var projected: [Position]
    var areas: [Double]
}

@Suite("One context per task")
struct ConcurrencyTests {
    /// Parses, transforms and measures with a context of its own.
    private static func work() throws -> TaskResult {
        let context = try CRSContext()
        let geographic = try context.crs(Fixture.cgcs2000)
        let zone41 = try context.crs("urn:ogc:def:crs:EPSG::4529")
        let t = try context.transformer(from: geographic, to: zone41)
        let points = (0..<200).map { Position(x: 122 + Double($0) * 0.005, y: 39 + Double($0) * 0.004) }
        var areas: [Double] = []
        for i in 0..<50 {
            let square = Fixture.square(lon: 122.2 + Double(i) * 0.01, lat: 39.3, h: 0.001 * Double(i + 1))
            let projected = try t.transform(GeometryValue.polygon([square]))
            areas.append(try context.ellipsoidalArea(of: projected, in: zone41))
        }
        return TaskResult(projected: try t.transform(points), areas: areas)
    }

    @Test("Eight tasks, each with its own context, give identical results")
    func identicalResults() async throws {
        let results = try await withThrowingTaskGroup(of: TaskResult.self) { group in
            for _ in 0..<8 { group.addTask { try Self.work() } }
            var all: [TaskResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        let first = try #require(results.first)
        #expect(first.areas.allSatisfy { $0 > 0 })
        for result in results.dropFirst() {
            #expect(result == first)
        }
    }
}
