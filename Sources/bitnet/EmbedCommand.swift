import ArgumentParser
import BitNetRuntime
import Foundation

/// `bitnet embed`: the embedding of each input text, pooled and normalised as the model (or the options) say.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the embedding of each input text.",
        discussion: """
            Each text is tokenized (with BOS/EOS as the model asks) and run alone; the hidden states after the \
            final norm are pooled (--pooling, default the model's <arch>.pooling_type; none gives one vector per \
            token) and scaled to unit length unless --no-normalize. The values equal llama.cpp's embeddings for \
            the same model and kernel level (docs/parity.md). Texts come from --text (repeatable) or --file (one \
            per non-empty line). Output: one line per vector with its first values and norm, or with --json one \
            object {model, pooling, normalized, dimension, data: [{index, tokens, embedding}]}.
            Exit codes: 0 success; 1 bad arguments, unreadable model or input, a text longer than the context.
            """
    )

    @Option(name: .long, help: "Path to a .gguf model or a lockfile model name.")
    var model: String?

    @Option(name: .long, help: "A text to embed (repeatable).")
    var text: [String] = []

    @Option(name: .long, help: "A file of texts, one per non-empty line.")
    var file: String?

    @Option(help: "Pooling: none, mean, cls or last (default: the model's, none when it names none).")
    var pooling: String?

    @Flag(name: .customLong("no-normalize"), help: "Print the pooled vectors as they are, not scaled to unit length.")
    var noNormalize = false

    @Option(help: "Threads (default: physical cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object with every vector in full.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let pooling, Pooling(rawValue: pooling) == nil {
            throw ValidationError("--pooling must be one of \(Pooling.allCases.map(\.rawValue).joined(separator: ", ")), not '\(pooling)'")
        }
        if text.isEmpty && file == nil { throw ValidationError("give at least one --text, or --file FILE") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        _ = global.bootstrapLogging()
        var inputs = text
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
            inputs += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        let path = try ModelOptions.resolveModel(model)
        let engine = try Engine(path: path)
        let embedder = Embedder(model: engine.model, metadata: engine.file.metadata,
                                threads: threads ?? SessionOptions().threads)
        let chosen = pooling.flatMap(Pooling.init(rawValue:)) ?? embedder.modelPooling ?? .none
        var data: [[String: Any]] = []
        for (i, input) in inputs.enumerated() {
            let tokens = engine.tokenizer.encode(input, addSpecial: true)
            let vectors = try embedder.embed(tokens, pooling: chosen, normalize: !noNormalize)
            for (row, v) in vectors.enumerated() {
                if json {
                    var item: [String: Any] = ["index": i, "tokens": tokens.count, "embedding": v.map(Double.init)]
                    if chosen == .none { item["token_index"] = row }
                    data.append(item)
                } else {
                    let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    let head = v.prefix(6).map { String(format: "%.6f", $0) }.joined(separator: " ")
                    let label = chosen == .none ? "text \(i) token \(row)" : "text \(i) (\(tokens.count) tokens)"
                    print("\(label): [\(head) …] dim \(v.count) norm \(String(format: "%.6f", norm))")
                }
            }
        }
        if json {
            let doc: [String: Any] = ["model": path, "pooling": chosen.rawValue, "normalized": !noNormalize,
                                      "dimension": embedder.dimension, "data": data]
            let bytes = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
            print(String(decoding: bytes, as: UTF8.self))
        }
    }
}
