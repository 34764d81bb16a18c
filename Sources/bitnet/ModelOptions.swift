import ArgumentParser
import BitNetModels
import Kernels
import BitNetRuntime
import Foundation
import ModelFetcher

/// Options shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A .gguf file, or a model name from models.lock.json (fetched on first use). Default: smollm2-135m-instruct.")
    var model: String?

    @Option(name: .long, help: "Threads for matmul and attention (default: physical cores).")
    var threads: Int?

    @Option(name: .long, help: "Context length in tokens (default: the model's, capped at 4096).")
    var ctx: Int?

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16 or f32.")
    var kvType: KVCacheType = .f16

    /// The model path: `--model` (a file, or a lockfile name fetched into the cache on first use), else the
    /// lockfile's default model, fetched on first use.
    func resolvedModelPath() throws -> String { try Self.resolveModel(model) }

    /// A `.gguf` path for a file path or a `models.lock.json` name (nil: the default model), fetching the named
    /// model into the verified cache on first use. Any command that takes a model path can pass its argument here.
    static func resolveModel(_ model: String?) throws -> String {
        if let model, FileManager.default.fileExists(atPath: model) || model.contains("/") || model.hasSuffix(".gguf") {
            return model
        }
        let lockfile = try ModelLockfile.load()
        guard let entry = model.map({ lockfile.entry(named: $0) }) ?? lockfile.defaultModel else {
            if let model { throw ValidationError("--model \(model): no such file, and no model of that name in the lockfile "
                + "(known: \(lockfile.models.map(\.name).joined(separator: ", ")))") }
            throw ValidationError("no --model given and the lockfile has no default-tier model. Pass --model FILE.")
        }
        if let path = ModelCache.standard.cachedPath(for: entry) { return path }
        do {
            return try ModelFetcher.forCommandLine(json: false).fetch(entry).path
        } catch {
            throw ValidationError("\(model == nil ? "no --model given and the default model" : "the model") (\(entry.name)) "
                + "is not cached and could not be fetched: \(error). Retry with `bitnet fetch-models --name \(entry.name)`, "
                + "or pass --model FILE.")
        }
    }

    /// Session options from the flags.
    func sessionOptions() throws -> SessionOptions {
        var o = SessionOptions()
        if let threads {
            guard threads > 0 && threads <= 256 else { throw ValidationError("--threads must be 1...256, got \(threads)") }
            o.threads = threads
        }
        if let ctx {
            guard ctx > 0 else { throw ValidationError("--ctx must be positive, got \(ctx)") }
            o.contextLength = ctx
        }
        o.kvCacheType = kvType
        return o
    }

    /// Loads the engine, checking `--ctx` against the model's training context.
    func loadEngine() throws -> (Engine, SessionOptions) {
        let engine = try Engine(path: try resolvedModelPath())
        let options = try sessionOptions()
        let train = engine.model.hyperParameters.contextLength
        if options.contextLength > train {
            throw ValidationError("--ctx \(options.contextLength) exceeds the model's training context of \(train)")
        }
        return (engine, options)
    }
}

/// The default model (the lockfile's `default` tier).
enum DefaultModel {
    static let name = "SmolLM2-135M-Instruct Q4_1"
    static let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
}

/// Sampling flags shared by `run` and `chat`.
struct SamplingOptions: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Tokens to generate.")
    var nPredict: Int = 128

    @Option(name: .long, help: "Temperature; 0 is greedy.")
    var temp: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens (0 = off).")
    var topK: Int = 40

    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (1 = off).")
    var topP: Float = 0.95

    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p × the top probability (0 = off).")
    var minP: Float = 0.05

    @Option(name: .customLong("repeat-penalty"), help: "Penalty for repeating recent tokens (1 = off).")
    var repeatPenalty: Float = 1.0

    @Option(name: .customLong("frequency-penalty"), help: "Frequency penalty (0 = off).")
    var frequencyPenalty: Float = 0

    @Option(name: .customLong("presence-penalty"), help: "Presence penalty (0 = off).")
    var presencePenalty: Float = 0

    @Option(name: .long, help: "Random seed (same seed, same text).")
    var seed: UInt64 = 0x5EED

    @Option(name: .long, parsing: .singleValue, help: "Stop when this text appears (repeatable).")
    var stop: [String] = []

    func parameters() throws -> SamplingParameters {
        guard nPredict >= 0 else { throw ValidationError("-n must be 0 or more, got \(nPredict)") }
        var p = SamplingParameters()
        p.temperature = temp
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.frequencyPenalty = frequencyPenalty
        p.presencePenalty = presencePenalty
        p.seed = seed
        if let why = p.validationError() { throw ValidationError(why) }
        return p
    }
}

extension KVCacheType: ExpressibleByArgument {}

/// Structured output for `run` and `chat`, as llama-cli takes it: a GBNF grammar or a JSON schema the text must match.
struct OutputFormatOptions: ParsableArguments {
    @Option(help: "A GBNF grammar the generated text must match (llama.cpp's notation; rule 'root').")
    var grammar: String?

    @Option(name: .customLong("grammar-file"), help: "Read the GBNF grammar from this file.")
    var grammarFile: String?

    @Option(name: [.customShort("j"), .customLong("json-schema")], help: "A JSON schema the generated JSON must validate against.")
    var jsonSchema: String?

    @Option(name: .customLong("json-schema-file"), help: "Read the JSON schema from this file.")
    var jsonSchemaFile: String?

    /// The format asked for (`.text` when none).
    /// - Throws: `ValidationError` for two formats at once, an unreadable file, a malformed grammar (with line and
    ///   column) or a schema that cannot be enforced (with its JSON path).
    func format() throws -> OutputFormat {
        let given = [grammar, grammarFile, jsonSchema, jsonSchemaFile].compactMap { $0 }
        guard given.count <= 1 else {
            throw ValidationError("give one of --grammar, --grammar-file, --json-schema, --json-schema-file")
        }
        func read(_ path: String) throws -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read '\(path)': \(error.localizedDescription)")
            }
        }
        if let text = try grammar ?? grammarFile.map(read) {
            do { return .grammar(try Grammar(gbnf: text)) } catch { throw ValidationError(error.description) }
        }
        if let text = try jsonSchema ?? jsonSchemaFile.map(read) {
            let schema: OrderedJSON
            do { schema = try OrderedJSON.parse(text) } catch { throw ValidationError("the JSON schema: \(error)") }
            do { return .grammar(try JSONSchemaGrammar(schema: schema).grammar) } catch {
                throw ValidationError(error.description)
            }
        }
        return .text
    }
}
