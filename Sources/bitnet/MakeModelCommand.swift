import ArgumentParser
import Foundation
import GGUF
import ModelMaker

/// `bitnet make-model`: writes a deterministic random-weight model in one weight type, with a real tokenizer.
struct MakeModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-model",
        abstract: "Write a deterministic synthetic GGUF model (random weights, tokenizer from a vocab GGUF).",
        discussion: """
            The same arguments always give a byte-identical file. Every 2-D matrix is written in --quant \
            (rows that are not whole 256-element blocks fall back as llama.cpp's quantizer does: Q4_K → Q5_0, \
            Q6_K → Q8_0); norms are F32. The tokenizer.* metadata is copied from --vocab (default: the shape's \
            vocabulary in $BITNET_VOCAB_DIR or ~/.cache/bitnet-swift/vocab/0c1e570, see \
            scripts/fetch-vocab-suite.sh) and the vocabulary size is its token count. \
            Weight types: \((SyntheticTensorEncoder.supportedTypes + SyntheticTensorEncoder.ternaryTypes).map(\.name).joined(separator: ", ")). \
            Without --out the model goes to the cache, $BITNET_SYNTHETIC_DIR or ~/.cache/bitnet-swift/synthetic, \
            under a name keyed by architecture, shape, type, output head, seed, vocabulary and generator version, \
            and an existing cached file is reused (its path is printed). Files are streamed (bounded memory, \
            bitnet-2b is 1.2–1.9 GB) through FILE.partial, renamed when complete. \
            --arch bitnet always ties the output to an F16 token embedding; --arch bitnet-25 writes the published \
            2B-4T layout (F16 token_embd and an equal, unused F16 output.weight; use --quant i2_s for its matrices). \
            Exit codes: 0 written (or found in the cache); 1 bad arguments, unreadable vocabulary or unwritable output.
            """
    )

    @Option(help: "Architecture: \(SyntheticArchitecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch = "llama"

    @Option(help: "Shape preset: \(SyntheticShape.all.map(\.name).joined(separator: ", ")).")
    var shape = "tiny"

    @Option(help: "Weight type of every matrix (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q4_k, q6_k, tq1_0, tq2_0, i2_s).")
    var quant: String

    @Option(help: "A ggml-vocab-*.gguf whose tokenizer the model carries (default: the shape's).")
    var vocab: String?

    @Option(help: "Seed of every random weight.")
    var seed: UInt64

    @Option(name: .customLong("output-head"),
            help: "tied (output projection = token embedding) or separate (own output.weight); default: the shape's.")
    var outputHead: String?

    @Option(help: "Where to write the .gguf (written atomically); default: the synthetic-model cache.")
    var out: String?

    @Flag(help: "Print one JSON object (path, cached, architecture, shape, weight_type, seed, size_bytes) instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let outputHead, !["tied", "separate"].contains(outputHead) {
            throw ValidationError("--output-head must be tied or separate, not '\(outputHead)'")
        }
        if outputHead != nil, let a = SyntheticArchitecture(rawValue: arch), !a.isLlamaFamily {
            throw ValidationError("--output-head applies to the llama-shaped --arch values (llama, qwen2, qwen3, phi3, "
                + "mistral3, smollm3, granite) only: bitnet always "
                + "takes its logits from token_embd, and bitnet-25 writes the published (unused) output.weight; drop "
                + "the option")
        }
    }

    func run() throws {
        let log = global.bootstrapLogging()
        let model = SyntheticModel(
            architecture: try SyntheticArchitecture.named(arch), shape: try SyntheticShape.named(shape),
            weightType: try SyntheticTensorEncoder.type(named: quant), seed: seed,
            tiedOutput: outputHead.map { $0 == "tied" }, vocabularyPath: vocab)
        let out = self.out ?? model.cachePath
        if self.out == nil && FileManager.default.fileExists(atPath: out) {
            if json { try report(model, path: out, cached: true) } else { print("cached \(out)") }
            return
        }
        if self.out == nil {
            try FileManager.default.createDirectory(atPath: SyntheticModel.cacheDirectory, withIntermediateDirectories: true)
        }
        log.debug("making \(model.shape.name) \(model.weightType.name) seed \(seed) with \(model.vocabularyPath)")
        try model.write(to: out)
        if json { return try report(model, path: out, cached: false) }
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print("wrote \(out): \(model.architecture.rawValue) \(model.shape.name) \(model.weightType.name), seed \(seed), "
            + "\(model.tiedOutput ? "tied" : "separate") output, \(size) bytes")
    }

    /// The `--json` line: what scripts read the model's path from.
    private func report(_ model: SyntheticModel, path: String, cached: Bool) throws {
        struct Made: Encodable {
            var path: String, cached: Bool, architecture: String, shape: String, weight_type: String
            var seed: UInt64, size_bytes: Int
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let made = Made(path: path, cached: cached, architecture: model.architecture.rawValue, shape: model.shape.name,
                        weight_type: model.weightType.name, seed: UInt64(seed), size_bytes: size)
        print(String(decoding: try encoder.encode(made), as: UTF8.self))
    }
}
