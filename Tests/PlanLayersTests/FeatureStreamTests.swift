#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import PlanLayers
import PlanModel
import Testing

/// The repository's root (SampleLayers/, Tests/Fixtures/).
private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Every feature of `stream`, and the error that ended it (nil when it ended normally).
private func drain(_ next: () throws -> Feature?) -> (features: [Feature], error: (any Error)?) {
    var features: [Feature] = []
    do {
        while let feature = try next() { features.append(feature) }
        return (features, nil)
    } catch {
        return (features, error)
    }
}

/// One feature as comparable values: id, attributes, geometry as WKB.
private func fingerprint(_ feature: Feature) -> String {
    "\(feature.id) \(feature.attributes) \(feature.geometry.map { WKB.encode($0) } ?? [])"
}

/// A file of `text` under a fresh folder.
private func temporaryFile(_ name: String, _ text: String) -> String {
    let path = makeTemporaryDirectory() + "/" + name
    writeFile(path, text)
    return path
}

/// The text of a /proc file (their size reads as 0, so Foundation's whole-file reads see nothing).
private func procText(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Open file descriptors and mappings of this process that point into `folder`.
private func handles(into folder: String) -> (descriptors: Int, mappings: Int) {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    let descriptors = fds.filter { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) ?? "").hasPrefix(folder) }.count
    let maps = procText("/proc/self/maps")
    return (descriptors, maps.split(separator: "\n").filter { $0.contains(folder) }.count)
}

@Suite("Feature streams: one feature at a time, the same as reading whole")
struct FeatureStreamTests {
    static let fixtures: [(path: String, layer: String?)] = [
        ("SampleLayers/urban.geojson", nil),
        ("SampleLayers/landuse.geojson", nil),
        ("SampleLayers/farmland.gpkg", nil),
        ("Tests/PlanStoreTests/Fixtures/wells-z.gpkg", nil),
        ("Tests/PlanStoreTests/Fixtures/parcels-bigendian.gpkg", "roads"),
        ("Tests/Fixtures/gdal/landuse-gbk/landuse.shp", nil),
        ("Tests/Fixtures/gdal/landuse-codepage/landuse.shp", nil),
        ("Tests/Fixtures/gdal/landuse-gbk.zip", nil),
        ("Tests/Fixtures/gdal/plans.gdb", "landuse"),
    ]

    @Test(arguments: fixtures.indices)
    func streamEqualsRead(_ index: Int) throws {
        let (relative, layerName) = Self.fixtures[index]
        let path = root + "/" + relative
        let whole = try LayerReader.read(path: path, layerName: layerName)
        let stream = try LayerReader.stream(path: path, layerName: layerName)
        // The header is complete before the first feature.
        #expect(stream.layer.features.isEmpty)
        #expect(stream.layer.name == whole.name)
        #expect(stream.layer.path == whole.path)
        #expect(stream.layer.format == whole.format)
        #expect(stream.layer.crs == whole.crs)
        #expect(stream.layer.declaredGeometryType == whole.declaredGeometryType)
        #expect(stream.layer.driver == whole.driver)
        #expect(stream.layer.textEncoding == whole.textEncoding)
        if whole.format != .geoJSON { #expect(stream.layer.fields == whole.fields) }
        var count = 0
        while let feature = try stream.next() {
            #expect(count < whole.features.count)
            guard count < whole.features.count else { break }
            #expect(fingerprint(feature) == fingerprint(whole.features[count]), "\(relative) feature \(count + 1)")
            count += 1
        }
        #expect(count == whole.features.count)
        #expect(count > 0)
        #expect(try stream.next() == nil)
        #expect(stream.fields == whole.fields)
        #expect(stream.readProblems == whole.readProblems)
        #expect(stream.droppedHigherDimensions == whole.droppedHigherDimensions)
    }

    @Test func crsAndNameAfterFeaturesAreKnownBeforeTheFirstFeature() throws {
        let path = temporaryFile("late.geojson", #"""
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"s":"] } [ \" {"},"geometry":{"type":"Point","coordinates":[1,2]}},
          {"type":"Feature","properties":{"s":"\\"},"geometry":null}
        ],"bbox":[0,0,1,1],"name":"城镇开发边界","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4529"}}}
        """#)
        let stream = try LayerReader.stream(path: path)
        #expect(stream.layer.crs == .identifier("urn:ogc:def:crs:EPSG::4529"))
        #expect(stream.layer.name == "城镇开发边界")
        let (features, error) = drain(stream.next)
        #expect(error == nil)
        #expect(features.map(\.attributes) == [[Attribute("s", .string("] } [ \" {"))], [Attribute("s", .string("\\"))]])
        #expect(try LayerReader.read(path: path).crs == stream.layer.crs)
    }

    /// Features with multi-byte UTF-8 (3-byte CJK, 4-byte emoji) and escapes, long enough that
    /// many cross a page boundary; some geometries malformed (problems with line:column).
    static func pageCrossingCollection(features: Int) -> String {
        var text = "{\"type\":\"FeatureCollection\",\"features\":[\n"
        for i in 1...features {
            let name = String(repeating: "耕地🌾", count: i % 97) + "\\u5730\\\"\(i)"
            let geometry = i % 13 == 0
                ? #"{"type":"Polygon","coordinates":[[[0,0],["x",1]]]}"#
                : "{\"type\":\"Polygon\",\"coordinates\":[[[\(i),0],[\(i).5,0.25],[\(i),1e-3],[\(i),0]]]}"
            text += "{\"type\":\"Feature\",\"properties\":{\"DLMC\":\"\(name)\",\"n\":\(i)},\"geometry\":\(geometry)}"
            text += i < features ? ",\n" : "\n"
        }
        return text + "],\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:4529\"}}}\n"
    }

    @Test func featuresAcrossWindowEdgesReadTheSame() throws {
        let text = Self.pageCrossingCollection(features: 600)
        let path = temporaryFile("pages.geojson", text)
        let inMemory = try GeoJSONReader.read(bytes: Array(text.utf8), path: path)
        // A 64-byte window: every feature is larger, so the window grows and moves all the time.
        let source = try GeoJSONFeatureSource(path: path, windowSize: 64)
        #expect(source.layer.crs == .identifier("EPSG:4529"))
        let (features, error) = drain(source.next)
        #expect(error == nil)
        #expect(text.utf8.count > 40 * 4096)
        #expect(features.map(fingerprint) == inMemory.features.map(fingerprint))
        #expect(source.readProblems == inMemory.readProblems)
        #expect(source.readProblems.count == 600 / 13)
        #expect(source.readProblems.first?.reason.hasPrefix("14:") == true)
        #expect(source.fields == inMemory.fields)
    }

    @Test func truncatedFileFailsAtTheCutAfterDeliveringTheFeaturesBefore() throws {
        let text = Self.pageCrossingCollection(features: 300)
        // Cut inside the 200th feature's properties.
        let cut = text.range(of: "\"n\":200")!.lowerBound
        let truncated = String(text[..<cut])
        let path = temporaryFile("cut.geojson", truncated)
        let stream = try LayerReader.stream(path: path)
        let (features, error) = drain(stream.next)
        #expect(features.count == 199)
        #expect(features.last?.attributes.last == Attribute("n", .integer(199)))
        let readError = try #require(error as? LayerReadError)
        guard case .syntax(let errorPath, let line, _, _) = readError else {
            Issue.record("expected a syntax error, got \(readError)")
            return
        }
        #expect(errorPath == path)
        #expect(line == 201)
        #expect(readError.description.hasPrefix(path + ":201:"))
        // The same error as reading whole and as reading in memory.
        #expect(throws: readError) { try LayerReader.read(path: path) }
        #expect(throws: readError) { try GeoJSONReader.read(bytes: Array(truncated.utf8), path: path) }
        // After the error the stream stays ended.
        #expect(try stream.next() == nil)
    }

    @Test func emptyFeatureCollectionStreamsNothing() throws {
        let path = temporaryFile("empty.geojson", #"{"type":"FeatureCollection","name":"空","features":[]}"#)
        let stream = try LayerReader.stream(path: path)
        #expect(stream.layer.name == "空")
        #expect(try stream.next() == nil)
        #expect(try stream.next() == nil)
        #expect(stream.fields.isEmpty && stream.readProblems.isEmpty)
        let empty = temporaryFile("zero.geojson", "")
        #expect(throws: LayerReadError.syntax(path: empty, line: 1, column: 1, message: "expected a JSON value, found end of file")) {
            try LayerReader.stream(path: empty)
        }
    }

    @Test func streamsOpenedAndDroppedEarlyLeaveNoFileOpen() throws {
        // Copies, so that other tests reading the fixtures at the same time do not count.
        let folder = makeTemporaryDirectory()
        var paths: [(String, String?)] = []
        for (relative, layer) in Self.fixtures {
            let copy = folder + "/\(paths.count)-" + (relative as NSString).lastPathComponent
            if relative.hasSuffix(".shp") {
                try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
                let source = (root + "/" + relative as NSString).deletingLastPathComponent
                for file in try FileManager.default.contentsOfDirectory(atPath: source) {
                    try FileManager.default.copyItem(atPath: source + "/" + file, toPath: copy + "/" + file)
                }
                paths.append((copy + "/landuse.shp", layer))
            } else {
                try FileManager.default.copyItem(atPath: root + "/" + relative, toPath: copy)
                paths.append((copy, layer))
            }
        }
        for _ in 0..<10 {
            for (path, layer) in paths {
                let stream = try LayerReader.stream(path: path, layerName: layer)
                #expect(try stream.next() != nil)
                #expect(handles(into: folder).descriptors + handles(into: folder).mappings > 0)
            }
        }
        let left = handles(into: folder)
        #expect(left.descriptors == 0)
        #expect(left.mappings == 0)
    }

    @Test func severalLayersNeedAName() throws {
        #expect(throws: LayerSourceError.self) { try LayerReader.stream(path: root + "/Tests/Fixtures/gdal/plans.gdb") }
    }

    @Test func windowStaysBoundedWhateverTheFileSize() throws {
        // About 24 MB: 64 blocks of 600 features without ids (ids are positions, all distinct).
        let feature = "{\"type\":\"Feature\",\"properties\":{\"DLMC\":\"水田\",\"BSM\":\"320100\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[" +
            (0..<40).map { "[\(500000 + $0).125,\(3800000 + $0 * 2).5]" }.joined(separator: ",") + ",[500000.125,3800000.5]]]}}"
        let block = Array(repeating: feature, count: 600).joined(separator: ",\n")
        let path = makeTemporaryDirectory() + "/big.geojson"
        let file = try #require(fopen(path, "w"))
        fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", file)
        for i in 0..<64 { fputs((i > 0 ? ",\n" : "") + block, file) }
        fputs("],\"name\":\"big\"}\n", file)
        fclose(file)
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 20_000_000)

        let interval = 2 << 20
        let source = try GeoJSONFeatureSource(path: path, windowSize: interval)
        #expect(source.layer.name == "big")
        var count = 0
        var peak = 0
        while try source.next() != nil {
            count += 1
            if count % 500 == 0 { peak = max(peak, source.windowCapacity) }
        }
        #expect(count == 64 * 600)
        #expect(peak > 0)
        // The window, never the file.
        #expect(peak == interval, "peak window \(peak) bytes of a \(size) byte file")
    }

    /// Streams a 600-feature file through a 4 KiB window, cuts it to `length` bytes after the
    /// first features, and reads on.
    private func readTruncated(at length: (Int) -> Int) throws -> (features: [Feature], error: (any Error)?, size: Int, cut: Int) {
        let text = Self.pageCrossingCollection(features: 600)
        let path = temporaryFile("shrinks.geojson", text)
        let size = text.utf8.count
        let source = try GeoJSONFeatureSource(path: path, windowSize: 4096)
        var features: [Feature] = []
        for _ in 0..<3 { if let feature = try source.next() { features.append(feature) } }
        let cut = length(size)
        #expect(truncate(path, off_t(cut)) == 0)
        let (rest, error) = drain(source.next)
        return (features + rest, error, size, cut)
    }

    @Test(arguments: [4096 * 8, 4096 * 8 + 123])
    func fileTruncatedWhileStreamedFailsWithBothSizes(cut: Int) throws {
        let result = try readTruncated { _ in cut }
        let error = try #require(result.error as? LayerReadError)
        guard case .unreadable(let path, let reason) = error else {
            Issue.record("expected 'changed while it was read', got \(error)")
            return
        }
        #expect(path.hasSuffix("shrinks.geojson"))
        #expect(reason == "changed while it was read: \(result.size) bytes when opened, \(cut) now")
        #expect(error.exitStatus == .noInput)
        #expect(!result.features.isEmpty && result.features.count < 600)
    }

    /// Bytes rewritten in place ahead of the window: the stream gives what the file holds now,
    /// as reading it whole afterwards does (features or the error at the same line:column).
    @Test(arguments: [false, true])
    func bytesRewrittenWhileStreamedReadAsTheFileNowHoldsThem(atAFeatureStart: Bool) throws {
        let text = Self.pageCrossingCollection(features: 600)
        let path = temporaryFile("rewritten.geojson", text)
        let source = try GeoJSONFeatureSource(path: path, windowSize: 4096)
        let first = try #require(try source.next())
        // At feature 300's '{' the JSON breaks; in the middle of the file the '#'s land in a
        // name and the JSON still parses (features merged into one).
        let offset = atAFeatureStart
            ? text.split(separator: "\n", omittingEmptySubsequences: false).prefix(300).reduce(0) { $0 + $1.utf8.count + 1 }
            : text.utf8.count / 2
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data(repeating: UInt8(ascii: "#"), count: 5000))
        try handle.close()
        let (rest, error) = drain(source.next)
        var now: Layer?
        var nowError: (any Error)?
        do { now = try GeoJSONReader.read(path: path) } catch { nowError = error }
        #expect(error.map { "\($0)" } == nowError.map { "\($0)" })
        if atAFeatureStart {
            let readError = try #require(error as? LayerReadError)
            guard case .syntax(_, let line, let column, _) = readError else {
                Issue.record("expected a syntax error at the rewritten bytes, got \(readError)")
                return
            }
            #expect(line == 301 && column == 1, "\(readError)")
            #expect(rest.count == 298)
        } else {
            let now = try #require(now)
            #expect(([first] + rest).map(fingerprint) == now.features.map(fingerprint))
            #expect(now.features.count < 600)
        }
    }

    @Test func errorsAcrossWindowEdgesKeepTheirPosition() throws {
        // A syntax error late in the file, read through windows of every size from 64 bytes.
        var text = Self.pageCrossingCollection(features: 120)
        let at = text.range(of: "\"n\":100")!.lowerBound
        text.replaceSubrange(at..<text.index(at, offsetBy: 4), with: "\"n\"=")
        let path = temporaryFile("late-error.geojson", text)
        var reference: String?
        do { _ = try GeoJSONReader.read(bytes: Array(text.utf8), path: path) } catch { reference = "\(error)" }
        let message = try #require(reference)
        for window in [64, 100, 1000, 4096, 5000] {
            let source = try GeoJSONFeatureSource(path: path, windowSize: window)
            let (features, error) = drain(source.next)
            #expect(features.count == 99, "window \(window)")
            #expect(error.map { "\($0)" } == message, "window \(window)")
        }
    }

    @Test func fileThatGrowsWhileStreamedIsReadAsOpened() throws {
        let text = Self.pageCrossingCollection(features: 300)
        let path = temporaryFile("grows.geojson", text)
        let whole = try GeoJSONReader.read(bytes: Array(text.utf8), path: path)
        let source = try GeoJSONFeatureSource(path: path, windowSize: 4096)
        let first = try #require(try source.next())
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        handle.write(Data("garbage that is not JSON".utf8))
        try handle.close()
        let (rest, error) = drain(source.next)
        #expect(error == nil)
        #expect(([first] + rest).map(fingerprint) == whole.features.map(fingerprint))
    }

    @Test func singleFeatureLargerThanTheWindow() throws {
        let ring = (0..<500).map { "[\($0).5,\($0 % 7)]" }.joined(separator: ",")
        let text = "{\"type\":\"Feature\",\"id\":\"地块🌾\",\"properties\":{\"DLMC\":\"水田\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[\(ring)]}}\n"
        let path = temporaryFile("single.geojson", text)
        let whole = try GeoJSONReader.read(bytes: Array(text.utf8), path: path)
        let source = try GeoJSONFeatureSource(path: path, windowSize: 64)
        let (features, error) = drain(source.next)
        #expect(error == nil)
        #expect(features.count == 1 && features.map(fingerprint) == whole.features.map(fingerprint))
        #expect(source.windowCapacity >= text.utf8.count)
    }
}
