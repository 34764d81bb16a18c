import BitNetRuntime
import Foundation
import Hummingbird
import ServiceLifecycle
import Tokenizers

/// An OpenAI-compatible HTTP server over one model: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`,
/// `/v1/models`, `/tokenize`, `/detokenize` and `/health`.
///
/// The model loads on a background thread after the listener is up, so `/health` answers 503 while loading.
/// Generation runs on `SlotPool` threads; the handlers only await events, so event loops never block.
public final class InferenceServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    let loadEngine: @Sendable () throws -> Engine
    let state = LockedState()
    let metrics = ServerMetrics()
    /// Per-slot state and prompt-cache counts (`GET /slots`).
    let slotTable: SlotTable

    /// A server that will load its engine with `loadEngine` when `run` starts.
    /// - Throws: `ServerError.invalidParameter` when the configuration is out of range.
    public init(configuration: ServerConfiguration, loadEngine: @escaping @Sendable () throws -> Engine) throws(ServerError) {
        if let why = configuration.validationError() { throw .invalidParameter(why) }
        self.configuration = configuration
        self.loadEngine = loadEngine
        slotTable = SlotTable(count: configuration.parallel)
    }

    /// Whether the model is loaded and requests are served.
    public var isReady: Bool { state.ready != nil }

    /// Requests waiting for a slot (0 before the model is loaded).
    public var queueDepth: Int { state.ready?.pool.queueDepth ?? 0 }

    /// Slots generating right now.
    public var busySlots: Int { state.ready?.pool.busySlots ?? 0 }

    /// Requests whose client went away before generation finished.
    public var cancelledRequests: Int { state.cancelledCount }

    /// Listens, loads the model in the background, and serves until `stop()` (or, with `handleSignals`, SIGINT or
    /// SIGTERM) shuts it down gracefully, or the task is cancelled. `onListening` receives the bound port (useful
    /// with port 0).
    public func run(handleSignals: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let loader = Thread { [self] in self.load() }
        loader.stackSize = 8 << 20
        loader.start()
        defer { state.ready?.pool.shutdown() }
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "bitnet-swift"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }
        )
        // Our own group (what `app.runService` would build) so that `stop()` can shut it down gracefully: the listener
        // stops accepting, open requests finish, then `run` returns. Cancelling the task instead tears the server down
        // mid-flight, and Hummingbird logs "Waiting on child channel: CancellationError()" and "Server shutdown
        // error: Already closed" (its graceful-shutdown handler then runs on a channel the cancellation has closed).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                                                      logger: app.logger))
        if state.attach(group) { await group.triggerGracefulShutdown() }
        try await group.run()
    }

    /// Shuts the server down gracefully: it stops accepting connections, lets open requests finish, and `run`
    /// returns. Called before `run` has started, `run` returns as soon as it starts.
    public func stop() async {
        if let group = state.requestStop() { await group.triggerGracefulShutdown() }
    }

    private func load() {
        do {
            let engine = try loadEngine()
            let c = configuration
            let pool: any JobRunner = c.parallel > 1 && c.continuousBatching
                ? BatchScheduler(engine: engine, options: c.session, parallel: c.parallel, maxQueue: c.maxQueue,
                                 batchSize: c.batchSize,
                                 metrics: metrics)
                : SlotPool(engine: engine, options: c.session, parallel: c.parallel, maxQueue: c.maxQueue)
            state.set(.ready(ReadyModel(engine: engine, pool: pool, created: Int(Date().timeIntervalSince1970))))
        } catch {
            state.set(.failed("the model failed to load: \(error)"))
        }
    }

    // MARK: Routing

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in self.health() }
        router.get("/metrics") { request, _ in
            await self.guarded(request, "/metrics") { _, ready in
                let text = self.metrics.exposition(
                    queue: ready.pool.queueDepth, busy: ready.pool.busySlots, slots: self.slotTable.snapshot,
                    contextLength: ready.engine.makeSessionContextLength(self.configuration.session))
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
        }
        router.get("/slots") { request, _ in
            await self.guarded(request, "/slots") { _, ready in
                let contextLength = ready.engine.makeSessionContextLength(self.configuration.session)
                return self.json(self.slotTable.snapshot.map { SlotStatus(entry: $0, contextLength: contextLength) })
            }
        }
        router.get("/v1/models") { request, _ in
            await self.guarded(request, "/v1/models") { _, ready in self.models(ready) }
        }
        router.post("/v1/chat/completions") { request, _ in
            await self.guarded(request, "/v1/chat/completions") { body, ready throws(ServerError) in
                try await self.chatCompletion(JSONCoding.decode(ChatCompletionRequest.self, from: body),
                                              raw: JSONCoding.ordered(body), ready)
            }
        }
        router.post("/v1/completions") { request, _ in
            await self.guarded(request, "/v1/completions") { body, ready throws(ServerError) in
                try await self.completion(JSONCoding.decode(CompletionRequest.self, from: body),
                                          raw: JSONCoding.ordered(body), ready)
            }
        }
        router.post("/v1/embeddings") { request, _ in
            await self.guarded(request, "/v1/embeddings") { body, ready throws(ServerError) in
                try await self.embeddings(JSONCoding.decode(EmbeddingRequest.self, from: body), ready)
            }
        }
        router.post("/tokenize") { request, _ in
            await self.guarded(request, "/tokenize") { body, ready throws(ServerError) in
                try await self.tokenize(JSONCoding.decode(TokenizeRequest.self, from: body), ready)
            }
        }
        router.post("/detokenize") { request, _ in
            await self.guarded(request, "/detokenize") { body, ready throws(ServerError) in
                try await self.detokenize(JSONCoding.decode(DetokenizeRequest.self, from: body), ready)
            }
        }
        return router
    }

    /// Checks the API key, reads the body within the limit, requires a loaded model, and turns every error into
    /// its OpenAI-style response.
    private func guarded(_ request: Request, _ endpoint: String,
                         _ handler: (ByteBuffer, ReadyModel) async throws(ServerError) -> Response) async -> Response {
        let response = await answer(request, handler)
        metrics.request(endpoint, status: Int(response.status.code))
        return response
    }

    private func answer(_ request: Request,
                        _ handler: (ByteBuffer, ReadyModel) async throws(ServerError) -> Response) async -> Response {
        do throws(ServerError) {
            if let key = configuration.apiKey {
                let given = request.headers[.authorization] ?? ""
                guard constantTimeEquals(given, "Bearer " + key) else { throw .unauthorized }
            }
            let body = try await readBody(request)
            let ready = try requireReady()
            return try await handler(body, ready)
        } catch {
            return error.response()
        }
    }

    private func readBody(_ request: Request) async throws(ServerError) -> ByteBuffer {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw .bodyTooLarge(limit: limit) }
        var out = ByteBuffer()
        do {
            for try await var part in request.body {
                guard out.readableBytes + part.readableBytes <= limit else { throw ServerError.bodyTooLarge(limit: limit) }
                out.writeBuffer(&part)
            }
        } catch let e as ServerError {
            throw e
        } catch {
            throw .malformedRequest("the request body could not be read: \(error)")
        }
        return out
    }

    private func requireReady() throws(ServerError) -> ReadyModel {
        switch state.current {
        case .ready(let r): return r
        case .loading: throw .unavailable("the model is loading; retry shortly")
        case .failed(let why): throw .unavailable(why)
        }
    }

    /// Rejects a `model` field naming another model (absent is fine: there is only one).
    func checkModel(_ model: String?) throws(ServerError) {
        if let model, model != configuration.modelID { throw .unknownModel(requested: model, served: configuration.modelID) }
    }

    // MARK: Small endpoints

    private func health() -> Response {
        switch state.current {
        case .ready: return Response(status: .ok, headers: [.contentType: "application/json"],
                                     body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        case .loading: return ServerError.unavailable("loading model").response()
        case .failed(let why): return ServerError.unavailable(why).response()
        }
    }

    private func models(_ ready: ReadyModel) -> Response {
        json(ModelList(data: [.init(id: configuration.modelID, created: ready.created)]))
    }

    private func tokenize(_ req: TokenizeRequest, _ ready: ReadyModel) async throws(ServerError) -> Response {
        let tokenizer = ready.engine.tokenizer
        let ids = await offLoop {
            tokenizer.encode(req.content, addSpecial: req.add_special ?? false, parseSpecial: req.parse_special ?? true)
        }
        return json(["tokens": ids])
    }

    private func detokenize(_ req: DetokenizeRequest, _ ready: ReadyModel) async throws(ServerError) -> Response {
        let tokenizer = ready.engine.tokenizer
        let n = tokenizer.vocabularySize
        if let bad = req.tokens.first(where: { !(0..<n).contains($0) }) {
            throw .invalidParameter("token id \(bad) is outside the vocabulary [0, \(n))")
        }
        let ids = req.tokens.map { Int32($0) }
        let text = await offLoop { tokenizer.decode(ids) }
        return json(["content": text])
    }

    /// A 200 JSON response.
    func json(_ value: some Encodable) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: JSONCoding.buffer(value)))
    }

    /// Runs CPU work (tokenizing a large body) on a global queue instead of the caller's executor.
    func offLoop<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: work()) } }
    }

    /// Compares without an early exit, so the time taken does not reveal how much of the key matched.
    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}

/// One slot in `GET /slots`: its record and its context length.
struct SlotStatus: Encodable, Sendable {
    let id: Int, state: String, n_ctx: Int, cached_tokens: Int, requests: Int, cache_hits: Int
    let reused_tokens: Int, evaluated_tokens: Int

    init(entry e: SlotTable.Entry, contextLength: Int) {
        (id, state, n_ctx, cached_tokens, requests) = (e.id, e.state, contextLength, e.cached_tokens, e.requests)
        (cache_hits, reused_tokens, evaluated_tokens) = (e.cache_hits, e.reused_tokens, e.evaluated_tokens)
    }
}

extension Engine {
    /// The context length a session made with `options` has (the model's, at most 4096, when `options` says 0).
    func makeSessionContextLength(_ options: SessionOptions) -> Int {
        options.resolvedContextLength(trainingContext: model.hyperParameters.contextLength)
    }
}

/// The loaded model and its slots.
struct ReadyModel: @unchecked Sendable {
    let engine: Engine
    let pool: any JobRunner
    let created: Int
}

/// Loading → ready or failed, plus counters; read from handlers, written by the loader thread.
final class LockedState: @unchecked Sendable {
    enum Phase { case loading, ready(ReadyModel), failed(String) }
    private let lock = NSLock()
    private var phase = Phase.loading
    private var cancelled = 0
    private var group: ServiceGroup?
    private var stopRequested = false

    var current: Phase { lock.lock(); defer { lock.unlock() }; return phase }
    var ready: ReadyModel? { if case .ready(let r) = current { r } else { nil } }
    var cancelledCount: Int { lock.lock(); defer { lock.unlock() }; return cancelled }
    func set(_ p: Phase) { lock.lock(); phase = p; lock.unlock() }
    func countCancelled() { lock.lock(); cancelled += 1; lock.unlock() }

    /// Records the running service group; true when `stop()` came first (the caller then stops it).
    func attach(_ g: ServiceGroup) -> Bool { lock.lock(); defer { lock.unlock() }; group = g; return stopRequested }

    /// Records a stop request; returns the group to stop if `run` has attached one.
    func requestStop() -> ServiceGroup? { lock.lock(); defer { lock.unlock() }; stopRequested = true; return group }
}
