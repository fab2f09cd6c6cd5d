import Testing
import PlanModel

@Test func envelopeOfPolygonCoversAllPositions() {
    let g = GeometryValue.polygon([[Position(0, 0), Position(4, 0), Position(4, 3), Position(0, 0)]])
    #expect(g.envelope == Envelope(minX: 0, minY: 0, maxX: 4, maxY: 3))
    #expect(GeometryValue.multiPolygon([]).envelope == nil)
}
