import CGEOS
import PlanModel

/// A read-only spatial index over the bounding boxes of items 0..<count, for finding candidate
/// pairs before an exact test (like shapely's `STRtree`). Wraps a GEOS STRtree
/// (`GEOSSTRtree_create_r`, `GEOSSTRtree_insert_r`, `GEOSSTRtree_query_r`, `GEOSSTRtree_destroy_r`).
///
/// All items are inserted in `init`; there is no public insert. That matters: GEOS 3.11 builds
/// the tree on the first query (it has no `GEOSSTRtree_build_r`), and inserting after that
/// silently corrupts it. To add items, build a new index.
///
/// Items are stored in the tree as their index encoded in the pointer value
/// (`UnsafeMutableRawPointer(bitPattern: index + 1)`), so the tree never points at Swift memory.
/// The geometries whose envelopes were inserted are kept alive as long as the tree.
///
/// Not `Sendable`: build one per task.
public final class SpatialIndex {
    /// The context the tree and its rectangles live in; queries must use geometries from it.
    public let context: GeometryContext
    private let tree: OpaquePointer
    /// Geometries whose envelopes are in the tree (owned here or by the caller's `Geometry`).
    private let keptAlive: [Geometry]
    /// Number of items (including empty ones, which are never returned).
    public let count: Int

    private init(context: GeometryContext, items: [Geometry?], nodeCapacity: Int) throws {
        self.context = context
        self.count = items.count
        tree = try context.pointer("GEOSSTRtree_create_r") { GEOSSTRtree_create_r($0, max(nodeCapacity, 2)) }
        keptAlive = items.compactMap { $0 }
        do {
            for (i, item) in items.enumerated() {
                guard let item else { continue }
                try context.void("GEOSSTRtree_insert_r") {
                    GEOSSTRtree_insert_r($0, tree, item.handle, UnsafeMutableRawPointer(bitPattern: i + 1))
                }
            }
        } catch {
            GEOSSTRtree_destroy_r(context.handle, tree)
            throw error
        }
    }

    /// Indexes bounding boxes (CRS units); item `i` is `envelopes[i]`. Empty envelopes are
    /// counted but never returned. Each box becomes a GEOS rectangle
    /// (`GEOSGeom_createRectangle_r`) that the index owns.
    public convenience init(envelopes: [Envelope], context: GeometryContext, nodeCapacity: Int = 10) throws {
        let boxes: [Geometry?] = try envelopes.map { e in
            e.isEmpty ? nil : try Geometry.rectangle(e, context: context)
        }
        try self.init(context: context, items: boxes, nodeCapacity: nodeCapacity)
    }

    /// Indexes the envelopes of geometries (all from `context`); item `i` is `geometries[i]`.
    /// Empty geometries are counted but never returned. The geometries are kept alive.
    public convenience init(geometries: [Geometry], context: GeometryContext, nodeCapacity: Int = 10) throws {
        var items: [Geometry?] = []
        items.reserveCapacity(geometries.count)
        for (i, g) in geometries.enumerated() {
            guard g.context === context else {
                throw GeometryError.input(GeometryInputProblem(kind: .differentContexts, path: "geometry \(i)"))
            }
            items.append(try g.isEmpty() ? nil : g)
        }
        try self.init(context: context, items: items, nodeCapacity: nodeCapacity)
    }

    deinit {
        GEOSSTRtree_destroy_r(context.handle, tree)
    }

    /// Indices (ascending) of the items whose envelope intersects `envelope` (CRS units;
    /// touching counts). Candidates only: test the geometries themselves for an exact answer.
    /// Wraps `GEOSSTRtree_query_r` with a rectangle from `GEOSGeom_createRectangle_r`.
    public func query(_ envelope: Envelope) throws -> [Int] {
        if envelope.isEmpty { return [] }
        return try query(Geometry.rectangle(envelope, context: context))
    }

    /// Indices (ascending) of the items whose envelope intersects the envelope of `geometry`.
    /// Candidates only. Wraps `GEOSSTRtree_query_r`.
    public func query(_ geometry: Geometry) throws -> [Int] {
        guard geometry.context === context else {
            throw GeometryError.input(GeometryInputProblem(kind: .differentContexts))
        }
        var hits: [Int] = []
        try withUnsafeMutablePointer(to: &hits) { hitsPointer in
            try context.void("GEOSSTRtree_query_r") {
                GEOSSTRtree_query_r($0, tree, geometry.handle, { item, userdata in
                    guard let userdata else { return }
                    userdata.assumingMemoryBound(to: [Int].self).pointee.append(Int(bitPattern: item) - 1)
                }, hitsPointer)
            }
        }
        hits.sort()
        return hits
    }
}

@available(*, unavailable, message: "A spatial index belongs to one context and task")
extension SpatialIndex: Sendable {}

extension Geometry {
    /// The rectangle covering `envelope` (a point or line when it has no width or height).
    /// Wraps `GEOSGeom_createRectangle_r`.
    public static func rectangle(_ envelope: Envelope, context: GeometryContext) throws -> Geometry {
        let h = try context.pointer("GEOSGeom_createRectangle_r") {
            GEOSGeom_createRectangle_r($0, envelope.minX, envelope.minY, envelope.maxX, envelope.maxY)
        }
        return Geometry(owning: h, context: context)
    }
}
