import BitNetModels
import Foundation
import GGUF
import Kernels

/// How an embedding is pooled from the hidden states of a sequence (llama.cpp's `llama_pooling_type`, read from
/// `<arch>.pooling_type`).
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// No pooling: one vector per token.
    case none
    /// The mean over the sequence's tokens.
    case mean
    /// The first token's vector.
    case cls
    /// The last token's vector (decoder embedding models such as Qwen3-Embedding).
    case last

    /// The GGUF metadata value (`<arch>.pooling_type`), as llama.cpp numbers them.
    public init?(ggufValue: Int) {
        switch ggufValue {
        case 0: self = .none
        case 1: self = .mean
        case 2: self = .cls
        case 3: self = .last
        default: return nil
        }
    }
}

/// Turns token sequences into embeddings: the hidden states after the model's final norm (llama.cpp's
/// `result_norm`), pooled, and optionally L2-normalised. Each call runs the sequence alone in a fresh cache, as
/// llama.cpp's embedding mode does with one sequence per batch.
///
/// Pooling follows llama.cpp's graph so the result is bit-identical to its embeddings on the same kernel level:
/// the mean is the F32 matrix product of the transposed hidden states with a column of 1/n (so the sum runs in
/// ggml's F32 dot-product order), cls and last copy one row.
public final class Embedder {
    /// The network.
    public let model: any DecoderNetwork
    /// The pooling the file asks for (`<arch>.pooling_type`); nil when it names none.
    public let modelPooling: Pooling?
    private let context: ComputeContext
    private let threads: Int

    /// An embedder over `model`, whose file's metadata gives the default pooling.
    public init(model: any DecoderNetwork, metadata: GGUFMetadata, threads: Int = ThreadPool.physicalCoreCount) {
        self.model = model
        let arch = model.hyperParameters.architecture
        modelPooling = metadata.int("\(arch).pooling_type").flatMap(Pooling.init(ggufValue:))
        self.threads = threads
        context = ComputeContext(threads: threads)
        context.output = .hiddenStates
    }

    /// Width of one embedding.
    public var dimension: Int { model.hyperParameters.embeddingLength }

    /// The embedding(s) of `tokens`: one vector for mean/cls/last, one per token for `.none`.
    /// - Parameters:
    ///   - tokens: the sequence, including any BOS/EOS the model expects.
    ///   - pooling: overrides the model's pooling; nil uses it (`.none` when the file names none).
    ///   - normalize: scale each vector to unit Euclidean length (as llama.cpp's server and `llama-embedding` do).
    /// - Throws: `EngineError.emptyPrompt`, `.model` (a token out of range, a sequence longer than the context).
    public func embed(_ tokens: [Int32], pooling: Pooling? = nil, normalize: Bool = true) throws(EngineError) -> [[Float]] {
        guard !tokens.isEmpty else { throw .emptyPrompt }
        let hp = model.hyperParameters, n = tokens.count, d = hp.embeddingLength
        guard n <= hp.contextLength else {
            throw .contextOverflow(promptTokens: n, requested: 0, contextLength: hp.contextLength)
        }
        let cache = model.makeCache(capacity: n, type: .f16)
        let hidden: UnsafeBufferPointer<Float>
        do { hidden = try model.forward(tokens, cache: cache, context: context, allLogits: true) } catch {
            throw .model(error)
        }
        precondition(hidden.count == n * d, "forward returned \(hidden.count) hidden values for \(n)×\(d)")
        let vectors: [[Float]]
        switch pooling ?? modelPooling ?? .none {
        case .none: vectors = (0..<n).map { Array(hidden[($0 * d)..<(($0 + 1) * d)]) }
        case .cls: vectors = [Array(hidden[0..<d])]
        case .last: vectors = [Array(hidden[((n - 1) * d)..<(n * d)])]
        case .mean: vectors = [try Self.mean(hidden, tokens: n, width: d, pool: context.pool, scratch: context.scratch)]
        }
        return normalize ? vectors.map(Self.normalized) : vectors
    }

    /// The mean of `tokens` rows of `width`: the F32 product of the transposed rows `[width, tokens]` with a
    /// column of 1/tokens, as llama.cpp's mean pooling computes it.
    static func mean(_ hidden: UnsafeBufferPointer<Float>, tokens n: Int, width d: Int, pool: ThreadPool,
                     scratch: KernelScratch) throws(EngineError) -> [Float] {
        var transposed = [Float](repeating: 0, count: n * d)
        for t in 0..<n { for j in 0..<d { transposed[j * n + t] = hidden[t * d + j] } }
        let weights = Array(repeating: 1 / Float(n), count: n)
        var out = [Float](repeating: 0, count: d)
        var failure: KernelError?
        transposed.withUnsafeBytes { bytes in
            // An F32 matrix of d rows × n columns over `transposed` (n·d floats), alive for this call.
            let m: WeightMatrix
            do throws(KernelError) { m = try WeightMatrix(type: .f32, rows: d, cols: n, bytes: bytes) } catch {
                failure = error
                return
            }
            weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    matmul(m, input: w.baseAddress!, count: 1, output: o.baseAddress!, pool: pool, scratch: scratch)
                }
            }
        }
        if let failure { throw .invalidParameter("mean pooling over \(n) × \(d) hidden states: \(failure)") }
        return out
    }

    /// `v` scaled to unit Euclidean length (unchanged when zero): squares summed in Double, one F32 factor.
    public static func normalized(_ v: [Float]) -> [Float] {
        var sum = 0.0
        for x in v { sum += Double(x * x) }
        let norm = sum.squareRoot()
        let factor: Float = norm > 0 ? Float(1 / norm) : 0
        return v.map { $0 * factor }
    }
}
