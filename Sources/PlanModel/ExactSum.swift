/// The exactly rounded sum of a sequence of doubles: the true sum of every value added, rounded
/// once to the nearest double (ties to even), whatever the order of the additions. Shewchuk's
/// non-overlapping partials, with the final rounding Python's `math.fsum` uses.
///
/// Totals that several runs compute in different orders (tile slices merged by `plan-check merge`,
/// the patches of a tiled run) are equal to the last bit because of it.
public struct ExactSum: Sendable, Equatable {
    /// Non-overlapping partial sums, smallest magnitude first; their exact sum is the total.
    private var partials: [Double] = []
    /// Infinities and NaNs added, summed as plain doubles (they make the total non-finite).
    private var nonFinite = 0.0

    public init() {}

    public init<S: Sequence>(_ values: S) where S.Element == Double {
        for value in values { add(value) }
    }

    /// Adds `value` exactly.
    public mutating func add(_ value: Double) {
        guard value.isFinite else {
            nonFinite += value
            return
        }
        var x = value
        var kept = 0
        for j in partials.indices {
            var y = partials[j]
            if abs(x) < abs(y) { swap(&x, &y) }
            let high = x + y
            let low = y - (high - x)
            if low != 0 {
                partials[kept] = low
                kept += 1
            }
            x = high
        }
        partials.removeSubrange(kept...)
        partials.append(x)
    }

    /// The non-overlapping parts whose exact sum is the total (finite ones, smallest magnitude
    /// first; then the non-finite total, if any): adding them to another `ExactSum` adds this
    /// sum exactly, e.g. after they travelled through JSON (a tile slice's summary).
    public var parts: [Double] {
        nonFinite != 0 || nonFinite.isNaN ? partials + [nonFinite] : partials
    }

    /// Adds everything `other` holds, exactly.
    public mutating func add(_ other: ExactSum) {
        for partial in other.partials { add(partial) }
        nonFinite += other.nonFinite
    }

    /// The exact total rounded once to the nearest double.
    public var value: Double {
        if nonFinite != 0 || nonFinite.isNaN { return nonFinite }
        guard var n = partials.indices.last else { return 0 }
        var high = partials[n]
        var low = 0.0
        while n > 0 {
            let x = high
            n -= 1
            let y = partials[n]
            high = x + y
            low = y - (high - x)
            if low != 0 { break }
        }
        // Round half to even across the partials below: when the remainder is exactly half an
        // ulp and the next partial has the same sign, the true sum lies beyond the halfway point.
        if n > 0, (low < 0 && partials[n - 1] < 0) || (low > 0 && partials[n - 1] > 0) {
            let y = low * 2
            let x = high + y
            if y == x - high { high = x }
        }
        return high
    }
}

extension Sequence where Element == Double {
    /// The exactly rounded sum of the values (`ExactSum`): independent of their order.
    public func exactSum() -> Double { ExactSum(self).value }
}
