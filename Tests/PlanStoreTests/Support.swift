import Foundation
import Testing
@testable import PlanStore
import PlanModel

/// The committed fixtures (see Fixtures/README.md), found next to this file.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static var parcels: String { path("parcels.gpkg") }
    static var parcelsBigEndian: String { path("parcels-bigendian.gpkg") }
    static var wellsZ: String { path("wells-z.gpkg") }
}

/// A fresh temporary directory, removed when the returned object is released.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("plancheck-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Copies a fixture here and returns the copy's path.
    func copy(_ fixture: String, as name: String) throws -> String {
        let destination = path(name)
        try FileManager.default.copyItem(atPath: fixture, toPath: destination)
        return destination
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}
