import BitNetRuntime
import Foundation
import Hummingbird

/// `POST /v1/embeddings` body (OpenAI's shape): `input` is a string, an array of strings, an array of token ids or
/// an array of such arrays.
struct EmbeddingRequest: Decodable, Sendable {
    enum Input: Decodable, Sendable {
        case texts([String])
        case tokens([[Int]])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .texts([s]); return }
            if let a = try? c.decode([String].self) { self = .texts(a); return }
            if let t = try? c.decode([Int].self) { self = .tokens([t]); return }
            if let t = try? c.decode([[Int]].self) { self = .tokens(t); return }
            throw DecodingError.typeMismatch(Input.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "input must be a string, an array of strings, an array of token ids or an array of those"))
        }
    }

    var input: Input
    var model: String?
    var encoding_format: String?
    var dimensions: Int?
    var user: String?
}

/// One vector of the response: floats, or base64 of little-endian F32 (`encoding_format: "base64"`).
struct EmbeddingData: Encodable, Sendable {
    enum Vector: Encodable, Sendable {
        case floats([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .floats(let f): try c.encode(f)
            case .base64(let s): try c.encode(s)
            }
        }
    }

    let object = "embedding"
    let index: Int
    let embedding: Vector
}

/// `POST /v1/embeddings` response.
struct EmbeddingResponse: Encodable, Sendable {
    struct EmbeddingUsage: Encodable, Sendable {
        let prompt_tokens: Int
        let total_tokens: Int
    }

    let object = "list"
    let data: [EmbeddingData]
    let model: String
    let usage: EmbeddingUsage
}

extension InferenceServer {
    /// Embeds every input on a slot thread: tokenized with BOS/EOS as the model asks, pooled as the server's
    /// `pooling` (or the model's `<arch>.pooling_type`) says, scaled to unit length.
    func embeddings(_ req: EmbeddingRequest, _ ready: ReadyModel) async throws(ServerError) -> Response {
        try checkModel(req.model)
        let format = req.encoding_format ?? "float"
        guard format == "float" || format == "base64" else {
            throw .invalidParameter("encoding_format must be \"float\" or \"base64\", not \"\(format)\"")
        }
        let pooling = try embeddingPooling(ready)
        let dimension = ready.engine.model.hyperParameters.embeddingLength
        if let d = req.dimensions, d != dimension {
            throw .invalidParameter("dimensions \(d) is not supported: this model's embeddings have \(dimension)")
        }
        let tokenizer = ready.engine.tokenizer, vocab = tokenizer.vocabularySize
        let sequences: [[Int32]]
        switch req.input {
        case .texts(let texts):
            guard !texts.isEmpty else { throw .invalidParameter("input is an empty array") }
            sequences = await offLoop { texts.map { tokenizer.encode($0, addSpecial: true) } }
        case .tokens(let ids):
            guard !ids.isEmpty else { throw .invalidParameter("input is an empty array") }
            for (i, seq) in ids.enumerated() {
                if let bad = seq.first(where: { !(0..<vocab).contains($0) }) {
                    throw .invalidParameter("input[\(i)] holds token id \(bad), outside the vocabulary [0, \(vocab))")
                }
            }
            sequences = ids.map { $0.map { Int32($0) } }
        }
        let limit = ready.engine.makeSessionContextLength(configuration.session)
        for (i, seq) in sequences.enumerated() {
            if seq.isEmpty { throw .invalidParameter("input[\(i)] is empty") }
            if seq.count > limit { throw .contextOverflow(promptTokens: seq.count, requested: 0, contextLength: limit) }
        }
        let vectors = try await runOnSlot(ready) { slot throws(EngineError) in
            var out: [[Float]] = []
            for seq in sequences { out.append(try slot.embedder.embed(seq, pooling: pooling, normalize: true)[0]) }
            return out
        }
        let data = vectors.enumerated().map { i, v in
            EmbeddingData(index: i, embedding: format == "base64" ? .base64(Self.base64(v)) : .floats(v))
        }
        let tokens = sequences.reduce(0) { $0 + $1.count }
        metrics.embedded(inputs: sequences.count, tokens: tokens)
        return json(EmbeddingResponse(data: data, model: configuration.modelID,
                                      usage: .init(prompt_tokens: tokens, total_tokens: tokens)))
    }

    /// The pooling the server applies: its configuration's, else the model's; one vector per input is required.
    private func embeddingPooling(_ ready: ReadyModel) throws(ServerError) -> Pooling {
        let modelPooling = ready.engine.file.metadata
            .int("\(ready.engine.model.hyperParameters.architecture).pooling_type").flatMap(Pooling.init(ggufValue:))
        guard let p = configuration.pooling ?? modelPooling, p != .none else {
            throw .invalidParameter("this model names no pooling (its <arch>.pooling_type is absent or none), so it "
                + "gives one vector per token, which /v1/embeddings cannot return; start the server with "
                + "--pooling mean|cls|last")
        }
        return p
    }

    /// Runs `work` on a free slot's thread and returns its result; 503 when the queue is full.
    private func runOnSlot<T: Sendable>(_ ready: ReadyModel,
                                        _ work: @escaping @Sendable (Slot) throws(EngineError) -> T) async throws(ServerError) -> T {
        let control = RequestControl(timeoutSeconds: configuration.timeoutSeconds)
        let result: Result<T, ServerError> = await withCheckedContinuation { c in
            let admitted = ready.pool.submitWork { slot in
                if control.isExpired { c.resume(returning: .failure(.timeout(seconds: control.timeoutSeconds))); return }
                do throws(EngineError) { c.resume(returning: .success(try work(slot))) } catch {
                    c.resume(returning: .failure(ServerError(error)))
                }
            }
            if !admitted {
                c.resume(returning: .failure(.overloaded(retryAfterSeconds: max(1, ready.pool.maxQueue / max(1, ready.pool.parallel)))))
            }
        }
        return try result.get()
    }

    /// Little-endian F32 bytes in base64, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Data(bytes).base64EncodedString()
    }
}
