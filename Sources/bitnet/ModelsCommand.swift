import ArgumentParser
import Foundation
import ModelFetcher

/// `bitnet models`: what is in the model cache.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models in the cache (and the lockfile's models that are not cached yet)."
    )

    @Option(help: "Lockfile to read (default: BITNET_MODEL_LOCKFILE, else models.lock.json in this directory or a parent).")
    var lockfile: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var global: GlobalOptions

    struct Row: Encodable {
        var name: String
        var sha256: String
        var size_bytes: Int64
        var path: String?
        var cached: Bool
        var tier: String?
        var source: String?
        var fetched_at: String?
    }

    func run() throws {
        _ = global.bootstrapLogging()
        let lock = try ModelLockfile.load(explicitPath: lockfile)
        let cache = ModelCache.standard
        let cached = cache.list()
        var rows = cached.map { c -> Row in
            let entry = lock.models.first { $0.sha256 == c.sha256 }
            return Row(name: entry?.name ?? c.metadata?.name ?? "?", sha256: c.sha256, size_bytes: c.sizeBytes,
                       path: c.path, cached: true, tier: entry?.tier.rawValue, source: c.metadata?.source,
                       fetched_at: c.metadata?.fetched_at)
        }
        let cachedHashes = Set(cached.map(\.sha256))
        rows += lock.models.filter { !cachedHashes.contains($0.sha256) }.map {
            Row(name: $0.name, sha256: $0.sha256, size_bytes: $0.sizeBytes, path: nil, cached: false,
                tier: $0.tier.rawValue, source: nil, fetched_at: nil)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            struct Listing: Encodable { var cache: String; var models: [Row] }
            print(String(decoding: try encoder.encode(Listing(cache: cache.root, models: rows)), as: UTF8.self))
            return
        }
        print("cache: \(cache.root)")
        for row in rows {
            let size = String(format: "%8.1f MiB", Double(row.size_bytes) / 1_048_576)
            let tier = row.tier.map { "[\($0)]" } ?? "[-]"
            let name = row.name.padding(toLength: max(row.name.count, 24), withPad: " ", startingAt: 0)
            let tierText = tier.padding(toLength: 14, withPad: " ", startingAt: 0)
            if row.cached {
                print("\(name) \(tierText) \(size)  \(row.sha256.prefix(12))  \(row.path ?? "")")
            } else {
                print("\(name) \(tierText) \(size)  not cached (bitnet fetch-models --name \(row.name))")
            }
        }
    }
}
