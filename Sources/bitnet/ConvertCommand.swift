import ArgumentParser
import Foundation
import GGUF
import ModelMaker

/// `bitnet convert`: rewrites a model's ternary matrices in another ternary format, keeping their values.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model's ternary matrices between TQ1_0, TQ2_0 and I2_S without changing their values.",
        discussion: """
            Every TQ1_0/TQ2_0/I2_S tensor, and every F32/F16 BitNet projection (blk.N.attn_q/k/v/output.weight, \
            blk.N.ffn_gate/up/down.weight), is written in --to with the same ternary codes and scales; everything \
            else is copied, and general.file_type is set to the target's. Refused (exit 1, no output written): \
            F32/F16 projections that are not 0/±s with one s per tensor; blocks with different scales into I2_S \
            (one scale per tensor); code 3 (weight +2) into TQ1_0; an F32 scale with no exact F16 form into TQ1_0/TQ2_0 \
            unless --round-scales. The architecture is kept unless --arch bitnet relabels a bitnet-25 file as \
            upstream bitnet (keys renamed, unused output.weight dropped) so llama.cpp loads it; that file computes \
            SiLU where the model has ReLU², a different function (docs/bitnet-25.md). The output is written atomically.
            """
    )

    @Option(help: "Target format: tq1_0, tq2_0 or i2_s.")
    var to: String

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
        let converter = try TernaryModelConverter(target: try TernaryModelConverter.target(named: to), roundScales: roundScales,
                                                  architecture: arch)
        log.debug("converting \(input) to \(converter.target.name)")
        let s = try converter.convert(input: input, output: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("wrote \(output): \(s.converted) tensors as \(converter.target.name), \(s.copied) copied, "
            + "\(s.roundedScales) with rounded scales, \(size) bytes")
    }
}
