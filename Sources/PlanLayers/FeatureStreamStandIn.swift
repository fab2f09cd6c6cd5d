import PlanModel

// STAND-IN for the `stream` branch's FeatureStream (same API), built on `LayerReader.read`:
// it holds the whole layer while it is streamed. Deleted when main has the real one.

/// The features of a layer file one at a time. Not Sendable.
public final class FeatureStream {
    /// The header (name, path, format, CRS, fields, ...); `features` is empty.
    public let layer: Layer
    private var features: [Feature]
    private var next_ = 0
    public private(set) var readProblems: [FeatureProblem]
    public private(set) var droppedHigherDimensions: Bool

    init(_ whole: Layer) {
        var header = whole
        header.features = []
        layer = header
        features = whole.features
        readProblems = whole.readProblems
        droppedHigherDimensions = whole.droppedHigherDimensions
    }

    /// The next feature, nil at the end.
    public func next() throws -> Feature? {
        guard next_ < features.count else { features = []; return nil }
        defer { next_ += 1 }
        return features[next_]
    }
}

@available(*, unavailable) extension FeatureStream: Sendable {}

extension LayerReader {
    public static func stream(path: String, layerName: String? = nil, options: LayerReadOptions = LayerReadOptions()) throws -> FeatureStream {
        FeatureStream(try read(path: path, layerName: layerName, options: options))
    }
}
