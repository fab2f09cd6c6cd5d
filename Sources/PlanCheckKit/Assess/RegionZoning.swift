import PlanCRS
import PlanGeometry
import PlanModel
import PlanRegistry
import PlanRules

/// Cuts regions into outcome zones, item by item.
///
/// For one region R and one item, the constraints are taken worst outcome first (file order among
/// equals). Each gives the zone (R ∩ ∪ its features) − the land earlier zones took; what is left
/// of R is the item's default zone. So the zones partition R and, where constraints overlap, the
/// worse outcome wins. Areas: planar in the working CRS (m²; ellipsoidal when the CRS is
/// geographic), ellipsoidal on its ellipsoid.
struct RegionZoning: Sendable {
    /// One item's constraints, worst first, with the features each selects.
    struct ItemPlan: Sendable {
        var item: AssessmentItem
        var minArea: Double
        var constraints: [(constraint: AssessmentConstraint, layer: Int, members: [Bool])]
    }

    let layers: [OverlayLayer]
    let plans: [ItemPlan]
    let workingCRS: CRSDescription

    init(ruleSet: RuleSet, layers: [OverlayLayer], workingCRS: CRSDescription) {
        self.layers = layers
        self.workingCRS = workingCRS
        plans = ruleSet.assessments.map { item in
            ItemPlan(
                item: item, minArea: ruleSet.effectiveMinArea(for: item),
                constraints: item.constraintsWorstFirst.compactMap { constraint in
                    guard let index = layers.firstIndex(where: { $0.definition.name == constraint.selector.layer }) else { return nil }
                    let members = layers[index].classes.map { classes in
                        constraint.selector.className.map { classes.contains($0) } ?? true
                    }
                    return (constraint, index, members)
                })
        }
    }

    /// Assesses a chunk of regions with its own GEOS and PROJ contexts.
    func assess(_ regions: ArraySlice<RegionInput>, dates: ValidityDates, issuedBy: String?) throws -> [AssessedRegion] {
        let context = try GeometryContext()
        let crs = try CRSContext()
        let areas = try crs.areaCalculator(for: workingCRS)
        var worker = Worker(zoning: self, context: context, areas: areas)
        return try regions.map { region in
            let boundary = try Geometry(region.geometry, context: context)
            let regionArea = try worker.area(of: boundary)
            var items: [RegistryItem] = []
            var zones: [RegistryZone] = []
            for plan in plans {
                let item = plan.item
                items.append(RegistryItem(
                    regionID: region.id, itemID: item.id, title: item.title, issuedBy: issuedBy,
                    validFrom: dates.from.description, validUntil: dates.until(years: item.validityYears).description,
                    defaultOutcome: item.defaultOutcome.rawValue,
                    conditions: Dictionary(uniqueKeysWithValues: item.conditions.map { ($0.key.rawValue, $0.value) }),
                    excludedProjectTypes: item.excludedProjectTypes, constraintLayers: item.constraintLayers,
                    minAreaM2: plan.minArea))
                zones += try worker.zones(of: boundary, regionID: region.id, plan: plan)
            }
            return AssessedRegion(
                region: RegistryRegion(regionID: region.id, name: region.name, geometry: .multiPolygon(region.geometry.polygons),
                                       area: regionArea.area),
                featureID: region.featureID, items: items, zones: zones)
        }
    }

    /// The native state of one chunk: STRtrees and GEOS geometries made on first use.
    struct Worker {
        let zoning: RegionZoning
        let context: GeometryContext
        let areas: EllipsoidalAreaCalculator
        var trees: [Int: SpatialIndex] = [:]
        var geometries: [Int: [Int: Geometry]] = [:]

        init(zoning: RegionZoning, context: GeometryContext, areas: EllipsoidalAreaCalculator) {
            self.zoning = zoning
            self.context = context
            self.areas = areas
        }

        /// Planar and ellipsoidal area of a geometry's polygonal parts, with those parts.
        func area(of geometry: Geometry) throws -> (area: RegistryArea, polygons: [[[Position]]]) {
            let measured = try PolygonalArea(crs: zoning.workingCRS, areas: areas).measure(geometry)
            return (RegistryArea(planarM2: measured.planarM2, ellipsoidalM2: measured.ellipsoidalM2), measured.polygons)
        }

        mutating func zones(of region: Geometry, regionID: String, plan: ItemPlan) throws -> [RegistryZone] {
            guard let envelope = try region.envelope() else { return [] }
            let prepared = try region.prepared()
            var covered: Geometry?
            var zones: [RegistryZone] = []
            for (constraint, layerIndex, members) in plan.constraints {
                let candidates = try tree(layerIndex).query(envelope).filter { members[$0] }
                var pieces: [Geometry] = []
                for index in candidates {
                    let feature = try geometry(layerIndex, index)
                    if try prepared.intersects(feature) { pieces.append(feature) }
                }
                guard !pieces.isEmpty else { continue }
                let union = try Geometry.unaryUnion(of: pieces, context: context)
                var zone = try region.intersection(with: union)
                if let covered { zone = try zone.difference(with: covered) }
                let (area, polygons) = try area(of: zone)
                guard !polygons.isEmpty else { continue }
                zones.append(RegistryZone(
                    regionID: regionID, itemID: plan.item.id, outcome: constraint.outcome.rawValue,
                    outcomeRank: constraint.outcome.rank, source: constraint.selector.description,
                    condition: plan.item.conditions[constraint.outcome], geometry: .multiPolygon(polygons), area: area))
                covered = try covered.map { try $0.union(with: zone) } ?? zone
            }
            let rest = try covered.map { try region.difference(with: $0) } ?? region
            let (area, polygons) = try area(of: rest)
            if !polygons.isEmpty {
                let outcome = plan.item.defaultOutcome
                zones.append(RegistryZone(
                    regionID: regionID, itemID: plan.item.id, outcome: outcome.rawValue, outcomeRank: outcome.rank,
                    source: RegistryZone.defaultSource, condition: plan.item.conditions[outcome],
                    geometry: .multiPolygon(polygons), area: area))
            }
            return zones
        }

        mutating func tree(_ layerIndex: Int) throws -> SpatialIndex {
            if let tree = trees[layerIndex] { return tree }
            let envelopes = zoning.layers[layerIndex].geometries.map { $0.envelope ?? .empty }
            let tree = try SpatialIndex(envelopes: envelopes, context: context)
            trees[layerIndex] = tree
            return tree
        }

        mutating func geometry(_ layerIndex: Int, _ index: Int) throws -> Geometry {
            if let geometry = geometries[layerIndex]?[index] { return geometry }
            let geometry = try Geometry(zoning.layers[layerIndex].geometries[index], context: context)
            geometries[layerIndex, default: [:]][index] = geometry
            return geometry
        }
    }
}
