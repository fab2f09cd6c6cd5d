import Foundation
import PlanModel

/// The identifiers patch ids and `diff` are built from, one per kept feature of a layer.
public enum FeatureIdentifiers {
    /// The text of `field` of each feature (`BSM` 4100001 → "4100001"), or, without a field, the
    /// feature's id (the GeoJSON `id`, the GeoPackage `fid`, or its 1-based position).
    /// - Throws: `ReconcileError` (.identifiers, exit 65) when the field is on no feature, or
    ///   some feature has no value or a value another feature has: the message names them, so
    ///   nothing is attributed to the wrong feature.
    public static func make(_ features: [CheckedFeature], field: String?, path: String, layer: String) throws -> [String] {
        guard let field else { return features.map { $0.id.description } }
        var ids: [String] = []
        var missing: [FeatureID] = []
        var holders: [String: [FeatureID]] = [:]
        var seenField = false
        for feature in features {
            let value = feature.attributes.first { $0.name == field }
            if value != nil { seenField = true }
            guard let text = value?.value.textValue?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                missing.append(feature.id)
                ids.append("")
                continue
            }
            holders[text, default: []].append(feature.id)
            ids.append(text)
        }
        if !seenField, !features.isEmpty {
            throw absentField(field, names: features.first?.attributes.map(\.name) ?? [], path: path, layer: layer)
        }
        let repeated = holders.filter { $0.value.count > 1 }.map { (value: $0.key, ids: $0.value) }
        if let failure = failure(field: field, missing: missing, repeated: repeated, path: path, layer: layer) { throw failure }
        return ids
    }

    /// The error for an `id_field` that no feature of the layer has; `names` are the attributes
    /// of its first feature.
    static func absentField(_ field: String, names: [String], path: String, layer: String) -> ReconcileError {
        ReconcileError(.identifiers, "\(path): layer '\(layer)': id_field '\(field)' is not an attribute of the layer (it has: \(names.joined(separator: ", ")))")
    }

    /// The error for identifiers that do not identify every feature: `missing` (features with no
    /// value) and `repeated` (values held by several features, any order); nil when both are empty.
    static func failure(field: String, missing: [FeatureID], repeated unsorted: [(value: String, ids: [FeatureID])], path: String, layer: String) -> ReconcileError? {
        let repeated = unsorted.sorted { $0.value < $1.value }
        guard missing.isEmpty, repeated.isEmpty else {
            var reasons: [String] = []
            if !missing.isEmpty {
                reasons.append("\(missing.count) feature(s) have no \(field) (features \(listed(missing.map(\.description))))")
            }
            if !repeated.isEmpty {
                reasons.append("\(repeated.count) value(s) of \(field) are held by several features (" + listed(repeated.map { value, ids in
                    "\(value): features \(ids.map(\.description).joined(separator: ", "))"
                }, separator: "; ") + ")")
            }
            return ReconcileError(.identifiers, "\(path): layer '\(layer)': id_field '\(field)' does not identify every feature: \(reasons.joined(separator: "; and ")); patch ids would be ambiguous: fix the data or name another id_field")
        }
        return nil
    }

    /// The identifier of `feature` by `field` as `make` gives it: the trimmed text of its value
    /// ("" when it has none), or its id without a field.
    static func identifier(of feature: Feature, field: String?) -> String {
        guard let field else { return feature.id.description }
        return feature[attribute: field]?.textValue?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    /// At most 20 items, then how many more.
    static func listed(_ items: [String], separator: String = ", ") -> String {
        let shown = items.prefix(20).joined(separator: separator)
        return items.count > 20 ? shown + "\(separator)… \(items.count - 20) more" : shown
    }
}
