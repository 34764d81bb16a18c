/// How a byte-level BPE vocabulary cuts text into words before merging, selected by `tokenizer.ggml.pre`.
///
/// A pre-tokenizer is a chain of rules; each rule re-cuts every piece the previous rules produced (llama.cpp's
/// `unicode_regex_split`). The rule chains and per-name flags follow llama.cpp 0c1e570 (`llama-vocab.cpp`).
struct PreTokenizer: Sendable {
    /// One splitting step.
    enum Rule: Sendable {
        case gpt2
        case llama3(maxDigits: Int, marksAreLetters: Bool, trailingLineBreaks: Bool = true)
        case gpt4o(maxDigits: Int, contractions: Bool)
        case newlineRuns
        case run(CharClass)
        case each(CharClass)
        case spaceThenRun(CharClass)
        case asciiDigitTriples
        case trailingWhitespace
    }

    /// The family a `tokenizer.ggml.pre` name selects.
    enum Family: String, Sendable {
        case `default`, llama3, deepSeekLLM, deepSeekCoder, falcon, starCoder, gpt2, qwen2, qwen35, seedCoder, gpt4o,
             tekken, gemma4
    }

    let name: String
    let family: Family
    /// When a whole word is already a token, emit it without merging (llama3 and relatives).
    var ignoreMerges = false
    /// Whether decoding applies llama.cpp's `clean_spaces` pass.
    var cleanSpaces = true
    /// Whether spaces become U+2581 before merging (SentencePiece-style BPE such as gemma4).
    var escapeWhitespace = false
    /// Whether words are mapped through the GPT-2 byte-to-unicode table before merging.
    var byteEncode = true
    /// Overrides the model's default `add_bos` before the metadata key is read.
    var defaultAddBOS: Bool?
    /// The BOS id is cleared before the metadata is read (chatglm).
    var clearsBOS = false

    /// Every name `named(_:)` accepts.
    static var supportedNames: [String] { families.keys.sorted() }

    private static let families: [String: Family] = {
        var m: [String: Family] = ["default": .default]
        for n in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                  "jina-v5-nano", "dbrx", "smaug-bpe", "chatglm-bpe", "glm4", "glm5"] { m[n] = .llama3 }
        m["deepseek-llm"] = .deepSeekLLM
        m["deepseek-coder"] = .deepSeekCoder
        m["falcon"] = .falcon
        for n in ["starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"] {
            m[n] = .starCoder
        }
        for n in ["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                  "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4",
                  "trillion", "granite-docling"] { m[n] = .gpt2 }
        for n in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open"] {
            m[n] = .qwen2
        }
        m["qwen35"] = .qwen35
        m["seed-coder"] = .seedCoder
        for n in ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"] { m[n] = .gpt4o }
        m["tekken"] = .tekken
        for n in ["gemma4", "granite-embed-multi-311m"] { m[n] = .gemma4 }
        return m
    }()

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; nil or empty selects `default` as llama.cpp does.
    /// - Throws: `TokenizerError.unsupportedPreTokenizer` for a name outside `supportedNames`.
    static func named(_ raw: String?) throws(TokenizerError) -> PreTokenizer {
        let name = (raw?.isEmpty ?? true) ? "default" : raw!
        guard let family = families[name] else { throw .unsupportedPreTokenizer(name: name) }
        var p = PreTokenizer(name: name, family: family)
        let keepsSpaces: Set<String> = [
            "deepseek-llm", "deepseek-coder", "command-r", "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "qwen35",
            "smollm", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2", "trillion", "granite-docling",
            "hunyuan", "solar-open", "tekken", "seed-coder",
        ]
        p.cleanSpaces = !keepsSpaces.contains(name)
        switch name {
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
             "tekken":
            p.ignoreMerges = true
            p.defaultAddBOS = true
        case "glm4", "glm5":
            p.ignoreMerges = true
            p.clearsBOS = true
        case "chatglm-bpe":
            p.clearsBOS = true
        case "gemma4", "granite-embed-multi-311m":
            p.escapeWhitespace = true
            p.byteEncode = false
        default:
            break
        }
        return p
    }

    /// The rule chain of this pre-tokenizer.
    var rules: [Rule] {
        switch family {
        case .default:
            return [.run(.defaultPunctuation), .gpt2, .run(.number), .asciiDigitTriples]
        case .llama3:
            return [.llama3(maxDigits: 3, marksAreLetters: false)]
        case .deepSeekLLM:
            return [.each(.lineBreak), .spaceThenRun(.deepSeekLetters), .spaceThenRun(.deepSeekPunctuation),
                    .trailingWhitespace, .run(.cjk), .run(.number)]
        case .deepSeekCoder:
            return [.each(.lineBreak), .spaceThenRun(.letter), .spaceThenRun(.punctuation), .run(.cjk),
                    .each(.number)]
        case .falcon:
            return [.run(.falconPunctuation), .gpt2, .asciiDigitTriples]
        case .starCoder:
            return [.each(.number), .gpt2]
        case .gpt2:
            return [.gpt2]
        case .qwen2:
            return [.llama3(maxDigits: 1, marksAreLetters: false)]
        case .qwen35:
            return [.llama3(maxDigits: 1, marksAreLetters: true)]
        case .seedCoder:  // qwen2's regex without the line breaks after a punctuation run
            return [.llama3(maxDigits: 1, marksAreLetters: false, trailingLineBreaks: false)]
        case .gpt4o:
            return [.gpt4o(maxDigits: 3, contractions: true)]
        case .tekken:
            return [.gpt4o(maxDigits: 1, contractions: false)]
        case .gemma4:
            return [.newlineRuns]
        }
    }

    /// Cuts `cps` (with their category `flags`) into words; returns each word's length in code points.
    func split(_ cps: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<UInt8>) -> [Int] {
        var pieces = [cps.count]
        for rule in rules {
            var next: [Int] = []
            next.reserveCapacity(max(pieces.count, cps.count / 3))
            var start = 0
            for length in pieces {
                let v = TextView(cps: cps, flags: flags, start: start, end: start + length)
                apply(rule, v, into: &next)
                start += length
            }
            pieces = next
        }
        return pieces
    }

    private func apply(_ rule: Rule, _ v: TextView, into out: inout [Int]) {
        switch rule {
        case .gpt2: WordSplitters.gpt2(v, into: &out)
        case .llama3(let d, let m, let t):
            WordSplitters.llama3(v, maxDigits: d, marksAreLetters: m, trailingLineBreaks: t, into: &out)
        case .gpt4o(let d, let c): GPT4oSplitter.split(v, maxDigits: d, contractions: c, into: &out)
        case .newlineRuns: ClassRunSplitters.newlineRuns(v, into: &out)
        case .run(let c): ClassRunSplitters.run(v, c, into: &out)
        case .each(let c): ClassRunSplitters.each(v, c, into: &out)
        case .spaceThenRun(let c): ClassRunSplitters.spaceThenRun(v, c, into: &out)
        case .asciiDigitTriples: ClassRunSplitters.asciiDigitTriples(v, into: &out)
        case .trailingWhitespace: ClassRunSplitters.trailingWhitespace(v, into: &out)
        }
    }
}
