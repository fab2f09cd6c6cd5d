import PlanCRS
import PlanModel

/// Why a site cannot be judged (exit 65, HTTP 422): it has no polygonal area, part of it was
/// rejected, its CRS cannot hold a site, or its area does not survive the way into the registry's
/// CRS. A verdict on such a site would rest on nothing, so there is none.
public struct SiteError: PlanCheckFailure {
    public var message: String
    public var exitStatus: ExitStatus { .dataError }
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}

/// The checks a site passes before any verdict is made about it. Each one closes a way in which
/// an answer could say "may proceed" about land that was never looked at.
enum SiteCheck {
    /// The smallest site plan-check judges, in m² (ellipsoidal): anything smaller is a point or a
    /// line drawn as a polygon, not a construction site.
    static let minimumSiteAreaM2 = 1.0

    /// The largest relative change of the site's ellipsoidal area between its own CRS and the
    /// registry's that a faithful reprojection gives (straight edges in one CRS are slightly
    /// curved in the other; measured below 1e-6 for sites of a few km). Beyond it the
    /// reprojection folded, wrapped or collapsed the site.
    static let areaTolerance = 1e-3

    /// Degrees by which the registry CRS's area of use is widened: a region's boundary may run a
    /// little past the edge of its projection zone (Dalian's west coast lies west of zone 41), and
    /// Gauss-Krüger is exact enough well beyond it.
    static let areaOfUseMargin = 1.5

    /// Every part of a site is a polygon: a Point, a LineString or an empty or null geometry has
    /// no area, so nothing about it could be checked.
    static func requirePolygonalParts(_ layer: Layer, siteName: String) throws {
        guard !layer.features.isEmpty else {
            throw SiteError("\(siteName): the site has no feature: send the site's outline as a Polygon or MultiPolygon")
        }
        for feature in layer.features {
            guard let geometry = feature.geometry else {
                throw SiteError("\(siteName): feature \(feature.id) has no geometry: every part of a site must be a Polygon or MultiPolygon")
            }
            guard geometry.isPolygonal, !geometry.isEmpty else {
                let what = geometry.isEmpty ? "an empty \(geometry.typeName)" : "a \(geometry.typeName)"
                throw SiteError("\(siteName): feature \(feature.id) is \(what), which has no area: every part of a site must be a Polygon or MultiPolygon (a point or a line cannot be checked against zones)")
            }
        }
    }

    /// A part the check rejected would leave land out of the answer: refused rather than judged.
    static func requireNothingRejected(_ checked: CheckedLayer, siteName: String) throws {
        guard let rejection = checked.rejections.first else { return }
        let reasons = rejection.problems.map { "\($0.kind.rawValue): \($0.reason)" }.joined(separator: "; ")
        throw SiteError("\(siteName): feature \(rejection.featureID) cannot be used (\(reasons)); an answer without it would leave part of the site unchecked: fix the feature (or let plan-check repair it with --invalid repair)")
    }

    /// A site is drawn in a geographic (lon/lat) or projected CRS; a geocentric, vertical or
    /// engineering CRS has no map coordinates to compare with the registry's.
    static func requireMapCRS(_ crs: CRSDescription, siteName: String) throws {
        guard !crs.isGeographic, !crs.isProjected else { return }
        throw SiteError("\(siteName): the site's CRS \(crs) is \(crs.kind.rawValue): a site must be given in a geographic (longitude/latitude) or projected CRS")
    }

    /// The site lies where the registry's CRS is meant to be used (its area of use, widened by
    /// `areaOfUseMargin`); far outside it the projection's coordinates mean little.
    static func requireInsideAreaOfUse(
        _ geometries: [GeometryValue], crs: CRSDescription, registryCRS: CRSDescription,
        context: CRSContext, siteName: String
    ) throws {
        guard let area = context.areaOfUse(of: registryCRS) else { return }
        let lonLat = try context.crs(CRSContext.rfc7946Identifier)
        let transformer = crs == lonLat ? nil : try context.transformer(from: crs, to: lonLat)
        var outside: Position?
        var extent = Envelope.empty
        for geometry in geometries {
            let degrees: GeometryValue
            do { degrees = try transformer?.transform(geometry) ?? geometry } catch let error as CRSError where error.kind == .nonFiniteResult {
                throw SiteError("\(siteName): the site's coordinates do not fit its CRS \(crs.identifier ?? crs.name): \(error); are they in another CRS (degrees in a file that declares a projected CRS, a missing or extra zone number)?")
            }
            degrees.forEachPosition { p in
                extent.expand(toInclude: p)
                if outside == nil, !area.contains(longitude: p.x, latitude: p.y, margin: areaOfUseMargin) { outside = p }
            }
        }
        guard let outside else { return }
        throw SiteError("\(siteName): the site reaches \(format(outside)) (it spans \(format(extent))), outside the area where the registry's CRS \(registryCRS.identifier ?? registryCRS.name) is used (\(area), ±\(AreaOfUse.formatDegrees(areaOfUseMargin))°): check the site's CRS and coordinates")
    }

    /// The site's ellipsoidal area is at least `minimumSiteAreaM2` in its own CRS, and the same
    /// (within `areaTolerance`) once reprojected into the registry's CRS.
    static func requireAreaPreserved(
        original: [GeometryValue], originalCRS: CRSDescription, reprojected: [GeometryValue], registryCRS: CRSDescription,
        context: CRSContext, siteName: String
    ) throws {
        let originalAreas = try context.areaCalculator(for: originalCRS)
        let before = try original.reduce(0.0) { $0 + (try originalAreas.area(of: $1)) }
        guard before >= minimumSiteAreaM2 else {
            throw SiteError("\(siteName): the site's area is \(formatArea(before)) m² (ellipsoidal, in \(originalCRS.identifier ?? originalCRS.name)): a site needs at least \(formatArea(minimumSiteAreaM2)) m² to be checked")
        }
        guard originalCRS != registryCRS else { return }
        let registryAreas = try context.areaCalculator(for: registryCRS)
        let after = try reprojected.reduce(0.0) { $0 + (try registryAreas.area(of: $1)) }
        guard abs(after - before) <= areaTolerance * before else {
            throw SiteError("\(siteName): the site's area changes from \(formatArea(before)) m² to \(formatArea(after)) m² when reprojected from \(originalCRS.identifier ?? originalCRS.name) into the registry's CRS \(registryCRS.identifier ?? registryCRS.name): the site lies where that CRS cannot represent it; check the site's CRS and coordinates")
        }
    }

    /// The union of the site's parts still has at least `minimumSiteAreaM2`.
    static func requireArea(_ area: QueryAnswer.Area, siteName: String) throws {
        guard area.ellipsoidalM2 >= minimumSiteAreaM2 else {
            throw SiteError("\(siteName): the site's parts together cover \(formatArea(area.ellipsoidalM2)) m²: a site needs at least \(formatArea(minimumSiteAreaM2)) m² to be checked")
        }
    }

    /// "10°E 10°N"
    private static func format(_ p: Position) -> String {
        "\(longitude(p.x)) \(latitude(p.y))"
    }

    /// "10°E..10.001°E, 10°N..10.001°N"
    private static func format(_ e: Envelope) -> String {
        "\(longitude(e.minX))..\(longitude(e.maxX)), \(latitude(e.minY))..\(latitude(e.maxY))"
    }

    private static func longitude(_ v: Double) -> String { "\(AreaOfUse.formatDegrees(abs(v)))°\(v < 0 ? "W" : "E")" }
    private static func latitude(_ v: Double) -> String { "\(AreaOfUse.formatDegrees(abs(v)))°\(v < 0 ? "S" : "N")" }

    /// "48700", "0.01", "1": whole m² from 100 m² up, else to the mm².
    private static func formatArea(_ m2: Double) -> String {
        if m2 >= 100 { return "\(Int(m2.rounded()))" }
        let text = "\((m2 * 1000).rounded() / 1000)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
