/// Which pass of a two-pass tokenizer call failed: the size query (NULL buffer) or the fill.
public enum TokenizePhase: String, Sendable, Equatable {
    /// The first pass, which asks how many tokens (or bytes) the result needs.
    case query
    /// The second pass, which writes the result into a buffer of the queried size.
    case fill
}

/// Everything that can go wrong in the llama.cpp reference bridge. Each message says what to do next.
public enum ReferenceError: Error, Equatable, CustomStringConvertible {
    /// No shim library at any of the searched paths (the reference is not installed, or a path is wrong).
    case libraryNotFound(searched: [String])
    /// The shim file exists but `dlopen` refused it (usually a missing dependency such as libllama.so).
    case libraryLoadFailed(path: String, reason: String)
    /// The shim lacks a symbol this module needs (it was built from an older or newer shim source).
    case symbolNotFound(name: String, library: String)
    /// The shim was built for a different ABI version than this module speaks.
    case abiMismatch(expected: Int32, found: Int32, library: String)
    /// llama.cpp could not load the model file.
    case modelLoadFailed(path: String, reason: String)
    /// llama.cpp could not create an inference context (usually memory).
    case contextCreationFailed(nCtx: UInt32, reason: String)
    /// Evaluating would need more positions (`tokens`, counting those already evaluated) than the context has.
    case contextOverflow(tokens: Int, nCtx: Int)
    /// Tokenization failed in the given pass.
    case tokenizeFailed(phase: TokenizePhase, reason: String)
    /// Turning tokens back into text failed in the given pass.
    case detokenizeFailed(phase: TokenizePhase, reason: String)
    /// `llama_decode` failed, was aborted, or the context must be reset first.
    case evalFailed(reason: String)
    /// A caller passed something the shim rejected (for example a token outside the vocabulary).
    case invalidArgument(reason: String)
    /// Another call (possibly a worker abandoned by a timeout) is still using this context.
    case contextBusy
    /// The reference call did not finish within the limit. Its worker keeps running to completion; see
    /// `ReferenceTimeout`.
    case timeout(after: Duration)
    /// A handle could not be freed (still in use by another call or by live contexts).
    case cleanupFailed(handle: String, reason: String)
    /// The handle was already closed with `close()`.
    case handleClosed(handle: String)
    /// The shim or llama.cpp could not allocate memory.
    case outOfMemory(reason: String)
    /// A reference level was spelled wrongly (in an argument or an environment variable).
    case invalidLevel(String, variable: String)
    /// A second reference install was asked for in a process that already loaded another. Both ship libraries with
    /// the same sonames (libllama.so, libggml-cpu.so), so the dynamic loader would silently bind the second shim to
    /// the first install's kernels.
    case conflictingInstall(loaded: String, requested: String)
    /// The loaded install is not of the level the caller needs (or records none).
    case levelMismatch(wanted: ReferenceLevel, found: String, library: String)

    /// The command that builds and installs the reference.
    public static let setupCommand = "scripts/setup-reference.sh (or: swift run bitnet setup-reference)"

    public var description: String {
        switch self {
        case .libraryNotFound(let searched):
            return "llama.cpp reference shim not found (searched: \(searched.joined(separator: ", "))). "
                + "Build it with \(Self.setupCommand), or point BITNET_REFERENCE_LIB at libbitnet_llama_shim."
        case .libraryLoadFailed(let path, let reason):
            return "could not load the reference shim \(path): \(reason). "
                + "Rebuild it with BITNET_REFERENCE_FORCE=1 \(Self.setupCommand)."
        case .symbolNotFound(let name, let library):
            return "symbol \(name) missing from \(library); the shim is out of date. "
                + "Rebuild it with \(Self.setupCommand)."
        case .abiMismatch(let expected, let found, let library):
            return "reference shim \(library) speaks ABI \(found) but this build of bitnet-swift needs \(expected). "
                + "Rebuild it with \(Self.setupCommand)."
        case .modelLoadFailed(let path, let reason):
            return "llama.cpp could not load the model \(path): \(reason). Check the path and that the file is a "
                + "complete GGUF (fetch test models with scripts/fetch-test-models.sh)."
        case .contextCreationFailed(let nCtx, let reason):
            return "llama.cpp could not create a context of \(nCtx) positions: \(reason). Try a smaller n_ctx."
        case .contextOverflow(let tokens, let nCtx):
            return "\(tokens) positions do not fit in a context of \(nCtx). Use a larger n_ctx, a shorter prompt, "
                + "or reset the context."
        case .tokenizeFailed(let phase, let reason):
            return "tokenization failed in the \(phase.rawValue) pass: \(reason). Check that the text is valid UTF-8."
        case .detokenizeFailed(let phase, let reason):
            return "detokenization failed in the \(phase.rawValue) pass: \(reason). Check the token ids."
        case .evalFailed(let reason):
            return "llama.cpp eval failed: \(reason). Reset the context (or create a new one) and retry; "
                + "set BITNET_LOG_LEVEL=debug to see llama.cpp's log."
        case .invalidArgument(let reason):
            return "invalid argument to the reference: \(reason)."
        case .contextBusy:
            return "the context is in use by another call (perhaps a worker abandoned by a timeout). "
                + "Wait for it (LlamaContext.waitUntilIdle) or use a new context."
        case .timeout(let after):
            return "the reference call did not finish within \(after); its worker was asked to abort and is "
                + "finishing in the background. Raise the limit (--timeout) or use a smaller input."
        case .cleanupFailed(let handle, let reason):
            return "could not free the \(handle): \(reason). Release its users first; the handle is still valid."
        case .handleClosed(let handle):
            return "the \(handle) was already closed; create a new one."
        case .outOfMemory(let reason):
            return "out of memory: \(reason). Free other models or use a smaller context."
        case .invalidLevel(let spelled, let variable):
            return "\(variable) is \"\(spelled)\", which names no reference level. Use v3 (x86-64-v3) or native."
        case .conflictingInstall(let loaded, let requested):
            return "this process already loaded the reference \(loaded) and cannot also load \(requested): both "
                + "installs' libraries share sonames, so the second would run the first's kernels. Compare levels in "
                + "separate processes (as scripts/parity-levels.sh does)."
        case .levelMismatch(let wanted, let found, let library):
            return "the reference \(library) is of level \(found), not \(wanted). Build that level with "
                + "scripts/setup-reference.sh --level \(wanted.argument)."
        }
    }
}
