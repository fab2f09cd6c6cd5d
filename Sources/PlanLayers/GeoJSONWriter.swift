import PlanModel
import PlanOutput

/// Writes a GeoJSON FeatureCollection one feature at a time, for planners to open in QGIS.
///
/// ```swift
/// let writer = try GeoJSONWriter(path: "out/patches.geojson", crsName: "urn:ogc:def:crs:EPSG::4529",
///                                coordinateDecimals: 3)
/// for patch in patches { try writer.write(id: .int(patch.number), geometry: patch.geometry, properties: patch.attributes) }
/// try writer.finish()
/// ```
///
/// - The file appears whole or not at all: the writer fills a temporary file beside the target
///   (an `OutputFile`: links followed, special files refused, `-` for standard output) and
///   `finish()` syncs it and renames it onto the target. `complete()` stops before the rename, so
///   that several outputs can be put in place together (`OutputFile.commit(_:)`). If the writer
///   is abandoned (`abandon()`, an error, or released before `finish()`), the temporary file is
///   removed and whatever was at `path` is left exactly as it was.
/// - `crsName` writes the 2008 `crs` member (`{"type":"name","properties":{"name":...}}`), which
///   GDAL and QGIS read; nil writes RFC 7946 GeoJSON (no `crs`; positions must then be WGS 84
///   longitude, latitude).
/// - Positions are written as the shortest text that reads back to the same Double, bit for bit
///   (see `JSONText.writeDouble`), or rounded to `coordinateDecimals` places (3 for metres is a
///   millimetre, 9 for degrees is under a millimetre), without trailing zeros.
/// - JSON has no NaN or infinity: a non-finite attribute double is written as `null`, and a
///   non-finite coordinate as `null` too (readers, this one included, then reject that geometry).
///   BLOB attributes are written as base64 strings (they read back as strings).
/// - One feature per line; output is buffered and written in blocks of about 1 MiB.
///
/// The writer owns a file descriptor and a buffer and must stay on one thread (or task).
/// Attributes written with a prefix on their names (e.g. `a.` + `DLBM`), without building the
/// prefixed names.
public struct PrefixedAttributes: Sendable {
    public var prefix: String
    public var attributes: [Attribute]

    public init(prefix: String, attributes: [Attribute]) {
        self.prefix = prefix
        self.attributes = attributes
    }
}

/// Members of a JSON object encoded once, for the parts of many features' properties that
/// repeat (a rule's lineage, a source feature's attributes): `"name":value` pairs joined by `,`,
/// without braces. Spliced in with `EncodableFeature.Part.encoded`, they give the same bytes as
/// the attributes themselves would.
public struct EncodedMembers: Sendable {
    public let bytes: [UInt8]

    /// `attributes` in their order, each name written after `prefix` (e.g. `a.` + `DLBM`).
    public init(_ attributes: [Attribute], prefix: String = "") {
        var text = JSONText()
        var first = true
        text.appendMembers(attributes, prefix: prefix, first: &first)
        bytes = text.bytes
    }
}

/// A feature to encode: its properties are the members of its parts, in order.
public struct EncodableFeature: Sendable {
    /// A run of members of the properties object.
    public enum Part: Sendable {
        case members([Attribute])
        case encoded(EncodedMembers)
    }

    public var id: FeatureID?
    public var geometry: GeometryValue?
    public var parts: [Part]
    /// Members of the Feature object after `geometry` (RFC 7946 §6.1 foreign members, which GDAL
    /// and QGIS ignore), e.g. the merge key of a tile slice's patches. Names must not be a
    /// Feature member's (`type`, `id`, `properties`, `geometry`).
    public var foreignMembers: [Attribute] = []

    /// A feature with its own properties first, then each group of prefixed attributes.
    public init(id: FeatureID?, geometry: GeometryValue?, properties: [Attribute], groups: [PrefixedAttributes] = []) {
        self.init(id: id, geometry: geometry, parts: [.members(properties)] + groups.map {
            .encoded(EncodedMembers($0.attributes, prefix: $0.prefix))
        })
    }

    public init(id: FeatureID?, geometry: GeometryValue?, parts: [Part], foreignMembers: [Attribute] = []) {
        self.id = id
        self.geometry = geometry
        self.parts = parts
        self.foreignMembers = foreignMembers
    }
}

/// Features encoded one at a time into one buffer, separated by `,\n`: the bytes
/// `GeoJSONWriter.encodeFeatures` gives for the same features, without building an
/// `EncodableFeature` (and its array of parts) per feature. For encoders of many features.
public struct FeatureText: Sendable {
    private var text = JSONText()
    private let decimals: Int?
    /// Features appended so far.
    public private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes; coordinates as `coordinateDecimals` says
    /// (`GeoJSONWriter.init`).
    public init(capacity: Int = 0, coordinateDecimals: Int? = nil) {
        text = JSONText(capacity: capacity)
        decimals = coordinateDecimals
    }

    /// The Features so far.
    public var bytes: [UInt8] { text.bytes }

    /// Appends a Feature whose properties are the members `properties` appends, in order.
    public mutating func append(
        id: FeatureID?, geometry: GeometryValue?, foreignMembers: [Attribute] = [],
        properties: (inout PropertiesText) throws -> Void
    ) rethrows {
        if count > 0 { text.append(",\n") }
        try text.appendFeature(id: id, geometry: geometry, foreignMembers: foreignMembers, decimals: decimals) { body in
            var members = PropertiesText()
            swap(&members.text, &body)  // moved, not copied
            defer { swap(&members.text, &body) }
            members.begin()
            try properties(&members)
            members.end()
        }
        count += 1
    }
}

/// The members of one Feature's properties object while `FeatureText.append` writes them.
public struct PropertiesText: Sendable {
    fileprivate var text = JSONText()
    private var first = true

    fileprivate mutating func begin() {
        text.append(UInt8(ascii: "{"))
        first = true
    }

    fileprivate mutating func end() {
        text.append(UInt8(ascii: "}"))
    }

    /// Members encoded beforehand (nothing when empty), as `EncodableFeature.Part.encoded`.
    public mutating func append(_ encoded: EncodedMembers) {
        guard !encoded.bytes.isEmpty else { return }
        if !first { text.append(UInt8(ascii: ",")) }
        first = false
        text.bytes.append(contentsOf: encoded.bytes)
    }

    /// `members` in order, as `EncodableFeature.Part.members`.
    public mutating func append(_ members: [Attribute]) {
        text.appendMembers(members, prefix: "", first: &first)
    }

    /// One member, `"name":value`.
    public mutating func append(_ name: String, _ value: AttributeValue) {
        if !first { text.append(UInt8(ascii: ",")) }
        first = false
        text.appendString(name)
        text.append(UInt8(ascii: ":"))
        text.appendValue(value)
    }
}

public final class GeoJSONWriter {
    /// The file being written, as the caller gave it (`-` is standard output).
    public let path: String
    /// Features written so far.
    public private(set) var featureCount = 0

    /// The output: a temporary file beside the target until `finish()`, or standard output.
    public let output: OutputFile
    private let coordinateDecimals: Int?
    private var text: JSONText
    private var state = State.open

    private enum State {
        case open
        case finished
        /// Abandoned by the caller or after an error (kept to throw again).
        case abandoned(OutputFileError?)
    }

    /// Output is handed to the kernel once the buffer holds this many bytes.
    static let blockSize = 1 << 20

    /// Starts the file: creates the temporary file and writes the collection's header.
    ///
    /// - Parameters:
    ///   - path: The file to write, replaced atomically by `finish()` (see `OutputPath`:
    ///     a symbolic link is written through, `-` is standard output).
    ///   - name: The collection's `name` member (QGIS shows it as the layer name).
    ///   - crsName: The CRS as an OGC URN, e.g. `urn:ogc:def:crs:EPSG::4529`; nil for RFC 7946.
    ///   - coordinateDecimals: Round coordinates to this many decimal places (0 ... 15);
    ///     nil keeps them exact.
    ///   - foreignMembers: More members of the collection object, in order, before `features`.
    ///     Their names must not be `type`, `features`, `crs` or `name` (a programming error).
    /// - Throws: `OutputFileError`: `.refuse` when `path` is a FIFO, a device, a socket or a
    ///   folder; `.create` when the temporary file cannot be created, e.g. the folder does not
    ///   exist or is not writable.
    public init(
        path: String, name: String? = nil, crsName: String?, coordinateDecimals: Int? = nil,
        foreignMembers: [(String, AttributeValue)] = []
    ) throws {
        if let coordinateDecimals {
            precondition((0...15).contains(coordinateDecimals), "coordinateDecimals must be 0 ... 15, not \(coordinateDecimals)")
        }
        for (member, _) in foreignMembers {
            precondition(!["type", "features", "crs", "name"].contains(member),
                         "foreign member '\(member)' would clash with a FeatureCollection member")
        }
        self.path = path
        self.coordinateDecimals = coordinateDecimals
        output = try OutputFile(path: path)
        text = JSONText(capacity: Self.blockSize + Self.blockSize / 4)
        text.appendCollectionHeader(name: name, crsName: crsName, foreignMembers: foreignMembers)
    }

    /// The temporary file next to the target that receives the output until `finish()`
    /// (nil for standard output).
    public var temporaryPath: String? { output.temporaryPath }

    /// Appends one Feature: `id` (a JSON number for `.int`, a string for `.string`, no `id`
    /// member for nil), `properties` in the given order (duplicate names are written as given),
    /// and the geometry (`null` for nil).
    /// - Throws: `OutputFileError` when a block cannot be written (the writer is then abandoned).
    public func write(id: FeatureID?, geometry: GeometryValue?, properties: [Attribute]) throws {
        try checkOpen()
        var out = JSONText()
        swap(&out, &text)
        if featureCount > 0 { out.append(",\n") }
        out.appendFeature(id: id, geometry: geometry, properties: properties, decimals: coordinateDecimals)
        swap(&out, &text)
        featureCount += 1
        if text.bytes.count >= Self.blockSize { try flush() }
    }

    /// The text of several Features, as `write(id:geometry:properties:)` would append them,
    /// separated by `,\n`. A pure function, so chunks of a large output can be encoded on
    /// several tasks and then appended in order with `writeEncoded(_:count:)`.
    public static func encodeFeatures(_ features: [EncodableFeature], coordinateDecimals: Int? = nil) -> [UInt8] {
        var out = JSONText()
        out.bytes.reserveCapacity(features.count * 512)
        for (n, feature) in features.enumerated() {
            if n > 0 { out.append(",\n") }
            out.appendFeature(
                id: feature.id, geometry: feature.geometry, parts: feature.parts, foreignMembers: feature.foreignMembers,
                decimals: coordinateDecimals)
        }
        return out.bytes
    }

    /// Appends `count` Features encoded by `encodeFeatures` (with the same coordinate decimals).
    /// - Throws: `OutputFileError` when a block cannot be written (the writer is then abandoned).
    public func writeEncoded(_ encoded: [UInt8], count: Int) throws {
        try checkOpen()
        guard count > 0 else { return }
        if featureCount > 0 { text.append(",\n") }
        text.bytes.append(contentsOf: encoded)
        featureCount += count
        if text.bytes.count >= Self.blockSize { try flush() }
    }

    /// Appends `feature` (its id, geometry and attributes).
    public func write(_ feature: Feature) throws {
        try write(id: feature.id, geometry: feature.geometry, properties: feature.attributes)
    }

    /// Ends the collection, writes and syncs the file, and renames it onto the target.
    /// - Throws: `OutputFileError`; the target is then untouched and the temporary file removed.
    public func finish() throws {
        try complete().commit()
    }

    /// Ends the collection and writes and syncs the file, but leaves it in its temporary file:
    /// the returned output appears at the target when it is committed (`commit()`, or
    /// `OutputFile.commit(_:)` with other outputs). Dropped uncommitted, it is removed.
    /// - Throws: `OutputFileError`; the target is then untouched and the temporary file removed.
    @discardableResult
    public func complete() throws -> OutputFile {
        try checkOpen()
        text.append("\n]}\n")
        try flush()
        do {
            try output.complete()
        } catch {
            state = .abandoned(error)
            throw error
        }
        state = .finished
        return output
    }

    /// Stops writing: removes the temporary file and leaves `path` as it was. Safe to call more
    /// than once, and does nothing after `finish()`.
    public func abandon() {
        guard case .open = state else { return }
        output.discard()
        text.bytes = []
        state = .abandoned(nil)
    }

    // MARK: Internals

    private func checkOpen() throws {
        switch state {
        case .open: return
        case .abandoned(let error?): throw error
        case .abandoned(nil): preconditionFailure("GeoJSONWriter used after abandon() (\(path))")
        case .finished: preconditionFailure("GeoJSONWriter used after finish() (\(path))")
        }
    }

    /// Writes the whole buffer to the output and empties it.
    private func flush() throws {
        do {
            try output.write(text.bytes)
        } catch {
            text.bytes = []
            state = .abandoned(error)
            throw error
        }
        text.bytes.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension GeoJSONWriter: Sendable {}

extension GeoJSONWriter {
    /// A whole FeatureCollection as a String, exactly as the file writer would write it
    /// (for tests and small outputs).
    public static func document(
        features: [Feature], name: String? = nil, crsName: String?, coordinateDecimals: Int? = nil,
        foreignMembers: [(String, AttributeValue)] = []
    ) -> String {
        var out = JSONText()
        out.appendCollectionHeader(name: name, crsName: crsName, foreignMembers: foreignMembers)
        for (i, feature) in features.enumerated() {
            if i > 0 { out.append(",\n") }
            out.appendFeature(id: feature.id, geometry: feature.geometry, properties: feature.attributes,
                              decimals: coordinateDecimals)
        }
        out.append("\n]}\n")
        return String(decoding: out.bytes, as: UTF8.self)
    }
}

extension JSONText {
    /// `{"type":"FeatureCollection","name":...,"crs":...,<foreign members>,"features":[` and a newline.
    mutating func appendCollectionHeader(name: String?, crsName: String?, foreignMembers: [(String, AttributeValue)]) {
        append("{\"type\":\"FeatureCollection\"")
        if let name {
            append(",\"name\":")
            appendString(name)
        }
        if let crsName {
            append(",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":")
            appendString(crsName)
            append("}}")
        }
        for (member, value) in foreignMembers {
            append(",")
            appendString(member)
            append(":")
            appendValue(value)
        }
        append(",\"features\":[\n")
    }

    /// `{"type":"Feature","id":...,"properties":{...},"geometry":{...}}`.
    mutating func appendFeature(id: FeatureID?, geometry: GeometryValue?, properties: [Attribute], decimals: Int?) {
        appendFeature(id: id, geometry: geometry, decimals: decimals) { $0.appendObject(properties) }
    }

    mutating func appendFeature(
        id: FeatureID?, geometry: GeometryValue?, parts: [EncodableFeature.Part], foreignMembers: [Attribute] = [], decimals: Int?
    ) {
        appendFeature(id: id, geometry: geometry, foreignMembers: foreignMembers, decimals: decimals) { $0.appendObject(parts: parts) }
    }

    /// `{"type":"Feature","id":…,"properties":…,"geometry":…}` with the properties object written
    /// by `properties`, then `foreignMembers`.
    @inline(__always) fileprivate mutating func appendFeature(
        id: FeatureID?, geometry: GeometryValue?, foreignMembers: [Attribute] = [], decimals: Int?,
        properties: (inout JSONText) throws -> Void
    ) rethrows {
        append("{\"type\":\"Feature\"")
        switch id {
        case .int(let i)?:
            append(",\"id\":")
            appendInteger(i)
        case .string(let s)?:
            append(",\"id\":")
            appendString(s)
        case nil:
            break
        }
        append(",\"properties\":")
        try properties(&self)
        append(",\"geometry\":")
        if let geometry { appendGeometry(geometry, decimals: decimals) } else { append("null") }
        if !foreignMembers.isEmpty {
            var first = false
            appendMembers(foreignMembers, prefix: "", first: &first)
        }
        append("}")
    }
}
