import GGUF

/// A one-layer llama model with zero weights around a vocab-only GGUF's tokenizer, so llama.cpp (which loads
/// whole models) can tokenize with that vocabulary; `preTokenizer` replaces its `tokenizer.ggml.pre`.
enum SyntheticLlama {
    static func write(vocabulary path: String, to out: String, preTokenizer: String? = nil) throws {
        let vocab = try GGUFFile(path: path)
        var w = GGUFWriter()
        w.metadata["general.architecture"] = .string("llama")
        w.metadata["general.name"] = .string("synthetic tokenizer carrier")
        for (k, v) in vocab.metadata.entries where k.hasPrefix("tokenizer.") { w.metadata[k] = v }
        if let preTokenizer { w.metadata["tokenizer.ggml.pre"] = .string(preTokenizer) }
        let nVocab = vocab.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
        let embd = 32, ff = 32
        w.metadata["llama.context_length"] = .uint32(256)
        w.metadata["llama.embedding_length"] = .uint32(UInt32(embd))
        w.metadata["llama.block_count"] = .uint32(1)
        w.metadata["llama.feed_forward_length"] = .uint32(UInt32(ff))
        w.metadata["llama.attention.head_count"] = .uint32(1)
        w.metadata["llama.attention.head_count_kv"] = .uint32(1)
        w.metadata["llama.attention.layer_norm_rms_epsilon"] = .float32(1e-5)
        w.metadata["llama.vocab_size"] = .uint32(UInt32(nVocab))
        func zeros(_ name: String, _ shape: [Int]) throws {
            try w.addTensor(name: name, shape: shape, f32: [Float](repeating: 0, count: shape.reduce(1, *)))
        }
        try zeros("token_embd.weight", [embd, nVocab])
        try zeros("output_norm.weight", [embd])
        try zeros("blk.0.attn_norm.weight", [embd])
        try zeros("blk.0.attn_q.weight", [embd, embd])
        try zeros("blk.0.attn_k.weight", [embd, embd])
        try zeros("blk.0.attn_v.weight", [embd, embd])
        try zeros("blk.0.attn_output.weight", [embd, embd])
        try zeros("blk.0.ffn_norm.weight", [embd])
        try zeros("blk.0.ffn_gate.weight", [embd, ff])
        try zeros("blk.0.ffn_up.weight", [embd, ff])
        try zeros("blk.0.ffn_down.weight", [ff, embd])
        try w.write(to: out)
    }
}
