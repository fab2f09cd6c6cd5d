import PlanModel

/// The spatial reference system of a registry's geometries, as gpkg_spatial_ref_sys stores it.
public struct RegistrySRS: Sendable, Hashable {
    /// gpkg_spatial_ref_sys.srs_id: the EPSG code for EPSG CRSs, otherwise 100 000 and up.
    public var srsID: Int32
    public var name: String
    /// "EPSG", or "NONE" for a CRS known only by its definition.
    public var organization: String
    public var organizationCode: Int32
    /// WKT (WKT1 as GDAL writes it where PROJ can).
    public var definition: String
    /// How plan-check names the CRS (`EPSG:4529`, or its WKT2), to recreate it with PROJ.
    public var crsDefinition: String

    public init(srsID: Int32, name: String, organization: String, organizationCode: Int32, definition: String, crsDefinition: String) {
        self.srsID = srsID
        self.name = name
        self.organization = organization
        self.organizationCode = organizationCode
        self.definition = definition
        self.crsDefinition = crsDefinition
    }
}

/// One input file of an assessment run and what its check found.
public struct RegistryInput: Sendable, Hashable {
    /// The rule-set layer name (`hazard`), or `regions` for the regions file.
    public var layer: String
    public var path: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var sha256: String
    public var featuresRead: Int
    public var featuresRepaired: Int
    public var featuresRejected: Int

    public init(layer: String, path: String, sha256: String, featuresRead: Int, featuresRepaired: Int, featuresRejected: Int) {
        self.layer = layer
        self.path = path
        self.sha256 = sha256
        self.featuresRead = featuresRead
        self.featuresRepaired = featuresRepaired
        self.featuresRejected = featuresRejected
    }
}

/// Provenance of one `plan-check assess` run: who issued it, from which rules and files, when.
public struct RegistryRun: Sendable, Hashable {
    /// Time of the run, UTC, `YYYY-MM-DDTHH:MM:SS.SSSZ` (GeoPackage DATETIME).
    public var runAt: String
    /// The issuing authority (`--issued-by`), if given.
    public var issuedBy: String?
    /// The rules file, absolute, so that conformity rules can find their layers later.
    public var rulesPath: String
    public var rulesSHA256: String
    /// The rules file's text, so a query can use the rules the assessment used.
    public var rulesYAML: String
    public var regionsPath: String
    public var regionsSHA256: String
    public var srs: RegistrySRS
    /// The rule set's sliver threshold in m² (planar).
    public var minAreaM2: Double
    public var planCheckVersion: String
    /// "GEOS 3.11.1, PROJ 9.1.1, SQLite 3.40.1".
    public var libraries: String
    public var inputs: [RegistryInput]

    public init(
        runAt: String, issuedBy: String?, rulesPath: String, rulesSHA256: String, rulesYAML: String, regionsPath: String,
        regionsSHA256: String, srs: RegistrySRS, minAreaM2: Double, planCheckVersion: String, libraries: String,
        inputs: [RegistryInput]
    ) {
        self.runAt = runAt
        self.issuedBy = issuedBy
        self.rulesPath = rulesPath
        self.rulesSHA256 = rulesSHA256
        self.rulesYAML = rulesYAML
        self.regionsPath = regionsPath
        self.regionsSHA256 = regionsSHA256
        self.srs = srs
        self.minAreaM2 = minAreaM2
        self.planCheckVersion = planCheckVersion
        self.libraries = libraries
        self.inputs = inputs
    }
}

/// Planar and ellipsoidal area of a stored geometry, m².
public struct RegistryArea: Sendable, Hashable {
    /// In the registry's CRS (m² for a projected CRS in metres).
    public var planarM2: Double
    /// On the CRS's ellipsoid (PROJ geodesic polygon area), the official area.
    public var ellipsoidalM2: Double

    public init(planarM2: Double, ellipsoidalM2: Double) {
        self.planarM2 = planarM2
        self.ellipsoidalM2 = ellipsoidalM2
    }

    /// Hectares (公顷), from the ellipsoidal area.
    public var hectares: Double { AreaUnit.hectares(ellipsoidalM2) }
    /// Mu (亩), from the ellipsoidal area.
    public var mu: Double { AreaUnit.mu(ellipsoidalM2) }
}

/// An assessed region as the registry stores it.
public struct RegistryRegion: Sendable, Equatable {
    /// The region's id (`R1`), unique among current regions.
    public var regionID: String
    public var name: String?
    /// The region's boundary in the registry's CRS, a MultiPolygon.
    public var geometry: GeometryValue
    public var area: RegistryArea

    public init(regionID: String, name: String?, geometry: GeometryValue, area: RegistryArea) {
        self.regionID = regionID
        self.name = name
        self.geometry = geometry
        self.area = area
    }
}

/// One assessment item of one region: validity, conditions and exclusions.
public struct RegistryItem: Sendable, Hashable {
    public var regionID: String
    public var itemID: String
    public var title: String?
    public var issuedBy: String?
    /// First valid day, `YYYY-MM-DD`.
    public var validFrom: String
    /// Last valid day, `YYYY-MM-DD` (inclusive).
    public var validUntil: String
    public var defaultOutcome: String
    /// Text per outcome (`reuse`, `conditional`, …).
    public var conditions: [String: String]
    public var excludedProjectTypes: [String]
    /// The rule-set layers the item's constraints read.
    public var constraintLayers: [String]
    /// Sliver threshold in m² (planar) for queries.
    public var minAreaM2: Double

    public init(
        regionID: String, itemID: String, title: String?, issuedBy: String?, validFrom: String, validUntil: String,
        defaultOutcome: String, conditions: [String: String], excludedProjectTypes: [String], constraintLayers: [String],
        minAreaM2: Double
    ) {
        self.regionID = regionID
        self.itemID = itemID
        self.title = title
        self.issuedBy = issuedBy
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.defaultOutcome = defaultOutcome
        self.conditions = conditions
        self.excludedProjectTypes = excludedProjectTypes
        self.constraintLayers = constraintLayers
        self.minAreaM2 = minAreaM2
    }
}

/// One outcome zone: the part of a region where an item has one outcome, from one constraint
/// (`hazard.high`) or `default` for land no constraint covers.
public struct RegistryZone: Sendable, Equatable {
    public var regionID: String
    public var itemID: String
    /// `reuse`, `conditional`, `individual` or `prohibited`.
    public var outcome: String
    /// 0 (`reuse`) to 3 (`prohibited`).
    public var outcomeRank: Int
    /// The constraint selector (`hazard.high`), or `default`.
    public var source: String
    /// The condition text of the outcome, if the rule set gives one.
    public var condition: String?
    /// The zone in the registry's CRS, a MultiPolygon.
    public var geometry: GeometryValue
    public var area: RegistryArea

    public init(
        regionID: String, itemID: String, outcome: String, outcomeRank: Int, source: String, condition: String?,
        geometry: GeometryValue, area: RegistryArea
    ) {
        self.regionID = regionID
        self.itemID = itemID
        self.outcome = outcome
        self.outcomeRank = outcomeRank
        self.source = source
        self.condition = condition
        self.geometry = geometry
        self.area = area
    }

    /// The `source` of the zone of region land no constraint covers.
    public static let defaultSource = "default"
}
