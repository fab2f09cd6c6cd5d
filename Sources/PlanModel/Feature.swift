/// A feature's identifier, stable across runs: the GeoJSON `id` member when the file has one
/// (a string or an integer), otherwise the feature's 1-based position in the file; the `fid`
/// column in a GeoPackage.
public enum FeatureID: Sendable, Hashable, Comparable, CustomStringConvertible {
    case int(Int64)
    case string(String)

    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        }
    }

    public static func < (lhs: FeatureID, rhs: FeatureID) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): a < b
        case (.string(let a), .string(let b)): a < b
        case (.int, .string): true
        case (.string, .int): false
        }
    }
}

/// An attribute value exactly as the source gave it (every JSON type; GeoPackage columns map to
/// the nearest one). Object members keep their order.
public enum AttributeValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([AttributeValue])
    case object([Attribute])
    /// Bytes from a GeoPackage BLOB column.
    case blob([UInt8])

    /// The JSON type name of the value ("string", "integer", "real", ...), used for field types.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .double: "real"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .blob: "binary"
        }
    }

    /// The value as text, for class codes: strings as they are, integers without a fraction.
    public var textValue: String? {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }
}

/// One named attribute of a feature.
public struct Attribute: Sendable, Hashable {
    public var name: String
    public var value: AttributeValue

    public init(_ name: String, _ value: AttributeValue) {
        self.name = name
        self.value = value
    }
}

/// One feature of a layer: its id, its geometry (nil when the source has a null geometry) and its
/// attributes in source order.
public struct Feature: Sendable {
    public var id: FeatureID
    public var geometry: GeometryValue?
    public var attributes: [Attribute]

    public init(id: FeatureID, geometry: GeometryValue?, attributes: [Attribute] = []) {
        self.id = id
        self.geometry = geometry
        self.attributes = attributes
    }

    /// The value of the named attribute, or nil when the feature has no such attribute.
    public subscript(attribute name: String) -> AttributeValue? {
        attributes.first { $0.name == name }?.value
    }
}
