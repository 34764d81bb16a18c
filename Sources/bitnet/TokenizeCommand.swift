import ArgumentParser
import Foundation
import GGUF
import Tokenizers

/// `bitnet tokenize`: the token ids (and pieces) a model's tokenizer gives a text, as `llama-tokenize` prints them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a GGUF model's tokenizer and print ids and pieces.",
        discussion: """
            Ids match llama.cpp's llama_tokenize for the same flags. By default BOS/EOS are added when the model \
            asks for them (like llama-tokenize); --no-bos adds no special tokens. With --bench the text (usually \
            --file) is tokenized --repeat times and the best time is reported instead of the tokens.
            Exit codes: 0 success; 1 unreadable model, unsupported tokenizer or unreadable input.
            """
    )

    @Option(name: .long, help: "Path to a .gguf model or a lockfile model name (only its tokenizer metadata is read).")
    var model: String

    @Argument(help: "Text to tokenize (omit when using --file).")
    var text: String?

    @Option(name: .long, help: "Read the text from this file instead of the argument.")
    var file: String?

    @Flag(help: "Print one JSON object: ids, pieces, and the tokenizer facts.")
    var json = false

    @Flag(name: .customLong("no-bos"), help: "Do not add BOS/EOS (add_special = false).")
    var noBOS = false

    @Flag(name: .customLong("parse-special"), help: "Recognise control tokens such as <|im_start|> in the text.")
    var parseSpecial = false

    @Flag(name: .customLong("ids"), help: "Print only the ids, as a Python-style list (like llama-tokenize --ids).")
    var idsOnly = false

    @Flag(help: "Time tokenization of the text instead of printing tokens.")
    var bench = false

    @Option(name: .customLong("repeat"), help: "With --bench: how many timed runs (the best is reported).")
    var runs: Int = 5

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give either TEXT or --file FILE") }
        guard runs >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let log = global.bootstrapLogging()
        let input: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read '\(file)'")
            }
            input = Array(data)
        } else {
            input = Array((text ?? "").utf8)
        }
        let loadStart = ContinuousClock.now
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: try ModelOptions.resolveModel(model)))
        log.debug("tokenizer loaded in \(ContinuousClock.now - loadStart): \(tokenizer.kind), \(tokenizer.vocabularySize) tokens")
        if bench { return runBench(tokenizer, input) }
        let ids = tokenizer.encode(bytes: input, addSpecial: !noBOS, parseSpecial: parseSpecial)
        if idsOnly {
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        } else if json {
            print(try jsonDocument(tokenizer, ids))
        } else {
            for id in ids {
                let piece = String(decoding: tokenizer.tokenToPiece(id, renderSpecial: true), as: UTF8.self)
                print(String(repeating: " ", count: max(0, 6 - String(id).count)) + "\(id) -> '\(piece)'")
            }
        }
    }

    private func runBench(_ tokenizer: Tokenizer, _ input: [UInt8]) {
        var best = Duration.seconds(1_000_000)
        var count = 0
        for _ in 0..<runs {
            let start = ContinuousClock.now
            count = tokenizer.encode(bytes: input, addSpecial: !noBOS, parseSpecial: parseSpecial).count
            best = min(best, ContinuousClock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let mb = Double(input.count) / 1_000_000
        print(String(format: "tokenized %d bytes into %d tokens: best of %d runs %.2f ms (%.2f MB/s)",
                     input.count, count, runs, seconds * 1000, mb / seconds))
    }

    private func jsonDocument(_ tokenizer: Tokenizer, _ ids: [Int32]) throws -> String {
        struct Document: Encodable {
            let model: String, tokenizer: String, pre_tokenizer: String?, vocab_size: Int
            let ids: [Int32], pieces: [String]
        }
        let doc = Document(
            model: model, tokenizer: tokenizer.model, pre_tokenizer: tokenizer.preTokenizer,
            vocab_size: tokenizer.vocabularySize, ids: ids,
            pieces: ids.map { String(decoding: tokenizer.tokenToPiece($0, renderSpecial: true), as: UTF8.self) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self)
    }
}
