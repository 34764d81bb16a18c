import GGUF

/// One tensor of a synthetic model: its header entry and how its values are made.
struct SyntheticTensor {
    enum Values {
        /// `rows` rows of `cols` bell-shaped (or ternary) values spread by `sigma`, from the random stream `stream`.
        case matrix(rows: Int, cols: Int, sigma: Float, stream: String)
        /// `count` F32 norm weights 1 + 0.05·N(0, 1).
        case norm(count: Int)
        /// `count` F32 biases σ·N(0, 1).
        case bias(count: Int, sigma: Float)
    }

    let plan: GGUFTensorPlan
    let values: Values
}

extension SyntheticModel {
    /// Bytes generated per piece when streaming a matrix (whole rows, at least one).
    static let chunkBytes = 8 << 20

    /// `llama`, `qwen2`, `qwen3`, `phi3` and upstream `bitnet`, in llama.cpp's converter order: token_embd, each
    /// block's attention then feed-forward tensors, output_norm, then `output.weight` for an untied model.
    /// qwen2 adds query/key/value biases (σ 0.5, so they move the scores visibly), qwen3 per-head query/key norms;
    /// phi3 stores the three projections as one `attn_qkv` and gate + up as one `ffn_up` of 2·ffn rows.
    func decoderTensors(vocab: Int) -> [SyntheticTensor] {
        let s = shape, d = s.embeddingLength, ff = s.feedForwardLength, hd = s.headLength
        let bitnet = architecture == .bitnet, phi3 = architecture == .phi3
        let q = s.headCount * hd, kv = s.headCountKV * hd
        let residual = 4 / Float(2 * s.blockCount).squareRoot(), inSigma = 1 / Float(d).squareRoot()
        // bitnet: the embedding is also the output projection and stays F16, as in published BitNet files.
        var out = [matrix("token_embd.weight", rows: vocab, cols: d, sigma: 3 / Float(d).squareRoot(),
                          type: bitnet ? .f16 : nil)]
        for i in 0..<s.blockCount {
            let p = "blk.\(i)."
            out.append(norm(p + "attn_norm.weight", d))
            if phi3 {
                out.append(matrix(p + "attn_qkv.weight", rows: q + 2 * kv, cols: d, sigma: inSigma))
            } else {
                out.append(matrix(p + "attn_q.weight", rows: q, cols: d, sigma: inSigma))
                out.append(matrix(p + "attn_k.weight", rows: kv, cols: d, sigma: inSigma))
                out.append(matrix(p + "attn_v.weight", rows: kv, cols: d, sigma: inSigma))
            }
            if architecture == .qwen2 {
                out.append(bias(p + "attn_q.bias", q))
                out.append(bias(p + "attn_k.bias", kv))
                out.append(bias(p + "attn_v.bias", kv))
            }
            if architecture == .qwen3 {
                out.append(norm(p + "attn_q_norm.weight", hd))
                out.append(norm(p + "attn_k_norm.weight", hd))
            }
            if bitnet { out.append(norm(p + "attn_sub_norm.weight", q)) }
            out.append(matrix(p + "attn_output.weight", rows: d, cols: q, sigma: residual / Float(q).squareRoot()))
            out.append(norm(p + "ffn_norm.weight", d))
            if phi3 {
                out.append(matrix(p + "ffn_up.weight", rows: 2 * ff, cols: d, sigma: inSigma))
            } else {
                out.append(matrix(p + "ffn_gate.weight", rows: ff, cols: d, sigma: inSigma))
                out.append(matrix(p + "ffn_up.weight", rows: ff, cols: d, sigma: inSigma))
            }
            if bitnet { out.append(norm(p + "ffn_sub_norm.weight", ff)) }
            out.append(matrix(p + "ffn_down.weight", rows: d, cols: ff, sigma: residual / Float(ff).squareRoot()))
        }
        out.append(norm("output_norm.weight", d))
        if !tiedOutput && !bitnet {
            out.append(matrix("output.weight", rows: vocab, cols: d, sigma: 3 / Float(d).squareRoot()))
        }
        return out
    }

    /// `bitnet-25` in the published BitNet b1.58 2B-4T file's order (333 tensors for 30 blocks; see
    /// docs/bitnet-25.md): `output.weight` and `token_embd.weight` (both F16, equal here), then the blocks in
    /// lexicographic order of their index (0, 1, 10, 11, …) with attn_norm, ffn_down, ffn_sub_norm, ffn_gate,
    /// ffn_up, ffn_norm, attn_sub_norm, attn_k, attn_output, attn_q, attn_v each, then output_norm.
    func bitnet25Tensors(vocab: Int) -> [SyntheticTensor] {
        let s = shape, d = s.embeddingLength, ff = s.feedForwardLength, hd = s.headLength
        let q = s.headCount * hd, kv = s.headCountKV * hd
        let residual = 4 / Float(2 * s.blockCount).squareRoot(), inSigma = 1 / Float(d).squareRoot()
        let embedding = 3 / Float(d).squareRoot()
        var out = [
            matrix("output.weight", rows: vocab, cols: d, sigma: embedding, type: .f16, stream: "token_embd.weight"),
            matrix("token_embd.weight", rows: vocab, cols: d, sigma: embedding, type: .f16),
        ]
        for i in (0..<s.blockCount).sorted(by: { String($0) < String($1) }) {
            let p = "blk.\(i)."
            out.append(norm(p + "attn_norm.weight", d))
            out.append(matrix(p + "ffn_down.weight", rows: d, cols: ff, sigma: residual / Float(ff).squareRoot()))
            out.append(norm(p + "ffn_sub_norm.weight", ff))
            out.append(matrix(p + "ffn_gate.weight", rows: ff, cols: d, sigma: inSigma))
            out.append(matrix(p + "ffn_up.weight", rows: ff, cols: d, sigma: inSigma))
            out.append(norm(p + "ffn_norm.weight", d))
            out.append(norm(p + "attn_sub_norm.weight", q))
            out.append(matrix(p + "attn_k.weight", rows: kv, cols: d, sigma: inSigma))
            out.append(matrix(p + "attn_output.weight", rows: d, cols: q, sigma: residual / Float(q).squareRoot()))
            out.append(matrix(p + "attn_q.weight", rows: q, cols: d, sigma: inSigma))
            out.append(matrix(p + "attn_v.weight", rows: kv, cols: d, sigma: inSigma))
        }
        out.append(norm("output_norm.weight", d))
        return out
    }

    private func matrix(_ name: String, rows: Int, cols: Int, sigma: Float, type: GGMLType? = nil,
                        stream: String? = nil) -> SyntheticTensor {
        let t = type ?? SyntheticTensorEncoder.effectiveType(weightType, rowLength: cols)
        return SyntheticTensor(plan: GGUFTensorPlan(name: name, type: t, shape: [cols, rows]),
                               values: .matrix(rows: rows, cols: cols, sigma: sigma, stream: stream ?? name))
    }

    private func norm(_ name: String, _ count: Int) -> SyntheticTensor {
        SyntheticTensor(plan: GGUFTensorPlan(name: name, type: .f32, shape: [count]), values: .norm(count: count))
    }

    private func bias(_ name: String, _ count: Int) -> SyntheticTensor {
        SyntheticTensor(plan: GGUFTensorPlan(name: name, type: .f32, shape: [count]),
                        values: .bias(count: count, sigma: 0.5))
    }

    /// Produces `t`'s bytes in order, in pieces of whole rows (plus I2_S's trailer), passing each to `emit`.
    /// - Throws: `ModelMakerError.unsupportedWeightType` for rows the type cannot hold; whatever `emit` throws.
    func generate(_ t: SyntheticTensor, emit: ([UInt8]) throws(ModelMakerError) -> Void) throws(ModelMakerError) {
        switch t.values {
        case .norm(let count), .bias(let count, _):
            var random = SyntheticRandom(seed: seed, stream: t.plan.name)
            let values: [Float]
            if case .bias(_, let sigma) = t.values {
                values = SyntheticTensorEncoder.gaussian(count, sigma: sigma, mean: 0, random: &random)
            } else {
                values = SyntheticTensorEncoder.gaussian(count, sigma: 0.05, mean: 1, random: &random)
            }
            var bytes = [UInt8](repeating: 0, count: 4 * count)
            for (i, v) in values.enumerated() {
                for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: v.bitPattern >> (8 * k)) }
            }
            try emit(bytes)
        case .matrix(let rows, let cols, let sigma, let stream):
            var random = SyntheticRandom(seed: seed, stream: stream)
            let type = t.plan.type
            guard let rowBytes = type.rowByteCount(cols), rowBytes > 0 else {
                throw .unsupportedWeightType("\(type.name) for rows of \(cols)", supported: [])
            }
            let chunkRows = max(1, Self.chunkBytes / rowBytes)
            var done = 0
            while done < rows {
                let n = min(chunkRows, rows - done)
                if type == .i2_s {
                    try emit(try SyntheticTensorEncoder.i2sCodes(elements: n * cols, rowLength: cols, random: &random))
                } else {
                    try emit(try SyntheticTensorEncoder.encode(type, elements: n * cols, rowLength: cols, sigma: sigma,
                                                               random: &random))
                }
                done += n
            }
            if type == .i2_s { try emit(SyntheticTensorEncoder.i2sTrailer(sigma: sigma)) }
        }
    }
}
