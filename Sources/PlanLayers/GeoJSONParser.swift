import PlanModel

/// The seven GeoJSON geometry types.
enum GeometryKind {
    case point, multiPoint, lineString, multiLineString, polygon, multiPolygon, geometryCollection

    var name: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }
}

/// Reads GeoJSON from a `JSONScanner` straight into the layer model: features, attributes and
/// fields, coordinates into `[Position]` with no generic JSON values in between.
struct GeoJSONParser {
    var s: JSONScanner
    var locator: TextLocator

    /// Positions of the list being read; copied out once per ring so rings do not regrow.
    private var scratch: [Position] = []

    var problems: [FeatureProblem] = []
    var crs: CRSReference?
    var collectionName: String?
    var droppedHigherDimensions = false

    // Fields, in order of first appearance. `fieldKeys` holds each name's bytes so a feature whose
    // properties come in the usual order matches its keys without making a String.
    private var fieldNames: [String] = []
    private var fieldKeys: [[UInt8]] = []
    private var fieldIndex: [String: Int] = [:]
    private var fieldTypeNames: [[String]] = []
    private var fieldTypeMask: [UInt16] = []

    /// Features handed out so far.
    private(set) var featureCount = 0
    /// While every id so far is larger than the one before (`FeatureID`'s order: integers, then
    /// strings; the usual case, "U000001", "U000002" … included), ids are unique without hashing:
    /// only the ids and where their features start are kept (32 bytes a feature, not the
    /// features), and `idOffsets` is built from them once that stops being true.
    private var increasingIDs: [FeatureID] = []
    private var featureOffsets: [Int] = []
    private var idsIncreasing = true
    /// Offset of the feature that first used each id (only once `idsIncreasing` is false).
    private var idOffsets: [FeatureID: Int] = [:]
    /// The reader fails with this once the current feature is done (needs the locator).
    var duplicate: (id: FeatureID, offset: Int, firstOffset: Int)?

    init(_ window: FileWindow) {
        s = JSONScanner(base: window.base, count: window.end)
        s.moreInput = window.moreInput
        locator = TextLocator(window)
        scratch.reserveCapacity(256)
    }

    /// Points the scanner at the window's bytes again after it moved.
    mutating func follow(_ window: FileWindow) {
        s.base = window.base
        s.count = window.end
        s.moreInput = window.moreInput
    }

    /// Back to where a step started that ran into the window's end (it is read again once the
    /// window moved): the cursor, the top-level place, and no geometry problems pending.
    mutating func rewind(to position: Int, place: Place) {
        s.pos = position
        self.place = place
        pendingProblems.removeAll()
    }

    var fields: [Field] {
        fieldNames.indices.map { Field(name: fieldNames[$0], type: fieldTypeNames[$0].joined(separator: "|")) }
    }

    // MARK: Document

    /// Where the reading of the top level stands between two features.
    enum Place {
        /// Before `open()`.
        case start
        /// The file is a single Feature or a bare geometry, read whole by `open()`.
        case single(Feature)
        /// In the top-level object, at a member's key.
        case atKey
        /// In the top-level object, after a member's value.
        case afterMember
        /// In a `features` array, at an element.
        case inFeatures
        /// In a `features` array, after an element.
        case afterFeature
        /// The document was read to its end.
        case done
    }

    private(set) var place = Place.start

    /// Reads the top level up to the first feature: a FeatureCollection's members before its
    /// `features`, or the whole of a single Feature or bare geometry. Then `header` runs a skip
    /// scan so that `crs` and `name` are known even when they follow `features`.
    mutating func open() throws(JSONFailure) {
        // A UTF-8 byte order mark, as Windows tools (ArcGIS, Notepad) often write.
        if s.count >= 3 && s.base[0] == 0xEF && s.base[1] == 0xBB && s.base[2] == 0xBF { s.pos = 3 }
        s.skipWhitespace()
        guard !s.atEnd else {
            throw .syntax(offset: s.pos, message: "expected a JSON value, found end of file")
        }
        let start = s.pos
        guard s.current == UInt8(ascii: "{") else {
            try s.skipValue()
            throw .notGeoJSON(offset: start, reason: "the top level is \(s.describe(at: start)), not an object")
        }
        // Find the top-level type first; it is nearly always the first member.
        guard let (type, typeOffset) = try findType() else {
            throw .notGeoJSON(offset: start, reason: "the top-level object has no \"type\" member")
        }
        s.pos = start
        if s.string(type, is: "FeatureCollection") {
            _ = try s.enterObject()
            place = .atKey
            return
        }
        let feature: Feature
        if s.string(type, is: "Feature") {
            feature = try parseFeature(index: 1, topLevel: true)
        } else if geometryKind(type) != nil {
            let geometry = try parseGeometryOrProblem(topLevel: true)
            feature = try makeFeature(id: .int(1), offset: start, geometry: geometry, attributes: [])
        } else {
            throw .notGeoJSON(offset: typeOffset, reason: "unknown top-level type \"\(s.string(type))\"")
        }
        try expectEndOfFile()
        place = .single(feature)
    }

    /// The next feature in file order, or nil once the document is read to its end (its end
    /// checked: nothing but whitespace may follow the top-level object).
    mutating func nextFeature() throws(JSONFailure) -> Feature? {
        while true {
            switch place {
            case .start:
                try open()
            case .single(let feature):
                place = .done
                return feature
            case .inFeatures:
                let index = featureCount + 1
                guard s.current == UInt8(ascii: "{") else {
                    let offset = s.pos
                    try s.skipValue()
                    throw .notGeoJSON(offset: offset, reason: "feature \(index) is \(s.describe(at: offset)), not an object")
                }
                let feature = try parseFeature(index: index, topLevel: false)
                place = .afterFeature
                return feature
            case .afterFeature:
                place = try s.nextElement() ? .inFeatures : .afterMember
            case .afterMember:
                if try s.nextMember() {
                    place = .atKey
                } else {
                    try expectEndOfFile()
                    place = .done
                }
            case .atKey:
                try readCollectionMember()
            case .done:
                return nil
            }
        }
    }

    /// At a key of the top-level FeatureCollection: enters `features`, reads `crs` and `name`,
    /// skips the rest.
    private mutating func readCollectionMember() throws(JSONFailure) {
        let key = try s.readKey()
        place = .afterMember
        if s.string(key, is: "features") {
            guard s.current == UInt8(ascii: "[") else {
                let offset = s.pos
                try s.skipValue()
                throw .notGeoJSON(offset: offset, reason: "\"features\" is \(s.describe(at: offset)), not an array")
            }
            if try s.enterArray() { place = .inFeatures }
        } else if s.string(key, is: "crs") {
            crs = try parseCRS()
        } else if s.string(key, is: "name"), s.current == UInt8(ascii: "\"") {
            collectionName = s.string(try s.scanString())
        } else {
            try s.skipValue()
        }
    }

    private mutating func expectEndOfFile() throws(JSONFailure) {
        s.skipWhitespace()
        if s.atEnd && s.moreInput {
            throw .syntax(offset: s.count, message: "the window ends before the file")
        }
        guard s.atEnd else {
            throw .syntax(offset: s.pos, message: "expected end of file after the top-level object, found \(s.describe(at: s.pos))")
        }
    }

    /// The FeatureCollection's `crs` and `name` as the whole document gives them (the last of
    /// each wins, as when reading), found by a skip scan of the top level from the cursor, which
    /// must be at `.atKey` right after `open()`. `skip` is given the offset of each `features`
    /// array and returns a scanner at the offset after its end, over the bytes from there (nil
    /// when the input ends first); the scan stops at broken JSON: the features read next fail
    /// at the same place with the full message. `windowEnded` tells whether it stopped at the
    /// end of the window rather than at broken JSON (the caller then reads more and asks again).
    func header(skip: (Int) -> JSONScanner?) -> (crs: CRSReference?, name: String?, windowEnded: Bool) {
        var probe = self
        guard case .atKey = probe.place else { return (crs, collectionName, false) }
        do throws(JSONFailure) {
            repeat {
                let key = try probe.s.readKey()
                if probe.s.string(key, is: "features"), probe.s.current == UInt8(ascii: "[") {
                    guard let after = skip(probe.s.pos) else { break }
                    probe.s = after
                } else if probe.s.string(key, is: "crs") {
                    probe.crs = try probe.parseCRS()
                } else if probe.s.string(key, is: "name"), probe.s.current == UInt8(ascii: "\"") {
                    probe.collectionName = probe.s.string(try probe.s.scanString())
                } else {
                    try probe.s.skipValue()
                }
            } while try probe.s.nextMember()
        } catch {
            // Reported with its position when the features are read, unless the window ended.
            if probe.s.moreInput, case .syntax(let offset, _) = error, offset >= probe.s.count - 8 {
                return (probe.crs, probe.collectionName, true)
            }
        }
        return (probe.crs, probe.collectionName, false)
    }

    /// At the top-level `{`: the value of its "type" member and where that is, or nil.
    private mutating func findType() throws(JSONFailure) -> (StringToken, Int)? {
        guard try s.enterObject() else { return nil }
        repeat {
            let key = try s.readKey()
            if s.string(key, is: "type") {
                let offset = s.pos
                guard s.current == UInt8(ascii: "\"") else {
                    try s.skipValue()
                    throw .notGeoJSON(offset: offset, reason: "\"type\" is \(s.describe(at: offset)), not a string")
                }
                return (try s.scanString(), offset)
            }
            try s.skipValue()
        } while try s.nextMember()
        return nil
    }

    // MARK: Features

    /// At a Feature's `{`. `index` is its 1-based position, its id when it has no `id` member.
    private mutating func parseFeature(index: Int, topLevel: Bool) throws(JSONFailure) -> Feature {
        let start = s.pos
        var id: FeatureID?
        var geometry: GeometryValue?
        var attributes: [Attribute] = []
        guard try s.enterObject() else {
            return try makeFeature(id: .int(Int64(index)), offset: start, geometry: nil, attributes: [])
        }
        repeat {
            let key = try s.readKey()
            if s.string(key, is: "geometry") {
                if s.current == UInt8(ascii: "n") {
                    try s.expectLiteral("null")
                    geometry = nil
                } else {
                    geometry = try parseGeometryOrProblem(topLevel: false)
                }
            } else if s.string(key, is: "properties") {
                attributes = try parseProperties()
            } else if s.string(key, is: "type") {
                let offset = s.pos
                guard s.current == UInt8(ascii: "\""), s.string(try s.scanString(), is: "Feature") else {
                    s.pos = offset
                    try s.skipValue()
                    throw .notGeoJSON(offset: offset, reason: "feature \(index) has type \(typeText(at: offset)), expected \"Feature\"")
                }
            } else if s.string(key, is: "id") {
                id = try parseID()
            } else if topLevel, s.string(key, is: "crs") {
                crs = try parseCRS()
            } else {
                try s.skipValue()
            }
        } while try s.nextMember()
        return try makeFeature(id: id ?? .int(Int64(index)), offset: start, geometry: geometry, attributes: attributes)
    }

    /// The raw text of a value at `offset` (for messages), shortened.
    private func typeText(at offset: Int) -> String {
        let end = min(s.count, offset + 40)
        let text = String(decoding: UnsafeBufferPointer(start: s.base + offset, count: end - offset), as: UTF8.self)
        return String(text.prefix { $0 != "," && $0 != "}" && $0 != "\n" })
    }

    /// The feature, once its id is known to be new; its geometry problems go to `problems`.
    private mutating func makeFeature(id: FeatureID, offset: Int, geometry: GeometryValue?, attributes: [Attribute]) throws(JSONFailure) -> Feature {
        if idsIncreasing, increasingIDs.last.map({ $0 < id }) ?? true {
            increasingIDs.append(id)
            featureOffsets.append(offset)
        } else {
            if idsIncreasing {
                idsIncreasing = false
                idOffsets.reserveCapacity(increasingIDs.count * 2)
                for (earlier, start) in zip(increasingIDs, featureOffsets) { idOffsets[earlier] = start }
                increasingIDs = []
                featureOffsets = []
            }
            if let first = idOffsets.updateValue(offset, forKey: id) {
                duplicate = (id, offset, first)
                throw .notGeoJSON(offset: offset, reason: "duplicate id")
            }
        }
        for i in pendingProblems.indices {
            let target = pendingProblems[i].offset
            let (line, column) = locator.location(of: target)
            problems.append(FeatureProblem(featureID: id, kind: .malformedGeometry,
                                           reason: "\(line):\(column): \(pendingProblems[i].reason)"))
        }
        pendingProblems.removeAll()
        featureCount += 1
        return Feature(id: id, geometry: geometry, attributes: attributes)
    }

    /// Geometry problems of the feature being read (its id may come after its geometry).
    private var pendingProblems: [(offset: Int, reason: String)] = []

    /// A feature `id`: a string, or an integer that fits 64 bits; other numbers keep their text.
    private mutating func parseID() throws(JSONFailure) -> FeatureID? {
        let offset = s.pos
        switch s.current {
        case UInt8(ascii: "\""):
            return .string(s.string(try s.scanString()))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try s.scanNumber()
            if let i = s.integer(number) { return .int(i) }
            return .string(s.text(number))
        case UInt8(ascii: "n"):
            try s.expectLiteral("null")
            return nil
        default:
            try s.skipValue()
            throw .notGeoJSON(offset: offset, reason: "feature id is \(s.describe(at: offset)), not a string or number")
        }
    }

    // MARK: Properties and fields

    private mutating func parseProperties() throws(JSONFailure) -> [Attribute] {
        let offset = s.pos
        if s.current == UInt8(ascii: "n") {
            try s.expectLiteral("null")
            return []
        }
        guard s.current == UInt8(ascii: "{") else {
            try s.skipValue()
            throw .notGeoJSON(offset: offset, reason: "\"properties\" is \(s.describe(at: offset)), not an object or null")
        }
        var attributes: [Attribute] = []
        guard try s.enterObject() else { return attributes }
        attributes.reserveCapacity(fieldNames.count)
        var k = 0
        repeat {
            let key = try s.readKey()
            let field: Int
            if k < fieldKeys.count && s.string(key, equals: fieldKeys[k]) {
                field = k
            } else {
                field = self.field(named: s.string(key))
            }
            let value = try parseValue(depth: 1)
            noteType(of: value, field: field)
            attributes.append(Attribute(fieldNames[field], value))
            k += 1
        } while try s.nextMember()
        return attributes
    }

    private mutating func field(named name: String) -> Int {
        if let i = fieldIndex[name] { return i }
        let i = fieldNames.count
        fieldNames.append(name)
        fieldKeys.append(Array(name.utf8))
        fieldIndex[name] = i
        fieldTypeNames.append([])
        fieldTypeMask.append(0)
        return i
    }

    @inline(__always) private mutating func noteType(of value: AttributeValue, field: Int) {
        let bit: UInt16 = switch value {
        case .null: 1
        case .bool: 2
        case .integer: 4
        case .double: 8
        case .string: 16
        case .array: 32
        case .object: 64
        case .blob: 128
        }
        if fieldTypeMask[field] & bit == 0 {
            fieldTypeMask[field] |= bit
            fieldTypeNames[field].append(value.typeName)
        }
    }

    /// Any JSON value as an attribute value; object members and array elements keep their order.
    private mutating func parseValue(depth: Int) throws(JSONFailure) -> AttributeValue {
        switch s.current {
        case UInt8(ascii: "\""):
            return .string(s.string(try s.scanString()))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try s.scanNumber()
            if let i = s.integer(number) { return .integer(i) }
            return .double(s.double(number))
        case UInt8(ascii: "t"):
            try s.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try s.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try s.expectLiteral("null")
            return .null
        case UInt8(ascii: "["):
            guard depth < JSONScanner.maxDepth else {
                throw .syntax(offset: s.pos, message: "nesting deeper than \(JSONScanner.maxDepth) levels")
            }
            var elements: [AttributeValue] = []
            if try s.enterArray() {
                repeat {
                    elements.append(try parseValue(depth: depth + 1))
                } while try s.nextElement()
            }
            return .array(elements)
        case UInt8(ascii: "{"):
            guard depth < JSONScanner.maxDepth else {
                throw .syntax(offset: s.pos, message: "nesting deeper than \(JSONScanner.maxDepth) levels")
            }
            var members: [Attribute] = []
            if try s.enterObject() {
                repeat {
                    let key = try s.readKey()
                    members.append(Attribute(s.string(key), try parseValue(depth: depth + 1)))
                } while try s.nextMember()
            }
            return .object(members)
        default:
            throw .syntax(offset: s.pos, message: "expected a value, found \(s.describe(at: s.pos))")
        }
    }

    // MARK: CRS

    /// The 2008 GeoJSON `crs` member: `{"type":"name","properties":{"name":URN}}`, the older
    /// `{"type":"EPSG","properties":{"code":4529}}` and `{"type":"link","properties":{"href":...}}`,
    /// or null.
    private mutating func parseCRS() throws(JSONFailure) -> CRSReference? {
        let offset = s.pos
        let value = try parseValue(depth: 1)
        guard case .object(let members) = value else {
            if value == .null { return nil }
            throw .notGeoJSON(offset: offset, reason: "\"crs\" is \(s.describe(at: offset)), not an object")
        }
        let type = members.first { $0.name == "type" }?.value.textValue
        var properties: [Attribute] = []
        if case .object(let p)? = members.first(where: { $0.name == "properties" })?.value { properties = p }
        func property(_ name: String) -> String? { properties.first { $0.name == name }?.value.textValue }
        switch type?.lowercased() {
        case "name":
            if let name = property("name"), !name.isEmpty { return .identifier(name) }
        case "epsg":
            if let code = property("code") { return .identifier("EPSG:\(code)") }
        case "link":
            if let href = property("href"), !href.isEmpty { return .identifier(href) }
        default:
            break
        }
        throw .notGeoJSON(offset: offset, reason: "\"crs\" member of unknown form (expected {\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::4529\"}})")
    }

    // MARK: Geometry

    /// Reads a geometry object. When its coordinates cannot be read, notes a problem for the
    /// current feature and returns nil (the JSON is still checked, so broken JSON stays fatal).
    private mutating func parseGeometryOrProblem(topLevel: Bool) throws(JSONFailure) -> GeometryValue? {
        let start = s.pos
        do throws(JSONFailure) {
            guard s.current == UInt8(ascii: "{") else {
                throw .geometry(offset: start, reason: "geometry is \(s.describe(at: start)), not an object or null")
            }
            return try parseGeometryObject(topLevel: topLevel)
        } catch {
            guard case .geometry(let offset, let reason) = error else { throw error }
            s.pos = start
            try s.skipValue()
            pendingProblems.append((offset, reason))
            return nil
        }
    }

    private func geometryKind(_ t: StringToken) -> GeometryKind? {
        if s.string(t, is: "Polygon") { return .polygon }
        if s.string(t, is: "MultiPolygon") { return .multiPolygon }
        if s.string(t, is: "Point") { return .point }
        if s.string(t, is: "LineString") { return .lineString }
        if s.string(t, is: "MultiLineString") { return .multiLineString }
        if s.string(t, is: "MultiPoint") { return .multiPoint }
        if s.string(t, is: "GeometryCollection") { return .geometryCollection }
        return nil
    }

    /// At a geometry's `{`. Members may come in any order: coordinates seen before the type are
    /// skipped and read again once the type is known.
    private mutating func parseGeometryObject(topLevel: Bool) throws(JSONFailure) -> GeometryValue {
        let start = s.pos
        var kind: GeometryKind?
        var result: GeometryValue?
        var coordinatesOffset: Int?
        var geometriesOffset: Int?
        if try s.enterObject() {
            repeat {
                let key = try s.readKey()
                if s.string(key, is: "type") {
                    let offset = s.pos
                    guard s.current == UInt8(ascii: "\"") else {
                        throw .geometry(offset: offset, reason: "geometry type is \(s.describe(at: offset)), not a string")
                    }
                    let type = try s.scanString()
                    guard let k = geometryKind(type) else {
                        throw .geometry(offset: offset, reason: "unknown geometry type \"\(s.string(type))\"")
                    }
                    kind = k
                } else if s.string(key, is: "coordinates") {
                    if let kind, kind != .geometryCollection {
                        result = try parseCoordinates(kind)
                    } else {
                        coordinatesOffset = s.pos
                        try s.skipValue()
                    }
                } else if s.string(key, is: "geometries") {
                    if kind == .geometryCollection {
                        result = try parseGeometries()
                    } else {
                        geometriesOffset = s.pos
                        try s.skipValue()
                    }
                } else if topLevel, s.string(key, is: "crs") {
                    crs = try parseCRS()
                } else {
                    try s.skipValue()
                }
            } while try s.nextMember()
        }
        guard let kind else {
            throw .geometry(offset: start, reason: "geometry has no \"type\" member")
        }
        if let result { return result }
        let end = s.pos
        defer { s.pos = end }
        if kind == .geometryCollection {
            guard let geometriesOffset else {
                throw .geometry(offset: start, reason: "GeometryCollection has no \"geometries\" member")
            }
            s.pos = geometriesOffset
            return try parseGeometries()
        }
        guard let coordinatesOffset else {
            throw .geometry(offset: start, reason: "\(kind.name) has no \"coordinates\" member")
        }
        s.pos = coordinatesOffset
        return try parseCoordinates(kind)
    }

    private mutating func parseGeometries() throws(JSONFailure) -> GeometryValue {
        let offset = s.pos
        guard s.current == UInt8(ascii: "[") else {
            throw .geometry(offset: offset, reason: "\"geometries\" is \(s.describe(at: offset)), not an array")
        }
        var members: [GeometryValue] = []
        if try s.enterArray() {
            repeat {
                let at = s.pos
                guard s.current == UInt8(ascii: "{") else {
                    throw .geometry(offset: at, reason: "GeometryCollection member is \(s.describe(at: at)), not an object")
                }
                members.append(try parseGeometryObject(topLevel: false))
            } while try s.nextElement()
        }
        return .geometryCollection(members)
    }

    /// Coordinates of `kind` (not a collection), parsed by the nesting depth the type needs.
    private mutating func parseCoordinates(_ kind: GeometryKind) throws(JSONFailure) -> GeometryValue {
        let offset = s.pos
        guard s.current == UInt8(ascii: "[") else {
            throw .geometry(offset: offset, reason: "\(kind.name) coordinates are \(s.describe(at: offset)), not an array")
        }
        switch kind {
        case .point:
            var probe = s
            probe.pos += 1
            probe.skipWhitespace()
            if probe.current == UInt8(ascii: "]") {
                s.pos = probe.pos + 1
                return .point(nil)
            }
            return .point(try parsePosition(kind))
        case .multiPoint: return .multiPoint(try parsePositionList(kind))
        case .lineString: return .lineString(try parsePositionList(kind))
        case .polygon: return .polygon(try parseListOfLists(kind))
        case .multiLineString: return .multiLineString(try parseListOfLists(kind))
        case .multiPolygon:
            var polygons: [PolygonRings] = []
            if try s.enterArray() {
                repeat {
                    try expectArray(kind, "a polygon")
                    polygons.append(try parseListOfLists(kind))
                } while try s.nextElement()
            }
            return .multiPolygon(polygons)
        case .geometryCollection:
            throw .geometry(offset: offset, reason: "GeometryCollection has coordinates")
        }
    }

    @inline(__always) private func expectArray(_ kind: GeometryKind, _ what: String) throws(JSONFailure) {
        guard s.current == UInt8(ascii: "[") else {
            throw .geometry(offset: s.pos, reason: "\(kind.name) coordinates: expected \(what) (an array), found \(s.describe(at: s.pos))")
        }
    }

    /// At `[`: a list of lists of positions (polygon rings or lines).
    private mutating func parseListOfLists(_ kind: GeometryKind) throws(JSONFailure) -> [PositionList] {
        var lists: [PositionList] = []
        if try s.enterArray() {
            repeat {
                try expectArray(kind, kind == .multiLineString ? "a line" : "a ring")
                lists.append(try parsePositionList(kind))
            } while try s.nextElement()
        }
        return lists
    }

    /// At `[`: a list of positions.
    private mutating func parsePositionList(_ kind: GeometryKind) throws(JSONFailure) -> PositionList {
        guard try s.enterArray() else { return [] }
        scratch.removeAll(keepingCapacity: true)
        repeat {
            try expectArray(kind, "a position")
            scratch.append(try parsePosition(kind))
        } while try s.nextElement()
        // An exact-size copy: `Array(scratch)` would share scratch's buffer, and the next
        // removeAll(keepingCapacity:) would then leave every ring holding a large buffer.
        return scratch.withUnsafeBufferPointer { source in
            PositionList(unsafeUninitializedCapacity: source.count) { target, initialized in
                _ = target.initialize(from: source)
                initialized = source.count
            }
        }
    }

    /// At `[`: a position, two or more numbers; a third and fourth (Z, M) are read and dropped.
    @inline(__always) private mutating func parsePosition(_ kind: GeometryKind) throws(JSONFailure) -> Position {
        let start = s.pos
        s.pos += 1
        s.skipWhitespace()
        let x = try coordinate(kind, start)
        s.skipWhitespace()
        guard s.current == UInt8(ascii: ",") else { throw tooFewNumbers(kind, start) }
        s.pos += 1
        s.skipWhitespace()
        let y = try coordinate(kind, start)
        s.skipWhitespace()
        if s.current == UInt8(ascii: "]") {
            s.pos += 1
            return Position(x, y)
        }
        while s.current == UInt8(ascii: ",") {
            s.pos += 1
            s.skipWhitespace()
            _ = try coordinate(kind, start)
            droppedHigherDimensions = true
            s.skipWhitespace()
        }
        guard s.current == UInt8(ascii: "]") else {
            throw .syntax(offset: s.pos, message: "expected ',' or ']' after array element")
        }
        s.pos += 1
        return Position(x, y)
    }

    @inline(__always) private mutating func coordinate(_ kind: GeometryKind, _ positionStart: Int) throws(JSONFailure) -> Double {
        let c = s.current
        guard c == UInt8(ascii: "-") || c &- 0x30 < 10 else {
            throw notANumber(kind, positionStart)
        }
        return s.double(try s.scanNumber())
    }

    /// Kept out of line so that `coordinate` stays small enough to inline.
    @inline(never) private func notANumber(_ kind: GeometryKind, _ positionStart: Int) -> JSONFailure {
        if s.current == UInt8(ascii: "]") { return tooFewNumbers(kind, positionStart) }
        return .geometry(offset: s.pos, reason: "\(kind.name) coordinates: expected a number, found \(s.describe(at: s.pos))")
    }

    private func tooFewNumbers(_ kind: GeometryKind, _ offset: Int) -> JSONFailure {
        .geometry(offset: offset, reason: "\(kind.name) coordinates: a position has fewer than 2 numbers")
    }
}
