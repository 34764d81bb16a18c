/// A GGUF model loaded by llama.cpp through the shim, with its tokenizer.
///
/// The llama.cpp handle is freed exactly once: by `close()` or, failing that, by `deinit`. Contexts keep their
/// model alive, so a model cannot be freed under a running context.
public final class LlamaModel: @unchecked Sendable {
    // @unchecked: the stored properties are immutable; the handle is owned by `cell`, which serialises freeing
    // against running calls. The shim's model calls (vocabulary queries, tokenize, detokenize) only read the
    // loaded vocabulary, so concurrent calls on one model are allowed (`HandleCell.Access.shared`).

    /// The library that loaded this model.
    public let library: ReferenceLibrary
    /// The GGUF file.
    public let path: String
    /// Number of tokens in the vocabulary (the length of a logits row).
    public let vocabularySize: Int
    /// Context length the model was trained with.
    public let trainingContextLength: Int
    /// Width of the residual stream.
    public let embeddingLength: Int
    /// Beginning-of-sequence token, if the vocabulary has one.
    public let bosToken: Int32?
    /// End-of-sequence token, if the vocabulary has one.
    public let eosToken: Int32?

    let cell: HandleCell

    /// Loads `path` on the CPU (memory-mapped).
    ///
    /// - Throws: `modelLoadFailed` with llama.cpp's reason (missing file, bad GGUF, unknown architecture).
    public init(path: String, library: ReferenceLibrary) throws(ReferenceError) {
        var handle: OpaquePointer?
        let status = path.withCString { library.symbols.modelLoad($0, &handle) }
        guard status == ShimStatus.ok.rawValue, let handle else {
            let reason = library.lastError()
            if status == ShimStatus.outOfMemory.rawValue { throw .outOfMemory(reason: reason) }
            throw .modelLoadFailed(path: path, reason: reason.isEmpty ? "status \(status)" : reason)
        }
        self.library = library
        self.path = path
        self.cell = HandleCell(handle, kind: .model)
        let symbols = library.symbols
        vocabularySize = Int(symbols.modelNVocab(handle))
        trainingContextLength = Int(symbols.modelNCtxTrain(handle))
        embeddingLength = Int(symbols.modelNEmbd(handle))
        let bos = symbols.modelBOS(handle)
        let eos = symbols.modelEOS(handle)
        bosToken = bos >= 0 ? bos : nil
        eosToken = eos >= 0 ? eos : nil
    }

    /// Loads `path` on a worker thread, giving up after `timeout`. If the limit passes, the worker finishes the
    /// load in the background and frees the model as soon as it is done (nothing else holds it).
    public static func load(
        path: String, library: ReferenceLibrary, timeout: Duration
    ) throws(ReferenceError) -> LlamaModel {
        try ReferenceTimeout.run(limit: timeout) { () throws(ReferenceError) in
            try LlamaModel(path: path, library: library)
        }
    }

    deinit {
        try? cell.close { handle in
            // No call can be running (each holds a reference to self) and no context is alive (each holds
            // one too), so the shim cannot refuse.
            library.symbols.modelFree(handle) == ShimStatus.ok.rawValue ? nil : library.lastError()
        }
    }

    /// Frees the llama.cpp model now instead of at `deinit`. Later calls throw `handleClosed`.
    ///
    /// - Throws: `cleanupFailed` while a call is running on this model.
    public func close() throws(ReferenceError) {
        try cell.close { handle in
            library.symbols.modelFree(handle) == ShimStatus.ok.rawValue ? nil : library.lastError()
        }
    }

    /// True when generation should stop after `token` (EOS, end-of-turn, ...).
    public func isEndOfGeneration(_ token: Int32) -> Bool {
        (try? cell.borrow(.shared) { library.symbols.modelIsEOG($0, token) != 0 }) ?? false
    }

    // MARK: Tokenizer

    /// The number of tokens `text` becomes: the query pass of `tokenize` on its own.
    ///
    /// - Throws: `tokenizeFailed(phase: .query, ...)`.
    public func tokenCount(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false)
        throws(ReferenceError) -> Int
    {
        let bytes = Array(text.utf8)
        return try cell.borrow(.shared) { (handle) throws(ReferenceError) -> Int in
            try queryTokenCount(handle, bytes, addSpecial: addSpecial, parseSpecial: parseSpecial)
        }
    }

    /// Tokenizes `text` the way llama.cpp does: a query pass for the count, then a fill pass.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the model's metadata asks (llama-tokenize's default).
    ///   - parseSpecial: turn control-token text such as `<|im_start|>` into its token.
    /// - Throws: `tokenizeFailed` naming the pass that failed.
    public func tokenize(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false)
        throws(ReferenceError) -> [Int32]
    {
        let bytes = Array(text.utf8)
        return try cell.borrow(.shared) { (handle) throws(ReferenceError) -> [Int32] in
            let count = try queryTokenCount(handle, bytes, addSpecial: addSpecial, parseSpecial: parseSpecial)
            var tokens = [Int32](repeating: 0, count: count)
            var written: Int32 = 0
            let status = bytes.withUnsafeBufferPointer { text in
                tokens.withUnsafeMutableBufferPointer { out in
                    // `out` holds exactly `count` entries, the capacity passed alongside it.
                    text.withMemoryRebound(to: CChar.self) { chars in
                        library.symbols.tokenize(
                            handle, chars.baseAddress, Int32(bytes.count), addSpecial ? 1 : 0, parseSpecial ? 1 : 0,
                            out.baseAddress, Int32(count), &written)
                    }
                }
            }
            guard status == ShimStatus.ok.rawValue, Int(written) == count else {
                throw .tokenizeFailed(phase: .fill, reason: failureReason(status, "wrote \(written) of \(count)"))
            }
            return tokens
        }
    }

    private func queryTokenCount(_ handle: OpaquePointer, _ bytes: [UInt8], addSpecial: Bool, parseSpecial: Bool)
        throws(ReferenceError) -> Int
    {
        guard bytes.count < Int(Int32.max) else {
            throw .tokenizeFailed(phase: .query, reason: "text of \(bytes.count) bytes exceeds Int32.max")
        }
        var needed: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { text in
            text.withMemoryRebound(to: CChar.self) { chars in
                library.symbols.tokenize(
                    handle, chars.baseAddress, Int32(bytes.count), addSpecial ? 1 : 0, parseSpecial ? 1 : 0,
                    nil, 0, &needed)
            }
        }
        guard status == ShimStatus.ok.rawValue else {
            throw .tokenizeFailed(phase: .query, reason: failureReason(status, "query failed"))
        }
        return Int(needed)
    }

    /// The bytes of one token. With `special`, control tokens render as their text (e.g. `<|im_end|>`).
    ///
    /// - Throws: `detokenizeFailed`, or `invalidArgument` for a token outside the vocabulary.
    public func piece(for token: Int32, special: Bool = true) throws(ReferenceError) -> [UInt8] {
        try twoPassBytes { handle, buffer, capacity, count in
            library.symbols.tokenToPiece(handle, token, special ? 1 : 0, buffer, capacity, count)
        }
    }

    /// The bytes a token sequence stands for (llama.cpp's detokenizer; pieces are joined, not decoded).
    ///
    /// - Parameters:
    ///   - removeSpecial: drop a leading BOS / trailing EOS the model adds.
    ///   - unparseSpecial: render control tokens as their text.
    /// - Throws: `detokenizeFailed`, or `invalidArgument` for a token outside the vocabulary.
    public func detokenizeBytes(_ tokens: [Int32], removeSpecial: Bool = false, unparseSpecial: Bool = true)
        throws(ReferenceError) -> [UInt8]
    {
        guard tokens.count < Int(Int32.max) else { throw .invalidArgument(reason: "too many tokens") }
        return try tokens.withUnsafeBufferPointer { (ids) throws(ReferenceError) -> [UInt8] in
            try twoPassBytes { handle, buffer, capacity, count in
                library.symbols.detokenize(
                    handle, ids.baseAddress, Int32(ids.count), removeSpecial ? 1 : 0, unparseSpecial ? 1 : 0,
                    buffer, capacity, count)
            }
        }
    }

    /// `detokenizeBytes` as a String; invalid UTF-8 (a token sequence cut mid-character) becomes U+FFFD.
    public func detokenize(_ tokens: [Int32], removeSpecial: Bool = false, unparseSpecial: Bool = true)
        throws(ReferenceError) -> String
    {
        String(decoding: try detokenizeBytes(tokens, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial),
               as: UTF8.self)
    }

    /// Runs a two-pass byte query: `call(handle, nil, 0, &count)` for the size, then fills a buffer of that size.
    private func twoPassBytes(
        _ call: (OpaquePointer, UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    ) throws(ReferenceError) -> [UInt8] {
        try cell.borrow(.shared) { (handle) throws(ReferenceError) -> [UInt8] in
            var needed: Int32 = 0
            let queryStatus = call(handle, nil, 0, &needed)
            guard queryStatus == ShimStatus.ok.rawValue else {
                throw detokenizeError(queryStatus, phase: .query)
            }
            guard needed > 0 else { return [] }
            var bytes = [UInt8](repeating: 0, count: Int(needed))
            var written: Int32 = 0
            let fillStatus = bytes.withUnsafeMutableBufferPointer { out in
                // `out` holds exactly `needed` bytes, the capacity passed alongside it.
                out.withMemoryRebound(to: CChar.self) { call(handle, $0.baseAddress, needed, &written) }
            }
            guard fillStatus == ShimStatus.ok.rawValue, written == needed else {
                throw detokenizeError(fillStatus, phase: .fill)
            }
            return bytes
        }
    }

    private func detokenizeError(_ status: Int32, phase: TokenizePhase) -> ReferenceError {
        let reason = failureReason(status, "status \(status)")
        if status == ShimStatus.invalidArgument.rawValue { return .invalidArgument(reason: reason) }
        return .detokenizeFailed(phase: phase, reason: reason)
    }

    func failureReason(_ status: Int32, _ fallback: String) -> String {
        let text = library.lastError()
        return text.isEmpty ? fallback : text
    }
}
