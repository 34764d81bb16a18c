import GGUF
import Kernels

/// Why a model cannot be built from a GGUF file or cannot run a request.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// `general.architecture` names an architecture this engine does not implement.
    case unsupportedArchitecture(String, implemented: [String])
    /// A hyper-parameter is missing or has the wrong type.
    case missingHyperParameter(key: String)
    /// A hyper-parameter is present but inconsistent with another or with the tensors.
    case invalidHyperParameter(key: String, value: String, reason: String)
    /// A tensor the architecture needs is not in the file.
    case missingTensor(name: String)
    /// A tensor has the wrong shape.
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// A tensor's type or bytes cannot be used by the kernels.
    case tensorUnusable(name: String, reason: String)
    /// The batch would run past the KV cache.
    case contextOverflow(tokens: Int, contextLength: Int)
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(id: Int32, vocabSize: Int)
    /// A batched forward pass was given segments it cannot run (empty, or sharing a cache).
    case invalidBatch(String)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let a, let known):
            "architecture '\(a)' is not implemented (implemented: \(known.joined(separator: ", "))). "
                + "Run `bitnet inspect --compat FILE` for details."
        case .missingHyperParameter(let k):
            "metadata key '\(k)' is missing; the GGUF file does not describe the model fully. Re-convert it."
        case .invalidHyperParameter(let k, let v, let r):
            "metadata key '\(k)' = \(v) is invalid: \(r)."
        case .missingTensor(let n):
            "tensor '\(n)' is missing from the model file; the file is incomplete or of another architecture."
        case .tensorShape(let n, let e, let f):
            "tensor '\(n)' has shape \(f), expected \(e) from the hyper-parameters."
        case .tensorUnusable(let n, let r):
            "tensor '\(n)': \(r)"
        case .contextOverflow(let t, let c):
            "context overflow: \(t) tokens do not fit in a context of \(c). Shorten the prompt, lower -n, or raise --ctx."
        case .tokenOutOfRange(let id, let v):
            "token id \(id) is outside the vocabulary (0..<\(v))."
        case .invalidBatch(let why):
            "invalid batch: \(why)."
        }
    }
}
