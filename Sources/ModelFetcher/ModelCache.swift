import Foundation

/// The content-addressed model cache: `<root>/<sha256>/model.gguf` plus `metadata.json`.
///
/// Files only enter the cache by `rename` after their SHA-256 matched, so a `model.gguf` there always has the hash
/// its directory is named after (unless something outside bitnet changes it; `verify` finds that).
public struct ModelCache: Sendable {
    /// The cache root directory.
    public let root: String

    /// A cache rooted at `root` (one directory per SHA-256).
    public init(root: String) { self.root = root }

    /// `BITNET_MODEL_CACHE_DIR`, else `${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/models`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["BITNET_MODEL_CACHE_DIR"], !dir.isEmpty { return dir }
        let cache = environment["BITNET_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/bitnet-swift"
        return cache + "/models"
    }

    /// The cache at `defaultRoot()`.
    public static var standard: ModelCache { ModelCache(root: defaultRoot()) }

    /// `<root>/<sha256>`: one directory per model, named by its content hash.
    public func directory(sha256: String) -> String { "\(root)/\(sha256)" }
    /// The verified model file.
    public func modelPath(sha256: String) -> String { "\(directory(sha256: sha256))/model.gguf" }
    /// Where bytes accumulate until the hash matches (kept across runs for resume).
    public func partialPath(sha256: String) -> String { modelPath(sha256: sha256) + ".partial" }
    /// `metadata.json`: name, source, time, size.
    public func metadataPath(sha256: String) -> String { "\(directory(sha256: sha256))/metadata.json" }
    /// The `flock` file that serializes fetches of this model.
    public func lockPath(sha256: String) -> String { "\(directory(sha256: sha256))/.lock" }

    /// The cached file for `entry` if present (not re-hashed: see the type's invariant).
    public func cachedPath(for entry: ModelEntry) -> String? {
        let path = modelPath(sha256: entry.sha256)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Creates the model's directory (typed errors for permission / disk full).
    func prepareDirectory(sha256: String) throws {
        let dir = directory(sha256: sha256)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw FetchError.local(error, path: dir)
        }
        guard access(dir, W_OK) == 0 else { throw FetchError.local(errno: errno, path: dir) }
    }

    /// Moves a verified partial file into place and writes `metadata.json` (both atomically).
    func install(partial: String, entry: ModelEntry, source: String) throws {
        let dest = modelPath(sha256: entry.sha256)
        guard rename(partial, dest) == 0 else { throw FetchError.local(errno: errno, path: dest) }
        let metadata = CachedModelMetadata(name: entry.name, sha256: entry.sha256, size_bytes: entry.sizeBytes,
                                           source: source, fetched_at: ISO8601DateFormatter().string(from: Date()),
                                           license: entry.license)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = metadataPath(sha256: entry.sha256)
        do {
            try encoder.encode(metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FetchError.local(error, path: path)
        }
    }

    /// Removes the cached model (and its partial) for `sha256`.
    func evict(sha256: String) {
        for path in [modelPath(sha256: sha256), partialPath(sha256: sha256), metadataPath(sha256: sha256)] {
            unlink(path)
        }
    }

    /// Every cached model: directories named by a SHA-256 that hold a `model.gguf`, sorted by name then hash.
    public func list() -> [CachedModel] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }.compactMap { sha -> CachedModel? in
            let path = modelPath(sha256: sha)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let metadata = FileManager.default.contents(atPath: metadataPath(sha256: sha))
                .flatMap { try? JSONDecoder().decode(CachedModelMetadata.self, from: $0) }
            return CachedModel(sha256: sha, path: path, sizeBytes: size, metadata: metadata)
        }.sorted { ($0.metadata?.name ?? "~", $0.sha256) < ($1.metadata?.name ?? "~", $1.sha256) }
    }
}

/// `metadata.json` beside a cached model.
public struct CachedModelMetadata: Codable, Sendable, Equatable {
    /// The lockfile name the model was fetched under.
    public var name: String
    /// Lower-case hex SHA-256 of the file.
    public var sha256: String
    /// File size in bytes.
    public var size_bytes: Int64
    /// The source that delivered the bytes (`ModelSource.description`).
    public var source: String
    /// ISO 8601 time the model entered the cache.
    public var fetched_at: String
    /// The licence the lockfile names, when it names one.
    public var license: String?
}

/// A model found in the cache.
public struct CachedModel: Sendable {
    /// Lower-case hex SHA-256, the cache directory's name.
    public var sha256: String
    /// The cached `model.gguf`.
    public var path: String
    /// File size in bytes.
    public var sizeBytes: Int64
    /// Its `metadata.json`, when readable.
    public var metadata: CachedModelMetadata?
}
