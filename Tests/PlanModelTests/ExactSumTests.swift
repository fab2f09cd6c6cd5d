import Foundation
import PlanCheckTestSupport
import PlanModel
import Testing

/// `ExactSum` against exact integer arithmetic: values that are whole multiples of 2⁻²⁰ below
/// 2³² in magnitude have an exact Int64 sum (scaled by 2²⁰); its correctly rounded double is the
/// oracle.
@Suite struct ExactSumTests {
    static let scale = 1_048_576.0  // 2²⁰

    @Test(arguments: 1...40)
    func equalsTheCorrectlyRoundedExactSumInAnyOrder(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        let count = Int.random(in: 2...400, using: &random)
        // Mixed magnitudes, so plain left-to-right summation loses bits.
        let units: [Int64] = (0..<count).map { _ in
            let magnitude = Int64(1) << Int64.random(in: 0...51, using: &random)
            return Int64.random(in: -magnitude...magnitude, using: &random)
        }
        let values = units.map { Double($0) / Self.scale }
        let exact = Double(units.reduce(0, +)) / Self.scale
        #expect(ExactSum(values).value == exact, "seed \(seed)")
        #expect(values.shuffled(using: &random).exactSum() == exact, "seed \(seed), shuffled")
        #expect(values.reversed().exactSum() == exact, "seed \(seed), reversed")
    }

    @Test func sumsOfPartsMergeExactly() {
        var random = SeededGenerator(seed: 99)
        let values = (0..<1_000).map { _ in Double.random(in: -1e6...1e6, using: &random) * Double.random(in: 1e-9...1, using: &random) }
        var left = ExactSum(values[..<377]), right = ExactSum(values[377...])
        left.add(right)
        #expect(left.value == values.exactSum())
        right.add(ExactSum(values[..<377]))
        #expect(right.value == left.value)
    }

    /// The parts of a sum (what a tile slice's summary carries as JSON) add back exactly: the
    /// sums of slices merged from their parts equal the sum of every value.
    @Test func partsOfSlicesAddUpToTheWholeSum() throws {
        var random = SeededGenerator(seed: 7)
        let values = (0..<3_000).map { _ in Double.random(in: 0...1e4, using: &random) * Double.random(in: 1e-12...1, using: &random) }
        let slices = (0..<7).map { k in ExactSum(values.enumerated().filter { $0.offset % 7 == k }.map(\.element)) }
        var fromParts = ExactSum()
        for slice in slices {
            let text = "\(slice.parts)"  // through text, as JSON carries them
            let parsed = text.dropFirst().dropLast().split(separator: ",").compactMap { Double(String($0.filter { $0 != " " })) }
            #expect(parsed == slice.parts)
            for part in parsed { fromParts.add(part) }
        }
        #expect(fromParts.value == values.exactSum())
    }

    @Test func cancellationAndHalfwayCases() {
        // 1e100 + 1 - 1e100 is 1 exactly; plain summation gives 0.
        #expect([1e100, 1.0, -1e100].exactSum() == 1.0)
        #expect([1e100, 1.0, -1e100].reduce(0, +) == 0)
        // 1 + 2⁻⁵³ + 2⁻¹⁰⁷: just above halfway between 1 and its successor, so it rounds up.
        let half = Double.ulpOfOne / 2
        #expect([1.0, half, half * half / 2].exactSum() == 1.0.nextUp)
        // Exactly halfway rounds to even (1.0).
        #expect([1.0, half].exactSum() == 1.0)
        #expect([Double]().exactSum() == 0)
        #expect([1.0, .infinity].exactSum() == .infinity)
        #expect([1.0, .nan].exactSum().isNaN)
    }
}
