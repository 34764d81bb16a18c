import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import ModelMaker
import TestSupport
import Testing

/// The BitNet embedding models' layout (bitnet-embeddings-0.6b on qwen3, bitnet-embeddings-270m on gemma3, as
/// bitnet.cpp's converters write them): seven
/// per-projection input norms per block (`attn_q_norm_in`, `attn_k_norm_in`, `attn_v_norm_in`,
/// `attn_output_norm_in`, `ffn_gate_norm_in`, `ffn_up_norm_in`, `ffn_down_norm_in`, F16), each applied as
/// `rms_norm(input) * norm_in` to its projection's input — the query/key/value and gate/up projections' (the block's
/// normed residual), the output projection's (the attention result) and the down projection's (SwiGLU's result).
///
/// No build of bitnet.cpp's fork with this graph is reachable from the registries here, so the check is against an
/// independent reading of that graph: a plain Double-precision forward pass written out below from the fork's
/// documentation (docs/convert.md), not from our engine's code. Every token's hidden state must agree in direction to
/// 1 − 5·10⁻⁴ (the engine rounds keys and values to F16 as llama.cpp does; the reference does not round), while the
/// same reference without the norms must disagree — so the test sees where each norm sits.
@Suite struct ProjectionNormTests {
    static let names = ["attn_q_norm_in", "attn_k_norm_in", "attn_v_norm_in", "attn_output_norm_in",
                        "ffn_gate_norm_in", "ffn_up_norm_in", "ffn_down_norm_in"]

    /// Adds the seven norms per block (F16, 1 ± 0.3: even the norms over already-normed inputs then move the
    /// result visibly) to `writer`.
    static func addNorms(_ writer: inout GGUFWriter, blocks: Int, embedding d: Int, attentionOutput o: Int,
                         feedForward ff: Int, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for block in 0..<blocks {
            for (name, width) in zip(names, [d, d, d, o, d, d, ff]) {
                let values = (0..<width).map { _ in 1 + 0.3 * Float.random(in: -1...1, using: &rng) }
                try writer.addTensor(name: "blk.\(block).\(name).weight", shape: [width], f16: values)
            }
        }
    }

    @Test func qwen3FollowsBitNetCppGraph() throws {
        let shape = SyntheticShape.tinyWideHeads
        var writer = try SyntheticModel(architecture: .qwen3, shape: shape, weightType: .f32, seed: 5).makeWriter()
        try Self.addNorms(&writer, blocks: shape.blockCount, embedding: shape.embeddingLength,
                          attentionOutput: shape.headCount * (shape.keyLength ?? 0), feedForward: shape.feedForwardLength,
                          seed: 0xB17E)
        writer.metadata["qwen3.pooling_type"] = .uint32(1)  // mean, as the converter writes by default
        try check(writer, label: "qwen3", style: .qwen3)
    }

    /// gemma3 (bitnet-embeddings-270m's backbone): made from the synthetic qwen3 file — the same tensors plus
    /// Gemma's post-attention and post-feed-forward norms, the keys renamed — with a sliding window of 4 on layer 0
    /// (local RoPE base 10 000) and a global layer 1 (base 10⁶), so both attention kinds meet the norms.
    @Test func gemma3FollowsBitNetCppGraph() throws {
        let shape = SyntheticShape.tinyWideHeads
        let dir = try TestModels.scratchDirectory("projection-norms-gemma-source")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = try ArchitectureParityTests.syntheticGemma3(dir: dir, weightType: .f32, seed: 6, normSeed: 0x6E44)
        writer.metadata["gemma3.pooling_type"] = .uint32(1)
        try Self.addNorms(&writer, blocks: shape.blockCount, embedding: shape.embeddingLength,
                          attentionOutput: shape.headCount * (shape.keyLength ?? 0), feedForward: shape.feedForwardLength,
                          seed: 0xB17F)
        try check(writer, label: "gemma3", style: .gemma3(window: 4, globalLayers: [1], localBase: 10_000))
    }

    /// Writes `writer`'s file, embeds a sentence per token and compares with the reference, with and without norms.
    func check(_ writer: GGUFWriter, label: String, style: ReferenceForward.Style) throws {
        let dir = try TestModels.scratchDirectory("projection-norms-\(label)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try writer.write(to: path)
        let engine = try Engine(path: path)
        let embedder = Embedder(model: engine.model, metadata: engine.file.metadata, threads: 2)
        #expect(embedder.modelPooling == .mean)
        let tokens = engine.tokenizer.encode("Ternary encoders embed text into vectors, one token at a time.",
                                              addSpecial: true)
        let ours = try embedder.embed(tokens, pooling: Pooling.none, normalize: false)
        let reference = ReferenceForward(file: engine.file, hp: engine.model.hyperParameters, style: style)
        let withNorms = reference.hiddenStates(tokens, projectionNorms: true)
        let withoutNorms = reference.hiddenStates(tokens, projectionNorms: false)
        var worst = 1.0, worstWithout = 1.0
        for (t, row) in ours.enumerated() {
            worst = min(worst, Self.cosine(row, withNorms[t]))
            worstWithout = min(worstWithout, Self.cosine(row, withoutNorms[t]))
        }
        print("[ProjectionNormTests] \(label), \(tokens.count) tokens: lowest cosine to the reference \(worst), "
              + "to the reference without the norms \(worstWithout)")
        #expect(worst > 1 - 5e-4, "\(label): hidden states differ from bitnet.cpp's graph: lowest cosine \(worst)")
        #expect(worstWithout < 0.99, "\(label): the norms do not change the result enough to be checked (\(worstWithout))")
    }

    static func cosine(_ a: [Float], _ b: [Double]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * y
            na += Double(x) * Double(x)
            nb += y * y
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}

/// A qwen3 or gemma3 forward pass in Double, straight from the graphs' description. qwen3: RMSNorm, query/key/value
/// projections, per-head query/key RMSNorm, NeoX RoPE, causal grouped-query attention scaled by 1/√head, output
/// projection, residual; RMSNorm, SwiGLU feed-forward, residual; final RMSNorm. gemma3 adds the embedding scaled by
/// √width, queries scaled before the scores, a sliding window and local RoPE base on its local layers, an RMSNorm
/// after the attention and after the feed-forward, and GELU (tanh form) in place of SiLU. With `projectionNorms`, each
/// projection's input first goes through `rms_norm(input) * norm_in`. F32 and F16 weights only.
struct ReferenceForward {
    enum Style {
        case qwen3
        /// Layers not in `globalLayers` attend to the query's own and the `window - 1` positions before it, with
        /// RoPE base `localBase`.
        case gemma3(window: Int, globalLayers: Set<Int>, localBase: Double)
    }

    let file: GGUFFile
    let hp: HyperParameters
    let style: Style

    func vector(_ name: String) -> [Double] {
        let t = file.tensor(named: name)!
        let data = file.data(of: t)
        let count = t.shape.reduce(1, *)
        if t.type == .f16 {
            return (0..<count).map { Double(HalfConversion.f16ToF32(data.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        }
        precondition(t.type == .f32, "\(name): the reference reads F32 and F16 only")
        return (0..<count).map { Double(data.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)) }
    }

    /// `x` (rows of `cols`) times the transpose of the `[cols, rows]` matrix `name`.
    func project(_ x: [[Double]], _ name: String) -> [[Double]] {
        let w = vector(name), cols = x[0].count, rows = w.count / cols
        return x.map { row in
            (0..<rows).map { r in
                var s = 0.0
                for c in 0..<cols { s += w[r * cols + c] * row[c] }
                return s
            }
        }
    }

    func rmsNorm(_ x: [Double], _ weight: [Double]) -> [Double] {
        let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
        let scale = 1 / (ms + Double(hp.rmsEpsilon)).squareRoot()
        return zip(x, weight).map { $0 * scale * $1 }
    }

    func hiddenStates(_ tokens: [Int32], projectionNorms: Bool) -> [[Double]] {
        let d = hp.embeddingLength, hd = hp.keyLength, heads = hp.headCount, kvHeads = hp.headCountKV
        let embedding = vector("token_embd.weight")
        var gemma: (window: Int, global: Set<Int>, localBase: Double)?
        if case .gemma3(let window, let global, let localBase) = style { gemma = (window, global, localBase) }
        let scale = gemma == nil ? 1 : Double(Float(d).squareRoot())
        var x = tokens.map { t in (0..<d).map { embedding[Int(t) * d + $0] * scale } }
        let n = tokens.count
        func input(_ rows: [[Double]], _ block: Int, _ norm: String) -> [[Double]] {
            guard projectionNorms else { return rows }
            let w = vector("blk.\(block).\(norm).weight")
            return rows.map { rmsNorm($0, w) }
        }
        func rope(_ v: inout [Double], position: Int, base: Double) {
            let dims = hp.ropeDimensionCount, half = dims / 2
            for i in 0..<half {
                let theta = Double(position) * pow(base, -2 * Double(i) / Double(dims))
                let a = v[i], b = v[i + half]
                v[i] = a * cos(theta) - b * sin(theta)
                v[i + half] = a * sin(theta) + b * cos(theta)
            }
        }
        func postNorm(_ rows: [[Double]], _ name: String) -> [[Double]] {
            guard gemma != nil else { return rows }
            let w = vector(name)
            return rows.map { rmsNorm($0, w) }
        }
        for l in 0..<hp.blockCount {
            let p = "blk.\(l)."
            let local = gemma.map { !$0.global.contains(l) } ?? false
            let base = local ? gemma!.localBase : Double(hp.ropeFreqBase)
            let window = local ? gemma!.window : Int.max
            // gemma scales the query (by 1/√head) before the scores; qwen3 scales the scores by the same factor.
            let queryScale = 1 / Double(hd).squareRoot()
            let h = x.map { rmsNorm($0, vector(p + "attn_norm.weight")) }
            let q = project(input(h, l, "attn_q_norm_in"), p + "attn_q.weight")
            let k = project(input(h, l, "attn_k_norm_in"), p + "attn_k.weight")
            let v = project(input(h, l, "attn_v_norm_in"), p + "attn_v.weight")
            let qNorm = vector(p + "attn_q_norm.weight"), kNorm = vector(p + "attn_k_norm.weight")
            var qh = [[[Double]]](), kh = [[[Double]]]()
            for t in 0..<n {
                qh.append((0..<heads).map { hh in
                    var r = rmsNorm(Array(q[t][(hh * hd)..<((hh + 1) * hd)]), qNorm)
                    rope(&r, position: t, base: base)
                    return r.map { $0 * queryScale }
                })
                kh.append((0..<kvHeads).map { hh in
                    var r = rmsNorm(Array(k[t][(hh * hd)..<((hh + 1) * hd)]), kNorm)
                    rope(&r, position: t, base: base)
                    return r
                })
            }
            var attention = [[Double]](repeating: [Double](repeating: 0, count: heads * hd), count: n)
            for t in 0..<n {
                for hh in 0..<heads {
                    let g = hh / (heads / kvHeads)
                    let first = max(0, t - window + 1)
                    let scores = (first...t).map { s in zip(qh[t][hh], kh[s][g]).reduce(0) { $0 + $1.0 * $1.1 } }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                    for (i, s) in (first...t).enumerated() {
                        for j in 0..<hd { attention[t][hh * hd + j] += e[i] / total * v[s][g * hd + j] }
                    }
                }
            }
            let o = postNorm(project(input(attention, l, "attn_output_norm_in"), p + "attn_output.weight"),
                             p + "post_attention_norm.weight")
            for t in 0..<n { for j in 0..<d { x[t][j] += o[t][j] } }
            let f = x.map { rmsNorm($0, vector(p + "ffn_norm.weight")) }
            let gate = project(input(f, l, "ffn_gate_norm_in"), p + "ffn_gate.weight")
            let up = project(input(f, l, "ffn_up_norm_in"), p + "ffn_up.weight")
            let act = zip(gate, up).map { g, u in
                zip(g, u).map { a, b in
                    gemma == nil ? a / (1 + exp(-a)) * b
                        : 0.5 * a * (1 + tanh((2 / Double.pi).squareRoot() * (a + 0.044715 * a * a * a))) * b
                }
            }
            let down = postNorm(project(input(act, l, "ffn_down_norm_in"), p + "ffn_down.weight"),
                                p + "post_ffw_norm.weight")
            for t in 0..<n { for j in 0..<d { x[t][j] += down[t][j] } }
        }
        let outputNorm = vector("output_norm.weight")
        return x.map { rmsNorm($0, outputNorm) }
    }
}
