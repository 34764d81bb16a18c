import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
import Testing
import TestSupport

/// `InferenceSession.decodeBatch` (continuous batching) against one session at a time, on SmolLM2.
struct BatchDecodeTests {
    static let prompts = ["The capital of France is", "def fibonacci(n):", "Once upon a time, in a land far away,",
                          "The three primary colours are"]

    /// Four sessions at different lengths decode 24 greedy steps together; each must produce what it produces
    /// alone, with logits within float noise of the lone run's (the batched matmul may take another kernel than
    /// the one-row one; it must not take another sequence's rows or positions).
    @Test func batchedGreedyEqualsLoneGreedy() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        var options = SessionOptions()
        options.contextLength = 256
        options.threads = 2
        let steps = 24
        // Alone.
        var alone: [[Int32]] = []
        for p in Self.prompts {
            let s = engine.makeSession(options)
            var logits = try s.evaluate(engine.tokenizer.encode(p))
            var out: [Int32] = []
            for _ in 0..<steps {
                let t = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
                out.append(t)
                logits = Array(try s.decode(t))
            }
            alone.append(out)
        }
        // Together.
        let sessions = Self.prompts.map { _ in engine.makeSession(options) }
        var rows = try zip(sessions, Self.prompts).map { s, p in try s.evaluate(engine.tokenizer.encode(p)) }
        var together = Array(repeating: [Int32](), count: sessions.count)
        let context = ComputeContext(threads: 2)
        let vocab = engine.model.hyperParameters.vocabSize
        var worst: Float = 0
        for _ in 0..<steps {
            let next = rows.map { r in Int32(r.indices.max { r[$0] < r[$1] }!) }
            for i in sessions.indices { together[i].append(next[i]) }
            let logits = try InferenceSession.decodeBatch(Array(zip(sessions, next)).map { (session: $0.0, token: $0.1) },
                                                          model: engine.model, context: context)
            rows = (0..<sessions.count).map { Array(logits[($0 * vocab)..<(($0 + 1) * vocab)]) }
        }
        // The lone run's logits at the last step, for the size of the difference.
        for (i, p) in Self.prompts.enumerated() {
            let s = engine.makeSession(options)
            _ = try s.evaluate(engine.tokenizer.encode(p) + Array(together[i].dropLast()))
            let lone = Array(try s.decode(together[i].last!))
            worst = max(worst, zip(lone, rows[i]).map { abs($0 - $1) }.max() ?? 0)
        }
        for i in sessions.indices {
            #expect(together[i] == alone[i], "prompt \(i): batched \(together[i]) vs alone \(alone[i])")
            #expect(sessions[i].tokens.count == engine.tokenizer.encode(Self.prompts[i]).count + steps)
        }
        #expect(worst < 0.05, "batched logits differ from the lone run's by \(worst)")
        print("batched decode: 4 sessions × \(steps) steps, tokens identical to lone runs; last-step max |Δ| \(worst)")
    }

    @Test func aSessionTwiceIsRefused() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        var options = SessionOptions()
        options.contextLength = 64
        let s = engine.makeSession(options)
        _ = try s.evaluate([1, 2, 3])
        #expect {
            _ = try InferenceSession.decodeBatch([(session: s, token: 5), (session: s, token: 6)], model: engine.model,
                                                 context: ComputeContext(threads: 1))
        } throws: { error in
            guard case EngineError.model(let e) = error else { return false }
            return e == .invalidBatch("segment 1 uses a cache another segment uses")
        }
    }
}
