import ArgumentParser
import CrossVal
import Foundation
import BitNetRuntime
import LlamaReference

/// `bitnet crossval`: compares the engine with llama.cpp (tokens, prefill logits, greedy decode) and writes a receipt.
struct CrossvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossval",
        abstract: "Cross-validate a model against llama.cpp: tokens, prefill logits per position, greedy decode per step.",
        discussion: """
            Each prompt climbs a ladder and stops at its first failing rung: token ids (exact), prefill logits \
            (our F32 KV cache vs llama.cpp with flash attention off and an F32 cache: cosine, MSE, max |Δ|, \
            KL(ref‖ours), top-5 agreement per position), greedy decode (our F16 cache vs llama.cpp's default \
            configuration, teacher-forced on llama.cpp's tokens; a disagreement inside the reference's own top-2 \
            margin is a near-tie). Thresholds default per weight type (docs/parity.md). The receipt is described \
            in docs/receipts.md; check one with `bitnet verify-receipt`.
            Exit codes: 0 pass; 1 fail (or a side could not run); 2 the llama.cpp reference is not installed.
            """
    )

    @Option(name: .long, help: "Path to a .gguf model, or a model name from models.lock.json.")
    var model: String

    @Option(name: .long, parsing: .singleValue, help: "A prompt (repeatable).")
    var prompt: [String] = []

    @Option(name: .long, help: "A file of prompts: a JSON array of strings, or one prompt per non-empty line.")
    var prompts: String?

    @Option(name: .long, help: "Greedy steps per prompt.")
    var steps: Int = 32

    @Option(name: .long, help: "Threads for our engine (default: physical cores).")
    var threads: Int?

    @Option(name: .customLong("reference-threads"), help: "Threads for llama.cpp (default 1: see docs/parity.md).")
    var referenceThreads: Int = 1

    @Option(name: .customLong("cos-min"), help: "Prefill cosine threshold (default: per weight type).")
    var cosMin: Double?

    @Option(name: .customLong("decode-cos-min"), help: "Decode cosine threshold (default \(ThresholdPolicy.decodeCosine)).")
    var decodeCosMin: Double?

    @Option(name: .customLong("tie-margin"), help: "Greedy near-tie margin in logits.")
    var tieMargin: Double = ThresholdPolicy.tieMargin

    @Option(name: .long, help: "Context length (default: longest prompt + steps, rounded up to 64).")
    var ctx: Int?

    @Option(name: .long, help: "Write the receipt (JSON) to this file.")
    var receipt: String?

    @Flag(help: "Print the receipt on stdout instead of the tables.")
    var json = false

    @Option(help: "Use this reference shim (file, or directory holding it) instead of searching.")
    var library: String?

    @Option(name: .customLong("reference"),
            help: "The llama.cpp build to compare with: v3 (x86-64-v3) or native. Default: the level whose kernel routes the engine takes on this host (the exact tier; x86-64-v3 for the AVX2 kernels). The receipt records both levels and the tier.")
    var referenceLevel: ReferenceLevel?

    @Option(help: "Time limit in seconds for each llama.cpp call.")
    var timeout: Double = 300

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !prompt.isEmpty || prompts != nil else { throw ValidationError("give --prompt TEXT or --prompts FILE") }
        guard steps >= 0 else { throw ValidationError("--steps must be 0 or more") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256") }
        guard (1...256).contains(referenceThreads) else { throw ValidationError("--reference-threads must be 1...256") }
        for (name, value) in [("--cos-min", cosMin), ("--decode-cos-min", decodeCosMin)] {
            if let value, !(value > 0 && value <= 1) { throw ValidationError("\(name) must be in (0, 1]") }
        }
        guard tieMargin >= 0 else { throw ValidationError("--tie-margin must be 0 or more") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let log = global.bootstrapLogging()
        var configuration = CrossValConfiguration(
            modelPath: try ModelOptions.resolveModel(model), prompts: try allPrompts(), engineThreads: threads ?? SessionOptions().threads,
            engineVersion: BitNetVersion.string)
        configuration.steps = steps
        configuration.referenceThreads = referenceThreads
        configuration.prefillCosineMin = cosMin
        configuration.decodeCosineMin = decodeCosMin
        configuration.tieMargin = tieMargin
        configuration.contextLength = ctx
        configuration.referenceLibraryPath = library
        configuration.referenceLevel = referenceLevel
        configuration.referenceTimeout = .milliseconds(Int(timeout * 1000))

        let result: CrossValReceipt
        do {
            result = try CrossValRunner.run(configuration) { line in log.info("\(line)") }
        } catch {
            FileHandle.standardError.write(Data("crossval: \(error.description)\n".utf8))
            throw ExitCode(error.isReferenceUnavailable ? 2 : 1)
        }
        let data = try ReceiptCodec.encode(result)
        if let receipt {
            try data.write(to: URL(fileURLWithPath: receipt), options: .atomic)
        }
        if json {
            FileHandle.standardOutput.write(data)
        } else {
            print(CrossValReport.text(result))
            if let receipt { print("receipt: \(receipt)") }
        }
        if result.status != .pass { throw ExitCode(1) }
    }

    private func allPrompts() throws -> [String] {
        var all = prompt
        if let prompts {
            guard let data = FileManager.default.contents(atPath: prompts) else {
                throw ValidationError("cannot read the prompts file '\(prompts)'")
            }
            if let array = try? JSONDecoder().decode([String].self, from: data) {
                all += array
            } else {
                all += String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                    .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            }
        }
        guard !all.isEmpty else { throw ValidationError("no prompts: the prompts file is empty") }
        return all
    }
}
