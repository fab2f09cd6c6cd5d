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

    public init(registryPath: String, rulesPath: String? = nil, layerPaths: [String: String] = [:],
                policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount) {
        self.registryPath = registryPath
        self.rulesPath = rulesPath
        self.layerPaths = layerPaths
        self.policy = policy
        self.jobs = max(1, jobs)
    }
}

/// An applicant's site as read from a file or standard input.
public struct QuerySite: Sendable {
    /// The file, or "-" for standard input.
    public var name: String
    public var layer: Layer
    public var sha256: String

    public init(name: String, layer: Layer, sha256: String) {
        self.name = name
        self.layer = layer
        self.sha256 = sha256
    }

    /// Reads a site file, or standard input for "-" (GeoJSON: a FeatureCollection of the site's
    /// parts, one Feature, or a bare geometry).
    public static func read(path: String) throws -> QuerySite {
        if path == "-" {
            let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            return try read(bytes: bytes, name: "-")
        }
        return QuerySite(name: path, layer: try LayerReader.read(path: path), sha256: try FileHash.sha256(ofFile: path))
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

    public init(projectType: String? = nil, at: CalendarDate = CalendarDate(Date())) {
        self.projectType = projectType
        self.at = at
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
        if let rulesPath = request.rulesPath {
            ruleSet = try RuleSetLoader.load(path: rulesPath)
            source = rulesPath
        } else {
            ruleSet = try RuleSetLoader.load(yaml: latest.run.rulesYAML, path: latest.run.rulesPath)
            source = "registry run \(latest.runID)"
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
            policy: request.policy, jobs: request.jobs))
        try overlay.checkLayerOverrides(ruleSet)
        let prepared = names.isEmpty
            ? OverlayRunner.PreparedLayers(layers: [], workingCRS: working, warnings: ruleSet.warnings.map(\.description), timings: [])
            : try await overlay.prepareLayers(of: ruleSet, named: ruleSet.layers.map(\.name).filter(names.contains))
        var hashes: [String: String] = [:]
        for (name, path) in request.layerPaths where name != site {
            hashes[name] = try FileHash.sha256(ofFile: path)
        }
        return QueryEngine(
            request: request, ruleSet: ruleSet, rulesSource: source, conformityRules: rules,
            conformityLayers: prepared.layers, workingCRS: working, srs: srs, givenLayerHashes: hashes,
            warnings: prepared.warnings,
            conformityEnvelopes: prepared.layers.map { $0.geometries.map { $0.envelope ?? .empty } })
    }

    /// The answer for one site.
    public func answer(_ site: QuerySite, options: QueryOptions) async throws -> QueryAnswer {
        if let type = options.projectType, !ruleSet.projectTypes.isEmpty, !ruleSet.projectTypes.contains(where: { $0.id == type }) {
            let known = ruleSet.projectTypes.map(\.id)
            throw AssessmentUsageError("--project-type \(type): not a project type of the rule set (known: \(known.joined(separator: ", ")))")
        }
        let reader = try state.checkOutReader(path: request.registryPath)
        defer { state.giveBack(reader) }
        let snapshot = try state.snapshot(from: reader, path: request.registryPath)
        let latest = snapshot.run

        // The site: checked, in the registry's CRS, its parts unioned.
        let checked = try await LayerChecker(policy: request.policy, jobs: 1).check(site.layer)
        guard !checked.features.isEmpty else {
            throw AssessmentUsageError("\(site.name): the site has no usable polygon (\(checked.layer.features.count) features, every one rejected)", exitStatus: .dataError)
        }
        let lease = try CRSContextPool.shared.lease()
        let crsContext = lease.context
        let siteCRS: CRSDescription
        do { siteCRS = try crsContext.crs(for: site.layer.crs) } catch {
            throw LayerFailure(path: site.name, layer: site.layer.name, underlying: error)
        }
        let siteDefinition = ruleSet.layer(named: LayerDefinition.siteLayerName) ?? LayerDefinition(name: LayerDefinition.siteLayerName)
        let overlay = OverlayRunner(OverlayRequest(rulesPath: ruleSet.sourcePath, workingCRS: srs.crsDefinition, policy: request.policy, jobs: 1))
        let (siteLayer, _) = try await overlay.prepare(
            checked, definition: siteDefinition, path: site.name, sha256: site.sha256, sourceCRS: siteCRS,
            workingCRS: workingCRS, ruleSetPath: ruleSet.sourcePath, crsContext: crsContext)

        let context = try GeometryContext()
        let areas = try crsContext.areaCalculator(for: workingCRS)
        let measure = Measure(crs: workingCRS, areas: areas)
        let parts = try siteLayer.geometries.map { try Geometry($0, context: context) }
        let siteGeometry = try Geometry.unaryUnion(of: parts, context: context)
        guard let envelope = try siteGeometry.envelope() else {
            throw AssessmentUsageError("\(site.name): the site is empty", exitStatus: .dataError)
        }
        let siteArea = try measure.area(siteGeometry)
        let threshold = latest.run.minAreaM2

        // Regions the site overlaps.
        let candidates = try reader.currentRegions(intersecting: envelope)
        var regionGeometries: [String: Geometry] = [:]
        var touched: [QueryAnswer.SiteRegion] = []
        for candidate in candidates {
            let geometry = try Geometry(candidate.region.geometry, context: context)
            regionGeometries[candidate.region.regionID] = geometry
            let inside = try measure.area(try siteGeometry.intersection(with: geometry))
            if inside.m2 >= threshold {
                touched.append(.init(regionId: candidate.region.regionID, name: candidate.region.name, area: inside))
            }
        }
        let allRegions = try regionGeometries.isEmpty ? nil : Geometry.unaryUnion(of: Array(regionGeometries.values), context: context)
        let outsideAll = try allRegions.map { try measure.area(try siteGeometry.difference(with: $0)) } ?? siteArea
        let touchedIDs = touched.map(\.regionId)
        let records = try reader.currentItems(regionIDs: touchedIDs)
        let zones = try reader.currentZones(intersecting: envelope, regionIDs: Set(touchedIDs))
        // The runs' inputs are needed only to compare them with --layer files.
        var runs: [Int64: RegistryRun] = [:]
        if !givenLayerHashes.isEmpty {
            for id in Set(records.map(\.runID)) { runs[id] = try reader.run(id: id)?.run }
        }

        var items: [QueryAnswer.ItemAnswer] = []
        for (itemID, title) in snapshot.catalogue {
            items.append(try answerItem(
                itemID: itemID, title: title, site: siteGeometry, records: records.filter { $0.item.itemID == itemID },
                zones: zones.filter { $0.zone.itemID == itemID }, regionGeometries: regionGeometries, siteArea: siteArea,
                defaultThreshold: threshold, runs: runs, options: options, measure: measure))
        }

        let conformity = try await checkConformity(siteLayer: siteLayer, near: envelope, overlay: overlay)
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
        return QueryAnswer(
            planCheckVersion: PlanCheckVersion.current,
            registry: .init(path: request.registryPath, crs: workingCRS.identifier ?? workingCRS.name,
                            latestRunId: latest.runID, latestRunAt: latest.run.runAt),
            query: .init(site: site.name, siteSha256: site.sha256, projectType: options.projectType,
                         at: options.at.description, rules: rulesSource),
            site: .init(parts: site.layer.features.count, area: siteArea,
                        repaired: checked.repairs.map { r in
                            "\(site.name): feature \(r.featureID): \(r.problems.map { "\($0.kind.rawValue): \($0.reason)" }.joined(separator: "; ")): \(r.actions.joined(separator: ", "))"
                        },
                        rejected: checked.rejections.map { r in
                            "\(site.name): feature \(r.featureID): \(r.problems.map { "\($0.kind.rawValue): \($0.reason)" }.joined(separator: "; "))"
                        },
                        regions: touched, outsideRegions: outsideAll),
            mayProceed: mayProceed, exitStatus: mayProceed ? 0 : 1, conformity: conformity, items: items, notes: notes)
    }

    // MARK: One item

    private func answerItem(
        itemID: String, title: String?, site: Geometry, records: [StoredItem], zones: [StoredZone],
        regionGeometries: [String: Geometry], siteArea: QueryAnswer.Area, defaultThreshold: Double,
        runs: [Int64: RegistryRun], options: QueryOptions, measure: Measure
    ) throws -> QueryAnswer.ItemAnswer {
        let context = site.context
        let threshold = records.map(\.item.minAreaM2).max() ?? defaultThreshold
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

    private func checkConformity(siteLayer: OverlayLayer, near envelope: Envelope, overlay: OverlayRunner) async throws -> QueryAnswer.Conformity {
        guard !conformityRules.isEmpty else { return .init(rules: [], criticalPatches: 0) }
        let layers = layers(near: envelope) + [siteLayer]
        let outcomes = try await overlay.evaluate(conformityRules, of: ruleSet, layers: layers, workingCRS: workingCRS)
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
                    area: .init(planar: patch.area, ellipsoidal: patch.ellipsoidalArea))
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

    func checkOutReader(path: String) throws -> RegistryReader {
        if let idle = readers.withLock({ $0.popLast() }) { return idle.reader }
        return try RegistryReader(path: path)
    }

    func giveBack(_ reader: RegistryReader) {
        let idle = IdleReader(reader: reader)
        readers.withLock { $0.append(idle) }
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
