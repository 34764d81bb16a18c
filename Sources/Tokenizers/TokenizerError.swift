/// Everything that can stop a `Tokenizer` from being built out of GGUF metadata. Each case names the key or the
/// value at fault and says what to do next.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A required `tokenizer.ggml.*` key is absent.
    case missingKey(key: String)
    /// A key is present with the wrong type (for example scores stored as strings).
    case wrongType(key: String, expected: String)
    /// A per-token array (scores, token types) is shorter than the token list.
    case arrayTooShort(key: String, count: Int, tokens: Int)
    /// `tokenizer.ggml.model` names a tokenizer this module does not implement (for example `bert`, `t5`).
    case unsupportedModel(model: String)
    /// `tokenizer.ggml.pre` names a BPE pre-tokenizer this module does not implement.
    case unsupportedPreTokenizer(name: String)
    /// Two tokens share the same text; llama.cpp refuses such a vocabulary too.
    case duplicateToken(text: String, first: Int, second: Int)
    /// The vocabulary is empty.
    case emptyVocabulary

    /// What went wrong and what to do, for a person.
    public var description: String {
        switch self {
        case .missingKey(let k):
            return "the GGUF metadata has no '\(k)'; the file carries no usable tokenizer. "
                + "Re-convert the model with a current llama.cpp convert_hf_to_gguf.py."
        case .wrongType(let k, let e):
            return "metadata key '\(k)' should hold \(e). The file is malformed; re-convert the model."
        case .arrayTooShort(let k, let c, let t):
            return "metadata array '\(k)' has \(c) entries but the vocabulary has \(t) tokens. "
                + "The file is malformed; re-convert the model."
        case .unsupportedModel(let m):
            return "tokenizer model '\(m)' (tokenizer.ggml.model) is not supported; this engine implements "
                + "'llama' (SentencePiece BPE) and 'gpt2'/'gemma4' (byte-level BPE)."
        case .unsupportedPreTokenizer(let n):
            return "BPE pre-tokenizer '\(n)' (tokenizer.ggml.pre) is not supported. Supported: "
                + PreTokenizer.supportedNames.joined(separator: ", ") + "."
        case .duplicateToken(let text, let a, let b):
            return "tokens \(a) and \(b) have the same text '\(text)'; a vocabulary must map each text to one id. "
                + "The file is malformed; re-convert the model."
        case .emptyVocabulary:
            return "tokenizer.ggml.tokens is empty; the file carries no vocabulary."
        }
    }
}
