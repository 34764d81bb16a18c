import ArgumentParser
import Bench
import BitNetRuntime
import Foundation

/// `bitnet bench`: prefill and decode tokens per second in llama-bench's table shape, optionally side by side with
/// the pinned llama.cpp measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill (ppN) and decode (tgN) tokens/s, optionally against llama.cpp's llama-bench.",
        discussion: """
            Each test runs once untimed (warm-up), then -r times. Prefill evaluates -p tokens as one batch from an \
            empty cache; decode evaluates -n single tokens after a one-token prompt. With --reference, the pinned \
            llama-bench runs once after each of our repetitions (interleaved, so both see the same machine load) \
            and the table gains llama.cpp's rate and the ratio ours / llama.cpp.
            """
    )

    @Option(name: .long, help: "Path to a .gguf model. Default: the cached SmolLM2-135M-Instruct.")
    var model: String?

    @Option(name: .customShort("p"), help: "Prompt tokens for the prefill test (0 skips it).")
    var promptTokens = 512

    @Option(name: .customShort("n"), help: "Tokens for the decode test (0 skips it).")
    var generateTokens = 128

    @Option(name: .customShort("r"), help: "Timed repetitions of each test.")
    var repetitions = 5

    @Option(name: .long, help: "Threads (default: physical cores).")
    var threads: Int?

    @Flag(help: "Also run the pinned llama.cpp's llama-bench, interleaved with our runs.")
    var reference = false

    @Option(name: .customLong("reference-bench"), help: "The llama-bench binary (default: the pinned reference build in the cache).")
    var referenceBench: String?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        let path = try ModelOptions.resolveModel(model)
        var c = BenchConfiguration(modelPath: path)
        c.promptTokens = promptTokens
        c.generateTokens = generateTokens
        c.repetitions = repetitions
        c.threads = threads ?? SessionOptions().threads
        guard (1...256).contains(c.threads) else { throw ValidationError("--threads must be 1...256, got \(c.threads)") }
        if reference || referenceBench != nil { c.referenceBinary = referenceBench ?? BenchConfiguration.pinnedReferenceBinary }
        let report = try BenchRunner(c).run { line in
            FileHandle.standardError.write(Data("[bench] \(line)\n".utf8))
        }
        if json {
            print(try BenchTable.json(report))
        } else {
            print(BenchTable.markdown(report))
            print("\nkernels: \(report.kernels.joined(separator: ", "))"
                + (report.referenceBuild.map { "; llama.cpp build \($0)" } ?? ""))
        }
    }
}
