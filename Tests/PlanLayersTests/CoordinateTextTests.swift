import PlanCheckTestSupport
@testable import PlanLayers
import Testing

/// The fast path for numbers with at most 6 decimals must write exactly what the general
/// shortest-decimal search writes.
@Suite("Coordinate text")
struct CoordinateTextTests {
    /// The general search's text of `x` (positive, non-integral, ≥ 0.001).
    private func general(_ x: Double) -> (UInt64, Int) {
        var (k, d) = JSONText.shortestDecimal(x)
        while d > 0 && k % 10 == 0 { k /= 10; d -= 1 }
        return (k, d)
    }

    /// The fast path's text of `x` as (digits, decimals) after dropping trailing zeros.
    private func micro(_ k: UInt64) -> (UInt64, Int) {
        var (k, d) = (k, 6)
        while d > 0 && k % 10 == 0 { k /= 10; d -= 1 }
        return (k, d)
    }

    @Test func microDecimalAgreesWithShortestDecimal() {
        var generator = SeededGenerator(seed: 4529)
        var values: [Double] = []
        for _ in 0..<20_000 {
            // Clipper's output: a whole origin plus 1 µm cells, as `ClipperGrid` converts them.
            let origin = [41_480_000.0, 4_360_000.0, 500_000.0, 0, 120, 1e9][Int(generator.next() % 6)]
            let cell = Int64(generator.next() % 2_000_000_000_000)
            values.append(origin + Double(cell) / 1e6)
            // Survey coordinates with 3 decimals, random doubles at many scales, powers of two.
            values.append(Double(Int64(generator.next() % 100_000_000_000)) / 1000)
            let scale = [0.001, 0.5, 1, 180, 1e6, 4e7, 8e9, 9e9][Int(generator.next() % 8)]
            values.append(Double.random(in: 0.001...scale, using: &generator))
            values.append(Double(sign: .plus, exponent: Int(generator.next() % 40) - 9, significand: 1)
                          .nextUp.nextDown)
        }
        var taken = 0, disagreements = 0
        for x in values where x >= 0.001 && x < 9_007_199_254_740_992 && x.rounded(.towardZero) != x {
            guard let k = JSONText.microDecimal(x) else { continue }
            taken += 1
            if micro(k) != general(x) { disagreements += 1 }
        }
        #expect(disagreements == 0)
        // The fast path must take most grid and survey coordinates, or it is not worth having.
        #expect(taken > values.count / 3)
    }

    /// The loop-free digit count against the digits Swift prints, at every power of ten and of
    /// two (and their neighbours), where an off-by-one would show, and at random values.
    @Test func digitCountAgreesWithPrintedDigits() {
        var values: [UInt64] = [0, UInt64.max]
        var power: UInt64 = 1
        for _ in 0...19 {
            values += [power - 1, power, power + 1]
            if power <= UInt64.max / 10 { power *= 10 }
        }
        for shift in 0..<64 {
            let two = UInt64(1) << shift
            values += [two - 1, two, two + 1]
        }
        var generator = SeededGenerator(seed: 4529)
        for _ in 0..<10_000 { values.append(generator.next() >> (generator.next() % 64)) }
        let wrong = values.filter { JSONText.digitCount($0) != String($0).count }
        #expect(wrong.isEmpty, "digit counts differ for \(wrong.prefix(5))")
    }
}
