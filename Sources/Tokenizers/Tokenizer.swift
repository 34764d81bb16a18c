import GGUF

/// A tokenizer built from a GGUF file's `tokenizer.ggml.*` metadata that produces the same token ids as
/// llama.cpp (0c1e570) for the same text and flags.
///
/// Supports SentencePiece vocabularies (`tokenizer.ggml.model = llama`) and byte-level BPE (`gpt2`, and
/// `gemma4`'s raw-UTF-8 BPE) with the pre-tokenizers listed in `supportedPreTokenizers`.
/// Immutable after construction; safe to share across threads.
public struct Tokenizer: Sendable {
    /// The tokenization algorithm.
    public enum Kind: String, Sendable {
        /// SentencePiece BPE: score-ordered merges with `<0xXX>` byte fallback (`llama`).
        case sentencePiece
        /// Byte-pair encoding with ranked merges (`gpt2`, `gemma4`).
        case bytePair
    }

    let vocab: Vocabulary
    private let spm: SPMTokenizer?
    private let bpe: BPETokenizer?
    private let splitter: SpecialTokenSplitter

    /// Builds the tokenizer of a parsed GGUF file.
    /// - Throws: `TokenizerError` naming the missing/malformed key or the unsupported model/pre-tokenizer.
    public init(gguf: GGUFFile) throws(TokenizerError) {
        try self.init(metadata: gguf.metadata)
    }

    /// Builds a tokenizer from GGUF metadata.
    /// - Throws: `TokenizerError` naming the missing/malformed key or the unsupported model/pre-tokenizer.
    public init(metadata: GGUFMetadata) throws(TokenizerError) {
        let v = try Vocabulary(metadata: metadata)
        vocab = v
        splitter = SpecialTokenSplitter(v)
        switch v.kind {
        case .sentencePiece:
            spm = SPMTokenizer(v)
            bpe = nil
        case .bytePair:
            spm = nil
            // Vocabulary always sets a pre-tokenizer for BPE models.
            bpe = v.preTokenizer.map { BPETokenizer(v, preTokenizer: $0) }
        }
    }

    /// Every `tokenizer.ggml.pre` value BPE vocabularies may use with this module.
    public static var supportedPreTokenizers: [String] { PreTokenizer.supportedNames }

    /// The tokenization algorithm.
    public var kind: Kind { vocab.kind }
    /// `tokenizer.ggml.model` as written in the file.
    public var model: String { vocab.model }
    /// The BPE pre-tokenizer name in effect (nil for SentencePiece).
    public var preTokenizer: String? { vocab.preTokenizer?.name }
    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { vocab.count }
    /// Special token ids.
    public var specialTokens: SpecialTokenIDs { vocab.special }
    /// Beginning-of-sequence id.
    public var bos: Int32? { vocab.special.bos }
    /// End-of-sequence id.
    public var eos: Int32? { vocab.special.eos }
    /// End-of-turn id.
    public var eot: Int32? { vocab.special.eot }
    /// Unknown-token id.
    public var unk: Int32? { vocab.special.unk }
    /// Padding id.
    public var pad: Int32? { vocab.special.pad }
    /// Every id that ends generation (EOS, EOT, EOM, `<|im_end|>`, `<end_of_turn>`, `<|eot_id|>`...).
    public var endOfGeneration: Set<Int32> { vocab.endOfGeneration }
    /// Whether `encode(addSpecial: true)` prepends BOS.
    public var addBOS: Bool { vocab.addBOS }
    /// Whether `encode(addSpecial: true)` appends EOS.
    public var addEOS: Bool { vocab.addEOS }
    /// Whether SentencePiece text gets a leading space (and decoding drops it from the first token).
    public var addSpacePrefix: Bool { vocab.addSpacePrefix }

    /// Whether `id` ends generation.
    public func isEndOfGeneration(_ id: Int32) -> Bool { vocab.endOfGeneration.contains(id) }

    /// Attributes of token `id` (empty for an id outside the vocabulary).
    public func attributes(of id: Int32) -> TokenAttributes {
        id >= 0 && Int(id) < vocab.count ? vocab.attributes[Int(id)] : []
    }

    /// The token's text exactly as stored in the vocabulary (`Ġhello`, `▁the`, `<0x0A>`), or nil for a bad id.
    public func text(of id: Int32) -> String? {
        id >= 0 && Int(id) < vocab.count ? String(decoding: vocab.texts.bytes(id), as: UTF8.self) : nil
    }

    /// The id of the token whose stored text is `text`.
    public func id(of text: String) -> Int32? { vocab.id(of: text) }

    /// Tokenizes `text` as `llama_tokenize` does.
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS when the model asks for them (`addBOS`/`addEOS`).
    ///   - parseSpecial: recognise control tokens such as `<|im_start|>` written in the text; user-defined
    ///     tokens are recognised either way.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        var copy = text
        return copy.withUTF8 { encode(utf8: $0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// Tokenizes raw UTF-8 bytes; malformed sequences are treated as llama.cpp treats them.
    public func encode(bytes: [UInt8], addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        bytes.withUnsafeBufferPointer { encode(utf8: $0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// Tokenizes raw UTF-8 bytes; malformed sequences are treated as llama.cpp treats them.
    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, addSpecial: Bool = true,
                       parseSpecial: Bool = false) -> [Int32] {
        let fragments = splitter.split(text, parseSpecial: parseSpecial)
        var out: [Int32] = []
        out.reserveCapacity(text.count / 3 + 2)
        if addSpecial && vocab.addBOS, let bos = vocab.special.bos { out.append(bos) }
        if let spm {
            var session = SPMTokenizer.Session()
            var previousWasSpecial = true
            for f in fragments {
                switch f {
                case .text(let r):
                    spm.encode(UnsafeBufferPointer(rebasing: text[r]), prefixSpace: vocab.addSpacePrefix && previousWasSpecial,
                               session: &session, into: &out)
                    previousWasSpecial = false
                case .token(let id):
                    out.append(id)
                    previousWasSpecial = true
                }
            }
        } else if let bpe {
            var session = BPETokenizer.Session()
            for f in fragments {
                switch f {
                case .text(let r): bpe.encode(UnsafeBufferPointer(rebasing: text[r]), session: &session, into: &out)
                case .token(let id): out.append(id)
                }
            }
        }
        if addSpecial && vocab.addEOS, let eos = vocab.special.eos { out.append(eos) }
        return out
    }
}
