import Crypto
import Foundation

/// Streams a file through SHA-256.
public enum FileHasher {
    /// Lower-case hex SHA-256 and length of the file at `path`; `progress` gets the bytes hashed so far.
    public static func sha256(path: String, progress: ((Int64) -> Void)? = nil) throws -> (hex: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FetchError.local(errno: errno, path: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        var lastReport: Int64 = 0
        while true {
            let chunk: Data
            do {
                guard let data = try handle.read(upToCount: 4 << 20), !data.isEmpty else { break }
                chunk = data
            } catch {
                throw FetchError.local(error, path: path)
            }
            hasher.update(data: chunk)
            total += Int64(chunk.count)
            if let progress, total - lastReport >= 16 << 20 {
                progress(total)
                lastReport = total
            }
        }
        progress?(total)
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
    }
}
