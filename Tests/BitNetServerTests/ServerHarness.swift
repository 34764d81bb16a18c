import BitNetRuntime
import BitNetServer
import Foundation
import TestSupport

/// Starts an `InferenceServer` on 127.0.0.1 with an OS-chosen port for the duration of a test.
enum ServerHarness {
    /// Session options small enough for two loaded cores.
    static func sessionOptions(ctx: Int = 512) -> SessionOptions {
        var o = SessionOptions()
        o.contextLength = ctx
        o.threads = 2
        return o
    }

    /// A configuration on an ephemeral loopback port serving SmolLM2 as `smollm2`.
    static func configuration(parallel: Int = 1, maxQueue: Int = 4) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.parallel = parallel
        c.maxQueue = maxQueue
        c.modelID = "smollm2"
        c.session = sessionOptions()
        return c
    }

    /// Runs `body` against a live server; `gate`, when given, holds model loading until signalled.
    static func withServer<T>(_ config: ServerConfiguration, gate: DispatchSemaphore? = nil, model: String? = nil,
                              _ body: (LoopbackHTTPClient, InferenceServer) async throws -> T) async throws -> T {
        let path = try model ?? TestModels.smolLM2()
        let server = try InferenceServer(configuration: config) {
            gate?.wait()
            return try Engine(path: path)
        }
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(handleSignals: false) { port in portSink.yield(port) } }
        // Shut down gracefully, as SIGTERM does, so Hummingbird logs no cancellation errors; cancelling is only the
        // fallback for a server that open requests keep from finishing.
        func shutDown() async throws {
            await server.stop()
            let watchdog = Task { try await Task.sleep(nanoseconds: 60_000_000_000); task.cancel() }
            defer { watchdog.cancel() }
            try await task.value
        }
        do {
            var it = ports.makeAsyncIterator()
            guard let port = await it.next(), port > 0 else { throw LoopbackHTTPClient.Failure(description: "server did not start") }
            let client = LoopbackHTTPClient(port: port)
            if gate == nil { try await waitUntil("the model is loaded") { server.isReady } }
            let result = try await body(client, server)
            try await shutDown()
            return result
        } catch {
            try? await shutDown()
            throw error
        }
    }

    /// Polls `condition` every 50 ms for up to `seconds` (a liveness bound, not a timing assertion).
    static func waitUntil(_ what: String, seconds: Double = 120, _ condition: () async throws -> Bool) async throws {
        let end = Date(timeIntervalSinceNow: seconds)
        while Date() < end {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw LoopbackHTTPClient.Failure(description: "timed out waiting until \(what)")
    }

    /// The greedy continuation `Generator` produces for `ids` in a fresh session, as `bitnet run --temp 0` would.
    static func expectedGreedy(_ ids: [Int32], engine: Engine, maxTokens: Int) throws -> GenerationResult {
        let generator = Generator(session: engine.makeSession(sessionOptions()), tokenizer: engine.tokenizer)
        return try generator.generate(prompt: ids, maxTokens: maxTokens, sampling: .greedy)
    }

    /// The JSON chunks of an SSE body, in order; checks it ends in [DONE].
    static func sseChunks(_ body: String) throws -> [[String: Any]] {
        let datas = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        guard datas.last == "[DONE]" else { throw LoopbackHTTPClient.Failure(description: "SSE does not end with [DONE]: \(body.suffix(200))") }
        return try datas.dropLast().map { try (JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]).unwrap("chunk object") }
    }

    /// Joins the `content` deltas (chat) or `text` pieces (completions) of an SSE body; checks it ends in [DONE].
    static func sseText(_ body: String) throws -> (text: String, finishReason: String?, events: Int) {
        let datas = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        guard datas.last == "[DONE]" else { throw LoopbackHTTPClient.Failure(description: "SSE does not end with [DONE]: \(body.suffix(200))") }
        var text = ""
        var finish: String?
        for d in datas.dropLast() {
            let obj = try (JSONSerialization.jsonObject(with: Data(d.utf8)) as? [String: Any]).unwrap("chunk object")
            guard let choice = (obj["choices"] as? [[String: Any]])?.first else { continue }
            if let delta = choice["delta"] as? [String: Any], let c = delta["content"] as? String { text += c }
            if let t = choice["text"] as? String { text += t }
            if let f = choice["finish_reason"] as? String { finish = f }
        }
        return (text, finish, datas.count)
    }
}
