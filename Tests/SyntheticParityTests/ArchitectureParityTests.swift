import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
import LlamaReference
import ModelMaker
import TestSupport
import Testing

/// One architecture's exact-tier case: a synthetic model of that architecture in one weight type.
struct ArchitectureCase: CustomTestStringConvertible, Sendable {
    let architecture: SyntheticArchitecture
    let type: GGMLType
    let tiedOutput: Bool
    var shape: SyntheticShape = .tiny
    var testDescription: String {
        "\(architecture.rawValue) \(type.name) (\(shape.name), \(tiedOutput ? "tied" : "separate") output)"
    }
}

/// The llama-shaped architectures (qwen2, qwen3, phi3, and llama with ternary weights as Falcon3-1.58bit converts)
/// against the llama.cpp build whose kernel routes the engine takes (the exact tier): every prefill logit of the
/// 20-token prompt identical (max |Δ| 0, our F32 cache vs llama.cpp's `precise` configuration), and 32
/// teacher-forced greedy steps identical (our F16 cache vs llama.cpp's default). Measured on both host kinds'
/// exact tier: max |Δ| 0 for every weight type (f32 … tq2_0) on all three architectures (`bitnet crossval` on
/// `make-model --arch qwen2|qwen3|phi3`, seed 7); the cases below cover fused, tied, K-quant, repacked and
/// ternary paths.
///
/// Each case also runs the model with one architectural detail deliberately wrong (the RoPE pairing, the
/// query/key norms, where the query is scaled, the biases) and requires the logits to differ, so the comparison
/// is shown to see the detail it checks.
@Suite(.serialized, .enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct ArchitectureParityTests {
    static let seed: UInt64 = 20_261_206

    static let cases: [ArchitectureCase] = [
        ArchitectureCase(architecture: .qwen2, type: .q8_0, tiedOutput: false),
        ArchitectureCase(architecture: .qwen2, type: .q4_K, tiedOutput: true),
        ArchitectureCase(architecture: .qwen3, type: .q4_0, tiedOutput: true, shape: .tinyWideHeads),
        ArchitectureCase(architecture: .qwen3, type: .f16, tiedOutput: false, shape: .tinyWideHeads),
        ArchitectureCase(architecture: .phi3, type: .q4_0, tiedOutput: false, shape: .tinyNarrowHeads),
        ArchitectureCase(architecture: .phi3, type: .q6_K, tiedOutput: true, shape: .tinyNarrowHeads),
        ArchitectureCase(architecture: .phi3, type: .tq2_0, tiedOutput: false, shape: .tinyNarrowHeads),
        ArchitectureCase(architecture: .llama, type: .tq2_0, tiedOutput: false),
        ArchitectureCase(architecture: .qwen2, type: .q5_K, tiedOutput: false),
        ArchitectureCase(architecture: .qwen3, type: .q3_K, tiedOutput: false, shape: .tinyWideHeads),
        ArchitectureCase(architecture: .llama, type: .q2_K, tiedOutput: false),
        ArchitectureCase(architecture: .llama, type: .iq4_nl, tiedOutput: true),
        ArchitectureCase(architecture: .phi3, type: .iq4_xs, tiedOutput: false, shape: .tinyNarrowHeads),
        ArchitectureCase(architecture: .mistral3, type: .q4_K, tiedOutput: false),
        // SmolLM-135M's 30 blocks, so seven blocks attend without RoPE.
        ArchitectureCase(architecture: .smollm3, type: .q8_0, tiedOutput: true, shape: .smolLM135M),
        ArchitectureCase(architecture: .granite, type: .q6_K, tiedOutput: false),
        // Real shape: Falcon3-1B's (heads of 256, 18 blocks, FFN 8192), ternary as Falcon3-1B-Instruct-1.58bit.
        ArchitectureCase(architecture: .llama, type: .tq2_0, tiedOutput: false, shape: .falcon3_1B),
    ]

    @Test(arguments: cases)
    func identicalToLlamaCpp(_ c: ArchitectureCase) throws {
        let dir = try TestModels.scratchDirectory("arch-\(c.architecture.rawValue)-\(c.type.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(architecture: c.architecture, shape: c.shape, weightType: c.type, seed: Self.seed,
                           tiedOutput: c.tiedOutput).write(to: path)
        let file = try GGUFFile(path: path)
        let model = try ModelRegistry.load(file)
        let llama = try #require(model as? LlamaLanguageModel)
        #expect(llama.variant.architecture == c.architecture.rawValue)
        #expect(Compatibility.check(file).runnable, "\(Compatibility.check(file).problems)")

        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let prompt = try refModel.tokenize(SyntheticParityTests.prompt, addSpecial: true)

        // Prefill logits at every position: identical.
        let precise = try LlamaContext(model: refModel, contextLength: 128, threads: 1, precision: .precise)
        let theirs = try precise.eval(prompt, logits: .all)
        try precise.close()
        let ours = try Self.prefill(model, prompt)
        let v = llama.hyperParameters.vocabSize
        try #require(theirs.rows == prompt.count && ours.count == prompt.count * v)
        var maxDelta: Float = 0
        for p in 0..<prompt.count {
            for (a, b) in zip(ours[(p * v)..<((p + 1) * v)], theirs.row(p)) { maxDelta = max(maxDelta, abs(a - b)) }
        }
        #expect(maxDelta == 0, "\(c.testDescription): prefill logits differ from llama.cpp, max |Δ| \(maxDelta)")

        // Greedy, teacher-forced: the same token at every step.
        var options = SessionOptions()
        options.contextLength = 128
        let ref = try LlamaContext(model: refModel, contextLength: 128, threads: 1)
        let session = InferenceSession(model: model, options: options)
        var refRow = try ref.eval(prompt, logits: .last).values[...]
        var ourRow = try session.evaluate(prompt)[...]
        var tokens: [Int32] = [], same = 0
        for _ in 0..<SyntheticParityTests.steps {
            let t = ParityMetrics.argmax(refRow)
            if ParityMetrics.argmax(ourRow) == t && ourRow.elementsEqual(refRow) { same += 1 }
            tokens.append(t)
            refRow = try ref.eval([t], logits: .last).values[...]
            ourRow = try session.evaluate([t])[...]
        }
        try ref.close()
        #expect(same == SyntheticParityTests.steps, "\(c.testDescription): \(same)/\(SyntheticParityTests.steps) decode rows identical")
        #expect(Set(tokens).count > 4, "\(c.testDescription): greedy output degenerate (\(tokens))")

        // The comparison sees the architecture: a deliberately wrong variant gives other logits.
        let wrong = try LlamaLanguageModel(file: file, variant: Self.mutated(llama.variant))
        let wrongDelta = Self.maxDelta(try Self.prefill(wrong, prompt), theirs.values)
        #expect(wrongDelta > 0.01, "\(c.testDescription): a wrong variant still matches (max |Δ| \(wrongDelta))")
        let kernels = Set(session.executedKernels).sorted().joined(separator: " ")
        print("TABLE | \(c.testDescription) | \(prompt.count) positions max |Δ| \(maxDelta) | decode "
            + "\(same)/\(SyntheticParityTests.steps) identical, \(Set(tokens).count) distinct tokens | wrong variant "
            + "max |Δ| \(wrongDelta) | kernels \(kernels)")
    }

    /// LLaMA-3 `rope_freqs` (as Llama 3.1+ GGUFs carry them): a llama model with factors 1…8.75 over its 32 pairs
    /// gives llama.cpp's logits exactly, and ignoring the factors (the same file without the tensor) does not.
    @Test func ropeFrequencyFactorsMatchLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-rope-freqs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = SyntheticModel(architecture: .llama, shape: .tiny, weightType: .q8_0, seed: Self.seed)
        var writer = try model.makeWriter()
        let pairs = SyntheticShape.tiny.headLength / 2
        try writer.addTensor(name: "rope_freqs.weight", shape: [pairs], f32: (0..<pairs).map { 1 + Float($0) / 4 })
        try writer.write(to: dir + "/with.gguf")
        try model.write(to: dir + "/without.gguf")
        let row = try Self.expectExactAndEachVariantMoves("llama with rope_freqs", model: dir + "/with.gguf",
                                                          variants: [("factors ignored", dir + "/without.gguf")])
        print("TABLE | llama q8_0 + rope_freqs | \(row)")
    }

    /// Linear RoPE scaling (`<arch>.rope.scaling.factor`, llama.cpp's `rope_freq_scale_train` = 1 / factor, which
    /// multiplies every angle): a llama file with factor 4 and a gemma3 file with factor 8 (Gemma 3 4B and larger
    /// scale their global layers; the sliding-window layers keep scale 1), each against llama.cpp on the same file
    /// (max |Δ| 0 over every prompt position), and against the same file without the factor, which must differ.
    /// gemma3 refuses a YaRN factor with a typed error (llama.cpp's gemma3 files use linear scaling).
    @Test func linearRopeScalingMatchesLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-rope-linear")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var llama = try SyntheticModel(architecture: .llama, shape: .tiny, weightType: .q8_0, seed: Self.seed).makeWriter()
        try llama.write(to: dir + "/llama-unscaled.gguf")
        llama.metadata["llama.rope.scaling.type"] = .string("linear")
        llama.metadata["llama.rope.scaling.factor"] = .float32(4)
        try llama.write(to: dir + "/llama.gguf")
        var gemma = try Self.syntheticGemma3(dir: dir)
        try gemma.write(to: dir + "/gemma3-unscaled.gguf")
        gemma.metadata["gemma3.rope.scaling.type"] = .string("linear")
        gemma.metadata["gemma3.rope.scaling.factor"] = .float32(8)
        try gemma.write(to: dir + "/gemma3.gguf")

        for name in ["llama", "gemma3"] {
            let row = try Self.expectExactAndEachVariantMoves(
                "\(name) with linear RoPE scaling", model: dir + "/\(name).gguf",
                variants: [("factor ignored", dir + "/\(name)-unscaled.gguf")])
            print("TABLE | \(name) linear RoPE scaling | \(row)")
        }

        gemma.metadata["gemma3.rope.scaling.type"] = .string("yarn")
        try gemma.write(to: dir + "/gemma3-yarn.gguf")
        #expect(throws: ModelError.self) { try ModelRegistry.load(try GGUFFile(path: dir + "/gemma3-yarn.gguf")) }
    }

    /// YaRN RoPE scaling (`rope.scaling.type` yarn, as Qwen2.5/Qwen3 long-context files carry it): a llama model with
    /// factor 4 and a qwen2 (NeoX pairs) model with factor 3.3, both with an original context of 512, against llama.cpp on the same file —
    /// angles mixed between scaled and unscaled by the ramp over pairs 3…16, cosine and sine times llama.cpp's
    /// attention factor — and against the same file read as linear scaling, which must differ.
    @Test func yarnRopeScalingMatchesLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-rope-yarn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (arch, factor) in [(SyntheticArchitecture.llama, Float(4)), (.qwen2, 3.3)] {
            let a = arch.rawValue
            var writer = try SyntheticModel(architecture: arch, shape: .tiny, weightType: .q8_0, seed: Self.seed)
                .makeWriter()
            writer.metadata["\(a).rope.scaling.factor"] = .float32(factor)
            writer.metadata["\(a).rope.scaling.original_context_length"] = .uint32(512)
            writer.metadata["\(a).rope.scaling.type"] = .string("linear")
            try writer.write(to: dir + "/\(a)-linear.gguf")
            writer.metadata["\(a).rope.scaling.type"] = .string("yarn")
            try writer.write(to: dir + "/\(a).gguf")
            let row = try Self.expectExactAndEachVariantMoves("\(a) with YaRN", model: dir + "/\(a).gguf",
                                                              variants: [("as linear", dir + "/\(a)-linear.gguf")])
            print("TABLE | \(a) YaRN RoPE scaling × \(factor) | \(row)")
        }
    }

    /// mistral3 as Ministral 3 files carry it: YaRN with explicit β (24, 2) and a log multiplier (0.7), and Llama 4's
    /// attention temperature (scale 0.1 over buckets of the original context, 16 here so the 59 positions span four
    /// buckets). Against llama.cpp on the same file (max |Δ| 0), and against the file without each of the three —
    /// every one must move the logits.
    @Test func mistral3YaRNAndTemperatureMatchLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-mistral3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keys: [String: GGUFValue] = [
            "rope.scaling.type": .string("yarn"), "rope.scaling.factor": .float32(16),
            "rope.scaling.original_context_length": .uint32(16), "rope.scaling.yarn_beta_fast": .float32(24),
            "rope.scaling.yarn_beta_slow": .float32(2), "rope.scaling.yarn_log_multiplier": .float32(0.7),
            "attention.temperature_scale": .float32(0.1),
        ]
        func write(_ name: String, without dropped: [String] = []) throws -> String {
            var writer = try SyntheticModel(architecture: .mistral3, shape: .tiny, weightType: .q8_0, seed: Self.seed)
                .makeWriter()
            for (k, v) in keys where !dropped.contains(k) { writer.metadata["mistral3.\(k)"] = v }
            try writer.write(to: dir + "/\(name).gguf")
            return dir + "/\(name).gguf"
        }
        let row = try Self.expectExactAndEachVariantMoves("mistral3", model: try write("model"), variants: [
            ("no temperature", try write("t", without: ["attention.temperature_scale"])),
            ("default β", try write("b", without: ["rope.scaling.yarn_beta_fast", "rope.scaling.yarn_beta_slow"])),
            ("no log multiplier", try write("m", without: ["rope.scaling.yarn_log_multiplier"])),
        ])
        print("TABLE | mistral3 q8_0 YaRN ×16, temperature 0.1 | " + row)
    }

    /// granite's multipliers one at a time: the file without `embedding_scale`, `residual_scale` or `attention.scale`
    /// each gives other logits than llama.cpp on the full file (so each is applied), and a file with
    /// `rope.scaling.finetuned` false (Granite's switch that turns RoPE off in every block) matches llama.cpp on
    /// itself exactly while the same weights with RoPE do not.
    @Test func graniteMultipliersMatchLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-granite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, without dropped: String? = nil, rope: Bool = true) throws -> String {
            var writer = try SyntheticModel(architecture: .granite, shape: .tiny, weightType: .q8_0, seed: Self.seed,
                                            tiedOutput: false).makeWriter()
            if let dropped { writer.metadata["granite.\(dropped)"] = nil }
            if !rope { writer.metadata["granite.rope.scaling.finetuned"] = .bool(false) }
            try writer.write(to: dir + "/\(name).gguf")
            return dir + "/\(name).gguf"
        }
        let model = try write("model")
        let row = try Self.expectExactAndEachVariantMoves("granite", model: model, variants: try [
            "embedding_scale", "residual_scale", "attention.scale"].map { ("without \($0)", try write($0, without: $0)) })
        let noRope = try Self.expectExactAndEachVariantMoves("granite without RoPE",
                                                             model: try write("no-rope", rope: false),
                                                             variants: [("with RoPE", model)])
        print("TABLE | granite q8_0 multipliers | \(row) | rope.scaling.finetuned false: \(noRope)")
    }

    /// A synthetic gemma3 file llama.cpp loads: the tiny-wide-heads qwen3 model's tensors (its per-head query/key
    /// norms are Gemma's too) plus Gemma's post-attention and post-feed-forward norms, a sliding window of 4 on
    /// every other layer (pattern 2: layer 0 local, layer 1 global).
    static func syntheticGemma3(dir: String, weightType: GGMLType = .q8_0, seed: UInt64 = Self.seed,
                                normSeed: UInt64 = 0x6E45) throws -> GGUFWriter {
        let shape = SyntheticShape.tinyWideHeads
        try SyntheticModel(architecture: .qwen3, shape: shape, weightType: weightType, seed: seed)
            .write(to: dir + "/qwen3.gguf")
        let source = try GGUFFile(path: dir + "/qwen3.gguf")
        var writer = GGUFWriter()
        for (key, value) in source.metadata.entries {
            writer.metadata[key.hasPrefix("qwen3.") ? "gemma3." + key.dropFirst(6) : key] = value
        }
        writer.metadata["general.architecture"] = .string("gemma3")
        writer.metadata["gemma3.rope.freq_base"] = .float32(1_000_000)
        writer.metadata["gemma3.attention.sliding_window"] = .uint32(4)
        writer.metadata["gemma3.attention.sliding_window_pattern"] = .uint32(2)
        for t in source.tensors {
            try writer.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: [UInt8](source.data(of: t)))
        }
        var rng = SeededRandom(seed: normSeed)
        for block in 0..<shape.blockCount {
            for name in ["post_attention_norm", "post_ffw_norm"] {
                let values = (0..<shape.embeddingLength).map { _ in 1 + 0.3 * Float.random(in: -1...1, using: &rng) }
                try writer.addTensor(name: "blk.\(block).\(name).weight", shape: [shape.embeddingLength], f32: values)
            }
        }
        return writer
    }

    /// Phi-3's LongRoPE (128k-context models): with the original context set to 256, a 128-cell context uses the
    /// short factors and a 512-cell one the long factors (llama.cpp pads the context to 256 and compares), and the
    /// attention factor scales RoPE's cosine and sine. Both give llama.cpp's logits exactly; swapping the two factor
    /// sets, or dropping the attention factor, does not.
    @Test func phi3LongRoPEMatchesLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("arch-longrope")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shape = SyntheticShape.tinyNarrowHeads, pairs = shape.headLength / 2
        let long = (0..<pairs).map { 1 + Float($0) * 0.75 }, short = (0..<pairs).map { 1 + Float($0) / 8 }
        func write(_ path: String, long: [Float], short: [Float], attentionFactor: Bool = true) throws {
            var writer = try SyntheticModel(architecture: .phi3, shape: shape, weightType: .q8_0, seed: Self.seed).makeWriter()
            writer.metadata["phi3.rope.scaling.original_context_length"] = .uint32(256)
            if attentionFactor { writer.metadata["phi3.rope.scaling.attn_factor"] = .float32(1.1902381) }
            try writer.addTensor(name: "rope_factors_long.weight", shape: [pairs], f32: long)
            try writer.addTensor(name: "rope_factors_short.weight", shape: [pairs], f32: short)
            try writer.write(to: path)
        }
        try write(dir + "/model.gguf", long: long, short: short)
        try write(dir + "/swapped.gguf", long: short, short: long)
        try write(dir + "/unscaled.gguf", long: long, short: short, attentionFactor: false)
        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: dir + "/model.gguf", library: library)
        let prompt = try refModel.tokenize(String(repeating: SyntheticParityTests.prompt + " ", count: 3), addSpecial: true)
        for context in [128, 512] {
            let precise = try LlamaContext(model: refModel, contextLength: context, threads: 1, precision: .precise)
            let theirs = try precise.eval(prompt, logits: .all)
            try precise.close()
            func ours(_ path: String) throws -> [Float] {
                var options = SessionOptions()
                options.contextLength = context
                options.kvCacheType = .f32
                return try InferenceSession(model: try ModelRegistry.load(try GGUFFile(path: path)), options: options)
                    .evaluate(prompt, allLogits: true)
            }
            let exact = Self.maxDelta(try ours(dir + "/model.gguf"), theirs.values)
            let swapped = Self.maxDelta(try ours(dir + "/swapped.gguf"), theirs.values)
            let unscaled = Self.maxDelta(try ours(dir + "/unscaled.gguf"), theirs.values)
            #expect(exact == 0, "context \(context): max |Δ| \(exact)")
            #expect(unscaled > 0.01, "context \(context): without the attention factor still matches (max |Δ| \(unscaled))")
            #expect(swapped > 0.01, "context \(context): the other factor set still matches (max |Δ| \(swapped))")
            print("TABLE | phi3 q8_0 LongRoPE, context \(context) (\(context > 256 ? "long" : "short") factors) | "
                + "\(prompt.count) positions max |Δ| \(exact) | factors swapped: \(swapped) | no attention factor: \(unscaled)")
        }
    }

    /// llama.cpp's logits (precise, 128 cells) at every position of a 59-token prompt on `path`, computed once, and
    /// our max |Δ| to them on `path` and on each of `variants` (the same model with one detail changed):
    /// (positions, exact, one max |Δ| per variant).
    static func deltasToLlamaCpp(_ path: String,
                                 variants: [String]) throws -> (positions: Int, exact: Float, variants: [Float]) {
        let refModel = try LlamaReference.LlamaModel(path: path, library: try ExactReference.library())
        // Long enough that the slowest pairs' angles move.
        let prompt = try refModel.tokenize(String(repeating: SyntheticParityTests.prompt + " ", count: 3), addSpecial: true)
        let precise = try LlamaContext(model: refModel, contextLength: 128, threads: 1, precision: .precise)
        let theirs = try precise.eval(prompt, logits: .all)
        try precise.close()
        let ours = try prefill(try ModelRegistry.load(try GGUFFile(path: path)), prompt)
        let others = try variants.map {
            maxDelta(try prefill(try ModelRegistry.load(try GGUFFile(path: $0)), prompt), theirs.values)
        }
        return (prompt.count, maxDelta(ours, theirs.values), others)
    }

    /// Expects `model` to match llama.cpp exactly and every labelled variant (the model with one detail dropped) to
    /// be more than 0.01 away; returns the figures as one TABLE cell list.
    static func expectExactAndEachVariantMoves(_ name: String, model: String,
                                               variants: [(label: String, path: String)]) throws -> String {
        let (positions, exact, others) = try deltasToLlamaCpp(model, variants: variants.map(\.path))
        #expect(exact == 0, "\(name): max |Δ| \(exact) over \(positions) positions")
        for (v, other) in zip(variants, others) {
            #expect(other > 0.01, "\(name), \(v.label): still matches llama.cpp (max |Δ| \(other))")
        }
        return (["\(positions) positions max |Δ| \(exact)"] + zip(variants, others).map { "\($0.label): \($1)" })
            .joined(separator: " | ")
    }

    /// All-position logits of `prompt` with an F32 cache (llama.cpp's `precise` configuration).
    static func prefill(_ model: any DecoderNetwork, _ prompt: [Int32]) throws -> [Float] {
        var options = SessionOptions()
        options.contextLength = 128
        options.kvCacheType = .f32
        return try InferenceSession(model: model, options: options).evaluate(prompt, allLogits: true)
    }

    static func maxDelta(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// `variant` with the detail that distinguishes its architecture changed: qwen3 without its query/key norms
    /// (their tensors stay in the file, unread), smollm3 with RoPE on every block, granite without its multipliers,
    /// the others with the other RoPE pairing.
    static func mutated(_ v: LlamaVariant) -> LlamaVariant {
        if v.queryKeyNorm { return LlamaVariant(architecture: v.architecture, ropeStyle: v.ropeStyle) }
        if v.noRopeLayerStep != nil || v.graniteMultipliers {
            return LlamaVariant(architecture: v.architecture, ropeStyle: v.ropeStyle)
        }
        return LlamaVariant(architecture: v.architecture, ropeStyle: v.ropeStyle == .neox ? .interleaved : .neox,
                            scalesQueryFirst: v.scalesQueryFirst, fusedGateUp: v.fusedGateUp)
    }
}

/// Loading the llama-shaped architectures without the reference: what is refused, and how.
struct LlamaFamilyLoadingTests {
    /// LongRoPE factors are read for phi3 only (llama.cpp's other graphs ignore them), and a phi3 file with one of
    /// the two factor tensors is refused naming it, rather than run with the wrong rotation.
    @Test(arguments: [(SyntheticArchitecture.llama, true), (.phi3, false)])
    func incompleteOrMisplacedLongRoPEIsRefused(_ arch: SyntheticArchitecture, _ both: Bool) throws {
        let shape: SyntheticShape = arch == .phi3 ? .tinyNarrowHeads : .tiny
        var writer = try SyntheticModel(architecture: arch, shape: shape, weightType: .q8_0, seed: 1).makeWriter()
        let half = shape.headLength / 2
        try writer.addTensor(name: "rope_factors_long.weight", shape: [half], f32: Array(repeating: 1.5, count: half))
        if both { try writer.addTensor(name: "rope_factors_short.weight", shape: [half], f32: Array(repeating: 1, count: half)) }
        let dir = try TestModels.scratchDirectory("longrope-\(arch.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writer.write(to: dir + "/model.gguf")
        #expect {
            _ = try ModelRegistry.load(try GGUFFile(path: dir + "/model.gguf"))
        } throws: { error in
            guard case ModelError.tensorUnusable(let name, let reason) = error else { return false }
            return name == "rope_factors_long.weight" && reason.contains("LongRoPE")
        }
    }

    /// A qwen3 file without its query/key norms is reported by the compatibility check and refused by the loader.
    @Test func qwen3NeedsItsNorms() throws {
        let model = SyntheticModel(architecture: .qwen3, shape: .tinyWideHeads, weightType: .q8_0, seed: 1)
        let writer = try model.makeWriter()
        var stripped = GGUFWriter()
        for (k, v) in writer.metadata.entries { stripped.metadata[k] = v }
        let file0 = try GGUFFile(bytes: writer.serialized())
        for t in file0.tensors where !t.name.hasSuffix("attn_k_norm.weight") {
            try stripped.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: Array(file0.data(of: t)))
        }
        let file = try GGUFFile(bytes: stripped.serialized())
        #expect(Compatibility.check(file).problems.contains("tensor 'blk.0.attn_k_norm.weight' is missing"))
        #expect(throws: ModelError.missingTensor(name: "blk.0.attn_k_norm.weight")) { _ = try ModelRegistry.load(file) }
    }
}
