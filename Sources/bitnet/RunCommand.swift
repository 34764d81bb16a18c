import ArgumentParser
import BitNetRuntime
import Foundation

/// `bitnet run`: continue a prompt, streaming tokens to stdout.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate a continuation of a prompt, streaming text to stdout; timings go to stderr."
    )

    @Argument(help: "The prompt text (read from stdin when omitted).")
    var prompt: String?

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var outputFormat: OutputFormatOptions

    @Flag(help: "Print one JSON object (text, token ids, timings) instead of streaming.")
    var json = false

    @Flag(name: .customLong("parse-special"), help: "Treat special-token text in the prompt (e.g. <|im_start|>) as tokens.")
    var parseSpecial = false

    @OptionGroup var global: GlobalOptions

    struct Report: Encodable {
        let model: String, prompt: String, prompt_tokens: [Int32], text: String, tokens: [Int32]
        let stop_reason: String, prefill_tokens_per_second: Double, decode_tokens_per_second: Double
        let prefill_seconds: Double, decode_seconds: Double, threads: Int, kernels: [String]
    }

    func run() throws {
        let log = global.bootstrapLogging()
        let text = try prompt ?? readStdin()
        let params = try sampling.parameters()
        let (engine, options) = try modelOptions.loadEngine()
        let session = engine.makeSession(options)
        let ids = engine.tokenizer.encode(text, addSpecial: true, parseSpecial: parseSpecial)
        log.debug("prompt: \(ids.count) tokens, context \(session.contextLength), threads \(options.threads)")
        let generator = Generator(session: session, tokenizer: engine.tokenizer)
        let result = try generator.generate(prompt: ids, maxTokens: sampling.nPredict, sampling: params,
                                            stop: sampling.stop, format: try outputFormat.format()) { piece in
            if !json { FileHandle.standardOutput.write(Data(piece.utf8)) }
            return true
        }
        if json {
            let report = Report(model: try modelOptions.resolvedModelPath(), prompt: text, prompt_tokens: ids,
                                text: result.text, tokens: result.tokens, stop_reason: result.stopReason.rawValue,
                                prefill_tokens_per_second: result.prefillTokensPerSecond,
                                decode_tokens_per_second: result.decodeTokensPerSecond,
                                prefill_seconds: result.prefillSeconds, decode_seconds: result.decodeSeconds,
                                threads: options.threads, kernels: session.executedKernels)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print()
        }
        FileHandle.standardError.write(Data(String(
            format: "[bitnet] prompt %d tokens, %.1f t/s | generated %d tokens, %.1f t/s | stop: %@ | threads %d\n",
            result.promptTokens, result.prefillTokensPerSecond, result.tokens.count, result.decodeTokensPerSecond,
            result.stopReason.rawValue, options.threads).utf8))
    }

    private func readStdin() throws -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let s = String(data: data, encoding: .utf8), !s.isEmpty else {
            throw ValidationError("no prompt given: pass it as an argument or on standard input")
        }
        return s
    }
}
