import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import ModelMaker
import TestSupport
import Testing

/// The BitNet embedding models' qwen3 layout (bitnet-embeddings-0.6b as bitnet.cpp's converter writes it): seven
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

    @Test func perProjectionInputNormsFollowBitNetCppGraph() throws {
        let dir = try TestModels.scratchDirectory("projection-norms")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        let shape = SyntheticShape.tinyWideHeads
        var writer = try SyntheticModel(architecture: .qwen3, shape: shape, weightType: .f32, seed: 5).makeWriter()
        var rng = SeededRandom(seed: 0xB17E)
        let widths = [shape.embeddingLength, shape.embeddingLength, shape.embeddingLength,
                      shape.headCount * (shape.keyLength ?? shape.embeddingLength / shape.headCount),
                      shape.embeddingLength, shape.embeddingLength, shape.feedForwardLength]
        for block in 0..<shape.blockCount {
            for (name, width) in zip(Self.names, widths) {
                // Spread 0.3, so that even the norms over already-normed inputs move the result visibly.
                let values = (0..<width).map { _ in 1 + 0.3 * Float.random(in: -1...1, using: &rng) }
                try writer.addTensor(name: "blk.\(block).\(name).weight", shape: [width], f16: values)
            }
        }
        writer.metadata["qwen3.pooling_type"] = .uint32(1)  // mean, as the converter writes by default
        try writer.write(to: path)

        let engine = try Engine(path: path)
        let embedder = Embedder(model: engine.model, metadata: engine.file.metadata, threads: 2)
        #expect(embedder.modelPooling == .mean)
        let tokens = engine.tokenizer.encode("Ternary encoders embed text into vectors, one token at a time.",
                                              addSpecial: true)
        let ours = try embedder.embed(tokens, pooling: Pooling.none, normalize: false)
        let reference = try Qwen3Reference(file: engine.file, hp: engine.model.hyperParameters)
        let withNorms = reference.hiddenStates(tokens, projectionNorms: true)
        let withoutNorms = reference.hiddenStates(tokens, projectionNorms: false)
        var worst = 1.0, worstWithout = 1.0
        for (t, row) in ours.enumerated() {
            worst = min(worst, Self.cosine(row, withNorms[t]))
            worstWithout = min(worstWithout, Self.cosine(row, withoutNorms[t]))
        }
        print("[ProjectionNormTests] \(tokens.count) tokens: lowest cosine to the reference \(worst), "
              + "to the reference without the norms \(worstWithout)")
        #expect(worst > 1 - 5e-4, "hidden states differ from bitnet.cpp's graph: lowest cosine \(worst)")
        #expect(worstWithout < 0.99, "the norms do not change the result enough to be checked (\(worstWithout))")
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

/// A qwen3 forward pass in Double, straight from the graph's description: RMSNorm, query/key/value projections,
/// per-head query/key RMSNorm, NeoX RoPE, causal grouped-query attention, output projection, residual; RMSNorm,
/// SwiGLU feed-forward, residual; final RMSNorm. With `projectionNorms`, each projection's input first goes through
/// `rms_norm(input) * norm_in`. F32 weights only.
struct Qwen3Reference {
    let file: GGUFFile
    let hp: HyperParameters

    init(file: GGUFFile, hp: HyperParameters) throws {
        self.file = file
        self.hp = hp
    }

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
        var x = tokens.map { t in (0..<d).map { embedding[Int(t) * d + $0] } }
        let n = tokens.count
        func input(_ rows: [[Double]], _ block: Int, _ norm: String) -> [[Double]] {
            guard projectionNorms else { return rows }
            let w = vector("blk.\(block).\(norm).weight")
            return rows.map { rmsNorm($0, w) }
        }
        func rope(_ v: inout [Double], position: Int) {
            let dims = hp.ropeDimensionCount, half = dims / 2
            for i in 0..<half {
                let theta = Double(position) * pow(Double(hp.ropeFreqBase), -2 * Double(i) / Double(dims))
                let a = v[i], b = v[i + half]
                v[i] = a * cos(theta) - b * sin(theta)
                v[i + half] = a * sin(theta) + b * cos(theta)
            }
        }
        for l in 0..<hp.blockCount {
            let p = "blk.\(l)."
            let h = x.map { rmsNorm($0, vector(p + "attn_norm.weight")) }
            let q = project(input(h, l, "attn_q_norm_in"), p + "attn_q.weight")
            let k = project(input(h, l, "attn_k_norm_in"), p + "attn_k.weight")
            let v = project(input(h, l, "attn_v_norm_in"), p + "attn_v.weight")
            let qNorm = vector(p + "attn_q_norm.weight"), kNorm = vector(p + "attn_k_norm.weight")
            var qh = [[[Double]]](), kh = [[[Double]]]()
            for t in 0..<n {
                qh.append((0..<heads).map { hh in
                    var r = rmsNorm(Array(q[t][(hh * hd)..<((hh + 1) * hd)]), qNorm)
                    rope(&r, position: t)
                    return r
                })
                kh.append((0..<kvHeads).map { hh in
                    var r = rmsNorm(Array(k[t][(hh * hd)..<((hh + 1) * hd)]), kNorm)
                    rope(&r, position: t)
                    return r
                })
            }
            var attention = [[Double]](repeating: [Double](repeating: 0, count: heads * hd), count: n)
            for t in 0..<n {
                for hh in 0..<heads {
                    let g = hh / (heads / kvHeads)
                    let scores = (0...t).map { s in
                        zip(qh[t][hh], kh[s][g]).reduce(0) { $0 + $1.0 * $1.1 } / Double(hd).squareRoot()
                    }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                    for s in 0...t {
                        for j in 0..<hd { attention[t][hh * hd + j] += e[s] / total * v[s][g * hd + j] }
                    }
                }
            }
            let o = project(input(attention, l, "attn_output_norm_in"), p + "attn_output.weight")
            for t in 0..<n { for j in 0..<d { x[t][j] += o[t][j] } }
            let f = x.map { rmsNorm($0, vector(p + "ffn_norm.weight")) }
            let gate = project(input(f, l, "ffn_gate_norm_in"), p + "ffn_gate.weight")
            let up = project(input(f, l, "ffn_up_norm_in"), p + "ffn_up.weight")
            let act = zip(gate, up).map { g, u in zip(g, u).map { $0 / (1 + exp(-$0)) * $1 } }
            let down = project(input(act, l, "ffn_down_norm_in"), p + "ffn_down.weight")
            for t in 0..<n { for j in 0..<d { x[t][j] += down[t][j] } }
        }
        let outputNorm = vector("output_norm.weight")
        return x.map { rmsNorm($0, outputNorm) }
    }
}
