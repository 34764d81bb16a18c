import Foundation
import GGUF

extension HFModelConverter {
    /// The hyper-parameters of a checkpoint and the `<arch>.*` metadata llama.cpp's converter writes from them.
    /// Missing optional values take the defaults of the model's `transformers` configuration class (which the
    /// reference converter reads through `AutoConfig`), so an abbreviated config.json converts the same way.
    struct HyperParameters {
        let arch: String
        let hfArch: String
        let blocks: Int
        let contextLength: Int
        let embedding: Int
        let feedForward: Int
        let heads: Int
        let kvHeads: Int
        let headDim: Int?
        let ropeTheta: Double
        let rmsEps: Double
        let rope: [String: Any]
        let config: [String: Any]

        /// Defaults of `transformers`' configuration classes: context, RoPE base, RMS epsilon.
        static let defaults: [String: (context: Int, theta: Double, eps: Double)] = [
            "LlamaForCausalLM": (2048, 10000, 1e-6), "MistralForCausalLM": (4096 * 32, 10000, 1e-6),
            "Ministral3ForCausalLM": (4096 * 32, 10000, 1e-6), "SmolLM3ForCausalLM": (32768, 2_000_000, 1e-6),
            "GraniteForCausalLM": (2048, 10000, 1e-6), "Gemma3ForCausalLM": (131072, 1_000_000, 1e-6),
            "Qwen2ForCausalLM": (32768, 10000, 1e-6), "Qwen3ForCausalLM": (32768, 10000, 1e-6),
            "Phi3ForCausalLM": (4096, 10000, 1e-5),
            "BitNetForCausalLM": (2048, 500000, 1e-5), "BitnetForCausalLM": (2048, 500000, 1e-5),
        ]

        init(checkpoint c: HFCheckpoint, hfArch: String, arch: String) throws(HFImportError) {
            self.arch = arch
            self.hfArch = hfArch
            config = c.config
            guard let blocks = c.int("num_hidden_layers", "n_layers", "n_layer", "num_layers") else {
                throw .missingHyperParameter("num_hidden_layers")
            }
            guard let embedding = c.int("hidden_size", "n_embd", "dim") else { throw .missingHyperParameter("hidden_size") }
            guard let ff = c.int("intermediate_size", "n_inner", "hidden_dim") else {
                throw .missingHyperParameter("intermediate_size")
            }
            guard let heads = c.int("num_attention_heads", "n_head", "n_heads"), heads > 0 else {
                throw .missingHyperParameter("num_attention_heads")
            }
            let d = Self.defaults[hfArch] ?? (2048, 10000, 1e-6)
            // Every count is written as a u32 and divides others: refuse what no model has rather than trap.
            func check(_ key: String, _ v: Int?, minimum: Int = 1) throws(HFImportError) {
                if let v, !(minimum...(1 << 30)).contains(v) {
                    throw .badShape(tensor: "config.json \(key)", shape: [v], expected: "a count from \(minimum) to 2^30")
                }
            }
            try check("num_hidden_layers", blocks)
            try check("hidden_size", embedding)
            try check("intermediate_size", ff)
            try check("num_attention_heads", heads)
            try check("num_key_value_heads", c.int("num_key_value_heads", "n_kv_heads"))
            try check("max_position_embeddings", c.int("max_position_embeddings", "n_ctx", "n_positions", "max_length"), minimum: 0)
            try check("head_dim", c.int("head_dim"))
            try check("vocab_size", c.int("vocab_size"))
            try check("original_max_position_embeddings", c.int("original_max_position_embeddings"))
            self.blocks = blocks
            self.embedding = embedding
            self.feedForward = ff
            self.heads = heads
            kvHeads = c.int("num_key_value_heads", "n_kv_heads") ?? heads
            contextLength = c.int("max_position_embeddings", "n_ctx", "n_positions", "max_length") ?? d.context
            rope = (c.config["rope_parameters"] as? [String: Any]) ?? (c.config["rope_scaling"] as? [String: Any]) ?? [:]
            ropeTheta = HFJSON.double(rope["rope_theta"]) ?? c.double("rope_theta", "rotary_emb_base") ?? d.theta
            rmsEps = c.double("rms_norm_eps", "norm_eps") ?? d.eps
            try check("rope_scaling.original_max_position_embeddings", HFJSON.int(rope["original_max_position_embeddings"]))
            for pct in [HFJSON.double(rope["partial_rotary_factor"]), c.double("partial_rotary_factor")] {
                if let pct, !(pct > 0 && pct <= 1) {
                    throw .badShape(tensor: "config.json partial_rotary_factor", shape: [], expected: "a fraction in (0, 1]")
                }
            }
            // LlamaConfig, MistralConfig and Qwen3Config carry head_dim (Qwen3's default is 128); the others
            // only when config.json sets it.
            switch hfArch {
            case "LlamaForCausalLM", "MistralForCausalLM", "Ministral3ForCausalLM":
                headDim = c.int("head_dim") ?? embedding / heads
            case "Qwen3ForCausalLM": headDim = c.int("head_dim") ?? 128
            case "GraniteForCausalLM": headDim = nil  // llama.cpp's converter drops Granite's head_dim
            case "Gemma3ForCausalLM": headDim = c.int("head_dim") ?? 256
            default: headDim = c.int("head_dim")
            }
            if hfArch == "Ministral3ForCausalLM", (c.config["model_type"] as? String) == "ministral3" {
                // llama.cpp's converter requires these of a Ministral 3 config (and asserts otherwise).
                guard ((rope["rope_type"] as? String) ?? (rope["type"] as? String)) == "yarn" else {
                    throw .missingHyperParameter("rope_parameters.rope_type = yarn (Ministral 3)")
                }
                for key in ["mscale_all_dim", "llama_4_scaling_beta"] where HFJSON.double(rope[key]) == nil {
                    throw .missingHyperParameter("rope_parameters.\(key)")
                }
            }
            if let sw = c.int("sliding_window"), hfArch == "MistralForCausalLM", sw < contextLength {
                // llama.cpp's converter and its llama graph ignore Mistral's window too; say so rather than hide it.
                FileHandle.standardError.write(Data(
                    "convert --from-hf: note: sliding_window \(sw) < context \(contextLength) is not kept (llama.cpp's llama graph attends to the whole context).\n".utf8))
            }
        }

        /// The RoPE scaling type named in config.json (`rope_type` or the older `type`).
        var ropeType: String? { (rope["rope_type"] as? String) ?? (rope["type"] as? String) }

        /// The block count, context, widths and head counts every architecture's converter writes first.
        var sizes: [(String, GGUFValue)] {
            [("block_count", blocks), ("context_length", contextLength), ("embedding_length", embedding),
             ("feed_forward_length", feedForward), ("attention.head_count", heads), ("attention.head_count_kv", kvHeads)]
                .map { ("\(arch).\($0.0)", .uint32(UInt32($0.1))) }
        }

        /// `<arch>.*` entries and `general.file_type`, in the reference converter's order.
        func metadata(fileType: UInt32) -> [(String, GGUFValue)] {
            let a = arch
            if a == "phi3" { return phi3Metadata(fileType: fileType) }
            if a == "gemma3" { return gemma3Metadata(fileType: fileType) }
            var m = sizes
            if let t = ropeType?.lowercased(), let factor = HFJSON.double(rope["factor"]) {
                if t == "linear" {
                    m += [("\(a).rope.scaling.type", .string("linear")), ("\(a).rope.scaling.factor", .float32(Float(factor)))]
                } else if t == "yarn" {
                    m += [("\(a).rope.scaling.type", .string("yarn")), ("\(a).rope.scaling.factor", .float32(Float(factor)))]
                    if let orig = HFJSON.int(rope["original_max_position_embeddings"]) {
                        m.append(("\(a).rope.scaling.original_context_length", .uint32(UInt32(orig))))
                    }
                    // The optional YaRN constants, as the reference converter copies them when present.
                    for (key, names) in [("yarn_ext_factor", ["extrapolation_factor"]),
                                         ("yarn_attn_factor", ["attention_factor", "attn_factor"]),
                                         ("yarn_beta_fast", ["beta_fast"]), ("yarn_beta_slow", ["beta_slow"])] {
                        if let v = names.lazy.compactMap({ HFJSON.double(rope[$0]) }).first {
                            m.append(("\(a).rope.scaling.\(key)", .float32(Float(v))))
                        }
                    }
                }
            }
            m.append(("\(a).rope.freq_base", .float32(Float(ropeTheta))))
            m.append(("\(a).attention.layer_norm_rms_epsilon", .float32(Float(rmsEps))))
            if let headDim {
                m.append(("\(a).attention.key_length", .uint32(UInt32(headDim))))
                m.append(("\(a).attention.value_length", .uint32(UInt32(headDim))))
            }
            m.append(("general.file_type", .uint32(fileType)))
            switch a {
            case "llama", "mistral3", "smollm3", "granite", "bitnet-25":
                m.append(("\(a).vocab_size", .uint32(UInt32(0))))  // replaced below by the caller's vocabulary size
                m.append(("\(a).rope.dimension_count", .uint32(UInt32(headDim ?? embedding / heads))))
                if a == "mistral3", (config["model_type"] as? String) == "ministral3",
                   let logMul = HFJSON.double(rope["mscale_all_dim"]), let beta = HFJSON.double(rope["llama_4_scaling_beta"]) {
                    // Ministral 3: YaRN's log multiplier and Llama 4's attention temperature (checked in init).
                    m.append(("\(a).rope.scaling.yarn_log_multiplier", .float32(Float(logMul))))
                    m.append(("\(a).attention.temperature_scale", .float32(Float(beta))))
                }
                if a == "granite" {
                    // Granite's multipliers under llama.cpp's names (GraniteConfig's default for each is 1).
                    for (key, name) in [("attention.scale", "attention_multiplier"), ("embedding_scale", "embedding_multiplier"),
                                        ("residual_scale", "residual_multiplier"), ("logit_scale", "logits_scaling")] {
                        let v = HFJSON.double(config[name]) ?? 1
                        if v != 0 { m.append(("\(a).\(key)", .float32(Float(v)))) }
                    }
                }
            case "bitnet":
                m.append(("\(a).rope.scaling.type", .string("linear")))
                m.append(("\(a).rope.scaling.factor", .float32(1)))
            default:
                break
            }
            return m
        }

        /// Gemma 3's entries: the common ones with Gemma3TextConfig's defaults, the head width, the local layers' RoPE
        /// base, the final logit soft-cap when set, and the sliding window unless `sliding_window_pattern` is 1.
        func gemma3Metadata(fileType: UInt32) -> [(String, GGUFValue)] {
            var m = sizes
            if let t = ropeType?.lowercased(), t == "linear", let factor = HFJSON.double(rope["factor"]) {
                m += [("gemma3.rope.scaling.type", .string("linear")), ("gemma3.rope.scaling.factor", .float32(Float(factor)))]
            }
            m.append(("gemma3.rope.freq_base", .float32(Float(ropeTheta))))
            let local = ((rope["sliding_attention"] as? [String: Any]).flatMap { HFJSON.double($0["rope_theta"]) })
                ?? HFJSON.double(config["rope_local_base_freq"])
            if let local { m.append(("gemma3.rope.freq_base_swa", .float32(Float(local)))) }
            m += [
                ("gemma3.attention.layer_norm_rms_epsilon", .float32(Float(rmsEps))),
                ("gemma3.attention.key_length", .uint32(UInt32(headDim ?? 256))),
                ("gemma3.attention.value_length", .uint32(UInt32(headDim ?? 256))),
            ]
            if let cap = HFJSON.double(config["final_logit_softcapping"]), cap != 0 {
                m.append(("gemma3.final_logit_softcapping", .float32(Float(cap))))
            }
            if HFJSON.int(config["sliding_window_pattern"]) != 1, let window = HFJSON.int(config["sliding_window"]) {
                m.append(("gemma3.attention.sliding_window", .uint32(UInt32(window))))
            }
            m.append(("general.file_type", .uint32(fileType)))
            return m
        }

        /// Phi-3's original (pre-extension) context: `original_max_position_embeddings`.
        var originalContext: Int? {
            HFJSON.int(rope["original_max_position_embeddings"]) ?? HFJSON.int(config["original_max_position_embeddings"])
        }

        /// Phi-3's entries (its converter writes its own set, not the common one).
        func phi3Metadata(fileType: UInt32) -> [(String, GGUFValue)] {
            var m: [(String, GGUFValue)] = [
                ("phi3.context_length", .uint32(UInt32(contextLength))),
            ]
            if let originalContext { m.append(("phi3.rope.scaling.original_context_length", .uint32(UInt32(originalContext)))) }
            m += [
                ("phi3.embedding_length", .uint32(UInt32(embedding))),
                ("phi3.feed_forward_length", .uint32(UInt32(feedForward))),
                ("phi3.block_count", .uint32(UInt32(blocks))),
                ("phi3.attention.head_count", .uint32(UInt32(heads))),
                ("phi3.attention.head_count_kv", .uint32(UInt32(kvHeads))),
                ("phi3.attention.layer_norm_rms_epsilon", .float32(Float(rmsEps))),
                ("phi3.rope.dimension_count", .uint32(UInt32(ropeDimensions))),
                ("phi3.rope.freq_base", .float32(Float(ropeTheta))),
                ("general.file_type", .uint32(fileType)),
                ("phi3.attention.sliding_window", .uint32(UInt32(HFJSON.int(config["sliding_window"]) ?? 0))),
            ]
            if let f = longRoPEAttentionFactor { m.append(("phi3.rope.scaling.attn_factor", .float32(Float(f)))) }
            return m
        }

        /// Rotary dimensions: `partial_rotary_factor` × head size.
        var ropeDimensions: Int {
            let pct = HFJSON.double(rope["partial_rotary_factor"]) ?? HFJSON.double(config["partial_rotary_factor"]) ?? 1
            return Int(pct * Double(embedding)) / heads
        }

        /// Phi-3 LongRoPE's attention factor √(1 + ln(scale) / ln(original context)) (scale = context / original;
        /// 1 when not extended), or YaRN's 0.1·ln(scale) + 1, when config.json has long/short factors.
        var longRoPEAttentionFactor: Double? {
            guard arch == "phi3", rope["long_factor"] != nil, let original = originalContext else { return nil }
            let scale = Double(contextLength) / Double(original)
            switch ropeType?.lowercased() {
            case "su", "longrope": return scale > 1 ? (1 + log(scale) / log(Double(original))).squareRoot() : 1
            case "yarn": return scale > 1 ? 0.1 * log(scale) + 1 : 1
            default: return nil
            }
        }

        /// Phi-3 LongRoPE's per-pair factors (`rope_factors_long/short.weight`), or nil when config.json has none.
        /// - Throws: `HFImportError.badShape` when the lists are not rotary-dimensions / 2 long, or `.unsupportedTarget`
        ///   for a scaling type other than longrope/su/yarn.
        func longRoPE() throws(HFImportError) -> (long: [Float], short: [Float])? {
            guard arch == "phi3", let long = rope["long_factor"] as? [Any], !long.isEmpty else { return nil }
            guard originalContext != nil, longRoPEAttentionFactor != nil else {
                throw .unsupportedTarget("phi3", reason: "rope_scaling type '\(ropeType ?? "none")' with long/short "
                    + "factors is not longrope, su or yarn, or original_max_position_embeddings is missing.")
            }
            let l = long.compactMap(HFJSON.double).map { Float($0) }
            let s = ((rope["short_factor"] as? [Any]) ?? []).compactMap(HFJSON.double).map { Float($0) }
            guard l.count == long.count, s.count == l.count, l.count * 2 == ropeDimensions else {
                throw .badShape(tensor: "rope_scaling.long_factor/short_factor", shape: [l.count, s.count],
                                expected: "\(ropeDimensions / 2) numbers each")
            }
            return (l, s)
        }

        /// LLaMA 3.1's per-frequency RoPE factors (`rope_freqs.weight`) when config.json asks for `llama3`
        /// scaling, nil otherwise. Computed in F32 step by step as the reference converter's torch code does —
        /// including that torch evaluates `scalar / tensor` as `reciprocal(tensor) * scalar` — so the factors are
        /// bit-identical (scripts/check-hf-convert.sh compares them).
        func llama3RopeFactors() throws(HFImportError) -> [Float]? {
            guard HFModelConverter.llamaLayout.contains(arch), ropeType?.lowercased() == "llama3" else { return nil }
            let dim = headDim ?? embedding / heads
            let factor = HFJSON.double(rope["factor"]) ?? 8
            let low = HFJSON.double(rope["low_freq_factor"]) ?? 1
            let high = HFJSON.double(rope["high_freq_factor"]) ?? 4
            let old = Double(HFJSON.int(rope["original_max_position_embeddings"]) ?? 8192)
            let lowWave = old / low, highWave = old / high
            return stride(from: 0, to: dim, by: 2).map { i -> Float in
                let freq = 1 / powf(Float(ropeTheta), Float(i) / Float(dim))
                let wave = (1 / freq) * Float(2 * Double.pi)
                if Double(wave) < highWave { return 1 }
                if Double(wave) > lowWave { return Float(factor) }
                let smooth = ((1 / wave) * Float(old) - Float(low)) / Float(high - low)
                return 1 / ((1 - smooth) / Float(factor) + smooth)
            }
        }
    }
}
