import CrossVal
import Foundation
import GGUF
import ModelMaker
import TestSupport
import Testing

/// The parity suite: every weight type's synthetic model (fixed seed) and the real SmolLM2 (and Gemma3 when cached),
/// each with a short, a long (near the run's n_ctx) and a multilingual prompt, through the whole ladder.
///
/// A failing prompt is a test failure naming the receipt. Failures the engine has today are listed in
/// `knownFailures` with the measurement; they are recorded as known issues (printed, not hidden), and once fixed
/// the known issue stops occurring and the test fails until the entry is removed.
@Suite(.serialized, .enabled(if: CrossValFixture.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct ParitySuiteTests {
    static let seed: UInt64 = 20_250_601
    static let steps = 16
    static let sentence = "The history of the city began with a small settlement on the river, where traders exchanged grain, salt and cloth."
    static let multilingual = "Le château de Versailles est situé à l'ouest de Paris. 東京は日本の首都です。 Москва — столица России."

    /// Short, long and multilingual prompts; `repeats` sizes the long one to just under the run's n_ctx.
    static func prompts(repeats: Int) -> [String] {
        ["The capital of France is", Array(repeating: sentence, count: repeats).joined(separator: " "), multilingual]
    }

    /// (model label, prompt index) → what was measured, for prompts that fail today (none: gemma3's long and
    /// multilingual prompts became bit-exact once its K-quant matmuls and GELU followed ggml-cpu's arithmetic).
    /// Prompt 1 is the long prompt, 2 the multilingual one.
    static let knownFailures: [String: [Int: String]] = [:]

    @Test(arguments: SyntheticTensorEncoder.supportedTypes.map(\.name))
    func syntheticModel(_ typeName: String) throws {
        let type = try #require(SyntheticTensorEncoder.supportedTypes.first { $0.name == typeName })
        let dir = try TestModels.scratchDirectory("crossval-synthetic-\(typeName)")
        let path = dir + "/model.gguf"
        try SyntheticModel(shape: .tiny, weightType: type, seed: Self.seed).write(to: path)
        // tiny: n_ctx 512; 18 sentences are 469 tokens, + 16 steps = 485.
        try check(model: path, label: "synthetic-\(typeName)", prompts: Self.prompts(repeats: 18), contextLength: nil)
        try? FileManager.default.removeItem(atPath: path)  // the receipt stays for the record
    }

    @Test func smolLM2() throws {
        // n_ctx 256: 10 sentences are about 230 tokens, + 16 steps.
        try check(model: try TestModels.smolLM2(), label: "smollm2", prompts: Self.prompts(repeats: 10), contextLength: 256)
    }

    @Test func gemma3WhenCached() throws {
        let sha = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
        guard let path = try? TestModels.cachedModel(sha256: sha, name: "Gemma-3-270M Q4_K_M") else {
            print("gemma3 not cached (scripts/fetch-test-models.sh gemma3); skipped")
            return
        }
        try check(model: path, label: "gemma3", prompts: Self.prompts(repeats: 10), contextLength: 256)
    }

    /// The real qwen2 model of the opt-in `integration` tier (`bitnet fetch-models --name qwen2.5-coder-0.5b`).
    @Test func qwen2WhenCached() throws {
        let sha = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
        guard let path = try? TestModels.cachedModel(sha256: sha, name: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M") else {
            print("qwen2.5-coder-0.5b not cached (bitnet fetch-models --name qwen2.5-coder-0.5b); skipped")
            return
        }
        try check(model: path, label: "qwen2", prompts: Self.prompts(repeats: 10), contextLength: 256)
    }

    private func check(model: String, label: String, prompts: [String], contextLength: Int?) throws {
        var configuration = CrossValConfiguration(modelPath: model, prompts: prompts, engineThreads: 2, engineVersion: "0.1.0-dev")
        configuration.steps = Self.steps
        configuration.contextLength = contextLength
        let receipt = try CrossValRunner.run(configuration)
        let data = try ReceiptCodec.encode(receipt)
        let path = try TestModels.scratchDirectory("crossval-\(label)") + "/receipt.json"
        try data.write(to: URL(fileURLWithPath: path))
        let verdict = ReceiptVerifier.standard.verify(data)
        #expect(verdict.isValid, "\(label): receipt \(path) does not verify: \(verdict.problems)")
        print("TABLE \(label) \(receipt.model.weightType) min-cosine \(receipt.summary.minPrefillCosine ?? .nan) "
            + "greedy \(receipt.summary.decodeExact)/\(receipt.summary.decodeSteps) near-ties \(receipt.summary.decodeNearTies) "
            + "status \(receipt.status.rawValue) receipt \(path)")
        for prompt in receipt.prompts {
            let message = Comment(rawValue: "\(label) prompt \(prompt.index) failed at \(prompt.failedRung ?? "?") "
                + "(min prefill cosine \(prompt.prefill.minCosine ?? .nan)); receipt \(path)")
            if let known = Self.knownFailures[label]?[prompt.index] {
                withKnownIssue(Comment(rawValue: known)) { #expect(prompt.status == .pass, message) }
            } else {
                #expect(prompt.status == .pass, message)
            }
        }
    }
}
