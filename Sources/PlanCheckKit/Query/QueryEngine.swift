import Foundation
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel
import PlanRegistry
import PlanRules
import PlanStore
import Synchronization

/// What `plan-check query` and `plan-check serve` are set up with once.
public struct QueryRequest: Sendable {
    public var registryPath: String
    /// `--rules`: the rule set whose conformity rules (those reading `site`) are checked; nil
    /// means the rules of the registry's latest run, as stored in it.
    public var rulesPath: String?
    /// `--layer NAME=PATH`: layer files for conformity rules, and files whose SHA-256 is compared
    /// with the assessment's inputs (`inputs_changed`).
    public var layerPaths: [String: String]
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    /// `--encoding` and `--assume-crs` for the conformity layers' files that do not say.
    public var reading: ReadingSettings

    public init(registryPath: String, rulesPath: String? = nil, layerPaths: [String: String] = [:],
                policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount, reading: ReadingSettings = ReadingSettings()) {
        self.registryPath = registryPath
        self.rulesPath = rulesPath
        self.layerPaths = layerPaths
        self.policy = policy
        self.jobs = max(1, jobs)
        self.reading = reading
    }
}

/// An applicant's site as read from a file or standard input.
public struct QuerySite: Sendable {
    /// The file, or "-" for standard input.
    public var name: String
    public var layer: Layer
    public var sha256: String
    /// The CRS to take when the site's file declares none (`--assume-crs`).
    public var assumedCRS: AssumedCRS?

    public init(name: String, layer: Layer, sha256: String, assumedCRS: AssumedCRS? = nil) {
        self.name = name
        self.layer = layer
        self.sha256 = sha256
        self.assumedCRS = assumedCRS
    }

    /// Reads a site file, or standard input for "-" (GeoJSON: a FeatureCollection of the site's
    /// parts, one Feature, or a bare geometry). A file may be in any format plan-check reads
    /// (an applicant's Shapefile, a zip of one); `reading` gives its encoding and CRS when it
    /// does not.
    public static func read(path: String, reading: ReadingSettings = ReadingSettings()) throws -> QuerySite {
        if path == "-" {
            let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            var site = try read(bytes: bytes, name: "-")
            site.assumedCRS = reading.assumption()
            return site
        }
        return QuerySite(name: path, layer: try LayerReader.read(path: path, options: reading.readOptions()),
                         sha256: try FileHash.sha256(ofFile: path), assumedCRS: reading.assumption())
    }

    /// A site from GeoJSON bytes (a request body); `name` appears in messages.
    public static func read(bytes: [UInt8], name: String) throws -> QuerySite {
        let layer = try GeoJSONReader.read(bytes: bytes, path: name, layerName: LayerDefinition.siteLayerName)
        return QuerySite(name: name, layer: layer, sha256: FileHash.sha256(of: bytes))
    }
}

/// What an applicant asks besides the site.
public struct QueryOptions: Sendable {
    /// `--project-type`: checked against the items' exclusion lists (负面清单).
    public var projectType: String?
    /// `--at`: the day validity is judged on.
    public var at: CalendarDate
    /// When the answer must be ready (the service's time limit per request); none on the
    /// command line.
    public var deadline: QueryDeadline
    /// Put the site's and the conformity patches' geometries (registry CRS) into the answer.
    public var includeGeometry: Bool

    public init(projectType: String? = nil, at: CalendarDate = CalendarDate(Date()), deadline: QueryDeadline = .none,
                includeGeometry: Bool = false) {
        self.projectType = projectType
        self.at = at
        self.deadline = deadline
        self.includeGeometry = includeGeometry
    }
}

/// Answers applicants' queries against one registry. Made once (`prepare` reads the conformity
/// layers), then asked many times, from several tasks at once: each answer opens its own registry
/// connection, GEOS and PROJ contexts.
public struct QueryEngine: Sendable {
    public let request: QueryRequest
    public let ruleSet: RuleSet
    /// "registry run N" or the `--rules` path.
    public let rulesSource: String
    /// SHA-256 of the rules text the conformity rules come from (the run's stored rules, or the
    /// `--rules` file), lower-case hex: printed on the applicants' page.
    public let rulesSHA256: String
    /// The rules that read `site`, in rule-set order.
    public let conformityRules: [ConflictRule]
    /// The layers those rules compare the site with, prepared in the registry's CRS.
    public let conformityLayers: [OverlayLayer]
    public let workingCRS: CRSDescription
    public let srs: RegistrySRS
    /// SHA-256 of each `--layer` file, by layer name.
    public let givenLayerHashes: [String: String]
    public let warnings: [String]
    /// The bounding boxes of the conformity layers' features, to hand each answer only the
    /// features near its site.
    let conformityEnvelopes: [[Envelope]]
    /// Registry connections and the latest run's item list, kept between answers.
    let state = QueryState()

    /// Opens the registry, loads the rule set (`--rules`, or the latest run's), and reads the
    /// layers of its conformity rules.
    public static func prepare(_ request: QueryRequest) async throws -> QueryEngine {
        let reader = try RegistryReader(path: request.registryPath)
        guard let latest = try reader.latestRun() else {
            throw StoreError(kind: .malformedGeoPackage, message: "the registry has no assessment run yet", path: request.registryPath)
        }
        let ruleSet: RuleSet
        let source: String
        let rulesHash: String
        if let rulesPath = request.rulesPath {
            ruleSet = try RuleSetLoader.load(path: rulesPath)
            source = rulesPath
            rulesHash = try FileHash.sha256(ofFile: rulesPath)
        } else {
            ruleSet = try RuleSetLoader.load(yaml: latest.run.rulesYAML, path: latest.run.rulesPath)
            source = "registry run \(latest.runID)"
            rulesHash = latest.run.rulesSHA256
        }
        let srs = try reader.registrySRS()
        let crsContext = try CRSContext()
        let working = try crsContext.crs(srs.crsDefinition)
        let site = LayerDefinition.siteLayerName
        let rules = ruleSet.rules(involving: site)
        var names = Set(rules.flatMap { [$0.a.layer, $0.b.layer] })
        names.remove(site)
        let overlay = OverlayRunner(OverlayRequest(
            rulesPath: request.rulesPath ?? latest.run.rulesPath,
            layerPaths: request.layerPaths.filter { $0.key != site }, workingCRS: srs.crsDefinition,
            policy: request.policy, jobs: request.jobs, reading: request.reading,
            // A site's conformity overlays are a handful of pairs: Clipper would not pay, and
            // GEOS keeps the answer's areas at full precision.
            engine: .geos))
        try overlay.checkLayerOverrides(ruleSet)
        let prepared = names.isEmpty
            ? OverlayRunner.PreparedLayers(layers: [], workingCRS: working, warnings: ruleSet.warnings.map(\.description), timings: [])
            : try await overlay.prepareLayers(of: ruleSet, named: ruleSet.layers.map(\.name).filter(names.contains))
        var hashes: [String: String] = [:]
        for (name, path) in request.layerPaths where name != site {
            hashes[name] = try FileHash.sha256(ofFile: path)
        }
        return QueryEngine(
            request: request, ruleSet: ruleSet, rulesSource: source, rulesSHA256: rulesHash, conformityRules: rules,
            conformityLayers: prepared.layers, workingCRS: working, srs: srs, givenLayerHashes: hashes,
            warnings: prepared.warnings,
            conformityEnvelopes: prepared.layers.map { $0.geometries.map { $0.envelope ?? .empty } })
    }

    /// The answer for one site. Throws `SiteError` (exit 65) for a site that cannot be judged,
    /// `QueryDeadline.Exceeded` (exit 75) when `options.deadline` passes first.
    public func answer(_ site: QuerySite, options: QueryOptions) async throws -> QueryAnswer {
        if let type = options.projectType, !ruleSet.projectTypes.isEmpty, !ruleSet.projectTypes.contains(where: { $0.id == type }) {
            let known = ruleSet.projectTypes.map(\.id)
            throw AssessmentUsageError("--project-type \(type): not a project type of the rule set (known: \(known.joined(separator: ", ")))")
        }
        let deadline = options.deadline
        let lease = try CRSContextPool.shared.lease()
        let prepared = try await prepareSite(site, crsContext: lease.context)
        try deadline.check("checking the site")

        let context = try GeometryContext()
        let areas = try lease.context.areaCalculator(for: workingCRS)
        let measure = Measure(crs: workingCRS, areas: areas)
        let parts = try prepared.layer.geometries.map { try Geometry($0, context: context) }
        let siteGeometry = try Geometry.unaryUnion(of: parts, context: context)
        let siteArea = try measure.area(siteGeometry)
        try SiteCheck.requireArea(siteArea, siteName: site.name)
        guard let envelope = try siteGeometry.envelope() else {
            throw SiteError("\(site.name): the site is empty")
        }

        // Everything the answer reads from the registry, from one snapshot.
        let registry = try readRegistry(near: envelope)
        let latest = registry.snapshot.run
        // A site smaller than ten sliver thresholds is judged with a tenth of its own area as
        // the threshold: otherwise a small site inside a prohibited zone would touch nothing.
        let threshold = Self.sliverThreshold(latest.run.minAreaM2, siteArea: siteArea)
        try deadline.check("reading the registry")

        // Regions the site overlaps.
        var regionGeometries: [String: Geometry] = [:]
        var touched: [QueryAnswer.SiteRegion] = []
        for candidate in registry.regions {
            let geometry = try Geometry(candidate.region.geometry, context: context)
            regionGeometries[candidate.region.regionID] = geometry
            let inside = try measure.area(try siteGeometry.intersection(with: geometry))
            if inside.m2 >= threshold {
                touched.append(.init(regionId: candidate.region.regionID, name: candidate.region.name, area: inside))
            }
        }
        let allRegions = try regionGeometries.isEmpty ? nil : Geometry.unaryUnion(of: Array(regionGeometries.values), context: context)
        let outsideAll = try allRegions.map { try measure.area(try siteGeometry.difference(with: $0)) } ?? siteArea
        let touchedIDs = Set(touched.map(\.regionId))
        let records = registry.items.filter { touchedIDs.contains($0.item.regionID) }
        let zones = registry.zones.filter { touchedIDs.contains($0.zone.regionID) }

        var items: [QueryAnswer.ItemAnswer] = []
        for (itemID, title) in registry.snapshot.catalogue {
            try deadline.check("judging item \(itemID)")
            items.append(try answerItem(
                itemID: itemID, title: title, site: siteGeometry, records: records.filter { $0.item.itemID == itemID },
                zones: zones.filter { $0.zone.itemID == itemID }, regionGeometries: regionGeometries, siteArea: siteArea,
                defaultThreshold: threshold, runs: registry.runs, options: options, measure: measure))
        }

        try deadline.check("checking plan conformity")
        let conformity = try await checkConformity(
            siteLayer: prepared.layer, near: envelope, siteArea: siteArea, overlay: prepared.overlay,
            includeGeometry: options.includeGeometry)
        let mayProceed = items.allSatisfy(\.mayReuse) && conformity.criticalPatches == 0
        var notes: [String] = []
        if options.projectType == nil, items.contains(where: { item in
            records.contains { $0.item.itemID == item.itemId && !$0.item.excludedProjectTypes.isEmpty }
        }) {
            notes.append("no project type given: the exclusion lists (负面清单) of the items were not checked; give --project-type")
        }
        if request.rulesPath == nil, conformityRules.isEmpty {
            notes.append("the rule set has no rule that reads the site: plan conformity was not checked")
        }
        let checked = prepared.layer.checked
        return QueryAnswer(
            planCheckVersion: PlanCheckVersion.current,
            registry: .init(path: request.registryPath, crs: workingCRS.identifier ?? workingCRS.name,
                            latestRunId: registry.snapshot.run.runID, latestRunAt: latest.run.runAt),
            query: .init(site: site.name, siteSha256: site.sha256, projectType: options.projectType,
                         at: options.at.description, rules: rulesSource),
            site: .init(parts: site.layer.features.count, area: siteArea,
                        repaired: checked.repairs.map { r in
                            "\(site.name): feature \(r.featureID): \(r.problems.map { "\($0.kind.rawValue): \($0.reason)" }.joined(separator: "; ")): \(r.actions.joined(separator: ", "))"
                        },
                        rejected: checked.rejections.map { r in
                            "\(site.name): feature \(r.featureID): \(r.problems.map { "\($0.kind.rawValue): \($0.reason)" }.joined(separator: "; "))"
                        },
                        regions: touched, outsideRegions: outsideAll,
                        geometry: options.includeGeometry ? MapGeometry(try siteGeometry.value()) : nil),
            mayProceed: mayProceed, exitStatus: mayProceed ? 0 : 1, conformity: conformity, items: items, notes: notes)
    }

    /// The sliver threshold for a site of `siteArea`: the registry's, or a tenth of the site when
    /// that is smaller (m², planar).
    static func sliverThreshold(_ registryThreshold: Double, siteArea: QueryAnswer.Area) -> Double {
        min(registryThreshold, siteArea.m2 / 10)
    }

    // MARK: The site

    /// The site checked (`SiteCheck`), repaired by the policy, reprojected into the registry's CRS
    /// and classified, ready for the overlay engine.
    private func prepareSite(_ site: QuerySite, crsContext: CRSContext) async throws -> (layer: OverlayLayer, overlay: OverlayRunner) {
        try SiteCheck.requirePolygonalParts(site.layer, siteName: site.name)
        // The registry's CRS resolves in every working context; when it does not, PROJ could not
        // open its database (out of file descriptors, a damaged install): the server's trouble,
        // not the site's, so the site's CRS is not blamed for it.
        do { _ = try crsContext.crs(srs.crsDefinition) } catch {
            throw QueryResourceError(message: "PROJ cannot resolve the registry's CRS \(srs.crsDefinition) in this answer's context: \(error); try again")
        }
        let checked = try await LayerChecker(policy: request.policy, jobs: 1).check(site.layer)
        try SiteCheck.requireNothingRejected(checked, siteName: site.name)
        let siteCRS = try LayerCRSResolver.resolve(site.layer, assumed: site.assumedCRS, context: crsContext).crs
        try SiteCheck.requireMapCRS(siteCRS, siteName: site.name)
        let original = checked.features.map(\.geometry)
        try SiteCheck.requireInsideAreaOfUse(original, crs: siteCRS, registryCRS: workingCRS, context: crsContext, siteName: site.name)
        let siteDefinition = ruleSet.layer(named: LayerDefinition.siteLayerName) ?? LayerDefinition(name: LayerDefinition.siteLayerName)
        let overlay = OverlayRunner(OverlayRequest(
            rulesPath: ruleSet.sourcePath, workingCRS: srs.crsDefinition, policy: request.policy, jobs: 1, engine: .geos))
        let (layer, _) = try await overlay.prepare(
            checked, definition: siteDefinition, path: site.name, sha256: site.sha256, sourceCRS: siteCRS,
            workingCRS: workingCRS, ruleSetPath: ruleSet.sourcePath, crsContext: crsContext)
        try SiteCheck.requireAreaPreserved(
            original: original, originalCRS: siteCRS, reprojected: layer.geometries, registryCRS: workingCRS,
            context: crsContext, siteName: site.name)
        return (layer, overlay)
    }

    // MARK: The registry

    /// What one answer reads from the registry, all from one snapshot.
    struct RegistryView {
        var snapshot: QueryState.Snapshot
        /// Current regions whose bounding box meets the site's.
        var regions: [StoredRegion]
        /// Current items of those regions.
        var items: [StoredItem]
        /// Current zones of those regions whose bounding box meets the site's.
        var zones: [StoredZone]
        /// The runs of those items, when `--layer` files are to be compared with their inputs.
        var runs: [Int64: RegistryRun]
    }

    /// Reads the latest run, the item list and the records near `envelope` in one read
    /// transaction on a pooled connection.
    private func readRegistry(near envelope: Envelope) throws -> RegistryView {
        let reader = try state.checkOutReader(path: request.registryPath)
        defer { state.giveBack(reader) }
        return try reader.readingOneSnapshot {
            let snapshot = try state.snapshot(from: reader, path: request.registryPath)
            let regions = try reader.currentRegions(intersecting: envelope)
            let ids = regions.map(\.region.regionID)
            let items = try reader.currentItems(regionIDs: ids)
            let zones = try reader.currentZones(intersecting: envelope, regionIDs: Set(ids))
            var runs: [Int64: RegistryRun] = [:]
            if !givenLayerHashes.isEmpty {
                for id in Set(items.map(\.runID)) { runs[id] = try reader.run(id: id)?.run }
            }
            return RegistryView(snapshot: snapshot, regions: regions, items: items, zones: zones, runs: runs)
        }
    }

    // MARK: One item

    private func answerItem(
        itemID: String, title: String?, site: Geometry, records: [StoredItem], zones: [StoredZone],
        regionGeometries: [String: Geometry], siteArea: QueryAnswer.Area, defaultThreshold: Double,
        runs: [Int64: RegistryRun], options: QueryOptions, measure: Measure
    ) throws -> QueryAnswer.ItemAnswer {
        let context = site.context
        let threshold = Self.sliverThreshold(records.map(\.item.minAreaM2).max() ?? defaultThreshold, siteArea: siteArea)
        var touches: [QueryAnswer.ZoneTouch] = []
        for stored in zones {
            let zoneGeometry = try Geometry(stored.zone.geometry, context: context)
            let area = try measure.area(try site.intersection(with: zoneGeometry))
            guard area.m2 >= threshold, let outcome = AssessmentOutcome(rawValue: stored.zone.outcome) else { continue }
            touches.append(.init(regionId: stored.zone.regionID, source: stored.zone.source, outcome: outcome,
                                 condition: stored.zone.condition, area: area))
        }
        let zoneOutcome = touches.map(\.outcome).max() ?? .reuse
        var reasons: [QueryAnswer.Reason] = []
        for touch in touches.sorted(by: { $0.outcome > $1.outcome }) where touch.outcome > .reuse {
            reasons.append(.init(
                code: "zone",
                message: "the site touches \(touch.source == RegistryZone.defaultSource ? "the default zone" : touch.source) of region \(touch.regionId) (\(touch.outcome.rawValue) \(touch.outcome.chineseTerm)) on \(Self.format(touch.area))",
                area: touch.area))
        }
        var raised = false

        // Land outside every region assessed for this item.
        let assessedRegions = Set(records.map(\.item.regionID))
        let covering = regionGeometries.filter { assessedRegions.contains($0.key) }.map(\.value)
        let outside = try covering.isEmpty
            ? siteArea : measure.area(try site.difference(with: try Geometry.unaryUnion(of: covering, context: context)))
        if outside.m2 >= threshold {
            raised = true
            reasons.append(.init(
                code: "outside_region",
                message: covering.isEmpty
                    ? "the site lies outside every region assessed for this item (\(Self.format(outside)))"
                    : "\(Self.format(outside)) of the site lies outside the regions assessed for this item",
                area: outside))
        }

        var answerRecords: [QueryAnswer.Record] = []
        for stored in records {
            let item = stored.item
            var status = "valid"
            if let until = CalendarDate(item.validUntil), options.at > until {
                status = "expired"
                raised = true
                reasons.append(.init(code: "expired", message: "the assessment of region \(item.regionID) expired on \(item.validUntil) (valid \(item.validFrom)..\(item.validUntil), judged on \(options.at))", area: nil))
            } else if let from = CalendarDate(item.validFrom), options.at < from {
                status = "not_yet_valid"
                raised = true
                reasons.append(.init(code: "not_yet_valid", message: "the assessment of region \(item.regionID) is valid only from \(item.validFrom) (judged on \(options.at))", area: nil))
            }
            answerRecords.append(.init(regionId: item.regionID, runId: stored.runID, issuedBy: item.issuedBy,
                                       validFrom: item.validFrom, validUntil: item.validUntil, status: status))
        }
        if let type = options.projectType, records.contains(where: { $0.item.excludedProjectTypes.contains(type) }) {
            raised = true
            let regions = records.filter { $0.item.excludedProjectTypes.contains(type) }.map(\.item.regionID)
            reasons.append(.init(code: "excluded_project_type", message: "project type \(type) is on the exclusion list (负面清单) of this item in region \(regions.joined(separator: ", "))", area: nil))
        }
        for stored in records {
            for layer in stored.item.constraintLayers {
                guard let given = givenLayerHashes[layer],
                      let recorded = runs[stored.runID]?.inputs.first(where: { $0.layer == layer }) else { continue }
                if given != recorded.sha256 {
                    raised = true
                    reasons.append(.init(code: "inputs_changed", message: "layer \(layer) given with --layer differs from the one region \(stored.item.regionID) was assessed with (sha256 \(given.prefix(12))… vs \(recorded.sha256.prefix(12))…, \(recorded.path))", area: nil))
                }
            }
        }

        let outcome = raised ? max(zoneOutcome, .individual) : zoneOutcome
        var conditions: [String] = []
        for touch in touches.sorted(by: { $0.outcome > $1.outcome }) {
            if let condition = touch.condition, !conditions.contains(condition) { conditions.append(condition) }
        }
        return .init(
            itemId: itemID, title: title, outcome: outcome, outcomeTerm: outcome.chineseTerm, mayReuse: outcome.allowsReuse,
            zoneOutcome: zoneOutcome, reasons: reasons, conditions: conditions, zones: touches, records: answerRecords)
    }

    // MARK: Conformity

    private func checkConformity(
        siteLayer: OverlayLayer, near envelope: Envelope, siteArea: QueryAnswer.Area, overlay: OverlayRunner,
        includeGeometry: Bool
    ) async throws -> QueryAnswer.Conformity {
        guard !conformityRules.isEmpty else { return .init(rules: [], criticalPatches: 0) }
        let layers = layers(near: envelope) + [siteLayer]
        // The rules' sliver thresholds scaled down for a small site, as for the zones.
        var scaled = ruleSet
        for (n, rule) in scaled.rules.enumerated() where conformityRules.contains(rule) {
            scaled.rules[n].minAreaM2 = Self.sliverThreshold(ruleSet.effectiveMinArea(for: rule), siteArea: siteArea)
        }
        let scaledRules = scaled.rules.filter { rule in conformityRules.contains { $0.id == rule.id } }
        let outcomes = try await overlay.evaluate(scaledRules, of: scaled, layers: layers, workingCRS: workingCRS)
        var rules: [QueryAnswer.ConformityRule] = []
        var critical = 0
        for outcome in outcomes {
            let rule = outcome.rule
            let siteIsA = rule.a.layer == LayerDefinition.siteLayerName
            let other = siteIsA ? rule.b : rule.a
            let otherLayer = layers.first { $0.definition.name == other.layer }
            let patches = outcome.patches.map { patch in
                let index = siteIsA ? patch.bIndex : patch.aIndex
                return QueryAnswer.ConformityPatch(
                    id: patch.id, bFid: index.flatMap { otherLayer?.checked.features[$0].id.description },
                    bCode: index.flatMap { otherLayer?.codes[$0] },
                    area: .init(planar: patch.area, ellipsoidal: patch.ellipsoidalArea),
                    geometry: includeGeometry ? MapGeometry(patch.geometry) : nil)
            }
            if rule.severity == .critical { critical += patches.count }
            rules.append(.init(
                rule: rule.id, title: rule.title, severity: rule.severity.rawValue, relation: rule.relation.rawValue,
                against: other.description, patches: patches,
                area: .init(planar: outcome.totalArea, ellipsoidal: outcome.totalEllipsoidalArea),
                sliversDropped: outcome.sliversDropped))
        }
        return .init(rules: rules, criticalPatches: critical)
    }

    /// The conformity layers with only the features whose bounding box meets `envelope`: the
    /// only ones that can touch the site. Feature ids stay, so patch ids are those of a full run.
    func layers(near envelope: Envelope) -> [OverlayLayer] {
        zip(conformityLayers, conformityEnvelopes).map { layer, envelopes in
            let keep = envelopes.indices.filter { envelopes[$0].intersects(envelope) }
            var nearby = layer
            nearby.checked.features = keep.map { layer.checked.features[$0] }
            nearby.geometries = keep.map { layer.geometries[$0] }
            nearby.codes = keep.map { layer.codes[$0] }
            nearby.classes = keep.map { layer.classes[$0] }
            return nearby
        }
    }

    // MARK: Areas

    /// Planar (m² in the working CRS; ellipsoidal when it is geographic) and ellipsoidal area.
    struct Measure {
        let crs: CRSDescription
        let areas: EllipsoidalAreaCalculator

        func area(_ geometry: Geometry) throws -> QueryAnswer.Area {
            let measured = try PolygonalArea(crs: crs, areas: areas).measure(geometry)
            return QueryAnswer.Area(planar: measured.planarM2, ellipsoidal: measured.ellipsoidalM2)
        }
    }

    static func format(_ area: QueryAnswer.Area) -> String {
        String(format: "%.1f m², %.4f ha, %.2f 亩", area.ellipsoidalM2, area.ha, area.mu)
    }
}

/// The answer could not be made for want of a resource on the server's side (PROJ's database
/// could not be opened): exit 75, HTTP 503 with Retry-After.
public struct QueryResourceError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .temporaryFailure }
    public var description: String { message }
}

/// What the registry holds now, read afresh: the latest run and the current items.
public struct RegistryStatus: Sendable, Codable {
    public struct Item: Sendable, Codable, Equatable {
        public var id: String
        public var title: String?
    }

    /// Spelt `Id`, as in QueryAnswer, so that snake_case `latest_run_id` decodes back.
    public var latestRunId: Int64
    /// `YYYY-MM-DDTHH:MM:SS.SSSZ`, UTC.
    public var latestRunAt: String
    /// The items current in any region, in the order first assessed.
    public var items: [Item]
}

extension QueryEngine {
    /// Opens the registry (its own connection, like `answer`) and reads its latest run and current
    /// items, for `plan-check serve`'s health and item endpoints.
    public func registryStatus() throws -> RegistryStatus {
        let reader = try state.checkOutReader(path: request.registryPath)
        defer { state.giveBack(reader) }
        let snapshot = try state.snapshot(from: reader, path: request.registryPath)
        return RegistryStatus(
            latestRunId: snapshot.run.runID, latestRunAt: snapshot.run.run.runAt,
            items: snapshot.catalogue.map { .init(id: $0.itemID, title: $0.title) })
    }
}

/// What a `QueryEngine` keeps between answers: idle registry connections (each answer checks one
/// out, so statements stay prepared), and the latest run with the registry's item list, read
/// again only when a new run has been committed (one `max(id)` lookup per answer tells).
final class QueryState: Sendable {
    struct Snapshot: Sendable {
        var run: StoredRun
        var catalogue: [(itemID: String, title: String?)]
    }

    /// A connection at rest in the pool: nobody holds it, so the next answer may take it.
    private struct IdleReader: @unchecked Sendable {
        let reader: RegistryReader
    }

    private let readers = Mutex<[IdleReader]>([])
    private let latest = Mutex<Snapshot?>(nil)
    /// Idle connections kept for the next answers; a burst opens more, and closes them as it
    /// ends (each connection holds two file descriptors and SQLite's page cache).
    let maxIdleReaders: Int

    init(maxIdleReaders: Int = QueryState.defaultMaxIdleReaders) {
        self.maxIdleReaders = maxIdleReaders
    }

    /// One per core and a few more: what a service answering on every core keeps busy.
    static let defaultMaxIdleReaders = ProcessInfo.processInfo.activeProcessorCount + 2

    func checkOutReader(path: String) throws -> RegistryReader {
        if let idle = readers.withLock({ $0.popLast() }) { return idle.reader }
        return try RegistryReader(path: path)
    }

    /// Returns a connection to the pool, or closes it when the pool already keeps enough.
    func giveBack(_ reader: RegistryReader) {
        var surplus: IdleReader? = IdleReader(reader: reader)
        readers.withLock { idle in
            if idle.count < maxIdleReaders, let kept = surplus.take() { idle.append(kept) }
        }
        _ = surplus  // released here, outside the lock: closes the connection
    }

    /// The latest run and the current items, from the cache unless a newer run exists.
    func snapshot(from reader: RegistryReader, path: String) throws -> Snapshot {
        guard let id = try reader.latestRunID() else {
            throw StoreError(kind: .malformedGeoPackage, message: "the registry has no assessment run yet", path: path)
        }
        if let cached = latest.withLock({ $0 }), cached.run.runID == id { return cached }
        guard let run = try reader.run(id: id) else {
            throw StoreError(kind: .malformedGeoPackage, message: "run \(id) vanished while it was read", path: path)
        }
        let fresh = Snapshot(run: run, catalogue: try reader.currentItemCatalogue())
        latest.withLock { $0 = fresh }
        return fresh
    }
}
