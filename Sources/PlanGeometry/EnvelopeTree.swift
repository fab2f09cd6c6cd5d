import PlanModel

/// A read-only R-tree over bounding boxes, packed by Sort-Tile-Recursive (as GEOS's and
/// shapely's STRtree), in plain Swift values: Sendable, so one tree built per rule serves every
/// worker. `SpatialIndex` (a GEOS STRtree) holds each box as a GEOS rectangle, about 450 bytes
/// per item per worker: 45 MB per worker at 100 000 features; this holds 48 bytes per item, once.
public struct EnvelopeTree: Sendable {
    /// A node: its box, and the range of its children in the level below (items at the leaves).
    struct Node: Sendable {
        var box: Envelope
        var children: Range<Int>
    }

    /// Item boxes (CRS units) by item index.
    private let boxes: [Envelope]
    /// Non-empty item indices in leaf order (STR order).
    private let order: [Int]
    /// Levels of nodes from the leaves up; the last level has one node (or none when empty).
    private let levels: [[Node]]
    /// Most children of a node.
    private let capacity: Int
    /// Number of items (including empty ones, which are never returned).
    public var count: Int { boxes.count }

    /// Indexes `envelopes`; item `i` is `envelopes[i]`. Empty envelopes are counted but never
    /// returned. `nodeCapacity` children per node (10, as `SpatialIndex`).
    public init(envelopes: [Envelope], nodeCapacity: Int = 10) {
        boxes = envelopes
        let capacity = max(nodeCapacity, 2)
        self.capacity = capacity
        let items = envelopes.indices.filter { !envelopes[$0].isEmpty }
        // STR: sort by centre x, cut into ⌈√(leaves)⌉ vertical slices, sort each by centre y.
        let leafCount = (items.count + capacity - 1) / capacity
        let slices = max(1, Int(Double(leafCount).squareRoot().rounded(.up)))
        let perSlice = slices * capacity
        let byX = items.sorted { Self.centreX(envelopes[$0]) < Self.centreX(envelopes[$1]) || (Self.centreX(envelopes[$0]) == Self.centreX(envelopes[$1]) && $0 < $1) }
        var order: [Int] = []
        order.reserveCapacity(items.count)
        var start = 0
        while start < byX.count {
            let slice = byX[start..<min(start + perSlice, byX.count)]
            order += slice.sorted { Self.centreY(envelopes[$0]) < Self.centreY(envelopes[$1]) || (Self.centreY(envelopes[$0]) == Self.centreY(envelopes[$1]) && $0 < $1) }
            start += perSlice
        }
        self.order = order
        var levels: [[Node]] = []
        // Leaves over the ordered items, then parents over consecutive nodes (already compact).
        var level = Self.group(count: order.count, capacity: capacity) { envelopes[order[$0]] }
        while true {
            levels.append(level)
            if level.count <= 1 { break }
            let below = level
            level = Self.group(count: below.count, capacity: capacity) { below[$0].box }
        }
        self.levels = levels
    }

    /// Nodes over `count` consecutive entries, `capacity` each, with the union of their boxes.
    private static func group(count: Int, capacity: Int, box: (Int) -> Envelope) -> [Node] {
        stride(from: 0, to: count, by: capacity).map { start in
            let range = start..<min(start + capacity, count)
            var union = Envelope.empty
            for k in range { union.expand(toInclude: box(k)) }
            return Node(box: union, children: range)
        }
    }

    private static func centreX(_ e: Envelope) -> Double { (e.minX + e.maxX) / 2 }
    private static func centreY(_ e: Envelope) -> Double { (e.minY + e.maxY) / 2 }

    /// Indices (ascending) of the items whose box intersects `envelope` (touching counts), as
    /// `SpatialIndex.query(_:)` returns them. Candidates only: test the geometries themselves.
    ///
    /// Depth-first; a child goes on the stack only when its box meets `envelope`, and the stack
    /// lives on the call's stack frame (at most `capacity` nodes per level are waiting).
    public func query(_ envelope: Envelope) -> [Int] {
        guard !envelope.isEmpty, let root = levels.last?.first, root.box.intersects(envelope) else { return [] }
        var found: [Int] = []
        withUnsafeTemporaryAllocation(of: (depth: Int, node: Int).self, capacity: levels.count * capacity) { stack in
            stack[0] = (levels.count - 1, 0)
            var waiting = 1
            while waiting > 0 {
                waiting -= 1
                let (depth, node) = stack[waiting]
                let children = levels[depth][node].children
                if depth == 0 {
                    for k in children where boxes[order[k]].intersects(envelope) { found.append(order[k]) }
                    continue
                }
                for child in children where levels[depth - 1][child].box.intersects(envelope) {
                    stack[waiting] = (depth - 1, child)
                    waiting += 1
                }
            }
        }
        found.sort()
        return found
    }
}
