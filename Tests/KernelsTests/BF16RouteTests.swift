import GGUF
import Testing
@testable import Kernels

/// BF16 weights: the `vec_dot` and tinyBLAS kernels (SIMD against scalar, bit for bit), which one `WeightMatrix`
/// picks per batch, and `matmul` against outputs of llama.cpp's own `ggml_mul_mat` (see `GGMLBF16`).
@Suite struct BF16RouteTests {
    /// Row lengths with and without a tail past the last 32 (vec_dot) or 8 (tinyBLAS) elements.
    static let lengths = [8, 24, 32, 72, 77, 260, 264, 1000, 2816]

    @Test func simdMatchesScalarBitForBit() {
        let pairs: [(String, RowDotFunction, RowDotFunction)] = [
            ("vec_dot", { DotScalar.bf16($0, $1, $2) }, DotKernel.kernel(for: .bf16)!.dot),
            ("tinyBLAS", { GGMLBF16.tinyBLAS($0, $1, $2) }, DotKernel.kernel(for: .bf16, route: .tinyBLAS)!.dot),
        ]
        for (name, scalar, simd) in pairs {
            for cols in Self.lengths {
                for trial in 0..<16 {
                    var rng = SeededRNG(seed: UInt64(cols) << 8 + UInt64(trial))
                    let w = RandomRows.weights(.bf16, cols: cols, &rng)
                    let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), .bf16)
                    let (s, v) = w.withUnsafeBytes { wp in
                        x.withUnsafeBytes { xp in
                            let w0 = wp.baseAddress!, x0 = xp.baseAddress!
                            return (scalar(w0, x0, cols), simd(w0, x0, cols))
                        }
                    }
                    #expect(s.bitPattern == v.bitPattern, "\(name) cols \(cols) trial \(trial): \(v) vs scalar \(s)")
                }
            }
        }
    }

    /// tinyBLAS's multi-row form (four rows at a time, then the remainder) equals its single-row dot.
    @Test func tinyBLASRowsEqualSingleRowDot() {
        let kernel = DotKernel.kernel(for: .bf16, route: .tinyBLAS)!
        guard let rowsDot = kernel.rows else { return }  // no SIMD path on this architecture
        var rng = SeededRNG(seed: 0xB16)
        for cols in [64, 77, 264, 2816] {
            for rows in 1...9 {
                let w = RandomRows.weights(.bf16, cols: cols, rows: rows, &rng)
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 4), .bf16)
                var multi = [Float](repeating: .nan, count: rows), single = multi
                w.withUnsafeBytes { wp in
                    x.withUnsafeBytes { xp in
                        let w0 = wp.baseAddress!, x0 = xp.baseAddress!
                        multi.withUnsafeMutableBufferPointer { rowsDot(w0, 2 * cols, x0, cols, $0.baseAddress!, rows) }
                        for r in 0..<rows { single[r] = kernel.dot(w0 + r * 2 * cols, x0, cols) }
                    }
                }
                #expect(sameBits(multi, single), "cols \(cols) rows \(rows): \(multi) vs \(single)")
            }
        }
    }

    /// A zero sum is +0 in both orders (ggml adds its vector sum to a zeroed double; tinyBLAS's lanes start at +0).
    @Test func zeroProductsSumToPositiveZero() {
        let w = [UInt16](repeating: 0x8000, count: 40), x = [UInt16](repeating: 0x3F80, count: 40)  // −0 · 1
        for kernel in [DotKernel.kernel(for: .bf16)!, DotKernel.kernel(for: .bf16, path: .scalar)!] {
            let y = w.withUnsafeBytes { wp in x.withUnsafeBytes { kernel.dot(wp.baseAddress!, $0.baseAddress!, 40) } }
            #expect(y.bitPattern == 0, "\(kernel.id)")
        }
    }

    /// One activation row: vec_dot; from 2 rows: tinyBLAS when the weight has a multiple of 4 rows.
    @Test func weightMatrixPicksLlamaCppsRoute() throws {
        var rng = SeededRNG(seed: 16)
        for (rows, takes) in [(8, true), (12, true), (6, false), (7, false)] {
            let bytes = RandomRows.weights(.bf16, cols: 64, rows: rows, &rng)
            try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: .bf16, rows: rows, cols: 64, bytes: raw)
                #expect(w.kernel(forRow: 0, of: 1).id == DotKernel.kernel(for: .bf16)!.id)
                let batched = takes ? DotKernel.kernel(for: .bf16, route: .tinyBLAS)! : DotKernel.kernel(for: .bf16)!
                for count in [2, 3, 9] {
                    #expect(w.kernel(forRow: count - 1, of: count).id == batched.id, "rows \(rows) count \(count)")
                }
            }
        }
    }

    /// `matmul` of BF16 [rows, cols] weights and F32 activations against the bits llama.cpp's pinned `libggml-cpu`
    /// computes for the same `ggml_mul_mat` (1 and 2 threads agree). Inputs come from `GoldenInputs`; the expected
    /// bits were printed by a C harness linked against `libggml-cpu` that fills the tensors with the same generator.
    /// The four cases take each route: vec_dot with an 8-element tail, tinyBLAS, vec_dot because 260 % 8 ≠ 0, and
    /// vec_dot because 6 rows are not a multiple of 4 (the two orders differ on 5/8, 15/40, –, 8/30 of the outputs).
    @Test(.needsV3Bits, arguments: [
        (264, 8, 1, "3f6d2938 41ff1757 c17545c8 c1d853b4 41c1ac53 c1dac7c7 421e0ed4 41adb402"),
        (264, 8, 5, "40dccf31 c13fe30c 41a43c66 c20e66b6 42644da5 412695b2 c1cf155f c1802668 c200a08c 42961206 "
            + "c1c0d430 c20cc1fc c189deb3 3f975288 412930e0 420871f6 3f49e378 4065ec34 c1c46499 415c368a c1f628a8 "
            + "41f84986 4174aa2a c1da057e c2422734 41aa9500 c1159ca2 c0c1100a bfa8fce0 420a69bf bf979db8 c1baf19c "
            + "42193dd7 c13c33dc 4194a344 41f5fdf4 426e74db c155e889 410414f7 413dad03"),
        (260, 8, 5, "c19ce39a 4202a7d5 41cf3079 c25485d0 41a6fb30 bfd4a550 c0e949d4 4200ac60 4256f21d 41a2580a "
            + "c1f1c7ce c0cb148c 40d1d510 40da85f8 4051cd8e 40ab3478 41c76fac c11a9163 4186eda4 c19c1eef 4145fddb "
            + "c00d56ac c1aa812c 40fa9eba 4224a75e c1328f16 c1ae4b04 4039ba94 c1d7fbd5 420e7f6f c2382875 c1e27e60 "
            + "beec66a0 3f2a5460 c1372498 40d61920 c20c05d9 41ec5f4c 41ca5826 400adab0"),
        (264, 6, 5, "c21b0092 c112ce6b 41023ae3 c1cd16ac c19dc7a8 4168f362 c1c2311b c227e480 41c59a30 41467597 "
            + "c1a1ad7e 411bfd0c c159b26a 414f6892 c14137c6 c1c4ddad 417345e4 c1cf472e c1c62604 413f9424 c1904fbb "
            + "c1a67fff 410c7024 c1327f51 c1498f80 c1ac1006 c1a899d2 40214ac4 c17594bc 412494ca"),
    ])
    func matmulMatchesGGML(cols: Int, rows: Int, count: Int, expected: String) throws {
        let (weights, x) = GoldenInputs.make(cols: cols, rows: rows, count: count)
        let want = expected.split(separator: " ").map { UInt32($0, radix: 16)! }
        for path in [KernelPath.simd, .scalar] {
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: count * rows)
                try weights.withUnsafeBytes { raw in
                    let w = try WeightMatrix(type: .bf16, rows: rows, cols: cols, bytes: raw, path: path)
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer {
                            matmul(w, input: xp.baseAddress!, count: count, output: $0.baseAddress!,
                                   pool: ThreadPool(threadCount: threads), scratch: KernelScratch())
                        }
                    }
                }
                let differing = zip(y, want).filter { $0.0.bitPattern != $0.1 }.count
                #expect(differing == 0, "\(path) \(threads) threads: \(differing) of \(want.count) outputs differ")
            }
        }
    }
}

/// The C harness's inputs: xorshift64 from a seed of the shape, each step's top 24 bits scaled to [−1, 1) (exact
/// in F32); weights rounded to BF16, then activations × 4, both in ggml's element order (row after row).
enum GoldenInputs {
    static func make(cols: Int, rows: Int, count: Int) -> (weights: [UInt8], activations: [Float]) {
        var s: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(cols * 1_000_003 + rows * 1009 + count)
        func next() -> Float {
            s ^= s << 13
            s ^= s >> 7
            s ^= s << 17
            return Float(s >> 40) * (1 / 16_777_216) * 2 - 1
        }
        let w = (0..<cols * rows).map { _ in BFloat16.fromFloat(next()) }
        let x = (0..<cols * count).map { _ in next() * 4 }
        return (w.withUnsafeBytes { Array($0) }, x)
    }
}
