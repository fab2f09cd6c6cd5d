import Foundation
import PlanModel

/// The patches of a run as one table, for the formats with a fixed schema (GeoPackage,
/// Shapefile, File Geodatabase): a row per patch with the properties of the GeoJSON output, in
/// the same order and under the same names, and its geometry in the working CRS.
///
/// Columns: `id` (the GeoJSON feature id), then `rule` … `area_mu` and the disposition columns
/// `status` … `rules_sha256` (see `PatchLineage`), then
/// the source attributes under `a.` and `b.`, the union over every rule in order of first
/// appearance (null where a rule's layers have no such field).
///
/// Column types come from the values: integers (and booleans, as 0/1) make an integer column;
/// integers and reals a real column; anything else a text column, where numbers are written as
/// in JSON and arrays and objects as JSON text.
struct PatchTable {
    struct Column {
        var name: String
        var type: ColumnType
    }

    enum ColumnType { case integer, real, text }

    struct Row {
        var values: [AttributeValue]
        /// Always a MultiPolygon (a Polygon patch is wrapped as a one-part MultiPolygon).
        var geometry: GeometryValue
    }

    var columns: [Column]
    var rows: [Row]

    init(_ result: OverlayResult) {
        var names: [String] = ["id"]
        var index: [String: Int] = ["id": 0]
        var sparse: [([(Int, AttributeValue)], GeometryValue)] = []
        for outcome in result.outcomes {
            let lineage = PatchLineage(rule: outcome.rule, layers: result.layers, ledger: result.ledger)
            for patch in outcome.patches {
                var cells: [(Int, AttributeValue)] = [(0, .string(patch.id))]
                for attribute in lineage.attributes(of: patch) {
                    let k: Int
                    if let known = index[attribute.name] {
                        k = known
                    } else {
                        k = names.count
                        names.append(attribute.name)
                        index[attribute.name] = k
                    }
                    cells.append((k, attribute.value))
                }
                sparse.append((cells, Self.multiPolygon(patch.geometry)))
            }
        }
        var types: [ColumnType?] = Array(repeating: nil, count: names.count)
        types[0] = .text
        for (cells, _) in sparse {
            for (k, value) in cells {
                types[k] = Self.merge(types[k], value)
            }
        }
        columns = zip(names, types).map { Column(name: $0, type: $1 ?? .text) }
        let columnTypes = columns.map(\.type)
        rows = sparse.map { cells, geometry in
            var values = [AttributeValue](repeating: .null, count: columnTypes.count)
            for (k, value) in cells { values[k] = Self.convert(value, to: columnTypes[k]) }
            return Row(values: values, geometry: geometry)
        }
    }

    /// The narrowest type that holds both.
    static func merge(_ type: ColumnType?, _ value: AttributeValue) -> ColumnType? {
        let own: ColumnType? = switch value {
        case .null: nil
        case .integer, .bool: .integer
        case .double: .real
        default: .text
        }
        guard let own else { return type }
        guard let type else { return own }
        if type == own { return type }
        if type == .text || own == .text { return .text }
        return .real
    }

    /// `value` as a plain value of a column of `type`.
    static func convert(_ value: AttributeValue, to type: ColumnType) -> AttributeValue {
        switch (value, type) {
        case (.null, _): return .null
        case (.bool(let b), .integer): return .integer(b ? 1 : 0)
        case (.integer(let n), .real): return .double(Double(n))
        case (.bool(let b), .real): return .double(b ? 1 : 0)
        case (.string, _), (.integer, .integer), (.double, .real): return value
        default: return .string(Self.jsonText(value))
        }
    }

    static func jsonText(_ value: AttributeValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let n): String(n)
        case .double(let d): d.isFinite ? "\(d)" : "null"
        case .string(let s): s
        case .array(let items): "[" + items.map(Self.jsonItem).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { Self.jsonItem(.string($0.name)) + ":" + Self.jsonItem($0.value) }.joined(separator: ",") + "}"
        case .blob(let bytes): bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }

    private static func jsonItem(_ value: AttributeValue) -> String {
        guard case .string(let s) = value else { return jsonText(value) }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func multiPolygon(_ geometry: GeometryValue) -> GeometryValue {
        switch geometry {
        case .polygon(let rings): .multiPolygon([rings])
        case .geometryCollection(let parts):
            .multiPolygon(parts.flatMap { part -> [PolygonRings] in
                if case .multiPolygon(let polygons) = multiPolygon(part) { return polygons }
                return []
            })
        default: geometry
        }
    }
}

extension PatchLineage {
    /// Every property of `patch` as the GeoJSON output writes it, in the same order.
    func attributes(of patch: DiscrepancyPatch) -> [Attribute] {
        var out: [Attribute] = [
            Attribute("rule", .string(rule.id)),
            Attribute("title", .string(rule.title ?? rule.id)),
            Attribute("severity", .string(rule.severity.rawValue)),
            Attribute("relation", .string(rule.relation.rawValue)),
            Attribute("a_layer", .string(rule.a.layer)),
            Attribute("a_fid", Self.fidValue(aFeatures[patch.aIndex].id)),
            Attribute("a_class", .string(rule.a.className ?? "all")),
            Attribute("a_code", aCodes[patch.aIndex].map(AttributeValue.string) ?? .null),
            Attribute("b_layer", .string(rule.b.layer)),
            Attribute("b_fid", Self.fidValue(patch.bIndex.map { bFeatures[$0].id })),
            Attribute("b_class", .string(rule.b.className ?? "all")),
            Attribute("b_code", patch.bIndex.flatMap { bCodes[$0] }.map(AttributeValue.string) ?? .null),
        ]
        out += areas(of: patch)
        out += ledger.columns(of: patch)
        out += aFeatures[patch.aIndex].attributes.map { Attribute("a." + $0.name, $0.value) }
        if let k = patch.bIndex { out += bFeatures[k].attributes.map { Attribute("b." + $0.name, $0.value) } }
        return out
    }

    static func fidValue(_ id: FeatureID?) -> AttributeValue {
        switch id {
        case .int(let i)?: .integer(i)
        case .string(let s)?: .string(s)
        case nil: .null
        }
    }
}
