import PlanCRS
import PlanModel
import Testing

@Suite("Transforming positions and geometries")
struct TransformTests {
    @Test("EPSG:4490 → EPSG:4529 and back, easting/longitude first")
    func roundTrip() throws {
        let context = try CRSContext()
        let geographic = try context.crs(Fixture.cgcs2000)
        let zone41 = try context.crs(Fixture.zone41)
        let forward = try context.transformer(from: geographic, to: zone41)
        let projected = try forward.transform(Position(x: 122.8, y: 39.5))
        // pyproj 3.7.2: (41482797.3094, 4374033.2114)
        #expect(abs(projected.x - 41_482_797.309) < 0.001)
        #expect(abs(projected.y - 4_374_033.211) < 0.001)

        let back = try context.transformer(from: zone41, to: geographic).transform(projected)
        #expect(abs(back.x - 122.8) < 1e-9)
        #expect(abs(back.y - 39.5) < 1e-9)
    }

    @Test("CRS84 takes longitude first: a Dalian point lands in zone 41")
    func crs84AxisOrder() throws {
        let context = try CRSContext()
        let crs84 = try context.crs("CRS84")
        let zone41 = try context.crs(Fixture.zone41)
        let p = try context.transformer(from: crs84, to: zone41).transform(Position(x: 121.6, y: 38.9))
        #expect(p.x > 41_300_000 && p.x < 41_500_000)
        #expect(p.y > 4_300_000 && p.y < 4_320_000)
    }

    @Test("Transformers are cached per CRS pair in the context")
    func cache() throws {
        let context = try CRSContext()
        let a = try context.crs(Fixture.cgcs2000), b = try context.crs(Fixture.zone41)
        #expect(try context.transformer(from: a, to: b) === (try context.transformer(from: a, to: b)))
        #expect(try context.transformer(from: a, to: b) !== (try context.transformer(from: b, to: a)))
    }

    @Test("Bulk transform equals one-by-one transform")
    func bulk() throws {
        let context = try CRSContext()
        let t = try context.transformer(from: try context.crs(Fixture.cgcs2000), to: try context.crs(Fixture.zone41))
        let input = (0..<500).map { i in Position(x: 121.5 + Double(i) * 0.003, y: 38.8 + Double(i) * 0.002) }
        let bulk = try t.transform(input)
        #expect(bulk.count == input.count)
        for (i, p) in input.enumerated() where i % 50 == 0 {
            #expect(try t.transform(p) == bulk[i])
        }
        #expect(try t.transform([Position]()) == [])
    }

    @Test("Every part and ring of a geometry is transformed")
    func geometry() throws {
        let context = try CRSContext()
        let geographic = try context.crs(Fixture.cgcs2000)
        let zone41 = try context.crs(Fixture.zone41)
        let t = try context.transformer(from: geographic, to: zone41)
        let outer = Fixture.square(lon: 122.8, lat: 39.5, h: 0.01)
        let hole = Fixture.square(lon: 122.8, lat: 39.5, h: 0.002)
        let input = GeometryValue.geometryCollection([
            .point(Position(122.8, 39.5)),
            .point(nil),
            .lineString(outer),
            .multiPolygon([[outer, hole], [Fixture.square(lon: 122.9, lat: 39.6, h: 0.01)]]),
            .multiPoint([Position(122.8, 39.5)]),
            .multiLineString([outer, hole]),
        ])
        let output = try t.transform(input)
        #expect(output.positionCount == input.positionCount)
        guard case .geometryCollection(let members) = output,
              case .point(let p?) = members[0], case .point(nil) = members[1],
              case .multiPolygon(let polygons) = members[3] else {
            Issue.record("structure changed: \(output.typeName)")
            return
        }
        #expect(abs(p.x - 41_482_797.309) < 0.001)
        #expect(polygons.count == 2 && polygons[0].count == 2)
        #expect(try t.transform(hole) == polygons[0][1])
        let box = try #require(output.envelope)
        #expect(box.minX > 41_400_000 && box.maxY < 4_400_000)
    }

    @Test("Ballpark transformations (no known datum shift) are flagged")
    func ballpark() throws {
        let context = try CRSContext()
        let cgcs = try context.crs(Fixture.cgcs2000)
        let projection = try context.transformer(from: cgcs, to: try context.crs(Fixture.zone41))
        #expect(projection.usesBallparkTransformation == false)
        #expect(projection.accuracy == 0)
        let xianToCGCS = try context.transformer(from: try context.crs("EPSG:4610"), to: cgcs)
        #expect(xianToCGCS.usesBallparkTransformation == true)
        #expect(xianToCGCS.operationName.contains("Ballpark"))
    }

    @Test("A failing position inside a geometry is named with its part")
    func nonFiniteInGeometry() throws {
        let context = try CRSContext()
        let t = try context.transformer(from: try context.crs(Fixture.cgcs2000), to: try context.crs(Fixture.zone41))
        let bad = GeometryValue.multiPolygon([
            [Fixture.square(lon: 122.8, lat: 39.5, h: 0.01)],
            [Fixture.square(lon: 122.8, lat: 39.5, h: 0.01), [Position(122, 39), Position(122, 91), Position(123, 39)]],
        ])
        let error = try #require(throws: CRSError.self) { try t.transform(bad) }
        #expect(error.operation.contains("position 1 of polygon 1 ring 1"))
    }

    @Test("A position PROJ cannot transform is named in the error")
    func nonFinite() throws {
        let context = try CRSContext()
        let t = try context.transformer(from: try context.crs(Fixture.cgcs2000), to: try context.crs(Fixture.zone41))
        let error = try #require(throws: CRSError.self) {
            try t.transform([Position(122.8, 39.5), Position(122.8, 95)])
        }
        #expect(error.kind == .nonFiniteResult)
        #expect(error.operation.contains("position 1"))
        #expect(error.operation.contains("y: 95"))
        #expect(!error.message.isEmpty)

        let nan = try #require(throws: CRSError.self) { try t.transform(Position(.nan, 39.5)) }
        #expect(nan.kind == .nonFiniteResult)
        #expect(nan.message.contains("not finite"))
    }
}
