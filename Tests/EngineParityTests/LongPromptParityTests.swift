import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import LlamaReference
import TestSupport
import Testing

/// An 81-token prompt on SmolLM2 against both of llama.cpp's precise paths: its batched prefill and its
/// token-by-token evaluation. Prints all three cross-comparisons, so the reference's own spread is visible next to
/// ours. Our long-prompt arithmetic does not yet follow ggml's (its F32 attention dot products and, for batches,
/// its tiled matmul accumulate in other orders, and this model amplifies last-bit differences), which is recorded
/// as a known issue: the test fails once that is fixed, so the expectation can be made a plain one.
@Suite(.serialized, .enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct LongPromptParityTests {
    @Test func longPromptAgainstBatchedAndTokenByTokenReference() throws {
        let path = try TestModels.smolLM2()
        let library = try ReferenceLibrary.load()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let text = String(repeating: "The history of Paris begins with a Celtic tribe, the Parisii, who settled on an island. ",
                          count: 4)
        let prompt = try refModel.tokenize(text, addSpecial: true)
        var options = SessionOptions()
        options.contextLength = 256
        options.kvCacheType = .f32
        let session = InferenceSession(model: try ModelRegistry.load(try GGUFFile(path: path)), options: options)
        let ours = try session.evaluate(prompt, allLogits: true)
        let v = session.vocabSize
        let batched = try LlamaContext(model: refModel, contextLength: 256, threads: 1, precision: .precise)
        let stepwise = try LlamaContext(model: refModel, contextLength: 256, threads: 1, precision: .precise)
        let batch = try batched.eval(prompt, logits: .all)
        var refSelf = 1.0, oursVsStepwise = 1.0, oursVsBatch = 1.0
        for (p, t) in prompt.enumerated() {
            let step = try stepwise.eval([t], logits: .last)
            let mine = ours[(p * v)..<((p + 1) * v)]
            refSelf = min(refSelf, ParityMetrics.cosine(batch.row(p), step.row(0)))
            oursVsStepwise = min(oursVsStepwise, ParityMetrics.cosine(mine, step.row(0)))
            oursVsBatch = min(oursVsBatch, ParityMetrics.cosine(mine, batch.row(p)))
        }
        print("long prompt (\(prompt.count) tokens), worst cosine over positions: llama.cpp batched vs its own "
            + "token-by-token \(refSelf); ours vs llama.cpp token-by-token \(oursVsStepwise); ours vs llama.cpp batched \(oursVsBatch)")
        #expect(refSelf > 0.9, "llama.cpp's two paths should still broadly agree")
        withKnownIssue("long-prompt arithmetic does not yet follow ggml's order (docs/parity.md, 'Long prompts')") {
            #expect(oursVsBatch >= 0.999)
            #expect(oursVsStepwise >= 0.999)
        }
    }
}
