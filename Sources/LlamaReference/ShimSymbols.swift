// The C signatures of reference/shim/bitnet_llama_shim.h, as Swift function-pointer types. Opaque handles
// (`bitnet_llama_model *`, `bitnet_llama_context *`) are `OpaquePointer`; `int` status codes are `Int32`.

typealias ShimInt32Fn = @convention(c) () -> Int32
typealias ShimStringFn = @convention(c) () -> UnsafePointer<CChar>?
typealias ShimVoidFn = @convention(c) () -> Void
typealias ShimSetLevelFn = @convention(c) (Int32) -> Int32
typealias ShimModelLoadFn = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
typealias ShimHandleStatusFn = @convention(c) (OpaquePointer?) -> Int32
typealias ShimHandleInt32Fn = @convention(c) (OpaquePointer?) -> Int32
typealias ShimHandleUInt32Fn = @convention(c) (OpaquePointer?) -> UInt32
typealias ShimHandleVoidFn = @convention(c) (OpaquePointer?) -> Void
typealias ShimModelTokenFn = @convention(c) (OpaquePointer?, Int32) -> Int32
typealias ShimTokenizeFn = @convention(c) (
    OpaquePointer?, UnsafePointer<CChar>?, Int32, Int32, Int32, UnsafeMutablePointer<Int32>?, Int32,
    UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimTokenToPieceFn = @convention(c) (
    OpaquePointer?, Int32, Int32, UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimDetokenizeFn = @convention(c) (
    OpaquePointer?, UnsafePointer<Int32>?, Int32, Int32, Int32, UnsafeMutablePointer<CChar>?, Int32,
    UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimContextNewFn = @convention(c) (
    OpaquePointer?, UInt32, Int32, UInt32, UInt32, UnsafeMutablePointer<OpaquePointer?>?
) -> Int32
typealias ShimEvalFn = @convention(c) (
    OpaquePointer?, UnsafePointer<Int32>?, Int32, Int32, UnsafeMutablePointer<Float>?, Int64,
    UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimEmbedFn = @convention(c) (
    OpaquePointer?, UnsafePointer<Int32>?, Int32, Int32, Int32, UInt32, UnsafeMutablePointer<Float>?, Int64,
    UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimChatApplyFn = @convention(c) (
    UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32, Int32,
    UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>?
) -> Int32
typealias ShimGreedyFn = @convention(c) (
    OpaquePointer?, UnsafePointer<Int32>?, Int32, Int32, Int32, UnsafeMutablePointer<Int32>?,
    UnsafeMutablePointer<Int32>?
) -> Int32

/// Status codes returned by the shim (`enum bitnet_llama_status`).
enum ShimStatus: Int32 {
    case ok = 0
    case invalidArgument = -1
    case loadFailed = -2
    case contextOverflow = -3
    case decodeFailed = -4
    case bufferTooSmall = -5
    case outOfMemory = -6
    case tokenizeFailed = -7
    case aborted = -8
    case busy = -9
    case inUse = -10
}

/// Every shim function, resolved with `dlsym`. Immutable once built.
struct ShimSymbols {
    /// The ABI version this module speaks (`BITNET_LLAMA_SHIM_ABI_VERSION`).
    static let abiVersion: Int32 = 4

    /// The names `bitnet preflight` checks, in header order.
    static let requiredNames: [String] = [
        "bitnet_llama_abi_version", "bitnet_llama_last_error", "bitnet_llama_backend_init",
        "bitnet_llama_log_set_level", "bitnet_llama_commit", "bitnet_llama_build_number",
        "bitnet_llama_system_info", "bitnet_llama_model_load", "bitnet_llama_model_free",
        "bitnet_llama_model_n_vocab", "bitnet_llama_model_n_ctx_train", "bitnet_llama_model_n_embd",
        "bitnet_llama_model_bos", "bitnet_llama_model_eos", "bitnet_llama_model_is_eog", "bitnet_llama_tokenize",
        "bitnet_llama_token_to_piece", "bitnet_llama_detokenize", "bitnet_llama_context_new",
        "bitnet_llama_context_free", "bitnet_llama_context_n_ctx", "bitnet_llama_context_n_past",
        "bitnet_llama_context_reset", "bitnet_llama_context_request_abort", "bitnet_llama_eval",
        "bitnet_llama_greedy", "bitnet_llama_embed", "bitnet_llama_chat_apply",
    ]

    let abiVersion: ShimInt32Fn
    let lastError: ShimStringFn
    let backendInit: ShimVoidFn
    let logSetLevel: ShimSetLevelFn
    let commit: ShimStringFn
    let buildNumber: ShimInt32Fn
    let systemInfo: ShimStringFn
    let modelLoad: ShimModelLoadFn
    let modelFree: ShimHandleStatusFn
    let modelNVocab: ShimHandleInt32Fn
    let modelNCtxTrain: ShimHandleInt32Fn
    let modelNEmbd: ShimHandleInt32Fn
    let modelBOS: ShimHandleInt32Fn
    let modelEOS: ShimHandleInt32Fn
    let modelIsEOG: ShimModelTokenFn
    let tokenize: ShimTokenizeFn
    let tokenToPiece: ShimTokenToPieceFn
    let detokenize: ShimDetokenizeFn
    let contextNew: ShimContextNewFn
    let contextFree: ShimHandleStatusFn
    let contextNCtx: ShimHandleUInt32Fn
    let contextNPast: ShimHandleInt32Fn
    let contextReset: ShimHandleStatusFn
    let contextRequestAbort: ShimHandleVoidFn
    let eval: ShimEvalFn
    let greedy: ShimGreedyFn
    let embed: ShimEmbedFn
    let chatApply: ShimChatApplyFn

    /// Resolves every symbol through `lookup`, which returns the raw address for a name or nil.
    init(lookup: (String) -> UnsafeMutableRawPointer?, library: String) throws(ReferenceError) {
        func resolve<F>(_ name: String, _ type: F.Type) throws(ReferenceError) -> F {
            guard let address = lookup(name) else { throw .symbolNotFound(name: name, library: library) }
            // The header declares `name` with exactly the C signature that `F` spells; the ABI version check
            // that follows resolution guards against a shim built from a different header.
            return unsafeBitCast(address, to: F.self)
        }
        abiVersion = try resolve("bitnet_llama_abi_version", ShimInt32Fn.self)
        lastError = try resolve("bitnet_llama_last_error", ShimStringFn.self)
        backendInit = try resolve("bitnet_llama_backend_init", ShimVoidFn.self)
        logSetLevel = try resolve("bitnet_llama_log_set_level", ShimSetLevelFn.self)
        commit = try resolve("bitnet_llama_commit", ShimStringFn.self)
        buildNumber = try resolve("bitnet_llama_build_number", ShimInt32Fn.self)
        systemInfo = try resolve("bitnet_llama_system_info", ShimStringFn.self)
        modelLoad = try resolve("bitnet_llama_model_load", ShimModelLoadFn.self)
        modelFree = try resolve("bitnet_llama_model_free", ShimHandleStatusFn.self)
        modelNVocab = try resolve("bitnet_llama_model_n_vocab", ShimHandleInt32Fn.self)
        modelNCtxTrain = try resolve("bitnet_llama_model_n_ctx_train", ShimHandleInt32Fn.self)
        modelNEmbd = try resolve("bitnet_llama_model_n_embd", ShimHandleInt32Fn.self)
        modelBOS = try resolve("bitnet_llama_model_bos", ShimHandleInt32Fn.self)
        modelEOS = try resolve("bitnet_llama_model_eos", ShimHandleInt32Fn.self)
        modelIsEOG = try resolve("bitnet_llama_model_is_eog", ShimModelTokenFn.self)
        tokenize = try resolve("bitnet_llama_tokenize", ShimTokenizeFn.self)
        tokenToPiece = try resolve("bitnet_llama_token_to_piece", ShimTokenToPieceFn.self)
        detokenize = try resolve("bitnet_llama_detokenize", ShimDetokenizeFn.self)
        contextNew = try resolve("bitnet_llama_context_new", ShimContextNewFn.self)
        contextFree = try resolve("bitnet_llama_context_free", ShimHandleStatusFn.self)
        contextNCtx = try resolve("bitnet_llama_context_n_ctx", ShimHandleUInt32Fn.self)
        contextNPast = try resolve("bitnet_llama_context_n_past", ShimHandleInt32Fn.self)
        contextReset = try resolve("bitnet_llama_context_reset", ShimHandleStatusFn.self)
        contextRequestAbort = try resolve("bitnet_llama_context_request_abort", ShimHandleVoidFn.self)
        eval = try resolve("bitnet_llama_eval", ShimEvalFn.self)
        greedy = try resolve("bitnet_llama_greedy", ShimGreedyFn.self)
        embed = try resolve("bitnet_llama_embed", ShimEmbedFn.self)
        chatApply = try resolve("bitnet_llama_chat_apply", ShimChatApplyFn.self)
    }
}
