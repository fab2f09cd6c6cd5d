internal import CPROJ
import PlanModel

/// Transforms positions from one CRS to another (a PROJ coordinate operation, `PJ*`).
///
/// Made by `CRSContext.transformer(from:to:)` and cached there; it belongs to that context and
/// must stay on its task. Axis order is normalised (`proj_normalize_for_visualization`): every
/// position goes in and comes out with x = easting/longitude and y = northing/latitude, in the
/// CRSs' units (metres or degrees), whatever order the authority defines.
public final class Transformer {
    /// The CRS the input positions are in.
    public let source: CRSDescription
    /// The CRS the output positions are in.
    public let target: CRSDescription
    /// True when PROJ knows no datum transformation between the two CRSs and uses a "ballpark"
    /// one that ignores the datum shift (e.g. Xian 1980 → CGCS2000: errors of tens of metres);
    /// nil when PROJ cannot say (it chose among several candidate operations).
    /// From `proj_coordoperation_has_ballpark_transformation`.
    public let usesBallparkTransformation: Bool?
    /// The operation's accuracy in metres as the PROJ database states it (0 for pure
    /// conversions such as a projection); nil when unknown. From `proj_coordoperation_get_accuracy`.
    public let accuracy: Double?
    private let operation: NativeObject

    /// `proj_create_crs_to_crs_from_pj`, then `proj_normalize_for_visualization`.
    init(source: CRSDescription, target: CRSDescription,
         sourceObject: NativeObject, targetObject: NativeObject, context: NativeContext) throws {
        self.source = source
        self.target = target
        let what = "find a transformation from \(source) to \(target)"
        let raw = try context.object("proj_create_crs_to_crs_from_pj", operation: what, kind: .noTransformation) { ctx in
            proj_create_crs_to_crs_from_pj(ctx, sourceObject.pointer, targetObject.pointer, nil, nil)
        }
        operation = try context.object("proj_normalize_for_visualization", operation: what) { ctx in
            proj_normalize_for_visualization(ctx, raw.pointer)
        }
        context.clearMessages()
        switch proj_coordoperation_has_ballpark_transformation(context.pointer, operation.pointer) {
        case 1: usesBallparkTransformation = true
        case 0 where context.messages.isEmpty: usesBallparkTransformation = false
        default: usesBallparkTransformation = nil
        }
        let stated = proj_coordoperation_get_accuracy(context.pointer, operation.pointer)
        accuracy = stated >= 0 ? stated : nil
        context.clearMessages()
    }

    /// PROJ's description of the operation it will use (`proj_get_name`), e.g.
    /// "Inverse of CGCS2000 to WGS 84 (1) + ..." or "3-degree Gauss-Kruger zone 41".
    public var operationName: String { operation.name }

    /// Transforms one position (`proj_trans_generic` on one coordinate).
    /// - Throws: `CRSError` `.nonFiniteResult` naming the position when PROJ cannot transform it.
    public func transform(_ position: Position) throws -> Position {
        try transform([position])[0]
    }

    /// Transforms positions in bulk, in one `proj_trans_generic` call over the array (strided,
    /// no copies into separate x and y arrays).
    /// - Throws: `CRSError` `.nonFiniteResult` naming the first position (index and coordinates)
    ///   that did not transform to finite numbers (PROJ returns HUGE_VAL there), with PROJ's message.
    public func transform(_ positions: [Position]) throws -> [Position] {
        try transform(positions, part: nil)
    }

    /// The bulk transform; `part` names the ring or line in a geometry for error messages.
    private func transform(_ positions: [Position], part: @autoclosure () -> String?) throws -> [Position] {
        guard !positions.isEmpty else { return positions }
        operation.context.clearMessages()
        proj_errno_reset(operation.pointer)
        var result = positions
        let stride = MemoryLayout<Position>.stride
        let xOffset = MemoryLayout<Position>.offset(of: \Position.x)!
        let yOffset = MemoryLayout<Position>.offset(of: \Position.y)!
        result.withUnsafeMutableBufferPointer { buffer in
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            let xs = (raw + xOffset).assumingMemoryBound(to: Double.self)
            let ys = (raw + yOffset).assumingMemoryBound(to: Double.self)
            _ = proj_trans_generic(
                operation.pointer, PJ_FWD,
                xs, stride, buffer.count,
                ys, stride, buffer.count,
                nil, 0, 0,
                nil, 0, 0)
        }
        if let bad = result.firstIndex(where: { !$0.x.isFinite || !$0.y.isFinite }) {
            let p = positions[bad]
            let errno = proj_errno(operation.pointer)
            let message = p.x.isFinite && p.y.isFinite
                ? operation.context.failureMessage(errno: errno)
                : "the input position is not finite"
            throw CRSError(
                kind: .nonFiniteResult,
                operation: "transform position \(bad)\(part().map { " of " + $0 } ?? "") (x: \(p.x), y: \(p.y)) from \(source) to \(target)",
                message: message, function: "proj_trans_generic")
        }
        return result
    }

    /// Transforms `count` positions held as separate x and y arrays, in place, in one
    /// `proj_trans_generic` call. Returns false when some result is not finite (the caller then
    /// uses `transform(_:)` for the error that names the position).
    func transformInPlace(xs: UnsafeMutablePointer<Double>, ys: UnsafeMutablePointer<Double>, count: Int) -> Bool {
        guard count > 0 else { return true }
        operation.context.clearMessages()
        proj_errno_reset(operation.pointer)
        let stride = MemoryLayout<Double>.stride
        _ = proj_trans_generic(operation.pointer, PJ_FWD, xs, stride, count, ys, stride, count, nil, 0, 0, nil, 0, 0)
        for i in 0..<count where !xs[i].isFinite || !ys[i].isFinite { return false }
        return true
    }

    /// Transforms every position of a geometry (every part, ring and collection member), one bulk
    /// `proj_trans_generic` call per ring or line. The structure (and unclosed rings) stay as given.
    /// - Throws: `CRSError` `.nonFiniteResult` naming the position that failed.
    public func transform(_ geometry: GeometryValue) throws -> GeometryValue {
        try transform(geometry, path: "")
    }

    /// Recursion over the geometry; `path` names the member of a collection ("member 2 ").
    private func transform(_ geometry: GeometryValue, path: String) throws -> GeometryValue {
        switch geometry {
        case .point(let p):
            return .point(try p.map { try transform([$0], part: path + "point")[0] })
        case .lineString(let line):
            return .lineString(try transform(line, part: path + "line"))
        case .polygon(let rings):
            return .polygon(try rings.enumerated().map { r, ring in
                try transform(ring, part: path + "ring \(r)")
            })
        case .multiPoint(let points):
            return .multiPoint(try transform(points, part: path + "multipoint"))
        case .multiLineString(let lines):
            return .multiLineString(try lines.enumerated().map { l, line in
                try transform(line, part: path + "line \(l)")
            })
        case .multiPolygon(let polygons):
            return .multiPolygon(try polygons.enumerated().map { k, rings in
                try rings.enumerated().map { r, ring in
                    try transform(ring, part: path + "polygon \(k) ring \(r)")
                }
            })
        case .geometryCollection(let members):
            return .geometryCollection(try members.enumerated().map { m, member in
                try transform(member, path: path + "member \(m) ")
            })
        }
    }
}

@available(*, unavailable) extension Transformer: Sendable {}
