import Foundation
import PlanCheckKit
import PlanOutput

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
        if fileExtension == "zip" { try Self.checkUnzippedSize(body) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(Self.folderName())
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

extension SiteUpload {
    /// The private folder of one upload in the temporary folder, named as output temporaries
    /// are (`TemporaryName`) after this process and machine:
    /// `.plan-check-upload.plan-check-PID-RANDOM-HOST.tmp`.
    static func folderName() -> String {
        TemporaryName.make(for: folderStem, pid: getpid(), random: UInt32.random(in: 0...UInt32.max))
    }

    static let folderStem = "plan-check-upload"

    /// Removes the upload folders in `directory` left by servers of this machine that no longer
    /// run (killed with `kill -9` while reading a site: the folder is otherwise removed as soon as
    /// the site is read). A running server's folders, and another machine's, are left alone.
    /// Returns the paths removed.
    @discardableResult
    static func removeStaleFolders(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let owner = TemporaryName.parse(name, outputName: folderStem), owner.host == TemporaryName.host,
                  !TemporaryName.isRunning(owner.pid) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    /// What the files of a zipped site may add up to when unpacked (a Shapefile of 200 000
    /// vertices, the most a site may have, is about 4 MB).
    static let maxUnzippedBytes = 64 * 1024 * 1024

    /// Refuses a zip whose central directory declares more than ``maxUnzippedBytes`` (413), before
    /// GDAL unpacks anything: a few MB of zip can hold gigabytes (a zip bomb). GDAL's zip reader
    /// stops each file at its declared size, so the declared sizes bound what it unpacks.
    static func checkUnzippedSize(_ zip: [UInt8]) throws {
        guard let total = unzippedSize(zip) else {
            throw SiteUploadError(message: "\(QueryService.siteName) (.zip): not a zip archive plan-check can read (no end of its central directory, or a ZIP64 archive)", exitStatus: .dataError)
        }
        guard total <= maxUnzippedBytes else {
            throw RequestError(httpStatus: 413, "\(QueryService.siteName) (.zip): its files add up to \(total) bytes unpacked, more than the service unpacks (\(maxUnzippedBytes)); send the site's outline")
        }
    }

    /// The sum of the uncompressed sizes in a zip's central directory, or nil when the bytes have
    /// no readable central directory (or are ZIP64, whose sizes live elsewhere).
    static func unzippedSize(_ zip: [UInt8]) -> Int? {
        func u16(_ i: Int) -> Int { Int(zip[i]) | Int(zip[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65 535.
        guard zip.count >= 22 else { return nil }
        var end = zip.count - 22
        let lowest = max(0, zip.count - 22 - 65_535)
        while end >= lowest, u32(end) != 0x0605_4B50 { end -= 1 }
        guard end >= lowest else { return nil }
        let entries = u16(end + 10), size = u32(end + 12), offset = u32(end + 16)
        guard entries != 0xFFFF, offset != 0xFFFF_FFFF, offset + size <= end else { return nil }
        var total = 0, at = offset
        for _ in 0..<entries {
            guard at + 46 <= end, u32(at) == 0x0201_4B50 else { return nil }
            let unpacked = u32(at + 24)
            guard unpacked != 0xFFFF_FFFF else { return nil }
            total += unpacked
            at += 46 + u16(at + 28) + u16(at + 30) + u16(at + 32)
        }
        return total
    }
}

/// A site file sent as the body could not be read: the reader's error with the body's name in
/// place of the temporary file's, and the reader's exit status (65 for a broken file).
struct SiteUploadError: PlanCheckFailure {
    var message: String
    var exitStatus: ExitStatus
    var description: String { message }
}
