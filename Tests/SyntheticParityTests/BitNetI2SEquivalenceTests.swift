import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import ModelMaker
import TestSupport
import Testing

/// The same ternary weights as TQ2_0 and as I2_S give the same model: a synthetic TQ2_0 `bitnet` file is
/// converted into I2_S by `bitnet convert`'s `TernaryModelConverter` (lossless here: the generator writes one scale
/// per tensor) and both run in our engine. No llama.cpp involved — upstream has no I2_S.
///
/// Tolerance. The weights are identical; only the activation quantization differs: TQ2_0 pairs with Q8_K (one
/// scale per 256 elements), I2_S with bitnet.cpp's per-token int8 (one scale per row of up to 512 here). Each
/// rounding error is at most half a step, step = absmax/127 of its group, so a dot product's error is bounded by
/// ½·Σ|w|·step ≲ ½·d·n·(absmax/127) and its typical size is √n smaller; over a row of n = 256…512 that is well
/// under 1% of the dot's magnitude. Through two blocks this shows up as 1 − cosine of ~1e-4 to 1e-3 in the logits
/// (measured values printed below), so we require cosine ≥ 0.999 at every position and the same greedy token at
/// every step unless the TQ2_0 run's own top-two margin is under 0.1 (the parity tests' near-tie rule).
struct BitNetI2SEquivalenceTests {
    @Test func i2sRunMatchesTQ2Run() throws {
        let dir = try TestModels.scratchDirectory("synthetic-bitnet-i2s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tq2Path = dir + "/tq2_0.gguf", i2sPath = dir + "/i2_s.gguf"
        try SyntheticModel(architecture: .bitnet, shape: .tiny, weightType: .tq2_0, seed: BitNetParityTests.seed)
            .write(to: tq2Path)
        let tq2File = try GGUFFile(path: tq2Path)
        try TernaryModelConverter(target: .i2_s).convert(input: tq2Path, output: i2sPath)
        let i2sFile = try GGUFFile(path: i2sPath)
        #expect(i2sFile.tensors.filter { $0.type == .i2_s }.count == 14)

        var options = SessionOptions()
        options.contextLength = 128
        let a = InferenceSession(model: try ModelRegistry.load(tq2File), options: options)
        let b = InferenceSession(model: try ModelRegistry.load(i2sFile), options: options)
        let prompt: [Int32] = [1] + (0..<19).map { Int32(300 + 1_237 * $0 % 31_000) }
        let v = a.vocabSize
        let la = try a.evaluate(prompt, allLogits: true), lb = try b.evaluate(prompt, allLogits: true)
        var cosines = (0..<prompt.count).map { ParityMetrics.cosine(la[($0 * v)..<(($0 + 1) * v)], lb[($0 * v)..<(($0 + 1) * v)]) }
        var rowA = la[((prompt.count - 1) * v)...], rowB = lb[((prompt.count - 1) * v)...]
        var exact = 0, ties = 0
        for step in 0..<SyntheticParityTests.steps {
            switch ParityMetrics.greedyStep(reference: rowA, ours: rowB, tieMargin: SyntheticParityTests.tieMargin) {
            case .exact: exact += 1
            case .nearTie: ties += 1
            case .mismatch(let t, let o, let margin):
                Issue.record("step \(step): TQ2_0 chose \(t), I2_S chose \(o); TQ2_0 margin \(margin)")
            }
            let t = Int32(rowA.indices.max { rowA[$0] < rowA[$1] }! - rowA.startIndex)
            rowA = try a.evaluate([t])[...]
            rowB = try b.evaluate([t])[...]
            cosines.append(ParityMetrics.cosine(rowA, rowB))
        }
        for (p, cos) in cosines.enumerated() where cos < 0.999 { Issue.record("position \(p): cosine \(cos) < 0.999") }
        print("TABLE | bitnet i2_s vs tq2_0 (ours) | min cosine \(cosines.min() ?? 1), median 1 − cosine "
            + String(format: "%.1e", 1 - cosines.sorted()[cosines.count / 2])
            + " | greedy \(exact)/\(SyntheticParityTests.steps) same, \(ties) near-ties | kernels \(b.executedKernels.joined(separator: " "))")
    }
}
