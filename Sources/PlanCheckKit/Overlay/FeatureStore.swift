import Foundation
import PlanModel
import PlanStore
import Synchronization

/// Where the overlay keeps the layers' kept features (`overlay --feature-store`).
public enum FeatureStoreMode: String, Sendable, CaseIterable, Codable {
    /// Disk when the layer files together exceed `FeatureStore.autoDiskThreshold` and every
    /// output is written as the patches are made; memory otherwise.
    case auto
    /// Every feature in memory (needed by --html, --districts, --dissolve, --dispositions and a
    /// GeoPackage, Shapefile or File Geodatabase --out).
    case memory
    /// Features in a temporary SQLite file (`plan-check-store-*.sqlite` in --store-dir); memory
    /// holds about 40 bytes per feature (envelope, class code and classes).
    case disk
}

/// A temporary SQLite file holding the kept features of an overlay's layers after check,
/// repair, reprojection to the working CRS and classification (`StoredFeature`, one row each,
/// by position). Removed by `remove()`, which the overlay calls at its end and on every error;
/// a killed process leaves it behind (`plan-check-store-*.sqlite`).
public final class FeatureStore: Sendable {
    /// Layer files larger than this together (bytes) go to disk under `--feature-store auto`.
    public static let autoDiskThreshold = 512 << 20

    public let path: String

    /// A fresh store path in `directory`: `plan-check-store-PID-RANDOM.sqlite`.
    public init(directory: String) {
        Self.removeStale(in: directory)
        let name = "plan-check-store-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        path = (directory as NSString).appendingPathComponent(name)
        register()
    }

    /// The store directory by default: `$TMPDIR`, else `/tmp`.
    public static var defaultDirectory: String {
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// The file's size in bytes (0 when it is gone).
    public var sizeInBytes: Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Deletes the file (and any SQLite side file); nothing when it is already gone.
    public func remove() {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
        Self.live.withLock { $0.remove(path) }
    }

    /// Adds the store to the list of live stores (`removeLive()`).
    func register() { Self.live.withLock { _ = $0.insert(path) } }

    /// The stores of this process not yet removed.
    private static let live = Mutex<Set<String>>([])

    /// Deletes every store of this process not yet removed: for a signal handler that ends the
    /// process (the `defer` that removes a store does not run then).
    public static func removeLive() {
        for path in live.withLock({ $0 }) { unlink(path) }
    }

    /// Deletes the store files in `directory` left by processes that no longer run (killed
    /// with `kill -9`, or by the kernel): `plan-check-store-PID-N.sqlite` whose PID is gone.
    /// A store of a live process (this one or another run) is left alone.
    static func removeStale(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix("plan-check-store-") && name.hasSuffix(".sqlite") {
            let fields = name.dropFirst("plan-check-store-".count).split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink((directory as NSString).appendingPathComponent(name))
            }
        }
    }
}

/// A failure to create or fill the feature store's file (a full disk, a store directory that
/// cannot be written): exit 74, naming the file.
public struct FeatureStoreError: PlanCheckFailure {
    public var path: String
    public var underlying: any Error

    public var exitStatus: ExitStatus { .cannotWrite }
    public var description: String {
        "feature store \(path): cannot write it (\(underlying)); give --store-dir a folder with room (about the layers' size), or --feature-store memory"
    }

    /// Runs `body`, turning a store (SQLite) failure into a `FeatureStoreError` for `path`.
    static func wrapping<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as StoreError { throw FeatureStoreError(path: path, underlying: error) }
    }
}

/// One kept feature as the store holds it: everything a patch takes from its source feature
/// except the class code (kept in memory, `FeatureCatalog`); the geometry in the working CRS.
struct StoredFeature: Sendable {
    var id: FeatureID
    /// What patch ids are built from (`OverlayLayer.identifiers`).
    var identifier: String
    var attributes: [Attribute]
    var geometry: GeometryValue
}

/// A layer whose kept features are in a `FeatureStore`; what stays in memory is its catalog.
public struct StoredLayer: Sendable {
    public let store: FeatureStore
    /// The layer's table number in the store.
    let number: Int
    /// Envelopes, codes and classes of the kept features, by position.
    var catalog: FeatureCatalog
    /// Features the file held (kept or not).
    public var featuresRead: Int
}

/// What the overlay keeps in memory of each stored feature, by position: its envelope
/// (working CRS), its raw class code and its classes, the last two interned (a plan layer has
/// few distinct codes): about 40 bytes per feature.
struct FeatureCatalog: Sendable {
    var envelopes: [Envelope] = []
    var codes = InternedColumn<String?>()
    var classes = InternedColumn<[String]>()

    var count: Int { envelopes.count }

    mutating func append(envelope: Envelope, code: String?, classes list: [String]) {
        envelopes.append(envelope)
        codes.append(code)
        classes.append(list)
    }
}

/// A column of values with few distinct ones: each value once, and a 32-bit index per row.
struct InternedColumn<Value: Hashable & Sendable>: Sendable {
    private(set) var distinct: [Value] = []
    private var lookup: [Value: Int32] = [:]
    private var rows: [Int32] = []

    var count: Int { rows.count }

    subscript(row: Int) -> Value { distinct[Int(rows[row])] }

    mutating func append(_ value: Value) {
        if let known = lookup[value] { rows.append(known); return }
        let index = Int32(distinct.count)
        distinct.append(value)
        lookup[value] = index
        rows.append(index)
    }

    /// How many rows hold each distinct value, in the order of `distinct`.
    var counts: [Int] {
        var counts = [Int](repeating: 0, count: distinct.count)
        for row in rows { counts[Int(row)] += 1 }
        return counts
    }

    init() {}

    init(_ values: [Value]) {
        for value in values { append(value) }
    }
}

/// The byte layout of a `StoredFeature`'s record (all but the geometry, which is WKB): the id,
/// the identifier and the attributes, every value exactly as read (doubles bit for bit).
enum StoredFeatureRecord {
    static func encode(id: FeatureID, identifier: String, attributes: [Attribute]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + attributes.count * 24)
        switch id {
        case .int(let i): out.append(0); put(UInt64(bitPattern: i), &out)
        case .string(let s): out.append(1); put(s, &out)
        }
        put(identifier, &out)
        put(attributes, &out)
        return out
    }

    /// The feature of `record` and `geometry` (WKB).
    static func decode(record: UnsafeRawBufferPointer, geometry: UnsafeRawBufferPointer) throws -> StoredFeature {
        var reader = Reader(bytes: record)
        let id: FeatureID = try reader.byte() == 0 ? .int(Int64(bitPattern: try reader.uint64())) : .string(try reader.string())
        let identifier = try reader.string()
        let attributes = try reader.attributes()
        return StoredFeature(id: id, identifier: identifier, attributes: attributes,
                             geometry: try WKB.decodeWithDetails(geometry).geometry)
    }

    private static func put(_ v: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put(_ s: String, _ out: inout [UInt8]) {
        put(UInt64(s.utf8.count), &out)
        out.append(contentsOf: s.utf8)
    }

    private static func put(_ attributes: [Attribute], _ out: inout [UInt8]) {
        put(UInt64(attributes.count), &out)
        for attribute in attributes {
            put(attribute.name, &out)
            put(attribute.value, &out)
        }
    }

    private static func put(_ value: AttributeValue, _ out: inout [UInt8]) {
        switch value {
        case .null: out.append(0)
        case .bool(let b): out.append(1); out.append(b ? 1 : 0)
        case .integer(let i): out.append(2); put(UInt64(bitPattern: i), &out)
        case .double(let d): out.append(3); put(d.bitPattern, &out)
        case .string(let s): out.append(4); put(s, &out)
        case .array(let values):
            out.append(5)
            put(UInt64(values.count), &out)
            for v in values { put(v, &out) }
        case .object(let members): out.append(6); put(members, &out)
        case .blob(let bytes): out.append(7); put(UInt64(bytes.count), &out); out.append(contentsOf: bytes)
        }
    }

    /// Reads what `encode` wrote; a short or unknown record is a store failure.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        /// A record that is not what `encode` wrote: the scratch file was changed under the run
        /// (exit 70, plan-check's own failure).
        struct Malformed: PlanCheckFailure {
            var offset: Int
            var exitStatus: ExitStatus { .software }
            var description: String { "feature store: malformed feature record at byte \(offset)" }
        }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed(offset: offset) }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint64() throws -> UInt64 {
            guard offset + 8 <= bytes.count else { throw Malformed(offset: offset) }
            var v: UInt64 = 0
            withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 8])) }
            offset += 8
            return UInt64(littleEndian: v)
        }

        mutating func count() throws -> Int {
            let n = try uint64()
            guard n <= UInt64(bytes.count - offset) else { throw Malformed(offset: offset) }
            return Int(n)
        }

        mutating func string() throws -> String {
            let n = try count()
            guard offset + n <= bytes.count else { throw Malformed(offset: offset) }
            defer { offset += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
        }

        mutating func attributes() throws -> [Attribute] {
            let n = try count()
            var out: [Attribute] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(Attribute(try string(), try value())) }
            return out
        }

        mutating func value() throws -> AttributeValue {
            switch try byte() {
            case 0: return .null
            case 1: return .bool(try byte() != 0)
            case 2: return .integer(Int64(bitPattern: try uint64()))
            case 3: return .double(Double(bitPattern: try uint64()))
            case 4: return .string(try string())
            case 5:
                let n = try count()
                var values: [AttributeValue] = []
                for _ in 0..<n { values.append(try value()) }
                return .array(values)
            case 6: return .object(try attributes())
            case 7:
                let n = try count()
                guard offset + n <= bytes.count else { throw Malformed(offset: offset) }
                defer { offset += n }
                return .blob(Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])))
            default: throw Malformed(offset: offset - 1)
            }
        }
    }
}

/// Reads stored features for one task, through its own read-only connection.
final class StoredFeatureReader {
    private let reader: FeatureStoreReader

    /// Positions at most this far apart are read by one range statement: the rows between
    /// them are stepped over (not decoded), which costs less than a statement per feature.
    static let rangeGap = 8

    init(_ store: FeatureStore) throws {
        reader = try FeatureStoreFile.open(store.path)
    }

    /// The feature at `position` of `layer`.
    func feature(_ position: Int, of layer: StoredLayer) throws -> StoredFeature {
        var found: StoredFeature?
        let exists = try reader.withFeature(layer: layer.number, position: position) { record, geometry in
            found = try StoredFeatureRecord.decode(record: record, geometry: geometry)
        }
        guard exists, let found else { throw Self.missing(position, of: layer) }
        return found
    }

    /// The features at `positions` (ascending, distinct) of `layer`, in that order.
    func features(_ positions: [Int], of layer: StoredLayer) throws -> [StoredFeature] {
        var out: [StoredFeature] = []
        out.reserveCapacity(positions.count)
        try forEachFeature(positions, of: layer) { _, feature in out.append(feature) }
        return out
    }

    /// Calls `body` with each feature at `positions` (ascending, distinct) of `layer`, in that
    /// order, reading runs of positions at most `rangeGap` apart with one statement each.
    func forEachFeature(_ positions: [Int], of layer: StoredLayer, _ body: (Int, StoredFeature) throws -> Void) throws {
        var start = 0
        while start < positions.count {
            var end = start
            while end + 1 < positions.count, positions[end + 1] - positions[end] <= Self.rangeGap { end += 1 }
            var next = start
            try reader.forEachFeature(layer: layer.number, positions: positions[start]...positions[end]) { position, record, geometry in
                guard next <= end, position == positions[next] else { return }  // a row between two wanted ones
                try body(position, try StoredFeatureRecord.decode(record: record, geometry: geometry))
                next += 1
            }
            guard next > end else { throw Self.missing(positions[next], of: layer) }
            start = end + 1
        }
    }

    /// A wanted feature the store does not hold: the scratch file was changed under the run.
    private static func missing(_ position: Int, of layer: StoredLayer) -> FeatureStoreError {
        FeatureStoreError(path: layer.store.path, underlying: StoredFeatureRecord.Reader.Malformed(offset: position))
    }
}

@available(*, unavailable) extension StoredFeatureReader: Sendable {}

extension FeatureStoreFile {
    static func open(_ path: String) throws -> FeatureStoreReader { try FeatureStoreReader(path: path) }
}

/// Stored features a worker has read, by position, in two generations of at most `limit`
/// features each: a lookup sees both. A chunk's features are moved into the newer generation
/// before it runs (`missing`), so a generation turned over drops only features no recent chunk
/// used: the older one is dropped, the newer becomes the older.
struct StoredFeatureCache {
    let limit: Int
    private var newer: [Int: StoredFeature] = [:]
    private var older: [Int: StoredFeature] = [:]

    init(limit: Int) { self.limit = limit }

    subscript(position: Int) -> StoredFeature? { newer[position] ?? older[position] }

    /// Of `positions` (ascending, distinct, at most `limit`), those not held (ascending); the
    /// others are now in the newer generation, and there is room in it for the ones returned,
    /// which the caller reads and `insert`s.
    mutating func missing(_ positions: [Int]) -> [Int] {
        var absent = positions.filter { newer[$0] == nil }
        if newer.count + absent.count > limit {
            turnOver()
            absent = positions
        }
        var unknown: [Int] = []
        for position in absent {
            if let known = older[position] { newer[position] = known } else { unknown.append(position) }
        }
        return unknown
    }

    /// Adds a feature read from the store (turning the generations over when the newer is full).
    mutating func insert(_ feature: StoredFeature, at position: Int) {
        if newer.count >= limit { turnOver() }
        newer[position] = feature
    }

    private mutating func turnOver() {
        older = newer
        newer = [:]
        newer.reserveCapacity(limit)
    }
}
