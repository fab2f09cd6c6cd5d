import Foundation
import PlanCheckKit

/// A site sent as the request body: GeoJSON, read from the bytes, or a site file in another
/// format plan-check reads (a zipped Shapefile, a GeoPackage, KML, GML, FlatGeobuf), written to a
/// private temporary file of the right extension for the readers (GDAL wants a file) and removed
/// at once. Either way the answer names the site `request body` and hashes the body's bytes.
struct SiteUpload: Sendable {
    /// The file extension for a body that is not GeoJSON; nil for GeoJSON.
    let fileExtension: String?

    /// Media types of site files besides GeoJSON, and the extension the readers know them by.
    static let fileTypes = [
        "application/zip": "zip", "application/x-zip-compressed": "zip",
        "application/geopackage+sqlite3": "gpkg", "application/vnd.google-earth.kml+xml": "kml",
        "application/gml+xml": "gml", "application/flatgeobuf": "fgb",
    ]

    init(contentType: String?) {
        fileExtension = contentType.flatMap { Self.fileTypes[Self.mediaType(of: $0)] }
    }

    /// `application/zip` of `application/zip; charset=binary`, lower-cased.
    static func mediaType(of contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The site in `body`; read errors name `request body (.zip)` instead of the temporary file.
    func read(_ body: [UInt8]) throws -> QuerySite {
        guard let fileExtension else { return try QuerySite.read(bytes: body, name: QueryService.siteName) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-check-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("site.\(fileExtension)")
        guard FileManager.default.createFile(atPath: file.path, contents: Data(body)) else {
            throw SiteUploadError(message: "cannot write the uploaded site to \(folder.path)", exitStatus: .cannotWrite)
        }
        do {
            var site = try QuerySite.read(path: file.path)
            site.name = QueryService.siteName
            return site
        } catch {
            let failure = Failure(error)
            throw SiteUploadError(
                message: failure.message.replacingOccurrences(of: file.path, with: "\(QueryService.siteName) (.\(fileExtension))")
                    .replacingOccurrences(of: folder.path, with: QueryService.siteName),
                exitStatus: failure.status)
        }
    }
}

/// A site file sent as the body could not be read: the reader's error with the body's name in
/// place of the temporary file's, and the reader's exit status (65 for a broken file).
struct SiteUploadError: PlanCheckFailure {
    var message: String
    var exitStatus: ExitStatus
    var description: String { message }
}
