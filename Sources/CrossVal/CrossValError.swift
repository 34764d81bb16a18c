import BitNetRuntime
import LlamaReference

/// Why a cross-validation run could not produce a verdict. (A run that produces one — pass or fail — is not an
/// error: its receipt says so.)
public enum CrossValError: Error, CustomStringConvertible {
    /// The llama.cpp reference shim is missing or unusable; nothing was compared.
    case referenceUnavailable(ReferenceError)
    /// The reference failed or timed out during the run.
    case reference(ReferenceError)
    /// Our engine could not load the model or evaluate.
    case engine(EngineError)
    /// The two sides disagree about the model's shape (e.g. vocabulary size), so rows cannot be compared.
    case incomparable(String)
    /// The request cannot be run as given (no prompts, too many tokens for the context, ...).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .referenceUnavailable(let e):
            "the llama.cpp reference is not available: \(e.description)"  // names the setup command
        case .reference(let e): "reference: \(e.description)"
        case .engine(let e): "engine: \(e.description)"
        case .incomparable(let m): "cannot compare: \(m)"
        case .invalidConfiguration(let m): "invalid crossval request: \(m)"
        }
    }

    /// True when the reference library itself could not be loaded (the CLI exits 2 then).
    public var isReferenceUnavailable: Bool {
        if case .referenceUnavailable = self { return true }
        return false
    }
}
