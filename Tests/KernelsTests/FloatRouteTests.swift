import GGUF
import Testing
@testable import Kernels

/// F32 and F16 weights: the `vec_dot` and tinyBLAS kernels (SIMD against scalar, bit for bit), which one
/// `WeightMatrix` picks per batch, and `matmul` against outputs of llama.cpp's own `ggml_mul_mat` (see `GGMLFloat`).
@Suite struct FloatRouteTests {
    /// Row lengths with and without a tail past the last 32 (vec_dot) or 8 (tinyBLAS) elements; 35, 263 and 1001
    /// end with fused F32 tail elements (`count % 4 ≠ 0`), 72 and 1000 with only rounded ones.
    static let lengths = [3, 8, 24, 32, 35, 72, 77, 260, 263, 264, 1000, 1001, 2816]

    @Test(arguments: [GGMLType.f32, .f16])
    func simdMatchesScalarBitForBit(type: GGMLType) {
        for route in [nil, DotKernel.Route.tinyBLAS] {
            let scalar = kernel(type, route, .scalar), simd = kernel(type, route, .simd)
            for cols in Self.lengths {
                for trial in 0..<16 {
                    var rng = SeededRNG(seed: UInt64(cols) << 8 + UInt64(trial))
                    let w = RandomRows.weights(type, cols: cols, &rng)
                    let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), simd.activation)
                    let (s, v) = w.withUnsafeBytes { wp in
                        x.withUnsafeBytes { xp in
                            let w0 = wp.baseAddress!, x0 = xp.baseAddress!
                            return (scalar.dot(w0, x0, cols), simd.dot(w0, x0, cols))
                        }
                    }
                    #expect(s.bitPattern == v.bitPattern, "\(simd.id) cols \(cols) trial \(trial): \(v) vs \(s)")
                }
            }
        }
    }

    /// tinyBLAS's multi-row form (four rows at a time, then the remainder) equals its single-row dot.
    @Test(arguments: [GGMLType.f32, .f16])
    func tinyBLASRowsEqualSingleRowDot(type: GGMLType) {
        let kernel = kernel(type, .tinyBLAS, .simd)
        guard let rowsDot = kernel.rows else { return }  // no SIMD path on this architecture
        var rng = SeededRNG(seed: 0xF16 + UInt64(type.rawValue))
        for cols in [64, 77, 264, 2816] {
            for rows in 1...9 {
                let w = RandomRows.weights(type, cols: cols, rows: rows, &rng)
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 4), kernel.activation)
                let stride = w.count / rows
                var multi = [Float](repeating: .nan, count: rows), single = multi
                w.withUnsafeBytes { wp in
                    x.withUnsafeBytes { xp in
                        let w0 = wp.baseAddress!, x0 = xp.baseAddress!
                        multi.withUnsafeMutableBufferPointer { rowsDot(w0, stride, x0, cols, $0.baseAddress!, rows) }
                        for r in 0..<rows { single[r] = kernel.dot(w0 + r * stride, x0, cols) }
                    }
                }
                #expect(sameBits(multi, single), "\(kernel.id) cols \(cols) rows \(rows): \(multi) vs \(single)")
            }
        }
    }

    /// One activation row: vec_dot; from 2 rows: tinyBLAS when the weight has a multiple of 4 rows.
    @Test(arguments: [GGMLType.f32, .f16])
    func weightMatrixPicksLlamaCppsRoute(type: GGMLType) throws {
        var rng = SeededRNG(seed: 32)
        for (rows, takes) in [(8, true), (12, true), (6, false), (7, false)] {
            let bytes = RandomRows.weights(type, cols: 64, rows: rows, &rng)
            try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: type, rows: rows, cols: 64, bytes: raw)
                #expect(w.kernel(forRow: 0, of: 1).id == DotKernel.kernel(for: type)!.id)
                let batched = takes ? kernel(type, .tinyBLAS, .simd) : DotKernel.kernel(for: type)!
                for count in [2, 3, 9] {
                    #expect(w.kernel(forRow: count - 1, of: count).id == batched.id, "rows \(rows) count \(count)")
                }
            }
        }
    }

    /// `matmul` of F32 or F16 [rows, cols] weights and F32 activations against the bits llama.cpp's pinned
    /// `libggml-cpu` computes for the same `ggml_mul_mat` (1 and 2 threads agree). Inputs come from
    /// `FloatGoldenInputs`; the expected bits were printed by a C harness linked against `libggml-cpu` that fills
    /// the tensors with the same generator. The cases take each route: vec_dot with a 7-element tail (4 rounded,
    /// 3 fused for F32), tinyBLAS, vec_dot because 260 % 8 ≠ 0, and vec_dot because 6 rows are not a multiple of 4.
    @Test(.needsV3Bits, arguments: [
        (GGMLType.f32, 263, 8, 1, "c1592aff 41084887 c15ebcaa c1c10653 4031880f c201d448 416c27a3 bda0dedd"),
        (.f32, 264, 8, 5, "40db62d7 c13fb686 41a3fc29 c20ed5a6 42646091 41281d97 c1cf48b6 c180c9e0 c2009114 "
            + "4295ed04 c1c04fc3 c20cbc39 c189cf32 3f971738 412944c0 4208708a 3f35d7f8 40674171 c1c4a4a7 415bfccf "
            + "c1f5f19e 41f8633f 41744245 c1da09f0 c24268fe 41ab16f4 c1165ac8 c0c20ef6 bfa2ac20 420a4c4e bf9d16f0 "
            + "c1bace75 421960d9 c13bd45e 4194d90e 41f5aee2 426e37d7 c155decc 410424bd 413bfe64"),
        (.f32, 260, 8, 5, "c19d6adf 42030ebd 41ced1a1 c2546e01 41a6cae6 bfd3433a c0ea2ec4 42011d83 42572ecb "
            + "41a1e804 c1f1bd46 c0cb3898 40d2a2f3 40db8f18 40545040 40ad31fe 41c6d7b1 c11c62f6 41869bc6 c19c17f8 "
            + "41454b85 c008e87f c1ab0d23 40fa75aa 4224f823 c132b260 c1ae7645 403f4d4a c1d782ce 420ea3af c2384e49 "
            + "c1e24641 bee2a28c 3f29447a c1363f57 40d54bb8 c20bba0f 41ec38d3 41ca6275 40067138"),
        (.f32, 264, 6, 5, "c21ae7f1 c112c81a 4101b44f c1cd6e8b c19d90f1 41693202 c1c27e85 c227f8ed 41c58756 "
            + "414631de c1a21fa0 411c2a8f c1599adf 414f0a86 c142333e c1c53fb4 417381ee c1cf3d9b c1c5fc91 41412a6a "
            + "c1903270 c1a6325d 410d40cc c1325192 c149e930 c1abdcd5 c1a8258e 401fde98 c175d3be 41255478"),
        (.f16, 263, 8, 1, "c1592cb8 410828e4 c15ecdfc c1c10c55 4031272a c201ccfb 416c2f0d bd9fb57c"),
        (.f16, 264, 8, 5, "40dbbd64 c13fcdac 41a3e9a8 c20eda8d 426455e3 41282a6c c1cf440d c180d490 c2009a10 "
            + "4295ed18 c1c05608 c20cbe5b c189d33d 3f95de28 4129437c 420872d9 3f34efc0 40677356 c1c4a460 415c26c4 "
            + "c1f5ff8e 41f86ac5 41745472 c1da0ca0 c2426cd6 41ab07e0 c1164de2 c0c2055e bfa37660 420a48e0 bf9cfa30 "
            + "c1bacdd6 4219606d c13bd560 4194d676 41f5b9fb 426e327d c155ee34 410451fc 413bf37c"),
        (.f16, 260, 8, 5, "c19d59df 42030450 41cec779 c2546d8b 41a6d093 bfd23d24 c0e9fada 42011b47 42573055 "
            + "41a1e9b2 c1f1c6ae c0cb0d1e 40d2cb53 40db9df6 4054cbc8 40ad10d3 41c6d5f8 c11c7a52 4186953b c19c050b "
            + "414539ea c0095d8a c1ab0b50 40fabf0c 4224fa45 c13299f5 c1ae6983 403ee82c c1d77a75 420e9d42 c2384a1b "
            + "c1e24720 bee3a9b3 3f2af19a c1362b22 40d5515d c20bb59a 41ec4967 41ca6743 4006c356"),
        (.f16, 264, 6, 5, "c21ae2b3 c112c7e9 410193db c1cd7944 c19d8779 41694d2b c1c26d9f c227faca 41c57fff "
            + "41461d1d c1a21659 411c4506 c1598054 414eea0e c1422d16 c1c543bb 4173a29a c1cf3a60 c1c5f1eb 41413f72 "
            + "c1903c6d c1a62d7f 410d27d0 c1327dbe c149f625 c1abdcfa c1a81c25 40201cf8 c175dd9d 412551c1"),
    ])
    func matmulMatchesGGML(type: GGMLType, cols: Int, rows: Int, count: Int, expected: String) throws {
        let (weights, x) = FloatGoldenInputs.make(type, cols: cols, rows: rows, count: count)
        let want = expected.split(separator: " ").map { UInt32($0, radix: 16)! }
        for path in [KernelPath.simd, .scalar] {
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: count * rows)
                try weights.withUnsafeBytes { raw in
                    let w = try WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw, path: path)
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer {
                            matmul(w, input: xp.baseAddress!, count: count, output: $0.baseAddress!,
                                   pool: ThreadPool(threadCount: threads), scratch: KernelScratch())
                        }
                    }
                }
                let differing = zip(y, want).filter { $0.0.bitPattern != $0.1 }.count
                #expect(differing == 0, "\(type.name) \(path) \(threads) threads: \(differing) of \(want.count) differ")
            }
        }
    }

    /// `type`'s `vec_dot` kernel (`route` nil) or routed kernel on `path`.
    func kernel(_ type: GGMLType, _ route: DotKernel.Route?, _ path: KernelPath) -> DotKernel {
        guard let route else { return DotKernel.kernel(for: type, path: path)! }
        return DotKernel.kernel(for: type, route: route, path: path)!
    }
}

/// The C harness's inputs (as `GoldenInputs`, weights kept in F32 or rounded to F16 instead of BF16).
enum FloatGoldenInputs {
    static func make(_ type: GGMLType, cols: Int, rows: Int, count: Int) -> (weights: [UInt8], activations: [Float]) {
        var s: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(cols * 1_000_003 + rows * 1009 + count)
        func next() -> Float {
            s ^= s << 13
            s ^= s >> 7
            s ^= s << 17
            return Float(s >> 40) * (1 / 16_777_216) * 2 - 1
        }
        let w = (0..<cols * rows).map { _ in next() }
        let x = (0..<cols * count).map { _ in next() * 4 }
        if type == .f16 { return (w.map(HalfFloat.fromFloat).withUnsafeBytes { Array($0) }, x) }
        return (w.withUnsafeBytes { Array($0) }, x)
    }
}
