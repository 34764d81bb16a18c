import BitNetRuntime

// The inference functions of include/bitnet.h.

/// `bitnet_inference *bitnet_inference_start(bitnet_model *model, const char *prompt,
/// const bitnet_sampling *sampling, bitnet_error *err)`
@_cdecl("bitnet_inference_start")
public func bitnet_inference_start(_ model: OpaquePointer?, _ prompt: UnsafePointer<CChar>?,
                                   _ sampling: UnsafeRawPointer?,
                                   _ err: UnsafeMutablePointer<Int32>?) -> OpaquePointer? {
    cBoundary(err, onError: { _ in nil }) { () throws(CAPIError) -> OpaquePointer? in
        let (modelID, m) = try HandleRegistry.shared.model(model)
        guard let prompt else { throw .invalidArgument("the prompt is NULL") }
        let (parameters, maxTokens) = samplingParameters(sampling)
        let stream = try TokenStream(engine: m.engine, options: m.options, prompt: String(cString: prompt),
                                     sampling: parameters, maxTokens: maxTokens)
        return HandleRegistry.shared.add(.inference(InferenceObject(modelID: modelID, stream: stream)))
    }
}

/// `size_t bitnet_inference_next_token(bitnet_inference *inf, char *buf, size_t cap, int32_t *token_id,
/// bool *done, bitnet_error *err)`
@_cdecl("bitnet_inference_next_token")
public func bitnet_inference_next_token(_ inf: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt,
                                        _ tokenID: UnsafeMutablePointer<Int32>?, _ done: UnsafeMutablePointer<Bool>?,
                                        _ err: UnsafeMutablePointer<Int32>?) -> UInt {
    cBoundary(err, onError: { UInt($0.neededSize) }) { () throws(CAPIError) -> UInt in
        let inference = try HandleRegistry.shared.inference(inf)
        return try inference.stream.withLock { (stream: inout TokenStream) throws(CAPIError) -> UInt in
            let piece = try stream.next()
            let length = try copyText(piece.text, into: buf, capacity: cap)
            stream.markDelivered()
            tokenID?.pointee = piece.token
            done?.pointee = piece.done
            return length
        }
    }
}

/// `bitnet_error bitnet_inference_free(bitnet_inference *inf)`
@_cdecl("bitnet_inference_free")
public func bitnet_inference_free(_ inf: OpaquePointer?) -> Int32 {
    cBoundary { () throws(CAPIError) in try HandleRegistry.shared.remove(inf, kind: "inference") }
}

/// Reads `bitnet_sampling` (32 bytes: float temperature at 0, int32 top_k at 4, float top_p at 8, float min_p
/// at 12, float repeat_penalty at 16, int32 max_tokens at 20, uint64 seed at 24). Zero fields mean "off", so an
/// all-zero struct or NULL is greedy decoding; range errors are left to `SamplingParameters.validationError`.
func samplingParameters(_ raw: UnsafeRawPointer?) -> (SamplingParameters, maxTokens: Int) {
    var p = SamplingParameters.greedy
    p.topK = 0
    p.topP = 1
    p.minP = 0
    p.repeatPenalty = 1
    guard let raw else { return (p, 0) }
    p.temperature = raw.loadUnaligned(fromByteOffset: 0, as: Float.self)
    p.topK = Int(raw.loadUnaligned(fromByteOffset: 4, as: Int32.self))
    let topP = raw.loadUnaligned(fromByteOffset: 8, as: Float.self)
    p.topP = topP == 0 ? 1 : topP
    p.minP = raw.loadUnaligned(fromByteOffset: 12, as: Float.self)
    let penalty = raw.loadUnaligned(fromByteOffset: 16, as: Float.self)
    p.repeatPenalty = penalty == 0 ? 1 : penalty
    p.seed = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    return (p, Int(raw.loadUnaligned(fromByteOffset: 20, as: Int32.self)))
}
