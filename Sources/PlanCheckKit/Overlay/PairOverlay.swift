import PlanClipper
import PlanGeometry
import PlanModel

/// The `a` feature a worker is on: its GEOS geometry, prepared form and Clipper rings, each made
/// on first use (a pair Clipper computes outright needs none of the GEOS forms).
struct AFeature {
    /// Index into the rule's `a` side.
    let i: Int
    /// Index into the layer's kept features.
    let position: Int
    let value: GeometryValue
    let envelope: Envelope
    /// What patch ids take from the feature (`OverlayLayer.identifiers`).
    let id: String
    private let context: GeometryContext
    private var nativeForm: Geometry?
    private var preparedForm: PreparedGeometry?
    /// The Clipper rings (nil until asked; `.some(nil)` when Clipper cannot take `value`).
    private var ringsForm: ClipperRings??

    init(_ i: Int, position: Int, value: GeometryValue, envelope: Envelope, id: String, context: GeometryContext) {
        self.i = i
        self.position = position
        self.value = value
        self.envelope = envelope
        self.id = id
        self.context = context
    }

    mutating func native() throws -> Geometry {
        if let nativeForm { return nativeForm }
        let made = try Geometry(value, context: context)
        nativeForm = made
        return made
    }

    mutating func prepared() throws -> PreparedGeometry {
        if let preparedForm { return preparedForm }
        let made = try native().prepared()
        preparedForm = made
        return made
    }

    mutating func rings(_ kernel: ClipperKernel) -> ClipperRings? {
        if let ringsForm { return ringsForm }
        let made = kernel.rings(of: value)
        ringsForm = .some(made)
        return made
    }
}

extension RuleEvaluator.Worker {
    /// The fast paths of an `intersects` pair (no grid): `a` inside `b` gives all of `a`, `b`
    /// inside `a` all of `b`, each tested only when the envelopes allow it. Nil otherwise.
    mutating func wholePiece(_ a: inout AFeature, k: Int) throws -> GeometryValue? {
        guard gridSize == nil else { return nil }
        if b.envelopes[k].contains(a.envelope), try a.prepared().coveredBy(bGeometry(k)) { return a.value }
        if a.envelope.contains(b.envelopes[k]), try a.prepared().covers(bGeometry(k)) { return try bValue(k) }
        return nil
    }

    /// `a` ∩ `b[k]` for an `intersects` rule, kept as a patch (or counted as a sliver or a
    /// lower-dimensional leftover). Disjoint pairs give nothing and count nothing.
    mutating func intersectPair(_ a: inout AFeature, k: Int, into result: inout RuleEvaluator.ChunkResult) throws {
        let piece: GeometryValue
        if let whole = try wholePiece(&a, k: k) {
            piece = whole
            result.fastPath += 1
        } else if let clipper, let clipped = try clipperIntersection(&a, k: k, clipper) {
            // Clipper computes the pair outright. Only an empty or hair-thin result may come from
            // a disjoint pair (snapped to the grid); the exact test on the grid settles most of
            // those, GEOS's exact test the rest, so the counts are those of testing every pair first.
            if clipped.isCertainlyDisjoint { return }
            if clipped.mayBeDisjoint(cellSize: clipper.grid.cellSize), try !a.prepared().intersects(bGeometry(k)) { return }
            result.clipperOperations += 1
            result.overlays += 1
            // Features that only touch (or overlap by less than the grid) give no area: a
            // lower-dimensional leftover, as GEOS's line or point would be.
            if clipped.value.isEmpty { result.lowerDimension += 1; return }
            piece = clipped.value
        } else {
            // GEOS: the prepared test first. About one envelope candidate in six is disjoint
            // (517 283 candidates, 436 902 patches at 100 000 parcels), and GEOS's overlay of a
            // disjoint pair costs as much as a real one.
            guard try a.prepared().intersects(bGeometry(k)) else { return }
            if clipper != nil { result.clipperFallbacks += 1 }
            let native = try a.native().intersection(with: bGeometry(k), gridSize: gridSize)
            if try native.isEmpty() { return }
            piece = try native.value()
            result.overlays += 1
        }
        try keep(piece, a: a, k: k, into: &result)
    }

    /// `a` ∩ `b[k]` by Clipper, or nil when Clipper cannot take the inputs or its result is not
    /// valid (the caller computes the pair with GEOS).
    mutating func clipperIntersection(_ a: inout AFeature, k: Int, _ clipper: ClipperKernel) throws -> ClipperPiece? {
        guard let subject = a.rings(clipper), let clip = try bRings(k, clipper) else { return nil }
        return clipper.run(.intersection, subject: subject, clip: clip)
    }

    /// `a` minus every `b` it touches, for an `outside` rule, kept as a patch. Nothing when the
    /// `b`s cover `a`; all of `a`, as read, when they take nothing of it.
    mutating func outsidePiece(_ a: inout AFeature, candidates: [Int], into result: inout RuleEvaluator.ChunkResult) throws {
        let piece: GeometryValue
        if clipper != nil && candidates.isEmpty {
            piece = a.value
            result.fastPath += 1
        } else if let clipped = try clipperDifference(&a, clip: candidates, into: &result) {
            result.overlays += 1
            piece = clipped.keepsSubjectArea ? a.value : clipped.value
        } else {
            guard let geos = try geosOutsidePiece(&a, candidates: candidates, into: &result) else { return }
            piece = geos
        }
        try keep(piece, a: a, k: nil, into: &result)
    }

    /// `a` minus the union of the candidate `b`s by GEOS: only the `b`s that touch `a` (prepared
    /// test) are united; nil when one `b` covers `a`.
    mutating func geosOutsidePiece(_ a: inout AFeature, candidates: [Int], into result: inout RuleEvaluator.ChunkResult) throws -> GeometryValue? {
        var touching: [Int] = []
        for k in candidates {
            guard try a.prepared().intersects(bGeometry(k)) else { continue }
            if gridSize == nil, b.envelopes[k].contains(a.envelope), try a.prepared().coveredBy(bGeometry(k)) {
                result.fastPath += 1
                return nil
            }
            touching.append(k)
        }
        if touching.isEmpty && gridSize == nil {
            result.fastPath += 1
            return a.value
        }
        let cover = try Geometry.unaryUnion(of: touching.map { try bGeometry($0) }, gridSize: gridSize, context: context)
        result.overlays += 1
        return try a.native().difference(with: cover, gridSize: gridSize).value()
    }

    /// `a` minus the union of the `b`s at `clip` in one Clipper Execute, counted; nil when this
    /// rule runs on GEOS, or when Clipper cannot take the inputs or its result is not valid
    /// (counted as a fallback: the caller computes it with GEOS). Every envelope candidate goes
    /// in: one that does not reach `a` is culled to nothing or takes nothing away, so no GEOS
    /// test picks the touching ones first.
    mutating func clipperDifference(_ a: inout AFeature, clip candidates: [Int], into result: inout RuleEvaluator.ChunkResult) throws -> ClipperPiece? {
        guard let clipper else { return nil }
        var clip = ClipperRings()
        for k in candidates {
            guard let rings = try bRings(k, clipper) else { result.clipperFallbacks += 1; return nil }
            clip.append(rings)
        }
        guard let subject = a.rings(clipper), let piece = clipper.run(.difference, subject: subject, clip: clip) else {
            result.clipperFallbacks += 1
            return nil
        }
        result.clipperOperations += 1
        return piece
    }
}
