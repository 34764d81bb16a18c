import Foundation
import Kernels
import LlamaReference
import TestSupport
import Testing

/// `WeightQuantizer.quantizeQ6_K` against llama.cpp's own `quantize_row_q6_K_ref`, called from the pinned
/// `libggml-base` of the reference build: the same bytes on random rows, an all-zero block, tiny values, one outlier,
/// a negative largest value, and rows whose values sit on rounding ties.
@Suite struct Q6KQuantizerTests {
    typealias Reference = @convention(c) (UnsafePointer<Float>, UnsafeMutableRawPointer, Int64) -> Void

    @Test func bytesEqualLibggmlBase() throws {
        guard ParityMetrics.referenceEnabled else {
            return print("skipped: BITNET_SKIP_REFERENCE_TESTS=1 (needs the llama.cpp reference build)")
        }
        let library = try ExactReference.library()
        let path = URL(fileURLWithPath: library.path).deletingLastPathComponent().appendingPathComponent("libggml-base.so").path
        let handle = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL), "cannot open \(path)")
        defer { dlclose(handle) }
        let reference = unsafeBitCast(try #require(dlsym(handle, "quantize_row_q6_K_ref")), to: Reference.self)

        var rng = SeededRandom(seed: 0x06C)
        var rows: [[Float]] = (0..<6).map { r in
            (0..<1024).map { _ in Float.random(in: -1...1, using: &rng) * (r == 0 ? 1 : Float(r) * 0.37) }
        }
        var special = [Float](repeating: 0, count: 1024)  // block 0 all zero
        for i in 256..<512 { special[i] = Float.random(in: -1...1, using: &rng) * 1e-6 }  // tiny
        for i in 512..<768 { special[i] = Float.random(in: -0.01...0.01, using: &rng) }
        special[600] = -3.5  // one outlier, negative
        for i in 768..<1024 { special[i] = Float((i % 13) - 6) * 0.25 }  // values on a grid (ties)
        rows.append(special)
        for (r, x) in rows.enumerated() {
            var ours = [UInt8](repeating: 0, count: x.count / 256 * 210), theirs = ours
            x.withUnsafeBufferPointer { xp in
                ours.withUnsafeMutableBytes { WeightQuantizer.quantizeQ6_K(xp.baseAddress!, into: $0.baseAddress!, count: x.count) }
                theirs.withUnsafeMutableBytes { reference(xp.baseAddress!, $0.baseAddress!, Int64(x.count)) }
            }
            let first = ours.indices.first { ours[$0] != theirs[$0] }
            #expect(first == nil, "row \(r): first differing byte \(first ?? -1) of \(ours.count)")
        }
        print("Q6_K quantizer: \(rows.count) rows of 1024 identical to libggml-base's quantize_row_q6_K_ref (\(path))")
    }
}
