internal import CPROJ
import PlanModel

/// A PROJ context (`PJ_CONTEXT`) with its database connection, its captured error messages and
/// caches of parsed CRSs, transformers and area calculators. Create one per task; it must stay on
/// the task (or thread) that made it. Values it returns (`CRSDescription`, positions, areas,
/// `CRSError`) are Sendable and may cross tasks; `Transformer` and `EllipsoidalAreaCalculator`
/// belong to the context and may not.
///
/// PROJ's messages are captured through `proj_log_func` (so nothing is printed to stderr) and
/// every failure surfaces as a `CRSError` carrying PROJ's own text, e.g. "crs not found".
public final class CRSContext {
    /// The identifier RFC 7946 GeoJSON implies when a file declares no CRS: WGS 84 longitude/latitude.
    public static let rfc7946Identifier = "OGC:CRS84"

    let native: NativeContext
    /// Parsed CRS objects keyed by `CRSDescription.definition` (or a database identifier).
    private var crsObjects: [String: NativeObject] = [:]
    /// Descriptions keyed by the text the caller gave to `crs(_:)`.
    private var descriptions: [String: CRSDescription] = [:]
    private var transformers: [TransformerKey: Transformer] = [:]
    private var areaCalculators: [String: EllipsoidalAreaCalculator] = [:]

    private struct TransformerKey: Hashable {
        var source: String
        var target: String
    }

    /// Creates a context (`proj_context_create`) that logs PROJ's errors into itself
    /// (`proj_log_func`, level `PJ_LOG_ERROR`) instead of stderr.
    /// - Throws: `CRSError` of kind `.library` if PROJ cannot create a context.
    public init() throws {
        native = try NativeContext()
    }

    // MARK: Parsing

    /// Parses a CRS identifier or WKT into a description (`proj_create`, then `proj_is_crs`,
    /// `proj_get_name`, `proj_get_id_auth_name`/`proj_get_id_code`, `proj_get_ellipsoid`,
    /// `proj_cs_get_axis_info`).
    ///
    /// Accepts `EPSG:4529`, `epsg:4529`, `urn:ogc:def:crs:EPSG::4529`,
    /// `urn:ogc:def:crs:EPSG:9.1:4529`, `http://www.opengis.net/def/crs/EPSG/0/4529`,
    /// `OGC:CRS84`, `urn:ogc:def:crs:OGC:1.3:CRS84`, `CRS84`, and WKT (1 or 2). Leading and
    /// trailing white space is ignored. Results are cached per text in this context.
    /// - Throws: `CRSError` `.unknownCRS` with PROJ's message when PROJ cannot parse the text or
    ///   does not know the code; `.notACRS` when the text describes something else.
    public func crs(_ identifier: String) throws -> CRSDescription {
        if let known = descriptions[identifier] { return known }
        let text = Self.normalizedIdentifier(identifier)
        let operation = "parse CRS '\(Self.abbreviated(identifier))'"
        guard !text.isEmpty else {
            throw CRSError(kind: .unknownCRS, operation: operation, message: "the CRS identifier is empty")
        }
        let object = try native.object("proj_create", operation: operation, kind: .unknownCRS) { ctx in
            proj_create(ctx, text)
        }
        guard proj_is_crs(object.pointer) != 0 else {
            throw CRSError(kind: .notACRS, operation: operation,
                           message: "PROJ parsed it as '\(object.name)', which is not a coordinate reference system",
                           function: "proj_is_crs")
        }
        let description = try describe(object, operation: operation)
        descriptions[identifier] = description
        return description
    }

    /// Resolves the CRS a layer declares. nil means "none declared", which for GeoJSON is
    /// RFC 7946: `OGC:CRS84` (WGS 84, longitude/latitude).
    ///
    /// For WKT a file read through GDAL declares, the authority code GDAL identified it as when
    /// PROJ knows it, otherwise the WKT itself (`proj_create`, which may still identify it).
    ///
    /// For a GeoPackage `gpkg_spatial_ref_sys` row, `organization:organizationCode` is used when
    /// PROJ knows it (`proj_create` on "ORG:CODE"), otherwise the WKT `definition` (`proj_create`).
    /// - Throws: `CRSError` `.undefinedCRS` for GeoPackage srs_id 0 (undefined geographic) and
    ///   -1 (undefined Cartesian), or a row with neither a known code nor a definition;
    ///   otherwise as `crs(_:)`.
    public func crs(for reference: CRSReference?) throws -> CRSDescription {
        switch reference {
        case nil:
            return try crs(Self.rfc7946Identifier)
        case .identifier(let text):
            return try crs(text)
        case .wkt(let name, let definition, let identified):
            // GDAL identified the CRS (a Shapefile's ESRI .prj, `CGCS2000_3_Degree_GK_Zone_41`, is
            // EPSG:4529): take the database's definition, which has the authority and area of use.
            let operation = "resolve the CRS '\(name)' the file declares"
            if let identified, let known = try? crs(identified) { return known }
            do { return try crs(definition) } catch var error as CRSError {
                error.operation = operation
                throw error
            }
        case .geoPackage(let srsID, let organization, let code, let definition, let name):
            let operation = "resolve GeoPackage srs_id \(srsID) ('\(name)', \(organization):\(code))"
            if srsID == 0 {
                throw CRSError(kind: .undefinedCRS, operation: operation,
                               message: "srs_id 0 is the undefined geographic CRS: the layer's coordinates have no defined datum, so they cannot be reprojected or measured; assign the real CRS")
            }
            if srsID == -1 {
                throw CRSError(kind: .undefinedCRS, operation: operation,
                               message: "srs_id -1 is the undefined Cartesian CRS: the layer's coordinates are in an unknown local grid, so they cannot be reprojected or measured; assign the real CRS")
            }
            let org = organization.trimmingWhiteSpace()
            var codeFailure: String?
            if !org.isEmpty, org.uppercased() != "NONE" {
                let identifier = "\(org):\(code)"
                if let known = descriptions[identifier] { return known }
                if let object = native.objectIfPossible({ proj_create($0, identifier) }),
                   proj_is_crs(object.pointer) != 0 {
                    let description = try describe(object, operation: operation)
                    descriptions[identifier] = description
                    return description
                }
                codeFailure = "PROJ does not know \(identifier)"
            }
            let wkt = definition.trimmingWhiteSpace()
            guard !wkt.isEmpty, wkt.lowercased() != "undefined" else {
                throw CRSError(kind: .undefinedCRS, operation: operation,
                               message: (codeFailure.map { $0 + " and " } ?? "") + "the definition is '\(wkt)'")
            }
            do {
                return try crs(wkt)
            } catch var error as CRSError {
                error.operation = operation
                if let codeFailure { error.message = codeFailure + "; its definition: " + error.message }
                throw error
            }
        }
    }

    /// The geographic CRS underlying `crs` (`proj_crs_get_geodetic_crs`): EPSG:4490 for
    /// EPSG:4529, the CRS itself for a geographic CRS.
    /// - Throws: `CRSError` `.unsupportedCRS` when the CRS has no geographic base (engineering,
    ///   geocentric, vertical CRSs).
    public func geographicCRS(of crs: CRSDescription) throws -> CRSDescription {
        let operation = "find the geographic CRS of \(crs)"
        let object = try nativeCRS(crs)
        let geodetic = try native.object("proj_crs_get_geodetic_crs", operation: operation, kind: .unsupportedCRS) { ctx in
            proj_crs_get_geodetic_crs(ctx, object.pointer)
        }
        let description = try describe(geodetic, operation: operation)
        guard description.isGeographic else {
            throw CRSError(kind: .unsupportedCRS, operation: operation,
                           message: "its geodetic CRS '\(description.name)' is \(description.kind.rawValue), not geographic")
        }
        return description
    }

    /// Where the CRS may be used, as its authority states it (`proj_get_area_of_use`): a box in
    /// degrees of longitude and latitude and the area's name, e.g. "China - onshore between
    /// 121°30'E and 124°30'E." for EPSG:4529. nil when PROJ knows none (a CRS from bare WKT).
    public func areaOfUse(of crs: CRSDescription) -> AreaOfUse? {
        guard let object = try? nativeCRS(crs) else { return nil }
        var west = 0.0, south = 0.0, east = 0.0, north = 0.0
        var name: UnsafePointer<CChar>?
        native.clearMessages()
        defer { native.clearMessages() }
        guard proj_get_area_of_use(native.pointer, object.pointer, &west, &south, &east, &north, &name) != 0,
              west > -1000, south > -1000, east > -1000, north > -1000 else { return nil }
        return AreaOfUse(west: west, south: south, east: east, north: north, name: name.map { String(cString: $0) } ?? "")
    }

    // MARK: Transformers and areas

    /// The transformer from `source` to `target`, made on first use and cached in this context
    /// (`proj_create_crs_to_crs_from_pj` + `proj_normalize_for_visualization`). Positions go in
    /// and come out easting/longitude first.
    /// - Throws: `CRSError` `.noTransformation` when PROJ finds no operation between them.
    public func transformer(from source: CRSDescription, to target: CRSDescription) throws -> Transformer {
        let key = TransformerKey(source: source.definition, target: target.definition)
        if let cached = transformers[key] { return cached }
        let made = try Transformer(
            source: source, target: target,
            sourceObject: try nativeCRS(source), targetObject: try nativeCRS(target), context: native)
        transformers[key] = made
        return made
    }

    /// Reprojects `geometry` from `source` to `target` with the cached transformer; see
    /// `Transformer.transform(_:)-GeometryValue`. Positions are easting/longitude first.
    public func transform(_ geometry: GeometryValue, from source: CRSDescription, to target: CRSDescription) throws -> GeometryValue {
        try transformer(from: source, to: target).transform(geometry)
    }

    /// The area calculator for geometries in `crs`, made on first use and cached in this context
    /// (`proj_crs_get_geodetic_crs`, `proj_create_crs_to_crs_from_pj`, `geod_init`). Use it, or
    /// `ellipsoidalArea(of:in:)`, for many areas: the transformer and geodesic are made once.
    public func areaCalculator(for crs: CRSDescription) throws -> EllipsoidalAreaCalculator {
        if let cached = areaCalculators[crs.definition] { return cached }
        let made = try EllipsoidalAreaCalculator(crs: crs, context: self)
        areaCalculators[crs.definition] = made
        return made
    }

    /// Ellipsoidal area (椭球面积) of `geometry`, whose positions are in `crs`, in m², on the
    /// ellipsoid of `crs` (geodesic polygon area, `geod_polygonarea`). Polygons: |exterior| − Σ|holes|;
    /// multipolygons and collections: the sum over their polygons; points and lines: 0.
    /// Uses the cached calculator for `crs`, so calling it for thousands of geometries is cheap.
    public func ellipsoidalArea(of geometry: GeometryValue, in crs: CRSDescription) throws -> Double {
        try areaCalculator(for: crs).area(of: geometry)
    }

    /// The projection of a projected CRS as a classic PROJ object (from its PROJ string, without
    /// `+type=crs`), whose forward step takes longitude and latitude in radians: what
    /// `proj_factors` reads scale factors from. nil when the CRS has no PROJ string.
    func projectionForFactors(of crs: CRSDescription) -> NativeObject? {
        guard !crs.isGeographic, let object = try? nativeCRS(crs),
              let text = proj_as_proj_string(native.pointer, object.pointer, PJ_PROJ_5, nil).map({ String(cString: $0) })
        else { return nil }
        let projection = text.split(separator: " ").filter { $0 != "+type=crs" }.joined(separator: " ")
        return native.objectIfPossible { proj_create($0, projection) }
    }

    // MARK: Internals

    /// The PROJ object for a description, recreated from its definition once per context.
    func nativeCRS(_ crs: CRSDescription) throws -> NativeObject {
        if let cached = crsObjects[crs.definition] { return cached }
        let object = try native.object("proj_create", operation: "recreate CRS \(crs)", kind: .unknownCRS) { ctx in
            proj_create(ctx, crs.definition)
        }
        crsObjects[crs.definition] = object
        return object
    }

    /// The PROJ database's object for an "AUTH:CODE", or nil when the database has none.
    private func databaseCRS(_ identifier: String) -> NativeObject? {
        if let cached = crsObjects[identifier] { return cached }
        guard let object = native.objectIfPossible({ proj_create($0, identifier) }) else { return nil }
        crsObjects[identifier] = object
        return object
    }

    /// Builds the plain description of a PROJ CRS object.
    func describe(_ object: NativeObject, operation: String) throws -> CRSDescription {
        let horizontal = horizontalCRS(object)
        let kind = Self.kind(of: horizontal.type)
        var identifier = object.authorityIdentifier ?? horizontal.authorityIdentifier
        var definition: String?
        if let id = identifier ?? identify(horizontal), let database = databaseCRS(id),
           equivalentIgnoringAxisOrder(object, database) {
            identifier = id
            definition = id
        }
        if definition == nil {
            definition = try wkt(of: object, operation: operation)
        }
        return CRSDescription(
            identifier: identifier, name: object.name, kind: kind,
            unit: try unit(of: horizontal, operation: operation),
            ellipsoid: ellipsoid(of: object), definition: definition!)
    }

    /// True when both CRSs are the same once both are in GIS axis order (`proj_is_equivalent_to_with_ctx`
    /// on `proj_normalize_for_visualization` of each).
    private func equivalentIgnoringAxisOrder(_ a: NativeObject, _ b: NativeObject) -> Bool {
        if proj_is_equivalent_to_with_ctx(native.pointer, a.pointer, b.pointer, PJ_COMP_EQUIVALENT) != 0 { return true }
        guard let na = native.objectIfPossible({ proj_normalize_for_visualization($0, a.pointer) }),
              let nb = native.objectIfPossible({ proj_normalize_for_visualization($0, b.pointer) }) else { return false }
        return proj_is_equivalent_to_with_ctx(native.pointer, na.pointer, nb.pointer, PJ_COMP_EQUIVALENT) != 0
    }

    /// The identifier of the database CRS PROJ matches with 100 % confidence (`proj_identify`),
    /// preferring EPSG; nil when there is none.
    private func identify(_ object: NativeObject) -> String? {
        native.clearMessages()
        defer { native.clearMessages() }
        var confidence: UnsafeMutablePointer<Int32>?
        guard let list = proj_identify(native.pointer, object.pointer, nil, nil, &confidence) else { return nil }
        defer {
            proj_list_destroy(list)
            proj_int_list_destroy(confidence)
        }
        var best: String?
        for i in 0..<proj_list_get_count(list) where confidence?[Int(i)] == 100 {
            guard let candidate = native.objectIfPossible({ proj_list_get($0, list, i) }),
                  let id = candidate.authorityIdentifier else { continue }
            if id.hasPrefix("EPSG:") { return id }
            if best == nil { best = id }
        }
        return best
    }

    /// The CRS as WKT1 in GDAL's dialect, on one line: what a GeoPackage's gpkg_spatial_ref_sys
    /// `definition` holds, so GDAL and QGIS read it as they read their own files. Falls back to
    /// WKT2:2019 when PROJ cannot say it in WKT1.
    public func wkt1(of crs: CRSDescription) throws -> String {
        let object = try nativeCRS(crs)
        if let text = wkt(of: object, type: PJ_WKT1_GDAL) { return text }
        return try wkt(of: object, operation: "write \(crs) as WKT")
    }

    private func wkt(of object: NativeObject, type: PJ_WKT_TYPE) -> String? {
        native.clearMessages()
        defer { native.clearMessages() }
        return "MULTILINE=NO".withCString { option -> String? in
            var options: [UnsafePointer<CChar>?] = [option, nil]
            return options.withUnsafeMutableBufferPointer { buffer in
                proj_as_wkt(native.pointer, object.pointer, type, buffer.baseAddress).map { String(cString: $0) }
            }
        }
    }

    /// WKT2:2019 on one line (`proj_as_wkt`).
    private func wkt(of object: NativeObject, operation: String) throws -> String {
        native.clearMessages()
        let text = "MULTILINE=NO".withCString { option -> String? in
            var options: [UnsafePointer<CChar>?] = [option, nil]
            return options.withUnsafeMutableBufferPointer { buffer in
                proj_as_wkt(native.pointer, object.pointer, PJ_WKT2_2019, buffer.baseAddress).map { String(cString: $0) }
            }
        }
        guard let text else {
            throw CRSError(kind: .library, operation: operation, message: native.failureMessage(), function: "proj_as_wkt")
        }
        return text
    }

    /// The unit of the first horizontal axis (`proj_crs_get_coordinate_system`, `proj_cs_get_axis_info`).
    private func unit(of horizontal: NativeObject, operation: String) throws -> CRSUnit {
        let cs = try native.object("proj_crs_get_coordinate_system", operation: operation) { ctx in
            proj_crs_get_coordinate_system(ctx, horizontal.pointer)
        }
        var unitName: UnsafePointer<CChar>?
        var factor = 0.0
        native.clearMessages()
        guard proj_cs_get_axis_info(native.pointer, cs.pointer, 0, nil, nil, nil, &factor, &unitName, nil, nil) != 0 else {
            throw CRSError(kind: .library, operation: operation, message: native.failureMessage(), function: "proj_cs_get_axis_info")
        }
        let csType = proj_cs_get_type(native.pointer, cs.pointer)
        let angular = csType == PJ_CS_TYPE_ELLIPSOIDAL || csType == PJ_CS_TYPE_SPHERICAL
        return CRSUnit(name: unitName.map { String(cString: $0) } ?? "unknown", toSI: factor, isLinear: !angular)
    }

    /// The horizontal part of a CRS: the source of a bound CRS, the first component of a compound one.
    private func horizontalCRS(_ object: NativeObject) -> NativeObject {
        switch object.type {
        case PJ_TYPE_BOUND_CRS:
            if let source = native.objectIfPossible({ proj_get_source_crs($0, object.pointer) }) { return horizontalCRS(source) }
        case PJ_TYPE_COMPOUND_CRS:
            if let first = native.objectIfPossible({ proj_crs_get_sub_crs($0, object.pointer, 0) }) { return horizontalCRS(first) }
        default:
            break
        }
        return object
    }

    /// The datum's ellipsoid (`proj_get_ellipsoid`, `proj_ellipsoid_get_parameters`), nil if none.
    private func ellipsoid(of object: NativeObject) -> Ellipsoid? {
        guard let ellps = native.objectIfPossible({ proj_get_ellipsoid($0, object.pointer) }) else { return nil }
        var a = 0.0, b = 0.0, inverseFlattening = 0.0
        var computed: Int32 = 0
        guard proj_ellipsoid_get_parameters(native.pointer, ellps.pointer, &a, &b, &computed, &inverseFlattening) != 0 else {
            native.clearMessages()
            return nil
        }
        return Ellipsoid(name: ellps.name, semiMajorAxis: a, semiMinorAxis: b, inverseFlattening: inverseFlattening)
    }

    private static func kind(of type: PJ_TYPE) -> CRSKind {
        switch type {
        case PJ_TYPE_GEOGRAPHIC_2D_CRS: .geographic2D
        case PJ_TYPE_GEOGRAPHIC_3D_CRS: .geographic3D
        case PJ_TYPE_GEOCENTRIC_CRS: .geocentric
        case PJ_TYPE_PROJECTED_CRS: .projected
        case PJ_TYPE_ENGINEERING_CRS: .engineering
        case PJ_TYPE_VERTICAL_CRS: .vertical
        default: .other
        }
    }

    /// Trims white space and spells the bare `CRS84` (and `CRS:84`) as `OGC:CRS84`; everything
    /// else goes to PROJ as written (PROJ handles case, URNs with or without version, OGC URLs).
    static func normalizedIdentifier(_ text: String) -> String {
        let trimmed = text.trimmingWhiteSpace()
        switch trimmed.uppercased() {
        case "CRS84", "CRS:84": return rfc7946Identifier
        default: return trimmed
        }
    }

    /// The text for an error message: WKT can be kilobytes, so long inputs are cut.
    static func abbreviated(_ text: String) -> String {
        let trimmed = text.trimmingWhiteSpace()
        return trimmed.count > 80 ? String(trimmed.prefix(77)) + "..." : trimmed
    }
}

@available(*, unavailable) extension CRSContext: Sendable {}

extension String {
    func trimmingWhiteSpace() -> String {
        guard let start = firstIndex(where: { !$0.isWhitespace }),
              let end = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[start...end])
    }
}
