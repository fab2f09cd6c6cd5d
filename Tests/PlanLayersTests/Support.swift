#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PlanLayers
import PlanModel

/// Reads GeoJSON text as if it were the file `test.geojson`.
func readGeoJSON(_ text: String, path: String = "test.geojson") throws -> Layer {
    try GeoJSONReader.read(bytes: Array(text.utf8), path: path)
}

/// The LayerReadError that reading `text` throws, or nil when it reads.
func readError(_ text: String) -> LayerReadError? {
    do {
        _ = try readGeoJSON(text)
        return nil
    } catch let error as LayerReadError {
        return error
    } catch {
        return nil
    }
}

/// A FeatureCollection of one feature with `geometry` (JSON text) and no properties.
func collection(geometry: String) -> String {
    #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":\#(geometry)}]}"#
}

/// A fresh directory under /tmp for files a test writes.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/plan-layers-tests-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Writes `text` to `path`.
func writeFile(_ path: String, _ text: String) {
    let file = fopen(path, "w")
    precondition(file != nil, "cannot write \(path)")
    _ = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress!, 1, $0.count - 1, file) }
    fclose(file)
}

/// `strtod` on `text`: the reference every number the reader parses must equal.
func strtodReference(_ text: String) -> Double {
    text.withCString { strtod($0, nil) }
}
