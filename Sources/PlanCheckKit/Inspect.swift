import Foundation
import PlanCRS
import PlanLayers
import PlanModel

/// What `plan-check inspect` reports about one layer. Areas are totals over the features kept
/// after the invalid-feature policy: planar in the layer's CRS (m²; null for a geographic CRS,
/// whose planar "area" would be in square degrees) and ellipsoidal on the CRS's own ellipsoid (m²).
public struct LayerInspection: Sendable, Codable {
    public var path: String
    public var layer: String
    /// "GeoJSON", "GeoPackage", or GDAL's driver ("ESRI Shapefile", "OpenFileGDB", …).
    public var format: String
    /// The encoding the layer's text was read in and what said so.
    public var encoding: EncodingSummary
    public var crs: CRSSummary
    public var featureCount: Int
    /// "polygons" for a plan layer; "other" for points or lines (no area, no polygon checks).
    public var kind: String
    public var declaredGeometryType: String?
    /// Geometry type → feature count, as read ("null" for null geometries).
    public var geometryTypes: [String: Int]
    /// [minX, minY, maxX, maxY] in the layer's CRS; null when no feature has a geometry.
    public var extent: [Double]?
    public var fields: [FieldSummary]
    /// True when positions had Z or M values, which plan-check does not keep.
    public var droppedZOrM: Bool
    public var invalidPolicy: String
    public var problems: [ProblemSummary]
    public var repaired: [RepairSummary]
    public var rejected: [RejectionSummary]
    public var featuresKept: Int
    public var area: AreaTotals?
}

public struct CRSSummary: Sendable, Codable {
    /// What the file declares, as written (null when it declares nothing).
    public var declared: String?
    /// The authority code PROJ resolves it to, e.g. "EPSG:4529"; null for a definition-only CRS.
    public var identifier: String?
    public var name: String
    public var geographic: Bool
    public var unit: String
    public var ellipsoid: String?
    /// True when the file declares no CRS and RFC 7946 (WGS 84 lon/lat) is assumed.
    public var assumedRFC7946: Bool
    /// The CRS given for a file that declares none, and where: "--assume-crs EPSG:4529" or
    /// "assume_crs: EPSG:4529 (rules.yaml:14)"; null when the file declares its CRS.
    public var assumed: String?
}

/// The text encoding of a layer: its name and where it came from (`TextEncodingSource`: rule_set,
/// cpg, option, code_page_byte, format, undeclared).
public struct EncodingSummary: Sendable, Codable {
    public var name: String
    public var source: String
    /// What the source said: the `.cpg` text, the code-page byte ("0x4D").
    public var detail: String?
    /// One line, e.g. "GBK (.cpg 'GBK')".
    public var text: String

    init(_ encoding: LayerTextEncoding?) {
        let encoding = encoding ?? LayerTextEncoding(name: "UTF-8", source: .format)
        name = encoding.name
        source = encoding.source.rawValue
        detail = encoding.detail
        text = encoding.description
    }
}

public struct FieldSummary: Sendable, Codable {
    public var name: String
    public var type: String
}

/// A feature identifier in JSON as the source had it: a number or a string.
public struct FeatureIDJSON: Sendable, Codable, Hashable {
    public var id: FeatureID

    public init(_ id: FeatureID) { self.id = id }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch id {
        case .int(let i): try container.encode(i)
        case .string(let s): try container.encode(s)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let i = try? container.decode(Int64.self) { id = .int(i) } else { id = .string(try container.decode(String.self)) }
    }
}

public struct ProblemSummary: Sendable, Codable {
    public var featureId: FeatureIDJSON
    public var kind: String
    public var reason: String
    /// [x, y] in the layer's CRS, when known.
    public var location: [Double]?

    init(_ p: FeatureProblem) {
        featureId = FeatureIDJSON(p.featureID)
        kind = p.kind.rawValue
        reason = p.reason
        location = p.location.map { [$0.x, $0.y] }
    }
}

public struct RepairSummary: Sendable, Codable {
    public var featureId: FeatureIDJSON
    public var reasons: [String]
    public var actions: [String]
    /// Planar area before and after, layer CRS units² (m² when projected).
    public var areaBefore: Double
    public var areaAfter: Double
    public var areaChange: Double

    init(_ repair: FeatureRepair) {
        featureId = FeatureIDJSON(repair.featureID)
        reasons = repair.problems.map(\.reason)
        actions = repair.actions
        areaBefore = repair.areaBefore
        areaAfter = repair.areaAfter
        areaChange = repair.areaAfter - repair.areaBefore
    }
}

public struct RejectionSummary: Sendable, Codable {
    public var featureId: FeatureIDJSON
    public var reasons: [String]

    init(_ rejection: FeatureRejection) {
        featureId = FeatureIDJSON(rejection.featureID)
        reasons = rejection.problems.map(\.reason)
    }
}

/// Area totals in m², ha and 亩 (mu).
public struct AreaTotals: Sendable, Codable {
    public var planarM2: Double?
    public var planarHa: Double?
    public var planarMu: Double?
    public var ellipsoidalM2: Double
    public var ellipsoidalHa: Double
    public var ellipsoidalMu: Double

    init(planar: Double?, ellipsoidal: Double) {
        planarM2 = planar
        planarHa = planar.map(AreaUnit.hectares)
        planarMu = planar.map(AreaUnit.mu)
        ellipsoidalM2 = ellipsoidal
        ellipsoidalHa = AreaUnit.hectares(ellipsoidal)
        ellipsoidalMu = AreaUnit.mu(ellipsoidal)
    }
}

/// The whole `inspect` report: one entry per layer, with the library versions that made it.
public struct InspectReport: Sendable, Codable {
    public var planCheckVersion: String
    public var geosVersion: String
    public var projVersion: String
    public var sqliteVersion: String
    public var gdalVersion: String
    public var layers: [LayerInspection]

    /// The JSON text of the report: snake_case keys, sorted, pretty-printed.
    public func json() throws -> String {
        let encoder = ReportJSON.encoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Reads layers, checks them and reports what is in them (`plan-check inspect`).
public struct Inspector: Sendable {
    public var policy: InvalidFeaturePolicy
    public var jobs: Int
    /// `--encoding` and `--assume-crs`, for every file inspected.
    public var reading: ReadingSettings

    public init(policy: InvalidFeaturePolicy = .repair, jobs: Int = defaultJobCount, reading: ReadingSettings = ReadingSettings()) {
        self.policy = policy
        self.jobs = max(1, jobs)
        self.reading = reading
    }

    /// Inspects every layer of every file (or, for a file that holds several layers, a GeoPackage
    /// or a File Geodatabase, the layers named in `layerNames` when it is not empty).
    public func inspect(paths: [String], layerNames: [String] = []) async throws -> InspectReport {
        var layers: [LayerInspection] = []
        for path in paths {
            let names = try !layerNames.isEmpty && LayerReader.holdsSeveralLayers(path: path) ? layerNames : []
            for layer in try LayerReader.readLayers(path: path, names: names, options: reading.readOptions()) {
                layers.append(try await inspect(layer))
            }
        }
        return InspectReport(
            planCheckVersion: PlanCheckVersion.current, geosVersion: LibraryVersions.geos,
            projVersion: LibraryVersions.proj, sqliteVersion: LibraryVersions.sqlite,
            gdalVersion: LibraryVersions.gdal, layers: layers)
    }

    /// Inspects one layer already read.
    public func inspect(_ layer: Layer) async throws -> LayerInspection {
        do {
            return try await inspectUnwrapped(layer)
        } catch let error as InvalidFeatureError {
            throw error
        } catch let error as LayerCRSError {
            throw error
        } catch let error as LayerFailure {
            throw error
        } catch {
            throw LayerFailure(path: layer.path, layer: layer.name, underlying: error)
        }
    }

    private func inspectUnwrapped(_ layer: Layer) async throws -> LayerInspection {
        let resolved = try LayerCRSResolver.resolve(layer, assumed: reading.assumption(), context: try CRSContext())
        let crs = resolved.crs
        let checked = try await LayerChecker(policy: policy, jobs: jobs).check(layer)
        var extent = Envelope.empty
        for feature in layer.features {
            if let box = feature.geometry?.envelope { extent.expand(toInclude: box) }
        }
        var area: AreaTotals?
        if checked.kind == .polygons {
            // Sums per fixed-size chunk, added in order: the same total whatever the job count.
            let chunkSums: [Double] = try await parallelChunks(checked.features, jobs: jobs) { chunk in
                let calculator = try CRSContext().areaCalculator(for: crs)
                var sum = 0.0
                for feature in chunk { sum += try calculator.area(of: feature.geometry) }
                return [sum]
            }
            let ellipsoidal = chunkSums.reduce(0.0, +)
            let planarUnits = checked.features.reduce(0.0) { $0 + $1.planarArea }
            let planar: Double? = crs.isGeographic ? nil : planarUnits * (crs.squareMetresPerSquareUnit ?? 1)
            area = AreaTotals(planar: planar, ellipsoidal: ellipsoidal)
        }
        var assumed: String?
        if case .assumed(let assumption) = resolved.basis { assumed = assumption.description }
        return LayerInspection(
            path: layer.path, layer: layer.name, format: layer.formatName, encoding: EncodingSummary(layer.textEncoding),
            crs: CRSSummary(
                declared: layer.crs?.description, identifier: crs.identifier, name: crs.name,
                geographic: crs.isGeographic, unit: crs.unit.name, ellipsoid: crs.ellipsoid?.name,
                assumedRFC7946: resolved.basis == .rfc7946, assumed: assumed),
            featureCount: layer.features.count, kind: checked.kind.rawValue,
            declaredGeometryType: layer.declaredGeometryType, geometryTypes: checked.geometryTypes,
            extent: extent.isEmpty ? nil : [extent.minX, extent.minY, extent.maxX, extent.maxY],
            fields: layer.fields.map { FieldSummary(name: $0.name, type: $0.type) },
            droppedZOrM: layer.droppedHigherDimensions, invalidPolicy: policy.rawValue,
            problems: checked.problems.map(ProblemSummary.init),
            repaired: checked.repairs.map(RepairSummary.init),
            rejected: checked.rejections.map(RejectionSummary.init),
            featuresKept: checked.features.count, area: area)
    }
}
