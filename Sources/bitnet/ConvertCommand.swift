import ArgumentParser
import Foundation
import GGUF
import ModelMaker

/// `bitnet convert`: rewrites a model's ternary matrices in another ternary format, keeping their values, or
/// requantizes every matrix into a 32-element block format (Q8_0, Q4_0, Q4_1).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert ternary matrices between TQ1_0, TQ2_0 and I2_S, or requantize a model to Q8_0/Q4_0/Q4_1/Q6_K.",
        discussion: """
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

    @Argument(help: "Input .gguf file.")
    var input: String

    @Argument(help: "Output .gguf file (written through OUTPUT.partial, renamed when complete).")
    var output: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let log = global.bootstrapLogging()
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
}
