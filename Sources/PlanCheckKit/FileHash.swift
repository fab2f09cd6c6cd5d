import Crypto
import Foundation

/// SHA-256 of files, as lowercase hex, for provenance in reports and registries.
public enum FileHash {
    /// SHA-256 of the file's bytes, read in 1 MiB blocks.
    public static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            hasher.update(data: block)
        }
        return hex(hasher.finalize())
    }

    /// SHA-256 of bytes in memory (a request body, standard input).
    public static func sha256(of bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
