import BitNetRuntime
import Foundation
import GGUF
import Kernels
import ModelMaker
import TestSupport
import Testing

/// `bitnet convert --from-hf` (HFModelConverter) on small checkpoints written here: the output loads and runs,
/// LLaMA's query/key rows are permuted, BitNet projections are ternarised the same way in every format, and every
/// bad input gets its typed error with nothing left behind. (Equality with llama.cpp's own converter, tensor for
/// tensor, is checked by scripts/check-hf-convert.sh in the test command, which needs torch.)
struct HFConversionTests {
    /// A safetensors file from (name, dtype, shape, little-endian bytes).
    static func writeSafetensors(_ path: String, _ tensors: [(String, String, [Int], [UInt8])]) throws {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var data: [UInt8] = []
        for (name, dtype, shape, bytes) in tensors {
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [data.count, data.count + bytes.count]]
            data += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        file.append(json)
        file.append(contentsOf: data)
        try file.write(to: URL(fileURLWithPath: path))
    }

    static func f32(_ x: [Float]) -> [UInt8] { x.withUnsafeBytes { Array($0) } }
    static func bf16(_ x: [Float]) -> [UInt8] {
        x.flatMap { v -> [UInt8] in let h = HalfConversion.f32ToBF16(v); return [UInt8(h & 0xff), UInt8(h >> 8)] }
    }

    /// GPT-2's byte-to-character table: printable bytes stand for themselves, the rest map to U+0100 onwards.
    static let byteChars: [String] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var out = [String](repeating: "", count: 256), extra = 0
        for b in 0..<256 {
            if printable.contains(b) { out[b] = String(UnicodeScalar(UInt8(b))) } else {
                out[b] = String(UnicodeScalar(256 + extra)!); extra += 1
            }
        }
        printable.removeAll()
        return out
    }()

    struct Shape { var hidden = 64, ff = 128, heads = 2, kvHeads = 1, layers = 1 }

    /// A tiny checkpoint: byte-level BPE over the 256 byte characters + 2 merges + one special token; `arch`
    /// "llama" (untied, BF16) or "bitnet-2b4t" (tied, ReLU², BF16 master weights).
    ///
    /// `packed` writes the projections as BitNet's packed ternary weights (U8 [rows / 4, columns] of 2-bit codes
    /// plus a BF16 `.weight_scale`, `quantization_config` "bitnet"), the layout Falcon3-1.58bit ships.
    static func writeCheckpoint(_ dir: String, arch: String = "llama", pre: [String: Any]? = nil, seed: UInt64 = 1,
                                packed: Bool = false) throws {
        // BitNet's ternary formats need rows of whole 256-element blocks.
        let s = arch == "bitnet-2b4t" ? Shape(hidden: 256, ff: 256, heads: 4, kvHeads: 2, layers: 1) : Shape()
        var vocab: [String: Int] = [:]
        for (i, c) in byteChars.enumerated() { vocab[c] = i }
        vocab["he"] = 256
        vocab["\u{0120}t"] = 257
        let special = 258, n = 259
        let tokenizer: [String: Any] = [
            "version": "1.0",
            "added_tokens": [["id": special, "content": "<|endoftext|>", "special": true, "normalized": false]],
            "pre_tokenizer": pre ?? ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            "post_processor": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "decoder": ["type": "ByteLevel"],
            "model": ["type": "BPE", "vocab": vocab, "merges": [["h", "e"], ["\u{0120}", "t"]]],
        ]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let tc: [String: Any] = ["eos_token": "<|endoftext|>", "chat_template": "{{ messages }}"]
        try JSONSerialization.data(withJSONObject: tc).write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json"))
        let bitnet = arch == "bitnet-2b4t"
        var config: [String: Any] = [
            "architectures": [bitnet ? "BitNetForCausalLM" : "LlamaForCausalLM"], "hidden_size": s.hidden,
            "intermediate_size": s.ff, "num_attention_heads": s.heads, "num_key_value_heads": s.kvHeads,
            "num_hidden_layers": s.layers, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 256,
            "vocab_size": n, "tie_word_embeddings": bitnet, "hidden_act": bitnet ? "relu2" : "silu", "eos_token_id": special,
        ]
        if packed { config["quantization_config"] = ["quant_method": "bitnet"] }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        var state = seed
        func w(_ count: Int, offset: Float = 0) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 40) % 2001 - 1000) / 20000 + offset
            }
        }
        let hd = s.hidden / s.heads
        var t: [(String, String, [Int], [UInt8])] = [
            ("model.embed_tokens.weight", "BF16", [n, s.hidden], bf16(w(n * s.hidden))),
            ("model.norm.weight", "BF16", [s.hidden], bf16(w(s.hidden, offset: 1))),
        ]
        if !bitnet { t.append(("lm_head.weight", "BF16", [n, s.hidden], bf16(w(n * s.hidden)))) }
        for l in 0..<s.layers {
            let p = "model.layers.\(l)."
            t += [
                (p + "input_layernorm.weight", "BF16", [s.hidden], bf16(w(s.hidden, offset: 1))),
                (p + "post_attention_layernorm.weight", "BF16", [s.hidden], bf16(w(s.hidden, offset: 1))),
                (p + "self_attn.q_proj.weight", "BF16", [s.heads * hd, s.hidden], bf16(w(s.heads * hd * s.hidden))),
                (p + "self_attn.k_proj.weight", "BF16", [s.kvHeads * hd, s.hidden], bf16(w(s.kvHeads * hd * s.hidden))),
                (p + "self_attn.v_proj.weight", "BF16", [s.kvHeads * hd, s.hidden], bf16(w(s.kvHeads * hd * s.hidden))),
                (p + "self_attn.o_proj.weight", "BF16", [s.hidden, s.heads * hd], bf16(w(s.hidden * s.heads * hd))),
                (p + "mlp.gate_proj.weight", "BF16", [s.ff, s.hidden], bf16(w(s.ff * s.hidden))),
                (p + "mlp.up_proj.weight", "BF16", [s.ff, s.hidden], bf16(w(s.ff * s.hidden))),
                (p + "mlp.down_proj.weight", "BF16", [s.hidden, s.ff], bf16(w(s.hidden * s.ff))),
            ]
            if bitnet {
                t.append((p + "self_attn.attn_sub_norm.weight", "BF16", [s.hidden], bf16(w(s.hidden, offset: 1))))
                t.append((p + "mlp.ffn_sub_norm.weight", "BF16", [s.ff], bf16(w(s.ff, offset: 1))))
            }
        }
        if packed {
            t = t.flatMap { (name, dtype, shape, bytes) -> [(String, String, [Int], [UInt8])] in
                guard name.hasSuffix("_proj.weight") else { return [(name, dtype, shape, bytes)] }
                let quarter = shape[0] / 4 * shape[1]
                let codes = w(4 * quarter).map { UInt8($0 < -0.01 ? 0 : ($0 > 0.01 ? 2 : 1)) }
                let bytes = (0..<quarter).map { i in (0..<4).reduce(UInt8(0)) { $0 | codes[$1 * quarter + i] << (2 * $1) } }
                return [(name, "U8", [shape[0] / 4, shape[1]], bytes),
                        (name + "_scale", "BF16", [1], bf16([40 + w(1)[0] * 100]))]
            }
        }
        try writeSafetensors(dir + "/model.safetensors", t)
    }

    static func checkpoint(_ label: String, arch: String = "llama") throws -> String {
        let dir = try TestModels.scratchDirectory("hf-\(label)")
        try writeCheckpoint(dir, arch: arch)
        return dir
    }

    @Test func llamaCheckpointConvertsLoadsAndGenerates() throws {
        let dir = try Self.checkpoint("llama")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model.gguf"
        let summary = try HFModelConverter(target: .f16).convert(directory: dir, output: out)
        #expect(summary.architecture == "llama" && summary.tensors == 12 && summary.vocabularySize == 259)
        let file = try GGUFFile(path: out)
        #expect(file.metadata.string("tokenizer.ggml.pre") == "gpt-2")
        #expect(file.metadata.int("llama.vocab_size") == 259 && file.metadata.int("llama.rope.dimension_count") == 32)
        #expect(file.metadata.int("tokenizer.ggml.eos_token_id") == 258)
        #expect(file.metadata.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(file.tensor(named: "blk.0.attn_norm.weight")?.type == .f32)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.type == .f16)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.shape == [64, 64])
        #expect(!FileManager.default.fileExists(atPath: out + ".partial"))

        let engine = try Engine(path: out)
        let prompt = engine.tokenizer.encode("he t")
        #expect(prompt.contains(256) && prompt.contains(257), "the merges are used: \(prompt)")
        var options = SessionOptions()
        options.threads = 1
        options.contextLength = 64
        let session = engine.makeSession(options)
        var next = try session.evaluate(prompt).withUnsafeBufferPointer { Sampler.argmax($0) }
        for _ in 0..<4 { next = Sampler.argmax(try session.decode(next)) }
        #expect((0..<259).contains(Int(next)))
    }

    /// Query rows (h, i, j) of the [heads, 2, head/2] view move to (h, j, i): HF's rotate-half layout to GGUF's.
    @Test func llamaQueryAndKeyRowsArePermuted() throws {
        let dir = try Self.checkpoint("permute")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try HFModelConverter(target: .f32).convert(directory: dir, output: dir + "/f32.gguf")
        let file = try GGUFFile(path: dir + "/f32.gguf")
        let source = try #require(try SafetensorsFile(path: dir + "/model.safetensors").tensors
            .first { $0.name == "model.layers.0.self_attn.q_proj.weight" })
        let q = try #require(file.tensor(named: "blk.0.attn_q.weight"))
        let data = file.data(of: q)
        let cols = 64, half = 16
        for (h, i, j) in [(0, 0, 0), (0, 1, 0), (1, 0, 5), (1, 1, 15)] {
            let from = h * 2 * half + i * half + j, to = h * 2 * half + j * 2 + i
            for c in [0, 7, 63] {
                let got = data.loadUnaligned(fromByteOffset: 4 * (to * cols + c), as: Float.self)
                #expect(got == source.element(from * cols + c), "row \(from) → \(to), column \(c)")
            }
        }
        // V is not permuted.
        let v = try #require(file.tensor(named: "blk.0.attn_v.weight"))
        let vSource = try #require(try SafetensorsFile(path: dir + "/model.safetensors").tensors
            .first { $0.name == "model.layers.0.self_attn.v_proj.weight" })
        #expect(file.data(of: v).loadUnaligned(fromByteOffset: 4 * 17 * 64, as: Float.self) == vSource.element(17 * 64))
    }

    /// Absmean ternarisation: the same values whether written as F32, TQ2_0, TQ1_0 or I2_S (dequantized), each
    /// projection holds 0 and ±s for one s, and the architecture follows the activation (ReLU² → bitnet-25).
    @Test func bitNetProjectionsAreTernarisedAlikeInEveryFormat() throws {
        let dir = try Self.checkpoint("bitnet", arch: "bitnet-2b4t")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [GGMLType: GGUFFile] = [:]
        for t in [GGMLType.f32, .tq2_0, .tq1_0, .i2_s] {
            let s = try HFModelConverter(target: t).convert(directory: dir, output: dir + "/\(t.name).gguf")
            #expect(s.architecture == "bitnet-25")
            files[t] = try GGUFFile(path: dir + "/\(t.name).gguf")
        }
        #expect(files[.i2_s]?.tensor(named: "token_embd.weight")?.type == .f16)
        for name in ["blk.0.attn_q.weight", "blk.0.ffn_down.weight"] {
            let f32 = try #require(files[.f32]?.tensor(named: name))
            let values = Array(files[.f32]!.data(of: f32).bindMemory(to: Float.self))
            let magnitudes = Set(values.map { abs($0) }).subtracting([0])
            #expect(magnitudes.count == 1, "\(name): one magnitude, got \(magnitudes.count)")
            for t in [GGMLType.tq2_0, .tq1_0, .i2_s] {
                let file = files[t]!, info = try #require(file.tensor(named: name))
                #expect(info.type == t)
                var decoded = [Float](repeating: 0, count: values.count)
                let raw = file.data(of: info)
                if t == .i2_s {
                    let codes = try TernaryCodes.decode(.i2_s, raw, count: values.count)
                    decoded = codes.codes.map { (Float(Int($0) - 1)) * codes.scales[0] }
                } else {
                    let cols = info.shape[0], rows = values.count / cols, rowBytes = raw.count / rows
                    decoded.withUnsafeMutableBufferPointer { out in
                        for r in 0..<rows {
                            _ = Dequantize.row(t, raw.baseAddress! + r * rowBytes, into: out.baseAddress! + r * cols, count: cols)
                        }
                    }
                }
                // Signs equal; magnitudes equal up to the F16 rounding of TQ1_0/TQ2_0's block scale.
                #expect(zip(decoded, values).allSatisfy { ($0 == 0) == ($1 == 0) && ($0 < 0) == ($1 < 0)
                    && abs(abs($0) - abs($1)) <= abs($1) * 0x1p-11 }, "\(name) as \(t.name)")
            }
        }
        _ = try Engine(path: dir + "/i2_s.gguf")
    }

    /// Packed ternary weights (Falcon3-1.58bit's layout) unpack as llama.cpp's `dequant_bitnet`: element
    /// (r + k · rows/4, c) is ((byte (r, c) >> 2k) & 3) − 1 divided by the scale, then LLaMA's query rows are permuted;
    /// ternary targets are allowed for such a llama checkpoint, and a BitNet one keeps its scale (no second absmean).
    @Test func packedTernaryWeightsUnpackAsLlamaCppDoes() throws {
        let dir = try TestModels.scratchDirectory("hf-packed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeCheckpoint(dir, packed: true)
        try HFModelConverter(target: .f32).convert(directory: dir, output: dir + "/f32.gguf")
        let file = try GGUFFile(path: dir + "/f32.gguf")
        let source = try SafetensorsFile(path: dir + "/model.safetensors").tensors
        func packed(_ name: String, in tensors: [SafetensorsTensor]? = nil) throws -> (SafetensorsTensor, Float) {
            let all = tensors ?? source
            let w = try #require(all.first { $0.name == name }), s = try #require(all.first { $0.name == name + "_scale" })
            #expect(w.dtype == .u8)
            return (w, s.element(0))
        }
        func code(_ w: SafetensorsTensor, row: Int, col: Int) -> Float {
            let quarter = w.shape[0], cols = w.shape[1]
            return Float((w.bytes[(row % quarter) * cols + col] >> UInt8(2 * (row / quarter))) & 3) - 1
        }
        let (v, vs) = try packed("model.layers.0.self_attn.v_proj.weight")
        let vOut = file.data(of: try #require(file.tensor(named: "blk.0.attn_v.weight")))
        #expect(file.tensor(named: "blk.0.attn_v.weight")?.shape == [64, 32])
        for (r, c) in [(0, 0), (7, 3), (8, 63), (31, 17)] {
            #expect(vOut.loadUnaligned(fromByteOffset: 4 * (r * 64 + c), as: Float.self) == code(v, row: r, col: c) / vs)
        }
        let (q, qs) = try packed("model.layers.0.self_attn.q_proj.weight")
        let qOut = file.data(of: try #require(file.tensor(named: "blk.0.attn_q.weight")))
        for (h, i, j) in [(0, 1, 3), (1, 0, 15)] {
            let from = h * 32 + i * 16 + j, to = h * 32 + j * 2 + i
            #expect(qOut.loadUnaligned(fromByteOffset: 4 * (to * 64 + 5), as: Float.self) == code(q, row: from, col: 5) / qs)
        }
        #expect(!source.contains { $0.name.hasSuffix("_scale") && file.tensor(named: $0.name) != nil })
        // A ternary target is accepted for this llama checkpoint; its 64-column rows are not whole TQ2_0 blocks, so
        // every matrix falls back to F16 as in llama.cpp's converter (the bitnet case below writes I2_S).
        let s = try HFModelConverter(target: .tq2_0).convert(directory: dir, output: dir + "/tq2_0.gguf")
        #expect(s.architecture == "llama" && s.tensorsByType[GGMLType.f16.name] == 9)

        // BitNet: codes and scale kept exactly (absmean would scale by the non-zero fraction).
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.writeCheckpoint(dir, arch: "bitnet-2b4t", packed: true)
        try HFModelConverter(target: .i2_s).convert(directory: dir, output: dir + "/b.gguf")
        let b = try GGUFFile(path: dir + "/b.gguf")
        let (down, ds) = try packed("model.layers.0.mlp.down_proj.weight",
                                    in: try SafetensorsFile(path: dir + "/model.safetensors").tensors)
        let info = try #require(b.tensor(named: "blk.0.ffn_down.weight"))
        let decoded = try TernaryCodes.decode(.i2_s, b.data(of: info), count: 256 * 256)
        #expect(decoded.scales[0] == 1 / ds)
        #expect((0..<(256 * 256)).allSatisfy { Float(Int(decoded.codes[$0]) - 1) == code(down, row: $0 / 256, col: $0 % 256) })
        _ = try Engine(path: dir + "/b.gguf")
    }

    @Test func badInputsGetTypedErrorsAndLeaveNothing() throws {
        let dir = try Self.checkpoint("errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.gguf"
        func failure(_ target: GGMLType = .f16, arch: String? = nil, pre: String? = nil) -> HFImportError? {
            defer {
                #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))
            }
            do {
                try HFModelConverter(target: target, architecture: arch, tokenizerPre: pre).convert(directory: dir, output: out)
                return nil
            } catch { return error }
        }
        // Ternary formats are for BitNet checkpoints.
        guard case .unsupportedTarget? = failure(.tq2_0) else { Issue.record("tq2_0 of a llama checkpoint"); return }
        #expect(throws: HFImportError.self) { try HFModelConverter(target: .q5_K) }
        // An unrecognised pre-tokenizer names --tokenizer-pre; naming one converts.
        let tokPath = dir + "/tokenizer.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: tokPath))
        var tok = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        tok["pre_tokenizer"] = ["type": "Whitespace"]
        try JSONSerialization.data(withJSONObject: tok).write(to: URL(fileURLWithPath: tokPath))
        guard case .tokenizer(let why)? = failure() else { Issue.record("unknown pre-tokenizer accepted"); return }
        #expect(why.contains("--tokenizer-pre"))
        try HFModelConverter(target: .f16, tokenizerPre: "gpt-2").convert(directory: dir, output: out)
        #expect(try GGUFFile(path: out).metadata.string("tokenizer.ggml.pre") == "gpt-2")
        try FileManager.default.removeItem(atPath: out)
        try original.write(to: URL(fileURLWithPath: tokPath))
        // A cut safetensors file.
        let weights = dir + "/model.safetensors"
        let full = try Data(contentsOf: URL(fileURLWithPath: weights))
        try full.prefix(full.count - 100).write(to: URL(fileURLWithPath: weights))
        guard case .badSafetensors? = failure() else { Issue.record("a cut file was read"); return }
        try full.prefix(5).write(to: URL(fileURLWithPath: weights))
        guard case .badSafetensors? = failure() else { Issue.record("a 5-byte file was read"); return }
        // An integer tensor.
        try Self.writeSafetensors(weights, [("model.embed_tokens.weight", "I8", [2, 2], [1, 2, 3, 4])])
        guard case .unsupportedDType(let name, "I8")? = failure() else { Issue.record("I8 accepted"); return }
        #expect(name == "model.embed_tokens.weight")
        // U8 outside a packed-ternary checkpoint, another quantization method, a scale with more than one element.
        try Self.writeSafetensors(weights, [("model.embed_tokens.weight", "U8", [2, 2], [1, 2, 3, 4])])
        guard case .unsupportedDType(_, "U8")? = failure() else { Issue.record("U8 accepted"); return }
        try Self.writeCheckpoint(dir, packed: true)
        let packedConfig = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        try packedConfig.replacingOccurrences(of: "\"bitnet\"", with: "\"gptq\"")
            .write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        guard case .unsupportedQuantization("gptq")? = failure() else { Issue.record("gptq accepted"); return }
        try packedConfig.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        try Self.writeSafetensors(weights, [("model.layers.0.mlp.up_proj.weight", "U8", [1, 2], [1, 2]),
                                            ("model.layers.0.mlp.up_proj.weight_scale", "F32", [2], Self.f32([1, 2]))])
        guard case .badShape? = failure() else { Issue.record("a two-element scale accepted"); return }
        try Self.writeCheckpoint(dir)
        // A tensor with no GGUF name.
        try Self.writeSafetensors(weights, [("model.layers.0.mystery.weight", "F32", [2], Self.f32([1, 2]))])
        guard case .unmappedTensor? = failure() else { Issue.record("unknown tensor accepted"); return }
        // Counts no model has (negative, or beyond u32) and a hostile safetensors shape are errors, not traps.
        try Self.writeCheckpoint(dir)
        let configPath0 = dir + "/config.json"
        let config0 = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath0))) as? [String: Any])
        for (key, value) in [("num_key_value_heads", -1), ("num_hidden_layers", 1 << 40), ("vocab_size", 0)] {
            var c = config0
            c[key] = value
            try JSONSerialization.data(withJSONObject: c).write(to: URL(fileURLWithPath: configPath0))
            guard case .badShape? = failure() else { Issue.record("\(key) = \(value) accepted"); return }
        }
        try Self.writeSafetensors(weights, [("model.embed_tokens.weight", "F32", [1 << 40, 1 << 40], Self.f32([1, 2]))])
        guard case .badSafetensors? = failure() else { Issue.record("an overflowing shape was read"); return }
        try Self.writeCheckpoint(dir)
        // An unsupported architecture, then no config at all.
        let configPath = dir + "/config.json"
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
        config["architectures"] = ["GPT2LMHeadModel"]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        guard case .unsupportedArchitecture("GPT2LMHeadModel", _)? = failure() else { Issue.record("GPT-2 accepted"); return }
        try "{ not json".write(toFile: configPath, atomically: true, encoding: .utf8)
        guard case .badJSON? = failure() else { Issue.record("broken config.json accepted"); return }
        try FileManager.default.removeItem(atPath: configPath)
        guard case .missingFile? = failure() else { Issue.record("no config.json accepted"); return }
        do {
            try HFModelConverter(target: .f16).convert(directory: dir + "/nope", output: out)
            Issue.record("a missing folder accepted")
        } catch {
            guard case .notADirectory = error else { Issue.record("\(error)"); return }
        }
    }

    /// protobuf helpers for a hand-made SentencePiece model.
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat { out.append(UInt8(v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>= 7 } while v > 0
        return out
    }
    static func field(_ n: UInt64, bytes: [UInt8]) -> [UInt8] { varint(n << 3 | 2) + varint(UInt64(bytes.count)) + bytes }

    /// A SentencePiece `tokenizer.model` is read piece by piece (text, score, type; user-defined pieces stay normal
    /// as in llama.cpp's converter), padded to config.json's vocab_size with `[PAD<id>]`, and a truncated file is a
    /// typed error.
    @Test func sentencePieceModelIsRead() throws {
        let dir = try Self.checkpoint("spm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pieces: [(String, Float, UInt64)] = [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("<0x41>", 0, 6),
                                                 ("\u{2581}he", -1.5, 1), ("llo", -2.25, 4)]
        var model: [UInt8] = []
        for (text, score, type) in pieces {
            let body = Self.field(1, bytes: Array(text.utf8)) + [0x15] + withUnsafeBytes(of: score.bitPattern.littleEndian) { Array($0) }
                + Self.varint(3 << 3) + Self.varint(type)
            model += Self.field(1, bytes: body)
        }
        model += Self.field(2, bytes: Self.varint(3 << 3) + Self.varint(2))  // trainer_spec.model_type = BPE
        try Data(model).write(to: URL(fileURLWithPath: dir + "/tokenizer.model"))
        let v = try HFTokenizerImport(directory: dir, config: ["bos_token_id": 1, "eos_token_id": 2], vocabularySize: 8)
        #expect(v.model == "llama" && v.pre == "default")
        #expect(v.tokens == ["<unk>", "<s>", "</s>", "<0x41>", "\u{2581}he", "llo", "[PAD6]", "[PAD7]"])
        #expect(v.scores == [0, 0, 0, 0, -1.5, -2.25, -10000, -10000])
        #expect(v.tokenTypes == [2, 3, 3, 6, 1, 1, 5, 5])
        #expect(v.specialIDs.map(\.id) == [1, 2])
        try Data(model.dropLast(3)).write(to: URL(fileURLWithPath: dir + "/tokenizer.model"))
        #expect(throws: HFImportError.self) { _ = try HFTokenizerImport(directory: dir, config: [:], vocabularySize: 8) }
    }

    /// Corrupted checkpoints (cut anywhere, header bytes flipped, tokenizer/config JSON cut) end in a typed error or a
    /// valid file — never a trap, never a partial output.
    @Test func corruptedCheckpointsNeverCrash() throws {
        let dir = try Self.checkpoint("fuzz")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.gguf"
        let files = ["model.safetensors", "config.json", "tokenizer.json"]
        let originals = try files.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) }
        var rng = SystemRandomNumberGenerator()
        var outcomes = [0, 0]  // errors, successes
        for round in 0..<120 {
            let k = round % files.count
            var bytes = [UInt8](originals[k])
            if round % 2 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                let span = k == 0 ? min(bytes.count, 8 + 400) : bytes.count  // safetensors: the length and header
                for _ in 0..<3 { bytes[Int.random(in: 0..<span, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + files[k]))
            do {
                try HFModelConverter(target: .q8_0).convert(directory: dir, output: out)
                _ = try GGUFFile(path: out)
                outcomes[1] += 1
                try FileManager.default.removeItem(atPath: out)
            } catch {
                outcomes[0] += 1
                #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))
            }
            try originals[k].write(to: URL(fileURLWithPath: dir + "/" + files[k]))
        }
        #expect(outcomes[0] > 0, "no corruption was detected: \(outcomes)")
        print("corrupted checkpoints: \(outcomes[0]) typed errors, \(outcomes[1]) still-valid conversions")
    }

    @Test func preTokenizerLayoutsAreRecognised() throws {
        let dir = try TestModels.scratchDirectory("hf-pre")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layouts: [(String, [String: Any])] = [
            ("gpt-2", ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]),
            ("smollm", ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]]]),
            ("llama-bpe", ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]),
            ("tekken", ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]),
        ]
        for (name, layout) in layouts {
            try Self.writeCheckpoint(dir, pre: layout)
            let v = try HFTokenizerImport(directory: dir, config: [:], vocabularySize: 262)
            #expect(v.pre == name)
            #expect(v.tokens.count == 262 && v.tokens[259] == "[PAD259]" && v.tokenTypes[259] == 5)
            #expect(v.tokenTypes[258] == 3 && v.merges == ["h e", "\u{0120} t"])
        }
    }
}
