import PlanModel
@testable import PlanGeometry

/// A small seeded generator (SplitMix64) so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A closed square ring, counter-clockwise.
func squareRing(_ x: Double, _ y: Double, _ size: Double) -> PositionList {
    [Position(x, y), Position(x + size, y), Position(x + size, y + size), Position(x, y + size), Position(x, y)]
}

func square(_ x: Double, _ y: Double, _ size: Double) -> GeometryValue {
    .polygon([squareRing(x, y, size)])
}

func approx(_ a: Double, _ b: Double, tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}
