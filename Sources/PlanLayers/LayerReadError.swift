import PlanModel

/// Why a layer file could not be read at all. Problems that concern one feature are not errors:
/// the reader keeps the feature and lists the problem in `Layer.readProblems`.
///
/// Every case prints as one line that starts with the file (and line:column when known), e.g.
/// `plan.geojson:12:34: expected ',' or ']' after array element`.
public enum LayerReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No file at `path` (the command line exits 66, EX_NOINPUT).
    case fileNotFound(path: String)
    /// The file exists but could not be read (a directory, no permission, an I/O error).
    case unreadable(path: String, reason: String)
    /// The bytes are not valid JSON: what was expected at 1-based `line` and `column`
    /// (columns count characters).
    case syntax(path: String, line: Int, column: Int, message: String)
    /// Valid JSON that is not GeoJSON (no or an unknown top-level `type`, a feature that is not a
    /// Feature, `properties` that is not an object, a `crs` member of an unknown form).
    case notGeoJSON(path: String, line: Int, column: Int, reason: String)
    /// Two features have the same id; ids identify features in every report, so they must be
    /// unique. Features without an `id` member count as their 1-based position in the file.
    case duplicateFeatureID(path: String, id: FeatureID, line: Int, column: Int, firstLine: Int, firstColumn: Int)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .unreadable(let path, _), .syntax(let path, _, _, _),
             .notGeoJSON(let path, _, _, _), .duplicateFeatureID(let path, _, _, _, _, _):
            path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .syntax(let path, let line, let column, let message):
            "\(path):\(line):\(column): \(message)"
        case .notGeoJSON(let path, let line, let column, let reason):
            "\(path):\(line):\(column): not GeoJSON: \(reason)"
        case .duplicateFeatureID(let path, let id, let line, let column, let firstLine, let firstColumn):
            "\(path):\(line):\(column): feature id \(id) is used twice (first at \(firstLine):\(firstColumn)); feature ids must be unique"
        }
    }
}
