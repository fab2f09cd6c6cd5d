import Foundation
import PlanCheckTestSupport
import PlanClipper
import PlanGeometry
import PlanModel
import Testing

/// The exact validity test of input polygons (`InputValidity`), with GEOS as the oracle: it may
/// leave a polygon undecided (GEOS then checks it), but it must never pass one GEOS calls invalid.
@Suite("Input validity on the grid")
struct InputValidityTests {
    /// Where shapes are drawn: shape units (metres) are `unit` CRS units from `origin`.
    struct Frame {
        var name: String
        var origin: Position
        var unit: Double
    }

    static let frames = [
        Frame(name: "CGCS2000 GK eastings (EPSG:4529)", origin: Position(x: 41_480_000, y: 4_360_000), unit: 1),
        Frame(name: "lon/lat", origin: Position(x: 121.6, y: 38.9), unit: 1e-5),
        Frame(name: "near 4e7", origin: Position(x: 39_999_950, y: 39_999_950), unit: 1),
        Frame(name: "local, across zero", origin: Position(x: -60, y: -60), unit: 1),
    ]

    /// GEOS's verdict, as Polygon (one member) or MultiPolygon.
    static func geosValid(_ polygons: [PolygonRings], context: GeometryContext) throws -> Bool {
        let value: GeometryValue = polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons)
        return try Geometry(value, context: context).validity().isValid
    }

    /// The test's verdict; a certain one must be valid by GEOS.
    func verdict(_ polygons: [PolygonRings], context: GeometryContext, _ comment: Comment,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        let certain = InputValidity.isCertainlyValid(polygons)
        if certain { #expect(try Self.geosValid(polygons, context: context), "GEOS disagrees: \(comment)", sourceLocation: sourceLocation) }
        return certain
    }

    /// Rings from shape coordinates (closed) in `frame`.
    static func place(_ rings: [[(Double, Double)]], in frame: Frame) -> PolygonRings {
        rings.map { points in
            var ring = points.map { Position(x: frame.origin.x + frame.unit * $0.0, y: frame.origin.y + frame.unit * $0.1) }
            ring.append(ring[0])
            return ring
        }
    }

    static func square(_ x: Double, _ y: Double, _ size: Double) -> [(Double, Double)] {
        [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
    }

    @Test("Plain shapes: valid ones decided, invalid ones never")
    func plainShapes() throws {
        let context = try GeometryContext()
        for frame in Self.frames {
            let f = { (rings: [[(Double, Double)]]) in Self.place(rings, in: frame) }
            #expect(try verdict([f([Self.square(0, 0, 10)])], context: context, "square, \(frame.name)"))
            #expect(try verdict([f([Self.square(0, 0, 10), Self.square(2, 2, 3), Self.square(6, 6, 2)])], context: context, "two holes"))
            #expect(try verdict([f([Self.square(0, 0, 10)]), f([Self.square(20, 0, 10)])], context: context, "two polygons apart"))
            #expect(try verdict([f([Self.square(0, 0, 10), Self.square(2, 2, 6)]), f([Self.square(4, 4, 1)])], context: context, "island in a hole"))
            #expect(try verdict([f([[(0, 0), (5, 0), (10, 0), (10, 5), (0, 5)]])], context: context, "collinear vertex"))
            // Invalid, GEOS says so, and the test does not pass them.
            let invalid: [(String, [PolygonRings])] = [
                ("bow-tie", [f([[(0, 0), (10, 10), (10, 0), (0, 10)]])]),
                ("hole outside its shell", [f([Self.square(0, 0, 10), Self.square(20, 0, 3)])]),
                ("hole in a hole", [f([Self.square(0, 0, 10), Self.square(2, 2, 5), Self.square(3, 3, 1)])]),
                ("shell inside another polygon", [f([Self.square(0, 0, 10)]), f([Self.square(2, 2, 3)])]),
                ("overlapping shells", [f([Self.square(0, 0, 10)]), f([Self.square(5, 5, 10)])]),
                ("zero-width spike", [f([[(0, 0), (10, 0), (20, 0), (10, 0), (10, 5), (0, 5)]])]),
                ("overlapping holes", [f([Self.square(0, 0, 10), Self.square(2, 2, 4), Self.square(4, 4, 4)])]),
            ]
            for (name, polygons) in invalid {
                #expect(try !Self.geosValid(polygons, context: context), "\(name) should be invalid by GEOS")
                #expect(try !verdict(polygons, context: context, "\(name), \(frame.name)"))
            }
        }
    }

    @Test("Touching rings, repeated points and folds are left to GEOS")
    func leftToGEOS() throws {
        let context = try GeometryContext()
        for frame in Self.frames {
            let f = { (rings: [[(Double, Double)]]) in Self.place(rings, in: frame) }
            let cases: [(String, [PolygonRings])] = [
                ("hole touching the shell at a vertex", [f([Self.square(0, 0, 10), [(0, 0), (5, 3), (3, 5)]])]),
                ("hole touching the shell on an edge", [f([Self.square(0, 0, 10), [(0, 5), (5, 3), (5, 7)]])]),
                ("holes touching at a vertex", [f([Self.square(0, 0, 10), Self.square(2, 2, 3), Self.square(5, 5, 3)])]),
                ("shells touching at a vertex", [f([Self.square(0, 0, 10)]), f([Self.square(10, 10, 5)])]),
                ("shells sharing an edge", [f([Self.square(0, 0, 10)]), f([Self.square(10, 0, 10)])]),
                ("repeated point", [f([[(0, 0), (10, 0), (10, 0), (10, 10), (0, 10)]])]),
                ("ring touching itself", [f([[(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)]])]),
            ]
            for (name, polygons) in cases {
                #expect(try !verdict(polygons, context: context, "\(name), \(frame.name)"), "\(name), \(frame.name)")
            }
        }
        // Not finite, huge, or too many rings: GEOS's (or the check's) business, never certain.
        let square = Self.place([Self.square(0, 0, 10)], in: Self.frames[0])
        for bad in [Double.nan, .infinity, -.infinity] {
            var ring = square
            ring[0][1].x = bad
            #expect(!InputValidity.isCertainlyValid([ring]))
        }
        #expect(!InputValidity.isCertainlyValid([Self.place([Self.square(0, 0, 10)], in: Frame(name: "huge", origin: Position(x: 1e20, y: 0), unit: 1e6))]))
        #expect(!InputValidity.isCertainlyValid([[]]))
        #expect(!InputValidity.isCertainlyValid([]))
        var unclosed = square
        unclosed[0].removeLast()
        #expect(!InputValidity.isCertainlyValid([unclosed]))
        var rings: [[(Double, Double)]] = [Self.square(0, 0, 1000)]
        for i in 0..<300 {
            let column = Double(i % 20), row = Double(i / 20)
            rings.append(Self.square(1 + 40 * column, 1 + 40 * row, 10))
        }
        let manyHoles = Self.place(rings, in: Self.frames[0])
        #expect(try Self.geosValid([manyHoles], context: context))
        #expect(!InputValidity.isCertainlyValid([manyHoles]), "more than 256 rings")
    }

    @Test("A sawtooth whose 20 000 edges all span one x range is left to GEOS")
    func sawtooth() throws {
        // Valid, but every edge overlaps every other in x: the sweep gives up after its budget of
        // edge pairs (64 per vertex) instead of comparing 2·10⁸ pairs.
        var points: [(Double, Double)] = []
        for i in 0..<20_000 { points.append((i % 2 == 0 ? 0 : 1000, Double(i))) }
        points += [(-10, 19_999), (-10, 0)]
        let polygon = Self.place([points], in: Self.frames[0])
        #expect(try Self.geosValid([polygon], context: GeometryContext()))
        #expect(!InputValidity.isCertainlyValid([polygon]), "over the budget: undecided although valid")
        // The same shape with 100 edges is within the budget, and decided.
        let small = Self.place([Array(points.prefix(100)) + [(-10, 99), (-10, 0)]], in: Self.frames[0])
        #expect(try verdict([small], context: GeometryContext(), "a sawtooth of 100 edges"))
    }

    @Test("A vertex k doubles away from another ring's edge, on either side")
    func nearTouching() throws {
        let context = try GeometryContext()
        var certainAt: [String: Double] = [:]
        for frame in Self.frames {
            // A hole whose left vertex is d from the shell's left edge (x = 0); d < 0 crosses it.
            let edgeX = frame.origin.x
            let spacing = edgeX.ulp
            var steps: [Double] = (-8...8).map { Double($0) * spacing }
            steps += [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-3, -1e-9, -1e-7].map { $0 * frame.unit }
            for d in steps {
                let shell = Self.place([Self.square(0, 0, 20)], in: frame)[0]
                let hole = [Position(x: edgeX + d, y: frame.origin.y + 10 * frame.unit),
                            Position(x: frame.origin.x + 5 * frame.unit, y: frame.origin.y + 5 * frame.unit),
                            Position(x: frame.origin.x + 5 * frame.unit, y: frame.origin.y + 15 * frame.unit),
                            Position(x: edgeX + d, y: frame.origin.y + 10 * frame.unit)]
                if try verdict([[shell, hole]], context: context, "hole \(d) from the edge, \(frame.name)") {
                    certainAt[frame.name] = min(certainAt[frame.name] ?? .infinity, d / frame.unit)
                }
            }
            // Passing one vertex 1 mm (in shape units) from the edge: far beyond the margin.
            #expect((certainAt[frame.name] ?? .infinity) <= 1e-3, "\(frame.name)")
        }
    }

    @Test("Seeded random polygons: every certain one is valid by GEOS, and the valid plain ones are decided")
    func randomPolygons() throws {
        var random = SeededGenerator(seed: 4529_14)
        let context = try GeometryContext()
        var tally: [String: (cases: Int, valid: Int, certain: Int)] = [:]
        for round in 0..<400 {
            let frame = Self.frames[round % Self.frames.count]
            let millimetres = round % 2 == 0  // as files hold them: coordinates to 3 decimals
            for family in Family.allCases {
                let shapes = family.make(&random)
                var polygons = shapes.map { Self.place($0, in: frame) }
                if millimetres, frame.unit == 1 {
                    polygons = polygons.map { $0.map { $0.map { Position(x: ($0.x * 1000).rounded() / 1000, y: ($0.y * 1000).rounded() / 1000) } } }
                }
                let valid = try Self.geosValid(polygons, context: context)
                let certain = InputValidity.isCertainlyValid(polygons)
                #expect(!certain || valid, "certain but invalid by GEOS: \(family) in \(frame.name), round \(round)")
                var t = tally[family.rawValue] ?? (0, 0, 0)
                t.cases += 1
                t.valid += valid ? 1 : 0
                t.certain += certain ? 1 : 0
                tally[family.rawValue] = t
            }
        }
        let total = tally.values.reduce(0) { $0 + $1.cases }
        #expect(total >= 4000, "\(total) cases")
        for family in Family.allCases {
            let t = tally[family.rawValue]!
            let share = Double(t.certain) / Double(max(1, t.valid))
            print("input validity, \(family.rawValue): \(t.cases) cases, \(t.valid) valid by GEOS, \(t.certain) certain (\(String(format: "%.1f", 100 * share)) % of the valid)")
            if family.isPlain { #expect(share > 0.95, "\(family): \(t.certain) of \(t.valid) valid decided") }
            if family.isDegenerate { #expect(t.certain == 0, "\(family): \(t.certain) decided") }
        }
    }

    /// The kinds of random polygon, in shape units (metres), about 100 across.
    enum Family: String, CaseIterable {
        case star, starWithHoles, multiStar, collinearRun, nearHole, bowTie, touchingHole, spike, repeatedPoint, vertexSoup, overlappingStars

        /// Valid by construction and far from degenerate: the test should decide nearly all.
        var isPlain: Bool { [.star, .starWithHoles, .multiStar, .collinearRun].contains(self) }
        /// Touching, repeated or folded by construction: never decided on the grid.
        var isDegenerate: Bool { [.touchingHole, .repeatedPoint].contains(self) }

        func make(_ random: inout SeededGenerator) -> [[[(Double, Double)]]] {
            let cx = 20 + 60 * random.unitInterval(), cy = 20 + 60 * random.unitInterval()
            switch self {
            case .star: return [[Self.star(&random, cx, cy, 5, 20)]]
            case .starWithHoles:
                let holes = 1 + Int(random.next() % 3)
                return [[Self.star(&random, cx, cy, 6, 20)] + (0..<holes).map { i in
                    Array(Self.star(&random, cx - 3 + 2.5 * Double(i), cy, 0.3, 0.8).reversed())
                }]
            case .multiStar:
                return [[Self.star(&random, cx, cy, 5, 7)], [Self.star(&random, cx + 25, cy, 5, 7)], [Self.star(&random, cx, cy + 25, 5, 7)]]
            case .collinearRun:
                // Points added along the edges (exactly on them in shape units).
                let ring = Self.star(&random, cx, cy, 5, 20)
                var out: [(Double, Double)] = []
                for i in ring.indices {
                    let a = ring[i], b = ring[(i + 1) % ring.count]
                    out.append(a)
                    for k in 1..<Int(2 + random.next() % 3) { let t = Double(k) / 4; out.append((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))) }
                }
                return [[out]]
            case .nearHole:
                // A hole whose vertex comes within 10^-k of the shell's edge (k = 1 … 10).
                let gap = pow(10, -Double(1 + random.next() % 10))
                return [[[(0, 0), (40, 0), (40, 40), (0, 40)], [(gap, 20), (10, 10), (10, 30)]]]
            case .bowTie:
                let w = 5 + 20 * random.unitInterval()
                return [[[(cx, cy), (cx + w, cy + w), (cx + w, cy), (cx, cy + w)]]]
            case .touchingHole:
                let ring = Self.star(&random, cx, cy, 6, 20)
                return [[ring, [ring[0], (cx + 1, cy - 1), (cx + 1, cy + 1)]]]
            case .spike:
                // A spike out of a vertex, back by 0 to 1 µm beside its way out.
                var ring = Self.star(&random, cx, cy, 5, 20)
                let v = ring[2], width = [0, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6][Int(random.next() % 6)]
                let dx = v.0 - cx, dy = v.1 - cy
                ring.insert(contentsOf: [(v.0 + dx, v.1 + dy), (v.0 - width * dy, v.1 + width * dx)], at: 3)
                return [[ring]]
            case .repeatedPoint:
                var ring = Self.star(&random, cx, cy, 5, 20)
                let i = Int(random.next() % UInt64(ring.count))
                ring.insert(ring[i], at: i)
                return [[ring]]
            case .vertexSoup:
                let n = 4 + Int(random.next() % 6)
                return [[(0..<n).map { _ in (cx + 20 * random.unitInterval(), cy + 20 * random.unitInterval()) }]]
            case .overlappingStars:
                return [[Self.star(&random, cx, cy, 5, 15)], [Self.star(&random, cx + 10 + 20 * random.unitInterval(), cy, 5, 15)]]
            }
        }

        /// A star-shaped ring of 5 to 40 points around (cx, cy), radii in [r0, r0 + dr).
        static func star(_ random: inout SeededGenerator, _ cx: Double, _ cy: Double, _ r0: Double, _ dr: Double) -> [(Double, Double)] {
            let n = 5 + Int(random.next() % 36)
            return (0..<n).map { i in
                let angle = Double(i) / Double(n) * 2 * .pi
                let radius = r0 + dr * random.unitInterval()
                return (cx + radius * cos(angle), cy + radius * sin(angle))
            }
        }
    }
}
