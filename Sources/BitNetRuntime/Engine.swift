import BitNetModels
import Foundation
import GGUF
import Kernels
import Tokenizers

/// A loaded model file: the network, its tokenizer and its chat template, ready to open sessions.
public final class Engine: Sendable {
    /// The mapped GGUF file.
    public let file: GGUFFile
    /// The network.
    public let model: any DecoderNetwork
    /// The tokenizer from the file's metadata.
    public let tokenizer: Tokenizer
    /// The chat template, or why there is none usable.
    public let chatTemplate: Result<ChatTemplate, EngineError>

    /// Maps `path`, builds the model for its architecture and its tokenizer.
    /// - Throws: `EngineError.file` (unreadable / malformed GGUF), `.model` (unsupported architecture, missing or
    ///   mis-shaped tensor, bad hyper-parameter), `.tokenizer`.
    public init(path: String) throws(EngineError) {
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        do { model = try ModelRegistry.load(file) } catch { throw .model(error) }
        do { tokenizer = try Tokenizer(gguf: file) } catch { throw .tokenizer(error.description) }
        guard tokenizer.vocabularySize == model.hyperParameters.vocabSize else {
            throw .tokenizer("the tokenizer has \(tokenizer.vocabularySize) tokens but the model's embedding has "
                + "\(model.hyperParameters.vocabSize) rows; the file is inconsistent")
        }
        if let t = file.metadata.string("tokenizer.chat_template") {
            chatTemplate = Result { () throws(EngineError) in try ChatTemplate(template: t) }
        } else {
            chatTemplate = .failure(.unsupportedChatTemplate("the model file has no tokenizer.chat_template"))
        }
    }

    /// The vocabulary as byte strings for constrained output (JSON mode, grammars), built on first use and shared
    /// by every request.
    public var tokenVocabulary: TokenVocabulary {
        vocabularyLock.withLock {
            if let cachedVocabulary { return cachedVocabulary }
            let v = TokenVocabulary(tokenizer: tokenizer)
            cachedVocabulary = v
            return v
        }
    }

    private let vocabularyLock = NSLock()
    /// Guarded by `vocabularyLock`.
    nonisolated(unsafe) private var cachedVocabulary: TokenVocabulary?

    /// The instruction-set level every kernel of this engine runs at on this host (named in receipts, `inspect
    /// --json` and `preflight`, and used to pick the llama.cpp build a bit-exact comparison needs).
    public var kernelLevel: KernelLevel { .active }

    /// A new session (its own KV cache and threads).
    public func makeSession(_ options: SessionOptions = SessionOptions()) -> InferenceSession {
        InferenceSession(model: model, options: options)
    }
}
