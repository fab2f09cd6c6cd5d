import PlanCRS
import PlanModel

/// How plan-check knows the CRS of a layer.
public enum CRSBasis: Sendable, Hashable {
    /// The file declares it (a GeoJSON `crs` member, a GeoPackage srs, a `.prj`, a `.gdb`'s definition).
    case declared
    /// A GeoJSON file without a `crs` member, nothing assumed: RFC 7946 (WGS 84 lon/lat).
    case rfc7946
    /// The file declares none (or GeoPackage's "undefined" srs_id 0 or -1); the planner gave it.
    case assumed(AssumedCRS)
}

/// A layer's CRS as PROJ understood it, and how plan-check knows it.
public struct LayerCRS: Sendable, Hashable {
    public var crs: CRSDescription
    public var basis: CRSBasis
}

/// A layer whose CRS cannot be used as it is (exit 65): it declares none and none is assumed, it
/// declares one other than the one assumed, or its coordinates contradict it (a Gauss-Krüger zone
/// number in front of the eastings, or missing from them).
public struct LayerCRSError: PlanCheckFailure {
    public enum Kind: String, Sendable, Hashable {
        /// No CRS in the file, none assumed, and the format has no default.
        case noCRS = "no_crs"
        /// The assumed CRS is not one PROJ knows.
        case unknownAssumedCRS = "unknown_assumed_crs"
        /// The file declares a CRS other than the one assumed.
        case conflictsWithAssumed = "conflicts_with_assumed"
        /// The coordinates do not fit the CRS (zone prefix).
        case coordinatesDoNotFit = "coordinates_do_not_fit"
    }

    public var kind: Kind
    public var path: String
    public var layer: String
    public var message: String
    /// The EPSG code that fits the coordinates, when one does.
    public var fittingCode: String?

    public var exitStatus: ExitStatus { .dataError }
    public var description: String { "\(path): layer '\(layer)': \(message)" }
}

/// Decides the CRS of a layer just read: what it declares, else what the planner assumes (`--assume-crs`,
/// `assume_crs:`), else RFC 7946 for GeoJSON, else an error; then checks that the coordinates fit
/// it where a mistake is common and recognisable (`GaussKrugerZoneCheck`). Every command that reads
/// layer files (inspect, overlay, assess, query) goes through it.
public enum LayerCRSResolver {
    public static func resolve(_ layer: Layer, assumed: AssumedCRS?, context: CRSContext) throws -> LayerCRS {
        var assumedCRS: CRSDescription?
        if let assumed {
            do { assumedCRS = try context.crs(assumed.identifier) } catch let error as CRSError {
                throw LayerCRSError(kind: .unknownAssumedCRS, path: layer.path, layer: layer.name,
                                    message: "\(assumed.description): \(error.message)")
            }
        }
        let resolved: LayerCRS
        switch (declaredReference(layer.crs), assumedCRS, assumed) {
        case (let reference?, let assumedCRS, let assumed):
            let declared: CRSDescription
            do { declared = try context.crs(for: reference) } catch {
                throw LayerFailure(path: layer.path, layer: layer.name, underlying: error)
            }
            if let assumedCRS, let assumed, !same(declared, assumedCRS) {
                throw LayerCRSError(
                    kind: .conflictsWithAssumed, path: layer.path, layer: layer.name,
                    message: "the file declares the CRS \(declared) (\(reference)), but \(assumed.description) says \(assumedCRS); an assumed CRS is only for files that declare none: drop the assumption for this file, or correct the file's CRS if it is the one that is wrong")
            }
            resolved = LayerCRS(crs: declared, basis: .declared)
        case (nil, let assumedCRS?, let assumed?):
            resolved = LayerCRS(crs: assumedCRS, basis: .assumed(assumed))
        default:
            guard layer.format == .geoJSON else {
                let missing = layer.driver == "ESRI Shapefile" ? "the Shapefile has no .prj beside its .shp" : "the file declares no CRS"
                throw LayerCRSError(
                    kind: .noCRS, path: layer.path, layer: layer.name,
                    message: "\(missing); give it with --assume-crs EPSG:N (or assume_crs: EPSG:N for this layer in the rule set), e.g. EPSG:4529 for CGCS2000 3-degree Gauss-Krüger zone 41 with the zone number in the easting, EPSG:4550 for the same without it")
            }
            resolved = LayerCRS(crs: try context.crs(for: nil), basis: .rfc7946)
        }
        var extent = Envelope.empty
        for feature in layer.features {
            if let box = feature.geometry?.envelope { extent.expand(toInclude: box) }
        }
        try checkFit(resolved, extent: extent, of: layer)
        return resolved
    }

    /// Checks that coordinates spanning `extent` (the layer's CRS) fit the CRS `resolved` gave
    /// `layer` (`GaussKrugerZoneCheck`); a streamed layer calls it once every feature is read.
    static func checkFit(_ resolved: LayerCRS, extent: Envelope, of layer: Layer) throws {
        if let mismatch = GaussKrugerZoneCheck.mismatch(extent: extent, crs: resolved.crs) {
            throw LayerCRSError(
                kind: .coordinatesDoNotFit, path: layer.path, layer: layer.name,
                message: "\(mismatch.text); \(remedy(resolved.basis, fitting: mismatch.fittingCode))",
                fittingCode: mismatch.fittingCode)
        }
    }

    /// The CRS reference that counts as declared: GeoPackage's "undefined" rows (srs_id 0 and -1)
    /// declare nothing, so an assumed CRS may stand in for them.
    private static func declaredReference(_ reference: CRSReference?) -> CRSReference? {
        if case .geoPackage(let srsID, _, _, _, _)? = reference, srsID == 0 || srsID == -1 { return nil }
        return reference
    }

    private static func same(_ a: CRSDescription, _ b: CRSDescription) -> Bool {
        a == b || (a.identifier != nil && a.identifier == b.identifier)
    }

    private static func remedy(_ basis: CRSBasis, fitting: String?) -> String {
        let code = fitting ?? "EPSG:N"
        switch basis {
        case .declared:
            return "the file's CRS is wrong: assign \(code) (e.g. ogr2ogr -a_srs \(code)) rather than reproject from it"
        case .rfc7946:
            return "the file has no crs member, so RFC 7946 longitude/latitude was taken: give --assume-crs \(code) (or assume_crs: \(code) for this layer in the rule set)"
        case .assumed(let assumed):
            switch assumed.origin {
            case .commandLine: return "give --assume-crs \(code) instead"
            case .ruleSet(let path, let line): return "write assume_crs: \(code) instead (\(path):\(line))"
            }
        }
    }
}

/// The classic export mistake with Chinese CGCS2000 Gauss-Krüger data: eastings with the zone
/// number in front (41 482 000 in zone 41) in a CRS without it (EPSG:4534-4554, 4502-4512), or
/// without it (482 000) in a CRS with it (EPSG:4513-4533, 4491-4501), or either in a geographic CRS.
/// See `../shared/domain.md`: an easting between 13 000 000 and 46 000 000 carries a zone prefix,
/// one between about 200 000 and 800 000 does not.
public enum GaussKrugerZoneCheck {
    /// One of the four EPSG families of CGCS2000 Gauss-Krüger CRSs.
    public struct Family: Sendable, Hashable {
        /// 3 or 6.
        public var zoneWidth: Int
        /// True when the false easting is zone × 10⁶ + 500 000.
        public var zonePrefix: Bool
        public var codes: ClosedRange<Int>
        /// The zone number of the first code (13 for 6° zones, 25 for 3° zones).
        public var firstZone: Int

        /// The central meridian of `code`, in degrees east (75°E for the first of each family).
        public func centralMeridian(of code: Int) -> Int { 75 + zoneWidth * (code - codes.lowerBound) }
        /// The zone number of `code` (`firstZone` for the first).
        public func zone(of code: Int) -> Int { firstZone + code - codes.lowerBound }
    }

    public static let families: [Family] = [
        Family(zoneWidth: 6, zonePrefix: true, codes: 4491...4501, firstZone: 13),
        Family(zoneWidth: 6, zonePrefix: false, codes: 4502...4512, firstZone: 13),
        Family(zoneWidth: 3, zonePrefix: true, codes: 4513...4533, firstZone: 25),
        Family(zoneWidth: 3, zonePrefix: false, codes: 4534...4554, firstZone: 25),
    ]

    /// The family of an EPSG code, or nil.
    public static func family(of code: Int) -> Family? {
        families.first { $0.codes.contains(code) }
    }

    /// The zone-prefixed code for zone number `zone` (13-23: 6°, 25-45: 3°), e.g. 41 → 4529.
    public static func prefixedCode(zone: Int) -> Int? {
        families.first { $0.zonePrefix && $0.codes.contains($0.codes.lowerBound + zone - $0.firstZone) }
            .map { $0.codes.lowerBound + zone - $0.firstZone }
    }

    /// The code without zone prefix with the same central meridian as `code`, e.g. 4529 → 4550.
    public static func centralMeridianCode(for code: Int) -> Int? {
        guard let family = family(of: code), family.zonePrefix,
              let twin = families.first(where: { $0.zoneWidth == family.zoneWidth && !$0.zonePrefix }) else { return nil }
        return twin.codes.lowerBound + code - family.codes.lowerBound
    }

    /// What the eastings of a layer look like.
    enum Eastings: Equatable {
        /// All in one zone's band: zone × 10⁶ + 0..999 999.
        case prefixed(zone: Int)
        /// Over more than one zone's band.
        case prefixedSeveral(ClosedRange<Int>)
        /// About 100 000 - 900 000 m with northings of China (1 000 000 - 7 000 000 m).
        case noPrefix
        case other
    }

    static func eastings(of extent: Envelope) -> Eastings {
        if extent.minX >= 13_000_000, extent.maxX < 46_000_000 {
            let first = Int(extent.minX / 1_000_000), last = Int(extent.maxX / 1_000_000)
            return first == last ? .prefixed(zone: first) : .prefixedSeveral(first...last)
        }
        if extent.minX >= 100_000, extent.maxX <= 900_000, extent.minY >= 1_000_000, extent.maxY <= 7_000_000 {
            return .noPrefix
        }
        return .other
    }

    public struct Mismatch: Sendable, Hashable {
        /// What is wrong, e.g. "eastings 482 000 … 486 000 have no zone number in front, but …".
        public var text: String
        /// The code that fits, e.g. "EPSG:4550"; nil when none can be named.
        public var fittingCode: String?
    }

    /// What is wrong when the eastings of `extent` and the CRS disagree about the zone prefix;
    /// nil when they agree, or when the CRS is not one of the four families nor geographic.
    public static func mismatch(extent: Envelope, crs: CRSDescription) -> Mismatch? {
        guard !extent.isEmpty else { return nil }
        let seen = eastings(of: extent)
        let range = "eastings \(grouped(extent.minX)) … \(grouped(extent.maxX))"
        let name = crs.identifier ?? crs.name
        if crs.isGeographic {
            switch seen {
            case .prefixed(let zone):
                let fit = prefixedCode(zone: zone).map { "EPSG:\($0)" }
                return Mismatch(
                    text: "the CRS \(name) is longitude/latitude in degrees, but the \(range) are metres with the Gauss-Krüger zone number \(zone) in front\(fit.map { "; \($0) fits them" } ?? "")",
                    fittingCode: fit)
            case .prefixedSeveral(let zones):
                return Mismatch(text: "the CRS \(name) is longitude/latitude in degrees, but the \(range) are metres with zone numbers \(zones.lowerBound)-\(zones.upperBound) in front", fittingCode: nil)
            case .noPrefix:
                return Mismatch(
                    text: "the CRS \(name) is longitude/latitude in degrees, but the \(range) are Gauss-Krüger metres without a zone number: a central-meridian CRS fits them (EPSG:4534-4554 for 3° zones, 4502-4512 for 6°), the one of the data's central meridian",
                    fittingCode: nil)
            case .other:
                return nil
            }
        }
        guard let identifier = crs.identifier, identifier.hasPrefix("EPSG:"), let code = Int(identifier.dropFirst(5)),
              let family = family(of: code) else { return nil }
        let cm = family.centralMeridian(of: code)
        if family.zonePrefix {
            let zone = family.zone(of: code)
            switch seen {
            case .prefixed(let seenZone) where seenZone == zone:
                return nil
            case .prefixed(let seenZone):
                let fit = prefixedCode(zone: seenZone).map { "EPSG:\($0)" }
                return Mismatch(
                    text: "the \(range) carry zone number \(seenZone) in front, but \(name) is zone \(zone) (central meridian \(cm)°E)\(fit.map { "; \($0) fits them" } ?? "")",
                    fittingCode: fit)
            case .prefixedSeveral(let zones):
                return Mismatch(text: "the \(range) run over zone numbers \(zones.lowerBound)-\(zones.upperBound), but \(name) is zone \(zone)", fittingCode: nil)
            case .noPrefix:
                let fit = centralMeridianCode(for: code).map { "EPSG:\($0)" }
                return Mismatch(
                    text: "the \(range) have no zone number in front, but \(name) puts zone \(zone) in front of every easting (\(zone) 500 000 at its central meridian \(cm)°E)\(fit.map { "; \($0) (the same central meridian without the zone number) fits them" } ?? "")",
                    fittingCode: fit)
            case .other:
                return nil
            }
        }
        switch seen {
        case .prefixed(let seenZone):
            let fit = prefixedCode(zone: seenZone)
            let fitText = fit.map { "EPSG:\($0)" }
            let sameMeridian = fit.flatMap { fitCode in Self.family(of: fitCode).map { $0.centralMeridian(of: fitCode) == cm } } ?? false
            return Mismatch(
                text: "the \(range) carry zone number \(seenZone) in front, but \(name) has none (false easting 500 000, central meridian \(cm)°E)\(fitText.map { "; \($0)\(sameMeridian ? " (the same central meridian with the zone number)" : "") fits them" } ?? "")",
                fittingCode: fitText)
        case .prefixedSeveral(let zones):
            return Mismatch(text: "the \(range) carry zone numbers \(zones.lowerBound)-\(zones.upperBound) in front, but \(name) has none", fittingCode: nil)
        case .noPrefix, .other:
            return nil
        }
    }

    /// 41482000 → "41 482 000" (whole metres, groups of three).
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()).magnitude)
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return (value < 0 ? "-" : "") + groups.joined(separator: " ")
    }
}
