import ArgumentParser
import CrossVal
import Foundation
import BitNetRuntime
import LlamaReference

/// `bitnet logits`: one side's prefill logits and greedy tokens on a list of prompts, written as a dump that
/// `bitnet logit-distance` compares with another (llama.cpp builds of two levels cannot share one process).
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Dump prefill logits and greedy tokens of our engine or one llama.cpp build, for logit-distance.",
        discussion: """
            Prefill rows come from our F32 KV cache or llama.cpp's precise configuration (flash attention off, F32 \
            cache); greedy tokens from our F16 cache or llama.cpp's default configuration. Writes OUT (JSON header) \
            and OUT.f32 (rows). Exit codes: 0 written; 1 a side could not run; 2 the reference is not installed.
            """
    )

    @Option(name: .long, help: "Path to a .gguf model, or a model name from models.lock.json.")
    var model: String

    @Option(name: .long, parsing: .singleValue, help: "A prompt (repeatable).")
    var prompt: [String] = []

    @Option(name: .long, help: "A file of prompts: a JSON array of strings.")
    var prompts: String?

    @Option(name: .long, help: "Greedy steps per prompt.")
    var steps: Int = 16

    @Option(name: .long, help: "Context length (default: longest prompt + steps, rounded up to 64).")
    var ctx: Int?

    @Option(name: .long, help: "Threads for our engine (default: physical cores).")
    var threads: Int?

    @Option(name: .customLong("reference"), help: "Dump this llama.cpp build (v3 or native) instead of our engine.")
    var referenceLevel: ReferenceLevel?

    @Option(name: .long, help: "The dump to write (and OUT.f32 beside it).")
    var out: String

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !prompt.isEmpty || prompts != nil else { throw ValidationError("give --prompt TEXT or --prompts FILE") }
        guard steps >= 0 else { throw ValidationError("--steps must be 0 or more") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be 1...256") }
    }

    func run() throws {
        let log = global.bootstrapLogging()
        var all = prompt
        if let prompts {
            guard let data = FileManager.default.contents(atPath: prompts),
                  let array = try? JSONDecoder().decode([String].self, from: data) else {
                throw ValidationError("cannot read '\(prompts)' as a JSON array of strings")
            }
            all += array
        }
        let side: LogitDump.Side = referenceLevel.map { .reference($0) }
            ?? .engine(threads: threads ?? SessionOptions().threads)
        let modelPath = try ModelOptions.resolveModel(model)
        do throws(CrossValError) {
            let dump = try LogitDump.capture(
                side, modelPath: modelPath, prompts: all, steps: steps, contextLength: ctx,
                path: out) { log.info("\($0)") }
            print("\(dump.source) \(dump.level): \(dump.prompts.count) prompts -> \(out)")
        } catch {
            FileHandle.standardError.write(Data("logits: \(error.description)\n".utf8))
            throw ExitCode(error.isReferenceUnavailable ? 2 : 1)
        }
    }
}

/// `bitnet logit-distance`: how far two logit dumps are from each other.
struct LogitDistanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logit-distance",
        abstract: "Compare two `bitnet logits` dumps: per-prompt minimum cosine, max |Δlogit|, top-1 agreement, greedy prefix.",
        discussion: "Exit codes: 0 compared; 1 the dumps cannot be read or are of different prompts."
    )

    @Argument(help: "The first dump.")
    var first: String

    @Argument(help: "The second dump.")
    var second: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        let distance: LogitDistance
        do throws(CrossValError) { distance = try LogitDistance.compare(first, second) } catch {
            FileHandle.standardError.write(Data("logit-distance: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            FileHandle.standardOutput.write(try encoder.encode(distance) + Data("\n".utf8))
            return
        }
        print("\(distance.a)  vs  \(distance.b)\(distance.identical ? "  (identical)" : "")")
        for p in distance.prompts {
            let line = String(format: "  prompt %d: %d positions, min cosine %.10f, max |Δ| %.6g, top-1 differs at %d, "
                + "greedy prefix %d/%d", p.index, p.positions, p.minCosine, p.maxAbsDiff, p.top1Disagreements,
                p.greedyPrefix, p.steps)
            print(line + (p.tokensEqual ? "" : " (token ids differ)"))
        }
    }
}
