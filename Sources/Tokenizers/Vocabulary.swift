import GGUF

/// A vocabulary read from GGUF `tokenizer.ggml.*` metadata, with every flag and special id resolved the way
/// llama.cpp 0c1e570 resolves them (`llama_vocab::impl::load`).
struct Vocabulary: Sendable {
    let kind: Tokenizer.Kind
    /// `tokenizer.ggml.model`
    let model: String
    /// Token texts; ids `0..<count` are the tokens.
    let texts: ByteStringTable
    let count: Int
    let scores: [Float]
    var attributes: [TokenAttributes]
    var special = SpecialTokenIDs()
    var endOfGeneration: Set<Int32> = []
    var specialTokensByLength: [Int32] = []
    var addBOS = false
    var addEOS = false
    var addSpacePrefix = false
    /// The BPE pre-tokenizer (nil for SentencePiece vocabularies).
    let preTokenizer: PreTokenizer?
    /// `tokenizer.ggml.merges` (BPE only).
    let merges: [String]

    /// Reads and validates the tokenizer metadata.
    /// - Throws: `TokenizerError` naming the missing or malformed key, or the unsupported model.
    init(metadata md: GGUFMetadata) throws(TokenizerError) {
        guard let modelValue = md["tokenizer.ggml.model"] else { throw .missingKey(key: "tokenizer.ggml.model") }
        guard let model = modelValue.string else { throw .wrongType(key: "tokenizer.ggml.model", expected: "a string") }
        self.model = model
        let preName = md.string("tokenizer.ggml.pre")

        var defaults = SpecialTokenIDs()
        switch model {
        case "llama":
            kind = .sentencePiece
            preTokenizer = nil
            defaults.bos = 1; defaults.eos = 2; defaults.unk = 0
            addSpacePrefix = true
            addBOS = true
        case "gpt2", "gemma4":
            kind = .bytePair
            let pre = try PreTokenizer.named(model == "gemma4" ? "gemma4" : preName)
            preTokenizer = pre
            if model == "gpt2" { defaults.bos = 11; defaults.eos = 11 }
            if pre.clearsBOS { defaults.bos = nil }
            if let b = pre.defaultAddBOS { addBOS = b }
        default:
            throw .unsupportedModel(model: model)
        }
        if let v = md["tokenizer.ggml.add_space_prefix"] {
            guard let b = v.bool else { throw .wrongType(key: "tokenizer.ggml.add_space_prefix", expected: "a bool") }
            addSpacePrefix = b
        }

        let tokens = try Self.tokens(md)
        count = tokens.count
        var table = ByteStringTable(capacity: count)
        for (i, token) in tokens.enumerated() {
            let bytes = token.isEmpty ? Array("[EMPTY_\(i)]".utf8) : Array(token.utf8)
            let (id, inserted) = table.intern(bytes)
            guard inserted else { throw .duplicateToken(text: token, first: Int(id), second: i) }
        }
        texts = table
        scores = try Self.scores(md, count: count)
        attributes = try Self.attributes(md, count: count)
        merges = kind == .bytePair ? try Self.merges(md) : []

        special = try Self.specialIDs(md, defaults: defaults, count: count)
        for (key, flag) in [("tokenizer.ggml.add_bos_token", \Vocabulary.addBOS),
                            ("tokenizer.ggml.add_eos_token", \Vocabulary.addEOS)] {
            guard let v = md[key] else { continue }
            guard let b = v.bool else { throw .wrongType(key: key, expected: "a bool") }
            self[keyPath: flag] = b
        }
        if preTokenizer?.family == .gemma4 { addBOS = true }

        resolveSpecialTokens()
        buildSpecialTokenOrder()
        applyModelSpecificAttributes(name: md.string("general.name") ?? "", pre: preName ?? "",
                                     architecture: md.architecture ?? "")
    }

    private static func tokens(_ md: GGUFMetadata) throws(TokenizerError) -> [String] {
        let key = "tokenizer.ggml.tokens"
        guard let v = md[key] else { throw .missingKey(key: key) }
        guard let tokens = v.stringArray else { throw .wrongType(key: key, expected: "an array of strings") }
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        guard tokens.count < Int(Int32.max) else { throw .wrongType(key: key, expected: "fewer than 2^31 tokens") }
        return tokens
    }

    private static func scores(_ md: GGUFMetadata, count: Int) throws(TokenizerError) -> [Float] {
        let key = "tokenizer.ggml.scores"
        guard let v = md[key] else { return [Float](repeating: 0, count: count) }
        guard let s = v.floatArray else { throw .wrongType(key: key, expected: "an array of numbers") }
        guard s.count >= count else { throw .arrayTooShort(key: key, count: s.count, tokens: count) }
        return Array(s.prefix(count))
    }

    private static func attributes(_ md: GGUFMetadata, count: Int) throws(TokenizerError) -> [TokenAttributes] {
        let key = "tokenizer.ggml.token_type"
        guard let v = md[key] else { return [TokenAttributes](repeating: .normal, count: count) }
        guard let t = v.intArray else { throw .wrongType(key: key, expected: "an array of integers") }
        guard t.count >= count else { throw .arrayTooShort(key: key, count: t.count, tokens: count) }
        return t.prefix(count).map { TokenAttributes(ggufTokenType: $0) }
    }

    private static func merges(_ md: GGUFMetadata) throws(TokenizerError) -> [String] {
        let key = "tokenizer.ggml.merges"
        guard let v = md[key] else { throw .missingKey(key: key) }
        guard let m = v.stringArray else { throw .wrongType(key: key, expected: "an array of strings") }
        return m
    }

    /// Defaults that fall outside the vocabulary are dropped; a key overrides its default only when in range.
    private static func specialIDs(_ md: GGUFMetadata, defaults: SpecialTokenIDs,
                                   count: Int) throws(TokenizerError) -> SpecialTokenIDs {
        var ids = defaults
        let keys: [(String, WritableKeyPath<SpecialTokenIDs, Int32?>)] = [
            ("bos_token_id", \.bos), ("eos_token_id", \.eos), ("eot_token_id", \.eot), ("eom_token_id", \.eom),
            ("unknown_token_id", \.unk), ("seperator_token_id", \.sep), ("padding_token_id", \.pad),
            ("mask_token_id", \.mask), ("fim_pre_token_id", \.fimPre), ("fim_suf_token_id", \.fimSuf),
            ("fim_mid_token_id", \.fimMid), ("fim_pad_token_id", \.fimPad), ("fim_rep_token_id", \.fimRep),
            ("fim_sep_token_id", \.fimSep), ("prefix_token_id", \.fimPre), ("suffix_token_id", \.fimSuf),
            ("middle_token_id", \.fimMid),
        ]
        for (suffix, path) in keys {
            if let d = ids[keyPath: path], d < 0 || Int(d) >= count { ids[keyPath: path] = nil }
            let key = "tokenizer.ggml." + suffix
            guard let v = md[key] else { continue }
            guard let n = v.int else { throw .wrongType(key: key, expected: "an integer token id") }
            if n >= 0 && n < count { ids[keyPath: path] = Int32(n) }
        }
        return ids
    }
}
