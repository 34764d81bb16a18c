import ArgumentParser
import BitNetRuntime
import Foundation

/// `bitnet chat`: an interactive conversation that keeps earlier turns in the KV cache.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model using its chat template; one line of stdin per user turn, /exit or EOF to quit."
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var outputFormat: OutputFormatOptions

    @Option(name: .long, help: "System prompt (default: the template's own, if any).")
    var system: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        let params = try sampling.parameters()
        let (engine, options) = try modelOptions.loadEngine()
        let template = try engine.chatTemplate.get()
        let session = engine.makeSession(options)
        let generator = Generator(session: session, tokenizer: engine.tokenizer)
        let bosText = engine.tokenizer.bos.flatMap { engine.tokenizer.text(of: $0) } ?? ""
        var messages: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        let format = try outputFormat.format()
        let vocabulary = format == .text ? nil : engine.tokenVocabulary
        let interactive = isatty(0) != 0
        while true {
            if interactive { FileHandle.standardError.write(Data("> ".utf8)) }
            guard let line = readLine(strippingNewline: true) else { break }
            if line == "/exit" { break }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            messages.append(ChatMessage(role: "user", content: line))
            let text = template.render(messages, addGenerationPrompt: true, bosText: bosText)
            // The template writes BOS itself where the family needs it, so no BOS is added here.
            let ids = PromptTokenization.chat.tokens(text, engine.tokenizer)
            let result = try generator.generate(prompt: ids, maxTokens: sampling.nPredict, sampling: params,
                                                stop: sampling.stop, format: format, vocabulary: vocabulary) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
                return true
            }
            print()
            messages.append(ChatMessage(role: "assistant", content: result.text))
            FileHandle.standardError.write(Data(String(
                format: "[bitnet] reused %d cached tokens, prompt %d tokens %.1f t/s, generated %d tokens %.1f t/s\n",
                result.reusedTokens, result.promptTokens, result.prefillTokensPerSecond, result.tokens.count,
                result.decodeTokensPerSecond).utf8))
        }
    }
}
