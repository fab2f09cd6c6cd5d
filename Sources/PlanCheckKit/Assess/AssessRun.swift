import Foundation
import PlanCRS
import PlanGeometry
import PlanLayers
import PlanModel
import PlanRegistry
import PlanRules
import PlanStore

/// What a planner asks of `plan-check assess`.
public struct AssessRequest: Sendable {
    public var rulesPath: String
    /// The regions file (GeoJSON or GeoPackage): one feature per region.
    public var regionsPath: String
    public var registryPath: String
    /// `--layer NAME=PATH`: paths that replace (or supply) the rule set's layer paths.
    public var layerPaths: [String: String]
    /// `--crs`: the registry's CRS for a new registry; nil means the first constraint layer's.
    public var workingCRS: String?
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    /// `--issued-by`: the issuing authority.
    public var issuedBy: String?
    /// `--valid-from` (`YYYY-MM-DD`); nil means the day of the run (UTC).
    public var validFrom: String?
    /// `--valid-until` (`YYYY-MM-DD`, inclusive); nil means each item's `validity_years` after
    /// `validFrom`, less a day.
    public var validUntil: String?
    /// `--region`: assess only these region ids of the file; empty means every region.
    public var regionIDs: [String]
    /// `--region-id-field`: the attribute holding region ids; nil means `region_id` when the
    /// features have it, else the feature id.
    public var regionIDField: String?
    /// `--wait`: how long to wait for another writer of the registry, in seconds.
    public var waitSeconds: Double
    /// The time of the run (tests fix it).
    public var now: Date
    /// `--encoding` and `--assume-crs`: for the regions file and the layer files that do not say.
    public var reading: ReadingSettings

    public init(
        rulesPath: String, regionsPath: String, registryPath: String, layerPaths: [String: String] = [:],
        workingCRS: String? = nil, policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount,
        issuedBy: String? = nil, validFrom: String? = nil, validUntil: String? = nil, regionIDs: [String] = [],
        regionIDField: String? = nil, waitSeconds: Double = 10, now: Date = Date(),
        reading: ReadingSettings = ReadingSettings()
    ) {
        self.rulesPath = rulesPath
        self.regionsPath = regionsPath
        self.registryPath = registryPath
        self.layerPaths = layerPaths
        self.workingCRS = workingCRS
        self.policy = policy
        self.jobs = max(1, jobs)
        self.issuedBy = issuedBy
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.regionIDs = regionIDs
        self.regionIDField = regionIDField
        self.waitSeconds = waitSeconds
        self.now = now
        self.reading = reading
    }
}

/// A usage or input problem of `assess` or `query` that is not a file's fault: a bad date, an
/// unknown region, a rule set without assessments.
public struct AssessmentUsageError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus
    public var description: String { message }

    public init(_ message: String, exitStatus: ExitStatus = .usage) {
        self.message = message
        self.exitStatus = exitStatus
    }
}

/// What one region's assessment produced.
public struct AssessedRegion: Sendable {
    public var region: RegistryRegion
    /// The feature of the regions file it came from.
    public var featureID: FeatureID
    public var items: [RegistryItem]
    public var zones: [RegistryZone]
}

/// Everything an assess run produced (the registry holds the same).
public struct AssessResult: Sendable {
    public var runID: Int64
    public var registryPath: String
    public var run: RegistryRun
    public var regions: [AssessedRegion]
    /// The regions file's check (problems, repairs, rejections).
    public var regionsCheck: CheckedLayer
    public var layers: [OverlayLayer]
    /// The registry's CRS, the CRS of every geometry above.
    public var workingCRS: CRSDescription
    public var warnings: [String]
    public var timings: [(stage: String, seconds: Double)]
}

/// Runs `plan-check assess`: partitions every region into outcome zones per assessment item and
/// records them, with provenance, in the registry in one transaction.
public struct AssessRunner: Sendable {
    public var request: AssessRequest

    public init(_ request: AssessRequest) { self.request = request }

    /// `progress` is called on the calling task once per region as it is stored (before commit).
    public func run(progress: ((AssessedRegion) -> Void)? = nil) async throws -> AssessResult {
        let ruleSet = try RuleSetLoader.load(path: request.rulesPath)
        guard !ruleSet.assessments.isEmpty else {
            throw AssessmentUsageError("\(request.rulesPath): the rule set has no 'assessments' section; add the assessment items to assess", exitStatus: .dataError)
        }
        let dates = try validityDates()
        // Before any work: a registry path that cannot be written (or that is a FIFO, which a
        // reader would wait on forever) fails now, not after the regions are assessed; and what
        // killed runs left beside it goes, whatever becomes of this run.
        try RegistryWriter.checkWritable(path: request.registryPath).removeStaleTemporaries()
        var timings: [(String, Double)] = []

        // The constraint layers of every item, read, checked, reprojected and classified.
        let overlay = OverlayRunner(OverlayRequest(
            rulesPath: request.rulesPath, layerPaths: request.layerPaths, workingCRS: request.workingCRS,
            policy: request.policy, jobs: request.jobs, reading: request.reading, engine: .geos))
        try overlay.checkLayerOverrides(ruleSet)
        let names = ruleSet.layers.map(\.name).filter { name in
            ruleSet.assessments.contains { $0.constraintLayers.contains(name) }
        }
        let regionsLayer = try LayerReader.read(path: request.regionsPath, options: request.reading.readOptions())
        let regionsCheck = try await LayerChecker(policy: request.policy, jobs: request.jobs).check(regionsLayer)
        let crsContext = try CRSContext()
        let regionsCRS = try LayerCRSResolver.resolve(regionsLayer, assumed: request.reading.assumption(), context: crsContext).crs
        var prepared: OverlayRunner.PreparedLayers
        if names.isEmpty {
            let working = try request.workingCRS.map { try crsContext.crs($0) } ?? regionsCRS
            prepared = .init(layers: [], workingCRS: working, warnings: ruleSet.warnings.map(\.description), timings: [])
        } else {
            prepared = try await overlay.prepareLayers(of: ruleSet, named: names)
        }
        timings += prepared.timings
        var clock = Date()
        let working = prepared.workingCRS
        guard !working.isGeographic || working.ellipsoid != nil else {
            throw AssessmentUsageError("the working CRS \(working) has no ellipsoid; give --crs")
        }

        // The regions: ids, the ones asked for, reprojected.
        let regionIDs = try regionIdentifiers(regionsCheck)
        var selected = Array(regionsCheck.features.indices)
        if !request.regionIDs.isEmpty {
            let known = Set(regionIDs)
            for id in request.regionIDs where !known.contains(id) {
                throw AssessmentUsageError("--region \(id): \(request.regionsPath) has no region '\(id)' (it has: \(regionIDs.joined(separator: ", ")))")
            }
            selected = selected.filter { request.regionIDs.contains(regionIDs[$0]) }
        }
        let transformer = regionsCRS == working ? nil : try crsContext.transformer(from: regionsCRS, to: working)
        var regionInputs: [RegionInput] = []
        for index in selected {
            let feature = regionsCheck.features[index]
            var geometry = feature.geometry
            if let transformer {
                do { geometry = try transformer.transform(geometry) } catch {
                    throw LayerFailure(path: request.regionsPath, layer: regionsLayer.name, underlying: error)
                }
            }
            let name = feature.attributes.first { $0.name == "name" }?.value.textValue
            regionInputs.append(RegionInput(id: regionIDs[index], name: name, featureID: feature.id, geometry: geometry))
        }
        prepared.warnings += try overlapWarnings(regionInputs, minArea: ruleSet.minAreaM2, workingCRS: working)
        timings.append(("regions", Date().timeIntervalSince(clock)))
        clock = Date()

        // Provenance, then the regions one by one into the open transaction.
        let srs = try registrySRS(working, crsContext)
        let rulesText = (try? String(contentsOfFile: request.rulesPath, encoding: .utf8)) ?? ""
        var inputs = prepared.layers.map { layer in
            RegistryInput(layer: layer.definition.name, path: Self.absolute(layer.path), sha256: layer.sha256,
                          featuresRead: layer.checked.layer.features.count, featuresRepaired: layer.checked.repairs.count,
                          featuresRejected: layer.checked.rejections.count)
        }
        let regionsSHA = try FileHash.sha256(ofFile: request.regionsPath)
        inputs.append(RegistryInput(layer: "regions", path: Self.absolute(request.regionsPath), sha256: regionsSHA,
                                    featuresRead: regionsLayer.features.count, featuresRepaired: regionsCheck.repairs.count,
                                    featuresRejected: regionsCheck.rejections.count))
        let run = RegistryRun(
            runAt: Self.timestamp(request.now), issuedBy: request.issuedBy, rulesPath: Self.absolute(request.rulesPath),
            rulesSHA256: try FileHash.sha256(ofFile: request.rulesPath), rulesYAML: rulesText,
            regionsPath: Self.absolute(request.regionsPath), regionsSHA256: regionsSHA, srs: srs,
            minAreaM2: ruleSet.minAreaM2, planCheckVersion: PlanCheckVersion.current,
            libraries: "GEOS \(LibraryVersions.geos), PROJ \(LibraryVersions.proj), SQLite \(LibraryVersions.sqlite)",
            inputs: inputs)

        let zoning = RegionZoning(ruleSet: ruleSet, layers: prepared.layers, workingCRS: working)
        let writer = try RegistryWriter(path: request.registryPath, busyTimeout: Int32(min(request.waitSeconds, 86_400) * 1000))
        let runID = try writer.begin(run)
        var assessed: [AssessedRegion] = []
        do {
            let chunkSize = max(1, regionInputs.count / (request.jobs * 4))
            try await parallelChunksInOrder(regionInputs, jobs: request.jobs, chunkSize: chunkSize, { chunk in
                try zoning.assess(chunk, dates: dates, issuedBy: request.issuedBy)
            }, consume: { regions in
                for region in regions {
                    try writer.add(region: region.region, items: region.items, zones: region.zones)
                    assessed.append(region)
                    progress?(region)
                }
            })
            try writer.commit()
        } catch {
            writer.rollback()
            throw error
        }
        timings.append(("assess", Date().timeIntervalSince(clock)))
        return AssessResult(
            runID: runID, registryPath: request.registryPath, run: run, regions: assessed, regionsCheck: regionsCheck,
            layers: prepared.layers, workingCRS: working, warnings: prepared.warnings, timings: timings)
    }

    // MARK: Inputs

    /// One warning per pair of regions that overlap by at least `minArea` m² (planar): regions of
    /// this run with each other, and with current regions of the registry that this run does not
    /// supersede. A site in such an overlap gets the zones of both regions.
    func overlapWarnings(_ regions: [RegionInput], minArea: Double, workingCRS: CRSDescription) throws -> [String] {
        let context = try GeometryContext()
        let scale = workingCRS.squareMetresPerSquareUnit ?? 1
        var others: [(id: String, geometry: GeometryValue, stored: Bool)] = regions.map { ($0.id, $0.geometry, false) }
        if FileManager.default.fileExists(atPath: request.registryPath), let reader = try? RegistryReader(path: request.registryPath) {
            let assessed = Set(regions.map(\.id))
            for region in regions {
                guard let envelope = region.geometry.envelope else { continue }
                for stored in try reader.currentRegions(intersecting: envelope)
                where !assessed.contains(stored.region.regionID) && !others.contains(where: { $0.id == stored.region.regionID }) {
                    others.append((stored.region.regionID, stored.region.geometry, true))
                }
            }
        }
        var warnings: [String] = []
        let geometries = try others.map { try Geometry($0.geometry, context: context) }
        for i in regions.indices {
            for j in others.indices where j > i || others[j].stored {
                guard let a = others[i].geometry.envelope, let b = others[j].geometry.envelope, a.intersects(b) else { continue }
                let area = try geometries[i].intersection(with: geometries[j]).area() * scale
                guard area >= minArea else { continue }
                let whose = others[j].stored ? "region \(others[j].id) of the registry" : "region \(others[j].id)"
                warnings.append("\(request.regionsPath): warning: region \(others[i].id) overlaps \(whose) by \(String(format: "%.1f", area)) m²; a site there gets the zones of both")
            }
        }
        return warnings
    }

    /// The first valid day and, per validity in years, the last valid day.
    func validityDates() throws -> ValidityDates {
        let from: CalendarDate
        if let text = request.validFrom {
            guard let date = CalendarDate(text) else {
                throw AssessmentUsageError("--valid-from \(text): not a date (write YYYY-MM-DD, e.g. 2026-01-01)")
            }
            from = date
        } else {
            from = CalendarDate(request.now)
        }
        var until: CalendarDate?
        if let text = request.validUntil {
            guard let date = CalendarDate(text) else {
                throw AssessmentUsageError("--valid-until \(text): not a date (write YYYY-MM-DD, e.g. 2029-12-31)")
            }
            guard date >= from else {
                throw AssessmentUsageError("--valid-until \(text) is before the first valid day \(from)")
            }
            until = date
        }
        return ValidityDates(from: from, until: until)
    }

    /// Each region feature's id: `--region-id-field`, else `region_id` when present, else the
    /// feature id. Ids must be unique and present.
    func regionIdentifiers(_ regions: CheckedLayer) throws -> [String] {
        let field = request.regionIDField
            ?? (regions.features.contains { f in f.attributes.contains { $0.name == "region_id" } } ? "region_id" : nil)
        var ids: [String] = []
        var first: [String: FeatureID] = [:]
        for feature in regions.features {
            let id: String
            if let field {
                guard let value = feature.attributes.first(where: { $0.name == field })?.value.textValue, !value.isEmpty else {
                    throw AssessmentUsageError("\(request.regionsPath): feature \(feature.id): no region id in attribute '\(field)'", exitStatus: .dataError)
                }
                id = value
            } else {
                id = feature.id.description
            }
            if let earlier = first[id] {
                throw AssessmentUsageError("\(request.regionsPath): feature \(feature.id): region id '\(id)' is also the id of feature \(earlier)", exitStatus: .dataError)
            }
            first[id] = feature.id
            ids.append(id)
        }
        if regions.features.isEmpty {
            throw AssessmentUsageError("\(request.regionsPath): no region to assess (every feature was rejected or the file is empty)", exitStatus: .dataError)
        }
        return ids
    }

    func registrySRS(_ crs: CRSDescription, _ context: CRSContext) throws -> RegistrySRS {
        let wkt = try context.wkt1(of: crs)
        if let identifier = crs.identifier, identifier.hasPrefix("EPSG:"), let code = Int32(identifier.dropFirst(5)) {
            return RegistrySRS(srsID: code, name: crs.name, organization: "EPSG", organizationCode: code,
                               definition: wkt, crsDefinition: crs.definition)
        }
        return RegistrySRS(srsID: 100_000, name: crs.name, organization: "NONE", organizationCode: 100_000,
                           definition: wkt, crsDefinition: crs.definition)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `YYYY-MM-DDTHH:MM:SS.SSSZ` in UTC, GeoPackage's DATETIME form.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// One region to assess, in the working CRS.
struct RegionInput: Sendable {
    var id: String
    var name: String?
    var featureID: FeatureID
    var geometry: GeometryValue
}

/// The validity of a run's items: the first day, and the last day when `--valid-until` gives it.
struct ValidityDates: Sendable {
    var from: CalendarDate
    var until: CalendarDate?

    /// The last valid day of an item valid for `years`: `--valid-until`, else the day before the
    /// `years`-th anniversary of the first day.
    func until(years: Int) -> CalendarDate {
        until ?? from.adding(years: years).adding(days: -1)
    }
}
