import PlanModel

/// How one feature (by id) changed between two versions of a plan.
public struct FeatureChange: Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The id is only in the new version.
        case added
        /// The id is only in the old version.
        case removed
        /// The id is in both, with another area (beyond the tolerance) or another shape (geometry hash).
        case reshaped
        /// The id is in both, in another class.
        case reclassified
        /// The new feature's land came from several old ids.
        case merged
        /// The old feature's land went to several new ids.
        case split
    }

    public var id: String
    public var kinds: [Kind]
    public var oldClass: String?
    public var newClass: String?
    /// Areas (m², as the overlay measures them) of the feature in each version.
    public var oldAreaM2: Double?
    public var newAreaM2: Double?
    /// The old ids whose land the new feature holds (for `merged`, and for a new or reshaped
    /// feature that took land from others), and the new ids the old feature's land went to
    /// (for `split` and `removed`), each by an overlap of at least the link area.
    public var fromIds: [String]
    public var toIds: [String]
    /// The feature's geometry in the working CRS: the new one, or the old one when removed.
    public var geometry: GeometryValue

    enum CodingKeys: String, CodingKey { case id, kinds, oldClass, newClass, oldAreaM2, newAreaM2, fromIds, toIds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kinds = try c.decode([Kind].self, forKey: .kinds)
        oldClass = try c.decodeIfPresent(String.self, forKey: .oldClass)
        newClass = try c.decodeIfPresent(String.self, forKey: .newClass)
        oldAreaM2 = try c.decodeIfPresent(Double.self, forKey: .oldAreaM2)
        newAreaM2 = try c.decodeIfPresent(Double.self, forKey: .newAreaM2)
        fromIds = try c.decode([String].self, forKey: .fromIds)
        toIds = try c.decode([String].self, forKey: .toIds)
        geometry = .geometryCollection([])
    }

    init(id: String, kinds: [Kind], oldClass: String?, newClass: String?, oldAreaM2: Double?, newAreaM2: Double?,
         fromIds: [String], toIds: [String], geometry: GeometryValue) {
        self.id = id
        self.kinds = kinds
        self.oldClass = oldClass
        self.newClass = newClass
        self.oldAreaM2 = oldAreaM2
        self.newAreaM2 = newAreaM2
        self.fromIds = fromIds
        self.toIds = toIds
        self.geometry = geometry
    }

    /// The changes of every id in either version, in id order (numbers by value), and how many
    /// ids are in both versions unchanged. `links` are the old ∩ new pieces that count.
    static func compare(
        old: OverlayLayer, new: OverlayLayer, oldClasses: [String], newClasses: [String], matrix: TransitionMatrix,
        links: [DiscrepancyPatch], geographic: Bool, areaTolerance: Double
    ) -> ([FeatureChange], Int) {
        let oldIndex = Dictionary(old.identifiers.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let newIndex = Dictionary(new.identifiers.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var toNew: [Int: Set<String>] = [:], fromOld: [Int: Set<String>] = [:]
        for link in links {
            toNew[link.aIndex, default: []].insert(new.identifiers[link.bIndex!])
            fromOld[link.bIndex!, default: []].insert(old.identifiers[link.aIndex])
        }
        var changes: [FeatureChange] = []
        var unchanged = 0
        let ids = Set(oldIndex.keys).union(newIndex.keys).sorted(by: idOrder)
        for id in ids {
            let o = oldIndex[id], n = newIndex[id]
            var kinds: [Kind] = []
            let oldArea = o.map { matrix.oldFeatureAreas[$0] }
            let newArea = n.map { matrix.newFeatureAreas[$0] }
            let to = o.map { toNew[$0, default: []].subtracting([id]).sorted(by: idOrder) } ?? []
            let from = n.map { fromOld[$0, default: []].subtracting([id]).sorted(by: idOrder) } ?? []
            switch (o, n) {
            case (nil, _?): kinds.append(.added)
            case (_?, nil): kinds.append(.removed)
            case (let o?, let n?):
                if oldClasses[o] != newClasses[n] { kinds.append(.reclassified) }
                if abs(oldArea! - newArea!) > areaTolerance
                    || GeometryHash.of(old.geometries[o], geographic: geographic) != GeometryHash.of(new.geometries[n], geographic: geographic) {
                    kinds.append(.reshaped)
                }
            case (nil, nil): continue
            }
            if let n, fromOld[n, default: []].count > 1 { kinds.append(.merged) }
            if let o, toNew[o, default: []].count > 1 { kinds.append(.split) }
            guard !kinds.isEmpty else {
                unchanged += 1
                continue
            }
            changes.append(FeatureChange(
                id: id, kinds: kinds, oldClass: o.map { oldClasses[$0] }, newClass: n.map { newClasses[$0] },
                oldAreaM2: oldArea, newAreaM2: newArea, fromIds: from, toIds: to,
                geometry: n.map { new.geometries[$0] } ?? old.geometries[o!]))
        }
        return (changes, unchanged)
    }

    /// Numbers by value, then texts.
    static func idOrder(_ a: String, _ b: String) -> Bool {
        switch (Int64(a), Int64(b)) {
        case (let x?, let y?): x < y
        case (_?, nil): true
        case (nil, _?): false
        case (nil, nil): a < b
        }
    }
}
