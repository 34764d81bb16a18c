import ArgumentParser
import Foundation
import GGUF
import ModelMaker

/// `bitnet convert`: rewrites a model's ternary matrices in another ternary format, keeping their values, or
/// requantizes every matrix into a 32-element block format (Q8_0, Q4_0, Q4_1).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Hugging Face checkpoint to GGUF, convert ternary matrices between TQ1_0, TQ2_0 and I2_S, or requantize a model to Q8_0/Q4_0/Q4_1/Q6_K.",
        discussion: """
            --from-hf DIR OUTPUT: reads a Hugging Face safetensors checkpoint (config.json, *.safetensors or a \
            sharded index, tokenizer.json or tokenizer.model, tokenizer_config.json) of LlamaForCausalLM, MistralForCausalLM, \
            Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM or BitNetForCausalLM and writes GGUF as llama.cpp's \
            convert_hf_to_gguf.py does for the same --to (default f16; f32, f16, bf16, q8_0, and for BitNet tq1_0, \
            tq2_0; also q4_0, q4_1, q6_k, and i2_s for BitNet). BitNet projections are ternarised with the absmean \
            rule; a ReLU² BitNet (BitNet b1.58 2B-4T's master weights) is written as bitnet-25, others as bitnet \
            (--arch overrides). The tokenizer's pre-tokenizer is recognised from tokenizer.json (llama-bpe, qwen2, \
            smollm, gpt-2); --tokenizer-pre NAME names another. docs/convert.md says what is checked against \
            llama.cpp's converter.

            --to q8_0, q4_0, q4_1 or q6_k: every matrix whose rows are whole blocks of the target is dequantized and \
            quantized again with llama.cpp's reference quantizer for the target (as llama-quantize \
            --allow-requantize does; from an already-quantized model this adds the target's rounding to the \
            original's); one-dimensional tensors are copied. Used to make a Q8_0 copy of a model for benchmarks.

            --to tq1_0, tq2_0 or i2_s: \
            every TQ1_0/TQ2_0/I2_S tensor, and every F32/F16 BitNet projection (blk.N.attn_q/k/v/output.weight, \
            blk.N.ffn_gate/up/down.weight), is written in --to with the same ternary codes and scales; everything \
            else is copied, and general.file_type is set to the target's. Refused (exit 1, no output written): \
            F32/F16 projections that are not 0/±s with one s per tensor; blocks with different scales into I2_S \
            (one scale per tensor); code 3 (weight +2) into TQ1_0; an F32 scale with no exact F16 form into TQ1_0/TQ2_0 \
            unless --round-scales. The architecture is kept unless --arch bitnet relabels a bitnet-25 file as \
            upstream bitnet (keys renamed, unused output.weight dropped) so llama.cpp loads it; that file computes \
            SiLU where the model has ReLU², a different function (docs/bitnet-25.md). The output is written atomically.
            """
    )

    @Option(help: "Target format: tq1_0, tq2_0 or i2_s (ternary), or q8_0, q4_0, q4_1 (requantize).")
    var to: String?

    @Option(name: .customLong("token-embedding-type"),
            help: "Requantize only the token embedding (and output.weight) to q8_0, q4_0, q4_1 or q6_k; the rest is copied.")
    var tokenEmbeddingType: String?

    @Flag(name: .customLong("round-scales"), help: "Allow rounding an F32 tensor scale to F16 for TQ1_0/TQ2_0 targets.")
    var roundScales = false

    @Option(help: "Relabel the architecture: only bitnet (from bitnet-25).")
    var arch: String?

    @Option(name: .customLong("from-hf"), help: "A Hugging Face checkpoint folder to convert (then give only OUTPUT).")
    var fromHF: String?

    @Option(name: .customLong("tokenizer-pre"), help: "With --from-hf: the llama.cpp pre-tokenizer name to write.")
    var tokenizerPre: String?

    @Flag(help: "With --from-hf: print the summary as one JSON object (architecture, tensors by type, tokens, bytes, output).")
    var json = false

    @Argument(help: "INPUT.gguf OUTPUT.gguf, or with --from-hf only OUTPUT.gguf (written through OUTPUT.partial, renamed when complete).")
    var files: [String] = []

    var input: String { files[0] }
    var output: String { files[files.count - 1] }

    func validate() throws {
        if fromHF != nil {
            guard files.count == 1 else { throw ValidationError("with --from-hf give one OUTPUT.gguf path.") }
            guard tokenEmbeddingType == nil, !roundScales else {
                throw ValidationError("--token-embedding-type and --round-scales do not apply to --from-hf.")
            }
        } else {
            guard files.count == 2 else { throw ValidationError("give INPUT.gguf and OUTPUT.gguf (or --from-hf DIR OUTPUT.gguf).") }
            guard tokenizerPre == nil, !json else { throw ValidationError("--tokenizer-pre and --json apply to --from-hf only.") }
        }
    }

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let log = global.bootstrapLogging()
        if let fromHF {
            try convertCheckpoint(fromHF)
            return
        }
        if let tokenEmbeddingType {
            guard to == nil, arch == nil, !roundScales else {
                throw ValidationError("--token-embedding-type is used alone (no --to, --arch or --round-scales).")
            }
            guard let target = ModelRequantizer.target(named: tokenEmbeddingType) else {
                throw ValidationError("--token-embedding-type \(tokenEmbeddingType): use q8_0, q4_0, q4_1 or q6_k.")
            }
            let requantizer = try ModelRequantizer(target: target, only: ModelRequantizer.tokenEmbeddingTensors)
            let s = try requantizer.convert(input: input, output: output)
            guard s.requantized > 0 else {
                try? FileManager.default.removeItem(atPath: output)
                throw ValidationError("\(input) has no token_embd.weight or output.weight matrix to requantize.")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print("wrote \(output): \(s.requantized) embedding/output matrices as \(target.name), \(s.copied) tensors "
                  + "copied, \(size) bytes")
            return
        }
        guard let to else { throw ValidationError("give --to FORMAT (or --token-embedding-type TYPE).") }
        guard ModelRequantizer.target(named: to) != nil || (try? TernaryModelConverter.target(named: to)) != nil else {
            throw RequantizationError.unsupportedTarget(to)  // names every target, ternary or not
        }
        if let target = ModelRequantizer.target(named: to) {
            guard arch == nil, !roundScales else {
                throw ValidationError("--arch and --round-scales apply to ternary targets only, not \(to).")
            }
            let requantizer = try ModelRequantizer(target: target)
            log.debug("requantizing \(input) to \(target.name)")
            let s = try requantizer.convert(input: input, output: output)
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print("wrote \(output): \(s.requantized) matrices as \(target.name), \(s.copied) tensors copied, \(size) bytes")
            return
        }
        let converter = try TernaryModelConverter(target: try TernaryModelConverter.target(named: to), roundScales: roundScales,
                                                  architecture: arch)
        log.debug("converting \(input) to \(converter.target.name)")
        let s = try converter.convert(input: input, output: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("wrote \(output): \(s.converted) tensors as \(converter.target.name), \(s.copied) copied, "
            + "\(s.roundedScales) with rounded scales, \(size) bytes")
    }

    /// `--from-hf DIR OUTPUT`.
    func convertCheckpoint(_ directory: String) throws {
        let name = to ?? "f16"
        guard let target = HFModelConverter.target(named: name) else {
            throw ValidationError("--to \(name): with --from-hf use one of "
                + HFModelConverter.targets.map { $0.name.lowercased() }.joined(separator: ", ") + ".")
        }
        let converter = try HFModelConverter(target: target, architecture: arch, tokenizerPre: tokenizerPre)
        let interactive = isatty(STDERR_FILENO) != 0 && !json
        let s = try converter.convert(directory: directory, output: output) { i, n, tensor in
            guard interactive else { return }
            FileHandle.standardError.write(Data("\r[\(i + 1)/\(n)] \(tensor)\u{1B}[K".utf8))
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        if json {
            let object: [String: Any] = ["output": output, "architecture": s.architecture, "tensors": s.tensors,
                                         "tensors_by_type": s.tensorsByType, "vocabulary_size": s.vocabularySize,
                                         "bytes": size, "target": target.name.lowercased()]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let types = s.tensorsByType.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("wrote \(output): \(s.architecture), \(s.tensors) tensors (\(types)), \(s.vocabularySize) tokens, \(size) bytes")
    }
}
