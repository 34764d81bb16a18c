import Foundation
import GGUF
import Kernels

/// Converts a Hugging Face safetensors checkpoint (config.json, weights, tokenizer.json) into a GGUF file, writing
/// what llama.cpp's `convert_hf_to_gguf.py` writes for the same checkpoint and output type — tensor names, shapes,
/// types and bytes, and the hyper-parameter and tokenizer metadata — plus the formats this engine adds (Q4_0,
/// Q4_1, Q6_K, and I2_S / `bitnet-25` for BitNet b1.58 2B-4T's master weights).
///
/// What it reproduces from the reference converter: BF16 weights are widened to F32 first; norms, biases and other
/// one-dimensional tensors stay F32; LLaMA's query/key rows are permuted from the Hugging Face rotary layout to
/// GGUF's interleaved one; a matrix whose rows are not whole blocks of the target falls back to F16; ternary
/// targets keep the token embedding and output head in F16; BitNet projections are ternarised with the absmean
/// rule (scale = mean |W| clamped to 1e-5, W ← clamp(round(W / scale), −1, 1) · scale, rounding half to even).
/// The output goes through `OUTPUT.partial`, renamed only when complete.
///
/// Checkpoints that ship BitNet's packed ternary weights (`quantization_config.quant_method` "bitnet":
/// Falcon3-1.58bit, bitnet-b1.58-2B-4T) hold each projection as U8 rows of four 2-bit codes plus a one-element
/// `.weight_scale`; they are unpacked as llama.cpp's converter does (code − 1, divided by the scale) and may be
/// written in the ternary formats whatever the architecture. A BitNet-architecture projection read this way is
/// already ternary and keeps its scale — llama.cpp's converter ternarises it again with the absmean rule, which
/// scales it by its fraction of non-zero codes; this converter deliberately does not.
public struct HFModelConverter: Sendable {
    /// Output types `convert --from-hf --to` accepts.
    public static let targets: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q6_K, .tq1_0, .tq2_0, .i2_s]

    /// The type every matrix is written in (subject to the rules above).
    public var target: GGMLType
    /// For BitNet checkpoints: `bitnet` (llama.cpp's upstream graph) or `bitnet-25` (bitnet.cpp's, ReLU²); nil
    /// picks by the activation (`relu2` → `bitnet-25`, otherwise `bitnet`).
    public var architecture: String?
    /// Replaces the recognised `tokenizer.ggml.pre`.
    public var tokenizerPre: String?

    /// A converter to `target`.
    /// - Throws: `HFImportError.unsupportedTarget` for a type outside `targets`.
    public init(target: GGMLType, architecture: String? = nil, tokenizerPre: String? = nil) throws(HFImportError) {
        guard Self.targets.contains(target) else {
            throw .unsupportedTarget(target.name, reason: "use one of \(Self.targets.map { $0.name.lowercased() }.joined(separator: ", ")).")
        }
        self.target = target
        self.architecture = architecture
        self.tokenizerPre = tokenizerPre
    }

    /// The target named `name` (`bf16`, `Q8_0`…), or nil.
    public static func target(named name: String) -> GGMLType? {
        targets.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The Hugging Face model classes converted, and the GGUF architecture each becomes.
    public static let architectures: [String: String] = [
        "LlamaForCausalLM": "llama", "MistralForCausalLM": "llama", "Ministral3ForCausalLM": "mistral3",
        "SmolLM3ForCausalLM": "smollm3", "GraniteForCausalLM": "granite",
        "Gemma3ForCausalLM": "gemma3",
        "Qwen2ForCausalLM": "qwen2",
        "Qwen3ForCausalLM": "qwen3", "Phi3ForCausalLM": "phi3", "BitNetForCausalLM": "bitnet",
        "BitnetForCausalLM": "bitnet",
    ]

    /// The architectures llama.cpp's converter writes through its LLaMA class: query/key rows permuted to GGUF's
    /// pairing, LLaMA's vocabulary flags, `rope_freqs` for LLaMA 3.1 scaling, `vocab_size` and the RoPE dimensions.
    static let llamaLayout: Set<String> = ["llama", "mistral3", "smollm3", "granite"]

    /// What a conversion wrote.
    public struct Summary: Sendable, Equatable {
        /// GGUF architecture.
        public var architecture = ""
        /// Tensors written, by type name.
        public var tensorsByType: [String: Int] = [:]
        /// Tensors written.
        public var tensors = 0
        /// Tokens in the vocabulary.
        public var vocabularySize = 0
    }

    /// One output tensor before its bytes are made.
    struct Planned {
        var source: SafetensorsTensor?
        var name: String
        var type: GGMLType
        var shape: [Int]  // ggml order
        var permuteHeads: Int?
        var ternarise = false
        var generated: [Float]?
        /// For packed ternary weights: the scale each code − 1 is divided by.
        var packedScale: Float?
        /// Gemma's norms: the stored weight is w − 1 (its RMSNorm multiplies by 1 + w), written as w.
        var addOne = false
        /// Rows kept (Gemma's token embedding loses the rows beyond the tokenizer's vocabulary).
        var rowLimit: Int?
    }

    /// Converts the checkpoint in `directory` into `output`.
    /// - Throws: `HFImportError`; no output file is left behind.
    @discardableResult
    public func convert(directory: String, output: String, progress: ((Int, Int, String) -> Void)? = nil)
        throws(HFImportError) -> Summary
    {
        let checkpoint = try HFCheckpoint(directory: directory)
        let hfArch = (checkpoint.config["architectures"] as? [String])?.first ?? "(none)"
        guard var arch = Self.architectures[hfArch] else {
            throw .unsupportedArchitecture(hfArch, supported: Self.architectures.keys.sorted())
        }
        let isBitNet = arch == "bitnet"
        if isBitNet {
            let act = (checkpoint.config["hidden_act"] as? String) ?? "silu"
            arch = architecture ?? (act == "relu2" ? "bitnet-25" : "bitnet")
            guard ["bitnet", "bitnet-25"].contains(arch) else {
                throw .unsupportedTarget(arch, reason: "a BitNet checkpoint is written as bitnet or bitnet-25.")
            }
        } else if let architecture, architecture != arch {
            throw .unsupportedTarget(architecture, reason: "a \(hfArch) checkpoint is written as \(arch).")
        }
        let packedScales = try Self.packedTernaryScales(checkpoint)
        if [.tq1_0, .tq2_0, .i2_s].contains(target), !isBitNet, packedScales.isEmpty {
            throw .unsupportedTarget(target.name, reason: "\(hfArch) weights are not ternary-trained; ternary formats are "
                + "for BitNet checkpoints. Use f16, bf16, q8_0, q6_k, q4_1 or q4_0.")
        }
        let hp = try HyperParameters(checkpoint: checkpoint, hfArch: hfArch, arch: arch)
        let vocab = try HFTokenizerImport(directory: directory, config: checkpoint.config,
                                          vocabularySize: checkpoint.int("vocab_size"), preOverride: tokenizerPre,
                                          phi3: arch == "phi3")

        // Plan every tensor.
        var planned: [Planned] = []
        if let factors = try hp.llama3RopeFactors() {
            planned.append(Planned(source: nil, name: "rope_freqs.weight", type: .f32, shape: [factors.count],
                                   generated: factors))
        }
        if let longRoPE = try hp.longRoPE() {
            planned.append(Planned(source: nil, name: "rope_factors_long.weight", type: .f32, shape: [longRoPE.long.count],
                                   generated: longRoPE.long))
            planned.append(Planned(source: nil, name: "rope_factors_short.weight", type: .f32,
                                   shape: [longRoPE.short.count], generated: longRoPE.short))
        }
        for t in checkpoint.tensors {
            if t.name.hasSuffix(".rotary_emb.inv_freq") || t.name.hasSuffix(".attention.masked_bias")
                || t.name.hasSuffix(".attention.bias") { continue }
            if t.name.hasSuffix(".weight_scale"), packedScales[String(t.name.dropLast("_scale".count))] != nil { continue }
            guard let name = Self.ggufName(t.name, arch: arch) else {
                throw .unmappedTensor(name: t.name, architecture: hfArch)
            }
            let packedScale = packedScales[t.name]
            if t.dtype == .u8, packedScale == nil { throw .unsupportedDType(tensor: t.name, dtype: t.dtype.rawValue) }
            // Packed rows hold four codes per byte: row r + k · rows of the unpacked matrix is bits 2k of row r.
            var logical = t.shape
            if packedScale != nil { logical[0] *= 4 }
            if arch == "gemma3", name == "token_embd.weight", logical.count == 2, logical[0] > vocab.tokens.count {
                logical[0] = vocab.tokens.count
            }
            let shape = Array(logical.reversed())
            var p = Planned(source: t, name: name, type: outputType(name: name, shape: shape), shape: shape,
                            packedScale: packedScale)
            if Self.llamaLayout.contains(arch) {
                if t.name.hasSuffix("q_proj.weight") || t.name.hasSuffix("q_proj.bias") { p.permuteHeads = hp.heads }
                if t.name.hasSuffix("k_proj.weight") || t.name.hasSuffix("k_proj.bias") { p.permuteHeads = hp.kvHeads }
                if let h = p.permuteHeads, logical[0] % (2 * h) != 0 {
                    throw .badShape(tensor: t.name, shape: logical, expected: "rows a multiple of 2 × \(h) heads")
                }
            }
            p.addOne = arch == "gemma3" && t.name.hasSuffix("norm.weight")
            if logical != t.shape, packedScale == nil { p.rowLimit = logical[0] }
            p.ternarise = isBitNet && packedScale == nil && TernaryModelConverter.isProjection(name)
            if p.type == .i2_s, !p.ternarise, packedScale == nil { p.type = .f16 }
            planned.append(p)
        }

        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string(arch)
        metadata["general.type"] = .string("model")
        metadata["general.name"] = .string(URL(fileURLWithPath: directory).standardized.lastPathComponent)
        for (k, v) in hp.metadata(fileType: SyntheticModel.fileType(for: target)) { metadata[k] = v }
        if metadata.contains("\(arch).vocab_size") { metadata["\(arch).vocab_size"] = .uint32(UInt32(vocab.tokens.count)) }
        metadata["general.quantization_version"] = .uint32(2)
        for (k, v) in vocab.metadata() { metadata[k] = v }
        if arch == "gemma3", vocab.model == "llama" { metadata["tokenizer.ggml.add_space_prefix"] = .bool(false) }
        if Self.llamaLayout.contains(arch) {
            let tcPath = directory + "/tokenizer_config.json"
            if let tc = try? HFJSON.object(at: tcPath), let space = HFJSON.bool(tc["add_prefix_space"]) {
                metadata["tokenizer.ggml.add_space_prefix"] = .bool(space)
            }
            if vocab.tokens.count == 49152 { metadata["tokenizer.ggml.add_bos_token"] = .bool(false) }
        }

        let writer: GGUFStreamingWriter
        do {
            writer = try GGUFStreamingWriter(path: output, metadata: metadata,
                                             tensors: planned.map { GGUFTensorPlan(name: $0.name, type: $0.type, shape: $0.shape) })
        } catch { throw .output(path: output, error) }
        var summary = Summary(architecture: arch, vocabularySize: vocab.tokens.count)
        for (i, p) in planned.enumerated() {
            progress?(i, planned.count, p.name)
            let bytes = encode(p)
            do { try writer.append(bytes) } catch { throw .output(path: output, error) }
            summary.tensorsByType[p.type.name, default: 0] += 1
            summary.tensors += 1
        }
        do { try writer.commit() } catch { throw .output(path: output, error) }
        return summary
    }

    /// For a checkpoint whose `quantization_config.quant_method` is "bitnet": each packed matrix's name and the
    /// scale its codes are divided by, read from `NAME_scale` (one element; the matrix must be U8 and 2-D). Empty
    /// for an unquantized checkpoint.
    /// - Throws: `HFImportError.unsupportedQuantization` for another method, `.badShape` / `.unsupportedDType`
    ///   for a scale without its packed matrix or with more than one element.
    static func packedTernaryScales(_ checkpoint: HFCheckpoint) throws(HFImportError) -> [String: Float] {
        guard let q = checkpoint.config["quantization_config"] as? [String: Any] else { return [:] }
        let method = (q["quant_method"] as? String) ?? "(none)"
        guard method == "bitnet" else { throw .unsupportedQuantization(method) }
        let byName = Dictionary(checkpoint.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var scales: [String: Float] = [:]
        for t in checkpoint.tensors where t.name.hasSuffix(".weight_scale") {
            let matrix = String(t.name.dropLast("_scale".count))
            guard let w = byName[matrix] else {
                throw .badShape(tensor: t.name, shape: t.shape, expected: "a scale beside its packed matrix \(matrix)")
            }
            guard t.elementCount == 1, t.dtype != .u8 else {
                throw .badShape(tensor: t.name, shape: t.shape, expected: "one F32, F16 or BF16 scale per packed matrix")
            }
            guard w.dtype == .u8 else { throw .unsupportedDType(tensor: matrix, dtype: "\(w.dtype.rawValue) beside a packed-weight scale (U8 expected)") }
            guard w.shape.count == 2 else {
                throw .badShape(tensor: matrix, shape: w.shape, expected: "a 2-D packed matrix [rows / 4, columns]")
            }
            scales[matrix] = t.element(0)
        }
        return scales
    }

    /// The type a tensor is written in: F32 for norms, biases and vectors; F16 for the embedding and output head
    /// under a ternary target, and for rows that are not whole blocks of the target; else the target.
    func outputType(name: String, shape: [Int]) -> GGMLType {
        if shape.count <= 1 || name.hasSuffix("_norm.weight") || !name.hasSuffix(".weight") { return .f32 }
        var t = target
        if [.tq1_0, .tq2_0, .i2_s].contains(t), name == "token_embd.weight" || name == "output.weight" { t = .f16 }
        if let block = t.traits?.blockSize, block > 1, shape[0] % block != 0 { t = .f16 }
        if t == .i2_s, shape[0] % 128 != 0 { t = .f16 }
        return t
    }

    /// The GGUF name of a checkpoint tensor, or nil when the architecture has none for it.
    static func ggufName(_ name: String, arch: String) -> String? {
        switch name {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "lm_head.weight": return "output.weight"
        case "model.norm.weight": return "output_norm.weight"
        default: break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let block = Int(parts[2]) else { return nil }
        let rest = parts[3...].joined(separator: ".")
        var table: [String: String] = [
            "input_layernorm.weight": "attn_norm.weight",
            "post_attention_layernorm.weight": "ffn_norm.weight",
            "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
            "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
            "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.bias": "attn_k.bias",
            "self_attn.v_proj.bias": "attn_v.bias", "self_attn.o_proj.bias": "attn_output.bias",
            "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
            "mlp.down_proj.weight": "ffn_down.weight",
        ]
        if arch == "phi3" {
            table["self_attn.qkv_proj.weight"] = "attn_qkv.weight"
            table["mlp.gate_up_proj.weight"] = "ffn_up.weight"
        }
        if arch == "qwen3" {
            table["self_attn.q_norm.weight"] = "attn_q_norm.weight"
            table["self_attn.k_norm.weight"] = "attn_k_norm.weight"
        }
        if arch == "gemma3" {
            table["post_attention_layernorm.weight"] = "post_attention_norm.weight"
            table["pre_feedforward_layernorm.weight"] = "ffn_norm.weight"
            table["post_feedforward_layernorm.weight"] = "post_ffw_norm.weight"
            table["self_attn.q_norm.weight"] = "attn_q_norm.weight"
            table["self_attn.k_norm.weight"] = "attn_k_norm.weight"
        }
        if arch.hasPrefix("bitnet") {
            // 1bitLLM's names (what llama.cpp maps) and Microsoft's 2B-4T names.
            table["self_attn.inner_attn_ln.weight"] = "attn_sub_norm.weight"
            table["self_attn.attn_sub_norm.weight"] = "attn_sub_norm.weight"
            table["mlp.ffn_layernorm.weight"] = "ffn_sub_norm.weight"
            table["mlp.ffn_sub_norm.weight"] = "ffn_sub_norm.weight"
        }
        return table[rest].map { "blk.\(block).\($0)" }
    }

    /// The bytes of one planned tensor.
    func encode(_ p: Planned) -> [UInt8] {
        var x: [Float]
        var magnitude: Float = 0
        if let scale = p.packedScale {
            x = Self.unpackTernary(p.source!, scale: scale)
            magnitude = 1 / scale
        } else {
            x = p.generated ?? p.source!.floats()
        }
        if let limit = p.rowLimit { x.removeLast(x.count - limit * (x.count / p.source!.shape[0])) }
        if p.addOne {
            // In F32 (BF16 is widened first); an F16 tensor adds in F16, as torch does.
            let half = p.source!.dtype == .f16
            for i in x.indices { x[i] = half ? Float(Float16(x[i] + 1)) : x[i] + 1 }
        }
        if let heads = p.permuteHeads { x = Self.permuteRotaryRows(x, rows: p.shape.last!, heads: heads) }
        if p.ternarise { magnitude = Self.ternarise(&x, sourceType: p.source!.dtype) }
        let count = x.count, cols = max(p.shape.first ?? 1, 1), rows = count / cols
        switch p.type {
        case .f32:
            return x.withUnsafeBytes { Array($0) }
        case .f16:
            if let s = p.source, s.dtype == .f16, p.permuteHeads == nil, !p.ternarise, !p.addOne, p.rowLimit == nil {
                return Array(s.bytes)
            }
            var out = [UInt8](repeating: 0, count: 2 * count)
            for i in 0..<count { let h = HalfConversion.f32ToF16(x[i]); out[2 * i] = UInt8(h & 0xff); out[2 * i + 1] = UInt8(h >> 8) }
            return out
        case .bf16:
            var out = [UInt8](repeating: 0, count: 2 * count)
            for i in 0..<count { let h = HalfConversion.f32ToBF16(x[i]); out[2 * i] = UInt8(h & 0xff); out[2 * i + 1] = UInt8(h >> 8) }
            return out
        case .tq1_0, .tq2_0:
            return Self.quantizeTernaryBlocks(x, as: p.type)
        case .i2_s:
            let codes = x.map { UInt8($0 > 0 ? 2 : ($0 < 0 ? 0 : 1)) }
            // I2_S holds one scale: the tensor's single magnitude (a tensor of zeros gets 1).
            let codesAndScale = TernaryCodes(codes: codes, scales: [magnitude == 0 ? 1 : magnitude], scaleBlock: count)
            return (try? codesAndScale.encode(as: .i2_s)) ?? []
        default:
            let rowBytes = p.type.byteCount(elementCount: cols, rowLength: cols)!
            var out = [UInt8](repeating: 0, count: rows * rowBytes)
            x.withUnsafeBufferPointer { xs in
                out.withUnsafeMutableBytes { o in
                    for r in 0..<rows {
                        let src = xs.baseAddress! + r * cols, dst = o.baseAddress! + r * rowBytes
                        switch p.type {
                        case .q4_0: WeightQuantizer.quantizeQ4_0(src, into: dst, count: cols)
                        case .q4_1: WeightQuantizer.quantizeQ4_1(src, into: dst, count: cols)
                        case .q6_K: WeightQuantizer.quantizeQ6_K(src, into: dst, count: cols)
                        default: ActivationQuantizer.quantizeQ8_0Scalar(src, into: dst, count: cols, rounding: .reference)
                        }
                    }
                }
            }
            return out
        }
    }

    /// A packed ternary matrix ([rows / 4, columns] bytes) as floats: element (r + k · rows/4, c) is
    /// ((byte (r, c) >> 2k) & 3) − 1, divided by `scale` (llama.cpp's `dequant_bitnet`; the stored scale is the
    /// inverse of the weights' magnitude).
    static func unpackTernary(_ t: SafetensorsTensor, scale: Float) -> [Float] {
        let packedRows = t.shape[0], cols = t.elementCount / max(packedRows, 1), bytes = t.bytes
        var out = [Float](repeating: 0, count: 4 * t.elementCount)
        for k in 0..<4 {
            for i in 0..<(packedRows * cols) {
                let code = (bytes[i] >> UInt8(2 * k)) & 3
                out[k * packedRows * cols + i] = (Float(code) - 1) / scale
            }
        }
        return out
    }

    /// LLaMA's query/key rows from the Hugging Face rotary layout (each head's first half then second half) to
    /// GGUF's (the two halves interleaved): row (h, i, j) of a [heads, 2, rows/heads/2] view moves to (h, j, i).
    static func permuteRotaryRows(_ x: [Float], rows: Int, heads: Int) -> [Float] {
        let cols = x.count / rows, half = rows / heads / 2
        var out = [Float](repeating: 0, count: x.count)
        for h in 0..<heads {
            for i in 0..<2 {
                for j in 0..<half {
                    let from = (h * 2 * half + i * half + j) * cols, to = (h * 2 * half + j * 2 + i) * cols
                    for c in 0..<cols { out[to + c] = x[from + c] }
                }
            }
        }
        return out
    }

    /// Absmean ternarisation in place (llama.cpp's `BitnetModel.weight_quant`): scale = mean |w| (at least 1e-5),
    /// w ← clamp(round(w / scale), −1, 1) / (1 / scale), rounded back to F16 when the checkpoint was F16 (BF16
    /// checkpoints are widened to F32 before this step, so they stay F32). Returns the magnitude of the ±1 values.
    static func ternarise(_ x: inout [Float], sourceType: SafetensorsDType) -> Float {
        var sum = 0.0
        for v in x { sum += Double(abs(v)) }
        let scale = max(Float(sum / Double(max(x.count, 1))), 1e-5)
        let iscale = 1 / scale
        for i in x.indices {
            var q = (x[i] * iscale).rounded(.toNearestOrEven)
            q = min(max(q, -1), 1)
            var v = q / iscale
            if sourceType == .f16 { v = Float(Float16(v)) }
            x[i] = v
        }
        let one: Float = 1 / iscale
        return sourceType == .f16 ? Float(Float16(one)) : one
    }

    /// TQ1_0 / TQ2_0 by ggml's reference quantizer: per 256-element block d = max |x|, codes round(x / d) + 1.
    static func quantizeTernaryBlocks(_ x: [Float], as type: GGMLType) -> [UInt8] {
        let blockBytes = type == .tq1_0 ? 54 : 66
        var out = [UInt8](repeating: 0, count: x.count / 256 * blockBytes)
        for b in 0..<(x.count / 256) {
            let block = x[(256 * b)..<(256 * b + 256)]
            let d = block.reduce(Float(0)) { max($0, abs($1)) }
            let id: Float = d != 0 ? 1 / d : 0
            let codes = block.map { UInt8(truncatingIfNeeded: Int(lroundf($0 * id)) + 1) }
            if type == .tq1_0 { TernaryCodes.packTQ1(codes, &out, at: blockBytes * b) } else { TernaryCodes.packTQ2(codes, &out, at: blockBytes * b) }
            let h = HalfConversion.f32ToF16(d)
            out[blockBytes * b + blockBytes - 2] = UInt8(h & 0xff)
            out[blockBytes * b + blockBytes - 1] = UInt8(h >> 8)
        }
        return out
    }
}
