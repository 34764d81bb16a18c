import BitNetModels
import GGUF

/// Why the engine cannot load a model or run a request.
public enum EngineError: Error, CustomStringConvertible {
    /// The file could not be read as GGUF.
    case file(GGUFError)
    /// The model could not be built or run.
    case model(ModelError)
    /// The tokenizer could not be built from the file.
    case tokenizer(String)
    /// Prompt plus requested tokens exceed the context.
    case contextOverflow(promptTokens: Int, requested: Int, contextLength: Int)
    /// The prompt tokenized to nothing and the model adds no BOS.
    case emptyPrompt
    /// A request parameter is out of range.
    case invalidParameter(String)
    /// The chat template in the file is not one this engine can render.
    case unsupportedChatTemplate(String)

    /// What went wrong and what to do, for a person.
    public var description: String {
        switch self {
        case .file(let e): e.description
        case .model(let e): e.description
        case .tokenizer(let m): "tokenizer: \(m)"
        case .contextOverflow(let p, let r, let c):
            "context overflow: the prompt has \(p) tokens and \(r) more were requested, but the context holds \(c). "
                + "Shorten the prompt, lower -n, or raise --ctx (at most the model's training context)."
        case .emptyPrompt: "the prompt is empty; give some text to continue."
        case .invalidParameter(let m): "invalid parameter: \(m)"
        case .unsupportedChatTemplate(let m): "chat template not supported: \(m)"
        }
    }
}
