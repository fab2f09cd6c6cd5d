import PlanCRS
import PlanModel

/// An area in the units a land-use table reports: m² as the overlay measures it (planar in a
/// projected working CRS, ellipsoidal in a geographic one), ha and 亩 of that, and the
/// ellipsoidal m² on the working CRS's ellipsoid.
public struct LandArea: Sendable, Codable, Hashable {
    public var areaM2: Double = 0
    public var areaHa: Double { AreaUnit.hectares(areaM2) }
    public var areaMu: Double { AreaUnit.mu(areaM2) }
    public var areaEllipsoidalM2: Double = 0

    public init(areaM2: Double = 0, areaEllipsoidalM2: Double = 0) {
        self.areaM2 = areaM2
        self.areaEllipsoidalM2 = areaEllipsoidalM2
    }

    mutating func add(_ planar: Double, _ ellipsoidal: Double) {
        areaM2 += planar
        areaEllipsoidalM2 += ellipsoidal
    }

    enum CodingKeys: String, CodingKey { case areaM2, areaHa, areaMu, areaEllipsoidalM2 }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(areaM2, forKey: .areaM2)
        try c.encode(areaHa, forKey: .areaHa)
        try c.encode(areaMu, forKey: .areaMu)
        try c.encode(areaEllipsoidalM2, forKey: .areaEllipsoidalM2)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        areaM2 = try c.decode(Double.self, forKey: .areaM2)
        areaEllipsoidalM2 = try c.decode(Double.self, forKey: .areaEllipsoidalM2)
    }
}

/// The land-use transition matrix (土地利用转移矩阵) of two versions of a plan, by overlay:
/// the area of old class × new class where both versions have land, and the land only one
/// version has. Each version's features are measured whole too, so that the closure (row sums
/// plus land only in the old version, against the old version's area; the same for columns)
/// shows that nothing was lost; it is zero up to rounding unless a version's features overlap
/// each other.
public struct TransitionMatrix: Sendable {
    /// Old classes and new classes in sorted order.
    public var oldClasses: [String]
    public var newClasses: [String]
    /// Area by old class, then new class (only pairs that meet).
    public var cells: [String: [String: LandArea]]
    /// Land in the old version that no new feature covers (dropped from the plan), by old class;
    /// land in the new version that no old feature covered (added), by new class.
    public var onlyOld: [String: LandArea]
    public var onlyNew: [String: LandArea]
    /// The versions' features measured whole, by class.
    public var oldArea: [String: LandArea]
    public var newArea: [String: LandArea]
    /// Each kept feature's area (m², as the overlay measures), by index in its version.
    public var oldFeatureAreas: [Double]
    public var newFeatureAreas: [Double]

    init(old: OverlayLayer, new: OverlayLayer, oldClasses: [String], newClasses: [String],
         pieces: DiffOverlay.Pieces, workingCRS: CRSDescription) throws {
        cells = [:]
        onlyOld = [:]
        onlyNew = [:]
        for piece in pieces.both {
            cells[oldClasses[piece.aIndex], default: [:]][newClasses[piece.bIndex!], default: LandArea()].add(piece.area, piece.ellipsoidalArea)
        }
        for piece in pieces.onlyOld { onlyOld[oldClasses[piece.aIndex], default: LandArea()].add(piece.area, piece.ellipsoidalArea) }
        for piece in pieces.onlyNew { onlyNew[newClasses[piece.aIndex], default: LandArea()].add(piece.area, piece.ellipsoidalArea) }
        let lease = try CRSContextPool.shared.lease()
        let calculator = try lease.context.areaCalculator(for: workingCRS)
        func measure(_ layer: OverlayLayer, _ classes: [String]) throws -> ([String: LandArea], [Double]) {
            var out: [String: LandArea] = [:]
            var each: [Double] = []
            for (k, geometry) in layer.geometries.enumerated() {
                let ellipsoidal = try calculator.area(of: .multiPolygon(geometry.polygons))
                let planar = workingCRS.isGeographic
                    ? ellipsoidal : geometry.polygons.reduce(0) { $0 + shoelaceArea(of: $1) } * (workingCRS.squareMetresPerSquareUnit ?? 1)
                out[classes[k], default: LandArea()].add(planar, ellipsoidal)
                each.append(planar)
            }
            return (out, each)
        }
        (oldArea, oldFeatureAreas) = try measure(old, oldClasses)
        (newArea, newFeatureAreas) = try measure(new, newClasses)
        self.oldClasses = Set(oldArea.keys).union(cells.keys).sorted()
        self.newClasses = Set(newArea.keys).union(cells.values.flatMap(\.keys)).sorted()
    }

    /// The area that moved from `oldClass` to `newClass` (zero when they never meet).
    public func cell(_ oldClass: String, _ newClass: String) -> LandArea {
        cells[oldClass]?[newClass] ?? LandArea()
    }

    /// Row sum of `oldClass` (land still in the plan) plus its land only in the old version.
    public func oldRowTotal(_ oldClass: String) -> LandArea {
        var total = onlyOld[oldClass] ?? LandArea()
        for (_, area) in cells[oldClass] ?? [:] { total.add(area.areaM2, area.areaEllipsoidalM2) }
        return total
    }

    /// Column sum of `newClass` plus its land only in the new version.
    public func newColumnTotal(_ newClass: String) -> LandArea {
        var total = onlyNew[newClass] ?? LandArea()
        for row in cells.values { if let area = row[newClass] { total.add(area.areaM2, area.areaEllipsoidalM2) } }
        return total
    }

    static func sum(_ areas: some Sequence<LandArea>) -> LandArea {
        var total = LandArea()
        for area in areas { total.add(area.areaM2, area.areaEllipsoidalM2) }
        return total
    }
}
