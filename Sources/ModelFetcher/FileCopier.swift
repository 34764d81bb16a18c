import Foundation

/// Copies a local file (a `file://` source) with progress.
enum FileCopier {
    static func copy(from source: String, to dest: String, progress: (Int64) -> Void) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw FetchError.missingFile(path: source) }
        guard let input = FileHandle(forReadingAtPath: source) else { throw FetchError.local(errno: errno, path: source) }
        defer { try? input.close() }
        unlink(dest)
        guard FileManager.default.createFile(atPath: dest, contents: nil),
              let output = FileHandle(forWritingAtPath: dest) else {
            throw FetchError.local(errno: errno, path: dest)
        }
        defer { try? output.close() }
        var copied: Int64 = 0
        while true {
            let chunk: Data
            do {
                guard let data = try input.read(upToCount: 4 << 20), !data.isEmpty else { break }
                chunk = data
            } catch {
                throw FetchError.local(error, path: source)
            }
            do { try output.write(contentsOf: chunk) } catch { throw FetchError.local(error, path: dest) }
            copied += Int64(chunk.count)
            progress(copied)
        }
    }
}
