import Crypto
import Foundation

/// SHA-256 of files, as lowercase hex, for provenance in reports and registries.
public enum FileHash {
    /// SHA-256 of a layer source: the file's bytes, read in 1 MiB blocks. A layer that is more
    /// than one file hashes all of them, each as its name, a NUL and its bytes: a Shapefile's `.shp`
    /// with the `.shx`, `.dbf`, `.prj` and `.cpg` beside it, a folder (a File Geodatabase) with
    /// every file in it in sorted order, so that a changed attribute or CRS changes the hash too.
    /// "" for nil: a file a `--tile` slice does not hash (`LayerPreparation.fileHash(of:path:)`).
    static func sha256(ofFile path: String?) throws -> String {
        guard let path else { return "" }
        return try sha256(ofFile: path)
    }

    public static func sha256(ofFile path: String) throws -> String {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        var hasher = SHA256()
        if exists, isDirectory.boolValue {
            let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
            for relative in files {
                let full = (path as NSString).appendingPathComponent(relative)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                try hashNamed(relative, at: full, into: &hasher)
            }
        } else if (path as NSString).pathExtension.lowercased() == "shp" {
            let base = (path as NSString).deletingPathExtension
            try hashNamed(".shp", at: path, into: &hasher)
            for sidecar in ["shx", "dbf", "prj", "cpg"] {
                let candidates = [base + "." + sidecar, base + "." + sidecar.uppercased()]
                if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
                    try hashNamed("." + sidecar, at: found, into: &hasher)
                }
            }
        } else {
            try hash(path, into: &hasher)
        }
        return hex(hasher.finalize())
    }

    private static func hashNamed(_ name: String, at path: String, into hasher: inout SHA256) throws {
        hasher.update(data: Array(name.utf8) + [0])
        try hash(path, into: &hasher)
    }

    private static func hash(_ path: String, into hasher: inout SHA256) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            hasher.update(data: block)
        }
    }

    /// SHA-256 of bytes in memory (a request body, standard input).
    public static func sha256(of bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
