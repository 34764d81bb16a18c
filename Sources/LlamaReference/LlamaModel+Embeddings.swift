/// How llama.cpp pools hidden states into an embedding (`llama_pooling_type`).
public enum ReferencePooling: Int32, Sendable, CaseIterable {
    case none = 0, mean = 1, cls = 2, last = 3
}

/// What `LlamaModel.embed` returns: the rows llama.cpp wrote and the pooling it applied.
public struct ReferenceEmbeddings: Sendable {
    /// The pooling llama.cpp applied (the requested one, or the model's own).
    public let pooling: ReferencePooling
    /// One row for mean/cls/last, one per token for none.
    public let rows: Int
    /// `rows × embeddingLength` values, row-major, not normalised.
    public let values: [Float]
}

extension LlamaModel {
    /// The hidden states after the output norm for `tokens` as one sequence, pooled as `pooling` asks (nil: the
    /// model's `<arch>.pooling_type`), from a fresh embedding context in `precision`'s configuration.
    ///
    /// - Throws: `evalFailed` with llama.cpp's reason, `invalidArgument` for bad tokens.
    public func embed(_ tokens: [Int32], pooling: ReferencePooling?, threads: Int = 1,
                      precision: ReferencePrecision = .default) throws(ReferenceError) -> ReferenceEmbeddings {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw .invalidArgument(reason: "embed needs 1 to Int32.max tokens, got \(tokens.count)")
        }
        let capacity = tokens.count * embeddingLength
        let symbols = library.symbols
        return try cell.borrow(.shared) { (handle) throws(ReferenceError) -> ReferenceEmbeddings in
            var values = [Float](repeating: 0, count: capacity)
            var rows: Int32 = 0, applied: Int32 = 0
            let status = tokens.withUnsafeBufferPointer { ids in
                values.withUnsafeMutableBufferPointer { out in
                    // `out` holds `capacity` floats: the most any pooling writes (one row per token).
                    symbols.embed(handle, ids.baseAddress, Int32(ids.count), pooling?.rawValue ?? -1, Int32(threads),
                                  precision.shimFlags, out.baseAddress, Int64(capacity), &rows, &applied)
                }
            }
            guard status == ShimStatus.ok.rawValue else {
                let reason = failureReason(status, "status \(status)")
                if status == ShimStatus.invalidArgument.rawValue { throw .invalidArgument(reason: reason) }
                throw .evalFailed(reason: reason)
            }
            guard let kind = ReferencePooling(rawValue: applied) else {
                throw .evalFailed(reason: "llama.cpp applied pooling type \(applied), which the shim does not return")
            }
            return ReferenceEmbeddings(pooling: kind, rows: Int(rows),
                                       values: Array(values[0..<(Int(rows) * embeddingLength)]))
        }
    }
}
