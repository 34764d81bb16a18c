import ArgumentParser
import BitNetRuntime
import BitNetServer
import Foundation
import ModelFetcher

/// `bitnet serve`: an OpenAI-compatible HTTP server (see docs/server.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over HTTP: OpenAI-compatible /v1/chat/completions and /v1/completions (with SSE "
            + "streaming), /v1/embeddings, /v1/models, /tokenize, /detokenize, /health."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to bind (loopback by default; use 0.0.0.0 to listen on every interface).")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0 picks a free one, printed on startup).")
    var port = 8080

    @Option(help: "Slots: requests generated at once, each with its own KV cache of --ctx tokens.")
    var parallel = 1

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' on every endpoint but /health.")
    var apiKey: String?

    @Option(name: .customLong("max-queue"), help: "Requests that may wait for a slot; beyond this the server answers 503.")
    var maxQueue = 16

    @Option(help: "Per-request timeout in seconds, queue wait included.")
    var timeout: Double = 600

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes (larger → 413).")
    var maxBody = 1 << 20

    @Option(name: [.customShort("b"), .customLong("batch-size")],
            help: "With continuous batching, prompt tokens a joining request evaluates between two decode steps of the others.")
    var batchSize = 256

    @Flag(name: .customLong("no-cont-batching"),
          help: "With --parallel > 1, give each slot its own thread and forward passes instead of batching their decode steps.")
    var noContinuousBatching = false

    @Option(help: "Pooling of /v1/embeddings: mean, cls or last (default: the model's <arch>.pooling_type).")
    var pooling: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let pooling, Pooling(rawValue: pooling) == nil || pooling == "none" {
            throw ValidationError("--pooling must be mean, cls or last, not '\(pooling)'")
        }
    }

    func run() async throws {
        let log = global.bootstrapLogging()
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.parallel = parallel
        config.maxQueue = maxQueue
        config.timeoutSeconds = timeout
        config.apiKey = apiKey
        config.maxBodyBytes = maxBody
        config.pooling = pooling.flatMap(Pooling.init(rawValue:))
        config.continuousBatching = !noContinuousBatching
        config.batchSize = batchSize
        config.session = try modelOptions.sessionOptions()
        // Resolving may fetch the default model; do it before listening so a bad --model fails fast.
        let path = try modelOptions.resolvedModelPath()
        // The id clients send as `model`: the --model name or file stem, else the lockfile's default model name.
        config.modelID = modelOptions.model.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
            ?? (try? ModelLockfile.load().defaultModel?.name) ?? "default"
        let contextLength = config.session.contextLength
        let server: InferenceServer
        do {
            server = try InferenceServer(configuration: config) {
                let engine = try Engine(path: path)
                let train = engine.model.hyperParameters.contextLength
                if contextLength > train {
                    throw ValidationError("--ctx \(contextLength) exceeds the model's training context of \(train)")
                }
                return engine
            }
        } catch {
            throw ValidationError(error.description)
        }
        let host = self.host, modelID = config.modelID, slots = config.parallel, queue = config.maxQueue
        try await server.run { port in
            log.info("serving \(modelID) on http://\(host):\(port) (\(slots) slot(s), queue \(queue))")
            FileHandle.standardError.write(Data("[bitnet] listening on http://\(host):\(port) — model \(modelID)\n".utf8))
        }
    }
}
