import PlanModel
@testable import PlanGeometry

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
