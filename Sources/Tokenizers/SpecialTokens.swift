/// The special token ids of a vocabulary (nil when the vocabulary has none), resolved as llama.cpp does:
/// per-model defaults, then `tokenizer.ggml.*_token_id` keys, then well-known texts for EOT/EOM/FIM.
public struct SpecialTokenIDs: Sendable, Equatable {
    /// Beginning of sequence.
    public var bos: Int32?
    /// End of sequence.
    public var eos: Int32?
    /// End of turn (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`...).
    public var eot: Int32?
    /// End of message (`<|eom_id|>`).
    public var eom: Int32?
    /// Unknown.
    public var unk: Int32?
    /// Separator.
    public var sep: Int32?
    /// Padding.
    public var pad: Int32?
    /// Mask.
    public var mask: Int32?
    /// Fill-in-the-middle markers: prefix, suffix, middle, pad, repository, file separator.
    public var fimPre: Int32?, fimSuf: Int32?, fimMid: Int32?, fimPad: Int32?, fimRep: Int32?, fimSep: Int32?
}

/// Texts llama.cpp recognises when a GGUF does not name these tokens by id (`llama-vocab.cpp`, 0c1e570).
enum WellKnownTokens {
    static let eot = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                      "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"]
    static let eom = ["<|eom_id|>"]
    static let fimPre = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                         "<|code_prefix|>", "<|prefix|>"]
    static let fimSuf = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                         "<|code_suffix|>", "<|suffix|>"]
    static let fimMid = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                         "<|code_middle|>", "<|middle|>"]
    static let fimPad = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]
    static let fimRep = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]
    static let fimSep = ["<|file_sep|>"]
    /// Tokens that end generation whatever their id.
    static let endOfGeneration = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]
    /// gpt-oss channel markers, always rendered as user-defined tokens.
    static let alwaysRendered = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]
}

extension Vocabulary {
    /// The id of the token spelled `text`, if any.
    func id(of text: String) -> Int32? {
        let i = texts.find(Array(text.utf8))
        return i >= 0 && Int(i) < count ? i : nil
    }

    /// Resolves EOT/EOM/FIM by text when unset, marks unused and end-of-generation tokens, and builds the set
    /// of end-of-generation ids. Where several well-known texts are present llama.cpp takes whichever its hash
    /// map yields first; this takes the lowest id.
    mutating func resolveSpecialTokens() {
        func find(_ texts: [String], current: Int32?) -> Int32? {
            if let current { return current }
            guard let id = texts.compactMap({ id(of: $0) }).min() else { return nil }
            attributes[Int(id)].insert(.control)
            return id
        }
        special.eot = find(WellKnownTokens.eot, current: special.eot)
        special.eom = find(WellKnownTokens.eom, current: special.eom)
        special.fimPre = find(WellKnownTokens.fimPre, current: special.fimPre)
        special.fimSuf = find(WellKnownTokens.fimSuf, current: special.fimSuf)
        special.fimMid = find(WellKnownTokens.fimMid, current: special.fimMid)
        special.fimPad = find(WellKnownTokens.fimPad, current: special.fimPad)
        special.fimRep = find(WellKnownTokens.fimRep, current: special.fimRep)
        special.fimSep = find(WellKnownTokens.fimSep, current: special.fimSep)

        // Control tokens whose text says "unused" are unused.
        for i in 0..<count where attributes[i].contains(.control) && !attributes[i].contains(.unused) {
            if texts.bytes(Int32(i)).firstRange(of: Array("unused".utf8)) != nil { attributes[i].insert(.unused) }
        }

        var eog = Set<Int32>([special.fimPad, special.fimRep, special.fimSep].compactMap { $0 })
        for text in WellKnownTokens.endOfGeneration {
            guard let id = id(of: text) else { continue }
            eog.insert(id)
            attributes[Int(id)].insert(.control)
        }
        for text in WellKnownTokens.alwaysRendered {
            if let id = id(of: text) { attributes[Int(id)] = .userDefined }
        }
        for id in [special.eos, special.eot, special.eom].compactMap({ $0 }) { eog.insert(id) }

        // o200k_harmony and solar-open end a message with <|end|> but keep generating.
        let eogTexts = Dictionary(eog.map { (String(decoding: texts.bytes($0), as: UTF8.self), $0) },
                                  uniquingKeysWith: { a, _ in a })
        let hasReturn = eogTexts["<|return|>"] != nil
        let hasCall = eogTexts["<|call|>"] != nil || eogTexts["<|calls|>"] != nil
        let hasFlush = eogTexts["<|flush|>"] != nil
        if let end = eogTexts["<|end|>"], (hasReturn && hasCall) || (hasCall && hasFlush) {
            eog.remove(end)
            attributes[Int(end)] = .userDefined
        }
        // gemma4 and plamo2 use </s> as an ordinary token.
        if let s = eogTexts["</s>"], eogTexts["<|tool_response>"] != nil || eogTexts["<|plamo:eos|>"] != nil {
            eog.remove(s)
            attributes[Int(s)] = .normal
        }
        endOfGeneration = eog
    }

    /// Special tokens matched in raw text, longest first (ties by id): control, user-defined and unknown tokens.
    mutating func buildSpecialTokenOrder() {
        let marks: TokenAttributes = [.control, .userDefined, .unknown]
        let ids = (0..<count).filter { !attributes[$0].isDisjoint(with: marks) }
        specialTokensByLength = ids.sorted { a, b in
            let la = texts.bytes(Int32(a)).count, lb = texts.bytes(Int32(b)).count
            return la != lb ? la > lb : a < b
        }.map { Int32($0) }
    }

    /// llama.cpp's per-model strip flags, keyed on the model name, pre-tokenizer and architecture.
    mutating func applyModelSpecificAttributes(name: String, pre: String, architecture: String) {
        let lowerName = name.lowercased()
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: { pre.contains($0) })
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: { architecture.contains($0) }) {
            if let m = id(of: "<mask>") { attributes[Int(m)].insert(.leftStrip) }
        } else if lowerName.contains("phi-3") || lowerName.contains("phi3") {
            for id in specialTokensByLength { attributes[Int(id)].insert(.rightStrip) }
            if let s = id(of: "</s>") { attributes[Int(s)].insert(.rightStrip) }
            for t in ["<unk>", "<s>", "<|endoftext|>"] {
                if let i = id(of: t) { attributes[Int(i)].remove(.rightStrip) }
            }
        } else if lowerName.contains("modern-bert") {
            if let m = id(of: "[MASK]") { attributes[Int(m)].insert(.leftStrip) }
        }
    }
}
