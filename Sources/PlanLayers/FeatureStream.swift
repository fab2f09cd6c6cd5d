import PlanGDAL
import PlanModel
import PlanStore

/// One layer read feature by feature, in file order (`LayerReader.stream(path:layerName:options:)`).
///
/// Memory does not grow with the file: GeoJSON is read through a window that moves forward
/// (`FileWindow`), a GeoPackage is one prepared statement stepped, a GDAL source one
/// `OGR_L_GetNextFeature` at a time. `LayerReader.read` is this stream collected, so both
/// give the same features, problems and errors.
///
/// Not Sendable (native handles): one task reads a stream; releasing it early closes the file.
public final class FeatureStream {
    /// The layer's header: name, path, format, crs, declaredGeometryType, fields, driver,
    /// textEncoding; `features` is empty. Known as soon as the stream is open (before the first
    /// feature). GeoJSON declares no fields: its `fields` here is empty, see `fields`.
    public let layer: Layer
    /// Problems found while reading (same as `Layer.readProblems`), complete once next()
    /// returned nil.
    @exclusivity(unchecked) public private(set) var readProblems: [FeatureProblem] = []
    /// Same as `Layer.droppedHigherDimensions`, complete once next() returned nil.
    @exclusivity(unchecked) public private(set) var droppedHigherDimensions = false
    /// The fields as `LayerReader.read` gives them (same as `Layer.fields`): the declared ones
    /// for GeoPackage and GDAL sources (as in `layer`); for GeoJSON, the properties seen so far
    /// with their JSON types, complete once next() returned nil.
    public var fields: [Field] {
        if case .geoJSON(let source) = cursor { return source.fields }
        return layer.fields
    }

    /// Features read only as neighbours of a `--tile` slice's own features (a region read,
    /// `LayerRegion`), so far; empty for a whole layer.
    public var neighbours: Set<FeatureID> {
        if case .geoPackage(let source) = cursor { return source.neighbours }
        return []
    }

    /// True when the feature `id` was read as a neighbour (see `neighbours`), without copying the set.
    public func isNeighbour(_ id: FeatureID) -> Bool {
        if case .geoPackage(let source) = cursor { return source.neighbours.contains(id) }
        return false
    }

    private enum Cursor {
        case geoJSON(GeoJSONFeatureSource)
        case geoPackage(GeoPackageFeatureCursor)
        case gdal(GDALFeatureCursor)
    }

    private let cursor: Cursor

    init(_ source: GeoJSONFeatureSource) {
        layer = source.layer
        cursor = .geoJSON(source)
    }

    init(_ source: GeoPackageFeatureCursor) {
        layer = source.layer
        cursor = .geoPackage(source)
    }

    init(_ source: GDALFeatureCursor) {
        layer = source.layer
        cursor = .gdal(source)
    }

    /// The next feature, or nil at the end. Errors as `LayerReader.read` throws them
    /// (`LayerReadError`, `StoreError`, `GDALError`); after an error, nil.
    public func next() throws -> Feature? {
        let feature: Feature?
        switch cursor {
        case .geoJSON(let source):
            feature = try source.next()
            update(source.readProblems, source.droppedHigherDimensions)
        case .geoPackage(let source):
            feature = try source.next()
            update(source.readProblems, source.droppedHigherDimensions)
        case .gdal(let source):
            feature = try source.next()
            update(source.readProblems, source.droppedHigherDimensions)
        }
        return feature
    }

    /// Copies the problems that are new since the last call (they only grow).
    private func update(_ problems: [FeatureProblem], _ dropped: Bool) {
        if problems.count > readProblems.count { readProblems.append(contentsOf: problems[readProblems.count...]) }
        droppedHigherDimensions = dropped
    }

    /// Reads every remaining feature: the layer as `LayerReader.read` returns it.
    public func collect() throws -> Layer {
        var whole = layer
        while let feature = try next() { whole.features.append(feature) }
        whole.fields = fields
        whole.readProblems = readProblems
        whole.droppedHigherDimensions = droppedHigherDimensions
        whole.neighbours = neighbours
        return whole
    }
}

@available(*, unavailable) extension FeatureStream: Sendable {}
