import GGUF

/// Why a synthetic model could not be made.
public enum ModelMakerError: Error, Equatable, CustomStringConvertible {
    /// The architecture name is not one this tool knows.
    case unknownArchitecture(String, known: [String])
    /// The shape preset is not one this tool knows.
    case unknownShape(String, known: [String])
    /// The weight type is not one the generator writes.
    case unsupportedWeightType(String, supported: [String])
    /// The vocabulary file could not be read or holds no tokenizer.
    case vocabularyUnusable(path: String, reason: String)
    /// The vocabulary file was not found where expected.
    case vocabularyMissing(path: String)
    /// Encoding a tensor or writing the file failed.
    case gguf(GGUFError)

    public var description: String {
        switch self {
        case .unknownArchitecture(let a, let known):
            "make-model: unknown architecture '\(a)' (known: \(known.joined(separator: ", ")))."
        case .unknownShape(let s, let known):
            "make-model: unknown shape '\(s)' (known: \(known.joined(separator: ", ")))."
        case .unsupportedWeightType(let t, let ok):
            "make-model: weight type '\(t)' is not generated (supported: \(ok.joined(separator: ", ")))."
        case .vocabularyUnusable(let p, let r):
            "make-model: vocabulary '\(p)' is unusable: \(r). Pass a ggml-vocab-*.gguf with --vocab."
        case .vocabularyMissing(let p):
            "make-model: vocabulary '\(p)' not found. Run `scripts/fetch-vocab-suite.sh` or pass --vocab FILE."
        case .gguf(let e):
            "make-model: \(e)"
        }
    }
}
