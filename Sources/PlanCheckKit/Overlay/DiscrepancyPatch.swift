import PlanModel
import PlanRules

/// One discrepancy patch (差异图斑): land where two plans disagree under one rule, with its
/// lineage (which features of which layers made it) and its areas.
public struct DiscrepancyPatch: Sendable {
    /// Stable id: `RULE:A_ID` for `outside`, `RULE:A_ID:B_ID` for `intersects`, where an ID is
    /// the feature's `id_field` value, or without one its GeoJSON `id`, GeoPackage `fid` or
    /// position. The same inputs give the same ids in the same order; with `id_field`, the same
    /// ids after the file is re-exported or reordered.
    public var id: String
    public var ruleIndex: Int
    /// Index of the `a` feature in its checked layer (file order).
    public var aIndex: Int
    /// Index of the `b` feature in its checked layer; nil for `outside`.
    public var bIndex: Int?
    /// Polygon or MultiPolygon of the parts kept (each at least the sliver threshold), in the
    /// working CRS.
    public var geometry: GeometryValue
    /// Area in the working CRS (m²): planar for a projected CRS; ellipsoidal for a geographic one.
    public var area: Double
    /// Ellipsoidal area (m²) on the working CRS's ellipsoid.
    public var ellipsoidalArea: Double
    /// `GeometryHash` of `geometry`: what a decision on this patch is checked against later.
    public var geometryHash: String
}

/// What one rule found: its patches and what it dropped or could not use.
public struct RuleOutcome: Sendable {
    public var rule: ConflictRule
    /// Every patch in output order; empty when the run keeps none (`OverlayRequest.keepsPatches`
    /// false: they went to the output file as they were made). `totals` counts them either way.
    public var patches: [DiscrepancyPatch]
    /// Counts, areas, class pairs and statuses of the patches, added up as they were made.
    public var totals = RuleTotals()
    /// Polygon parts under the sliver threshold that were dropped, and their total area (m²,
    /// measured as `DiscrepancyPatch.area` is), summed exactly (`ExactSum`): the same total
    /// whatever the order, so a merge of tile slices gives the whole run's to the last bit.
    public var sliversDropped: Int
    public var sliverAreaSum: ExactSum
    public var sliverArea: Double { sliverAreaSum.value }
    /// Overlays whose result had no area at all (features that only touch along an edge or at a
    /// point), and point/line pieces dropped from results that also had area.
    public var lowerDimensionLeftovers: Int
    /// Pairs (or `a` features) whose result was the whole `a` or whole `b` by a prepared-geometry
    /// test, so no overlay was computed.
    public var fastPathHits: Int
    /// Overlays computed (by Clipper or by GEOS).
    public var overlaysComputed: Int
    /// The pairwise kernel this rule ran on: `.geos` for a rule with a grid size or under
    /// `--engine geos`.
    public var engine: OverlayEngine
    /// Operations Clipper computed, and those it handed to GEOS (its result was not valid, or
    /// it could not take the input).
    public var clipperOperations: Int
    public var clipperFallbacks: Int
    /// Area of the union of all patches (overlaps between patches counted once), m²; nil when
    /// not computed (`--no-dissolve`).
    public var dissolvedArea: Double?
    public var dissolvedEllipsoidalArea: Double?
    /// Seconds for the whole rule, and for its overlays alone (the rest is the dissolve).
    public var seconds: Double
    public var overlaySeconds: Double

    /// Total planar area of the patches (ellipsoidal in a geographic working CRS), m².
    public var totalArea: Double { totals.area }
    /// Total ellipsoidal area of the patches, m².
    public var totalEllipsoidalArea: Double { totals.ellipsoidalArea }
}
