import Testing
import PlanModel
@testable import PlanGeometry

@Suite("Contexts per task")
struct ConcurrencyTests {
    /// One worker: its own context, `cycles` create/intersect/difference/destroy rounds, only
    /// Sendable values in and out.
    static func work(task: Int, cycles: Int) throws -> (areaSum: Double, wkbBytes: Int, failures: Int) {
        let context = try GeometryContext()
        var areaSum = 0.0, wkbBytes = 0, failures = 0
        for i in 0..<cycles {
            let offset = Double((i + task) % 10)  // overlap 10 - offset, 1..10
            let a = try Geometry(square(0, 0, 10), context: context)
            let b = try Geometry(square(offset, 0, 10), context: context)
            let inter = try a.intersection(with: b)
            areaSum += try inter.area()
            if try a.difference(with: b).area() != offset * 10 { failures += 1 }
            wkbBytes += try inter.wkb().count
            // Exercise the error path too: a failure must carry this context's own message.
            if i % 100 == 0 {
                do { _ = try Geometry(wkt: "POLYGON((\(task)", context: context); failures += 1 } catch GeometryError.library(_, let m) {
                    if !m.contains("ParseException") { failures += 1 }
                }
                if context.lastErrorMessage == nil { failures += 1 }
                _ = try Geometry(wkt: "POINT(0 0)", context: context)
                if context.lastErrorMessage != nil { failures += 1 }
            }
        }
        return (areaSum, wkbBytes, failures)
    }

    @Test("8 tasks, each its own context, thousands of create/intersect/destroy cycles")
    func manyTasks() async throws {
        let cycles = 2000
        let results = try await withThrowingTaskGroup(of: (Int, Double, Int, Int).self) { group in
            for t in 0..<8 {
                group.addTask {
                    let r = try Self.work(task: t, cycles: cycles)
                    return (t, r.areaSum, r.wkbBytes, r.failures)
                }
            }
            var all: [(Int, Double, Int, Int)] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        for (task, areaSum, wkbBytes, failures) in results {
            // Overlap areas (10 - offset) * 10 over offsets 0..9 each cycles/10 times: 550 per 10 cycles.
            #expect(areaSum == Double(cycles / 10) * 550, "task \(task)")
            #expect(wkbBytes == cycles * 93, "task \(task)")
            #expect(failures == 0, "task \(task)")
        }
    }

    @Test("Values built in one task are measured in another")
    func valuesCrossTasks() async throws {
        let values: [GeometryValue] = (0..<50).map { square(Double($0), 0, 2) }
        let union: GeometryValue = try await Task.detached {
            let context = try GeometryContext()
            return try Geometry.unaryUnion(of: values.map { try Geometry($0, context: context) }, context: context).value()
        }.value
        let area = try Geometry(union, context: GeometryContext()).area()
        #expect(area == 51 * 2)
    }
}
