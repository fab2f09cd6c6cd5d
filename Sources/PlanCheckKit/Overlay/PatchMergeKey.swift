import PlanModel

/// A patch's place in the whole overlay's order: rule (its index in the rule set), then the
/// position of its `a` feature in its layer (checked features, file order), then its `b`
/// feature's (-1 for an `outside` patch, which has none). A whole run writes its patches in
/// this order; a `--tile K/N` slice writes the same order for its own patches and ends each
/// Feature with the key as the foreign member `"plan_check_order":[rule,a,b]` (RFC 7946 §6.1;
/// GDAL and QGIS ignore it), so that `plan-check merge` can interleave N slices into the whole
/// run's order by reading one Feature of each at a time.
public struct PatchMergeKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rule: Int
    public var a: Int
    public var b: Int

    /// What `a` and `b` count: the features' positions in their checked layers (a slice that
    /// reads every layer whole), or their GeoPackage fids (a slice that reads by region,
    /// `SliceReading`, knows no global position; fid order is the position order of a
    /// GeoPackage layer, so the merge order is the same).
    enum Order: Sendable {
        case positions
        case fids
    }

    /// The Feature member that carries the key in a slice's patch file.
    public static let memberName = "plan_check_order"

    public init(rule: Int, a: Int, b: Int) {
        self.rule = rule
        self.a = a
        self.b = b
    }

    init(_ patch: DiscrepancyPatch) {
        self.init(rule: patch.ruleIndex, a: patch.aIndex, b: patch.bIndex ?? -1)
    }

    /// `"plan_check_order":[rule,a,b]` as a Feature member.
    var member: Attribute {
        Attribute(Self.memberName, .array([.integer(Int64(rule)), .integer(Int64(a)), .integer(Int64(b))]))
    }

    public static func < (x: PatchMergeKey, y: PatchMergeKey) -> Bool {
        (x.rule, x.a, x.b) < (y.rule, y.a, y.b)
    }

    /// "[rule,a,b]", as in the file.
    public var description: String { "[\(rule),\(a),\(b)]" }

    /// The key at the end of a Feature's text (`…,"plan_check_order":[r,a,b]}`, without the
    /// `,` that separates it from the next Feature) and where its member starts (the `,` before
    /// it): the Feature without its key is `text[..<start] + "}"`. Nil when the text does not
    /// end so.
    static func parse(featureText text: ArraySlice<UInt8>) -> (key: PatchMergeKey, memberStart: Int)? {
        // Backwards: "]}", three integers separated by ",", "[", then the member's name.
        var i = text.endIndex - 1
        guard i - 1 > text.startIndex, text[i] == UInt8(ascii: "}"), text[i - 1] == UInt8(ascii: "]") else { return nil }
        i -= 2
        var numbers: [Int] = []
        while numbers.count < 3 {
            var value = 0, scale = 1, digits = 0
            while i >= text.startIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[i]), digits < 18 {
                value += Int(text[i] - UInt8(ascii: "0")) * scale
                scale *= 10
                digits += 1
                i -= 1
            }
            guard digits > 0, i >= text.startIndex else { return nil }
            if text[i] == UInt8(ascii: "-") {
                value = -value
                i -= 1
                guard i >= text.startIndex else { return nil }
            }
            numbers.append(value)
            let separator = numbers.count < 3 ? UInt8(ascii: ",") : UInt8(ascii: "[")
            guard text[i] == separator else { return nil }
            i -= 1
        }
        let name = Array(",\"\(memberName)\":".utf8)
        let start = i - name.count + 1
        guard start > text.startIndex, text[start...i].elementsEqual(name) else { return nil }
        let key = PatchMergeKey(rule: numbers[2], a: numbers[1], b: numbers[0])
        guard key.rule >= 0, key.a >= 0, key.b >= -1 else { return nil }
        return (key, start)
    }
}
