import BitNetRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The model and tokenization functions of include/bitnet.h.

/// `bitnet_model *bitnet_model_load(bitnet_context *ctx, const char *path, bitnet_error *err)`
@_cdecl("bitnet_model_load")
public func bitnet_model_load(_ ctx: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                              _ err: UnsafeMutablePointer<Int32>?) -> OpaquePointer? {
    cBoundary(err, onError: { _ in nil }) { () throws(CAPIError) -> OpaquePointer? in
        let (contextID, context) = try HandleRegistry.shared.context(ctx)
        guard let path else { throw .invalidArgument("the model path is NULL") }
        let file = String(cString: path)
        let engine: Engine
        do throws(EngineError) { engine = try Engine(path: file) } catch { throw CAPIError(error) }
        let trained = engine.model.hyperParameters.contextLength
        guard context.options.contextLength <= trained else {
            throw .invalidArgument("n_ctx \(context.options.contextLength) exceeds the model's training context "
                + "\(trained); use at most that (or 0)")
        }
        let model = ModelObject(engine: engine, contextID: contextID, options: context.options)
        return HandleRegistry.shared.add(.model(model))
    }
}

/// `bitnet_error bitnet_model_free(bitnet_model *model)`
@_cdecl("bitnet_model_free")
public func bitnet_model_free(_ model: OpaquePointer?) -> Int32 {
    cBoundary { () throws(CAPIError) in try HandleRegistry.shared.remove(model, kind: "model") }
}

/// `bitnet_error bitnet_model_info(const bitnet_model *model, bitnet_model_description *out)`
@_cdecl("bitnet_model_info")
public func bitnet_model_info(_ model: OpaquePointer?, _ out: UnsafeMutableRawPointer?) -> Int32 {
    cBoundary { () throws(CAPIError) in
        let (_, m) = try HandleRegistry.shared.model(model)
        guard let out else { throw .invalidArgument("the output bitnet_model_description pointer is NULL") }
        let hp = m.engine.model.hyperParameters
        // bitnet_model_description (64 bytes): char[32] architecture at 0, uint64 at 32 and 40, int32 at 48...60.
        let arch = Array(hp.architecture.utf8.prefix(31))
        out.initializeMemory(as: UInt8.self, repeating: 0, count: 32)
        for (i, b) in arch.enumerated() { out.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        out.storeBytes(of: UInt64(m.engine.file.parameterCount), toByteOffset: 32, as: UInt64.self)
        out.storeBytes(of: UInt64(m.engine.file.fileSize), toByteOffset: 40, as: UInt64.self)
        out.storeBytes(of: clamped(hp.contextLength), toByteOffset: 48, as: Int32.self)
        out.storeBytes(of: clamped(hp.vocabSize), toByteOffset: 52, as: Int32.self)
        out.storeBytes(of: clamped(hp.blockCount), toByteOffset: 56, as: Int32.self)
        out.storeBytes(of: clamped(hp.embeddingLength), toByteOffset: 60, as: Int32.self)
    }
}

/// `uint64_t bitnet_model_memory_bytes(const bitnet_model *model, bitnet_error *err)`
@_cdecl("bitnet_model_memory_bytes")
public func bitnet_model_memory_bytes(_ model: OpaquePointer?, _ err: UnsafeMutablePointer<Int32>?) -> UInt64 {
    cBoundary(err, onError: { _ in 0 }) { () throws(CAPIError) -> UInt64 in
        let (_, m) = try HandleRegistry.shared.model(model)
        // Matrices are read in place from the mapping; norm vectors are small F32 copies of their tensors,
        // counted once as the mapped tensor bytes they come from.
        return UInt64(m.engine.file.tensors.reduce(0) { $0 + $1.byteCount })
    }
}

/// `size_t bitnet_tokenize(const bitnet_model *model, const char *text, bool add_special, bool parse_special,
/// int32_t *tokens, size_t cap, bitnet_error *err)`
@_cdecl("bitnet_tokenize")
public func bitnet_tokenize(_ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ addSpecial: Bool,
                            _ parseSpecial: Bool, _ tokens: UnsafeMutablePointer<Int32>?, _ cap: UInt,
                            _ err: UnsafeMutablePointer<Int32>?) -> UInt {
    cBoundary(err, onError: { UInt($0.neededSize) }) { () throws(CAPIError) -> UInt in
        let (_, m) = try HandleRegistry.shared.model(model)
        guard let text else { throw .invalidArgument("the text is NULL") }
        // `text` is NUL-terminated (the caller's contract), so strlen bytes are readable.
        let bytes = UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self)
        let ids = m.engine.tokenizer.encode(utf8: UnsafeBufferPointer(start: bytes, count: strlen(text)),
                                            addSpecial: addSpecial, parseSpecial: parseSpecial)
        if ids.isEmpty { return 0 }
        guard let tokens, cap >= UInt(ids.count) else {
            throw .bufferTooSmall(needed: ids.count, capacity: tokens == nil ? 0 : Int(clamping: cap), unit: "tokens")
        }
        // cap >= ids.count, so the copy stays inside the caller's array.
        for (i, id) in ids.enumerated() { tokens[i] = id }
        return UInt(ids.count)
    }
}

/// `size_t bitnet_detokenize(const bitnet_model *model, const int32_t *tokens, size_t n_tokens, char *buf,
/// size_t cap, bitnet_error *err)`
@_cdecl("bitnet_detokenize")
public func bitnet_detokenize(_ model: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ count: UInt,
                              _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt,
                              _ err: UnsafeMutablePointer<Int32>?) -> UInt {
    cBoundary(err, onError: { UInt($0.neededSize) }) { () throws(CAPIError) -> UInt in
        let (_, m) = try HandleRegistry.shared.model(model)
        guard count <= UInt(Int32.max) else { throw .invalidArgument("n_tokens \(count) is too large") }
        guard count == 0 || tokens != nil else { throw .invalidArgument("tokens is NULL but n_tokens is \(count)") }
        // The caller's array holds `count` ids (its contract); with count 0 nothing is read.
        let ids = count == 0 ? [] : Array(UnsafeBufferPointer(start: tokens, count: Int(count)))
        let vocab = m.engine.tokenizer.vocabularySize
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocab }) {
            throw .invalidArgument("tokens[\(bad)] = \(ids[bad]) is outside the vocabulary (0..<\(vocab))")
        }
        let text = m.engine.tokenizer.decodeBytes(ids)
        return try copyText(text, into: buf, capacity: cap)
    }
}

/// Copies `text` and a NUL into `buf` when it fits (`cap >= text.count + 1`); otherwise throws the size needed.
func copyText(_ text: [UInt8], into buf: UnsafeMutablePointer<CChar>?, capacity cap: UInt) throws(CAPIError) -> UInt {
    guard let buf, cap > UInt(text.count) else {
        throw .bufferTooSmall(needed: text.count, capacity: buf == nil ? 0 : Int(clamping: cap),
                              unit: "bytes (the text needs its length + 1 for the NUL)")
    }
    // cap >= text.count + 1: the text and its NUL fit.
    for (i, b) in text.enumerated() { buf[i] = CChar(bitPattern: b) }
    buf[text.count] = 0
    return UInt(text.count)
}

private func clamped(_ v: Int) -> Int32 { Int32(clamping: v) }
