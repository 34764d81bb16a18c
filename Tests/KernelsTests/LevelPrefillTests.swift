import GGUF
import Testing
@testable import Kernels

/// The batch (prefill) forms of every level the host runs — `rows` over decoded tiles, `rowPairs`, and the whole-tile
/// form — each equal bit for bit to the same level's decode `dot` on every (activation row, weight row) pair, for
/// activation counts that leave every remainder of the tile kernels' groups of four. A level this CPU lacks is
/// skipped with a printed reason (`LevelTableTests.runs`).
@Suite struct LevelPrefillTests {
    @Test(arguments: KernelLevel.allCases)
    func batchFormsEqualDecodeDot(level: KernelLevel) {
        guard LevelTableTests.runs(level, "batch forms") else { return }
        for type in DotKernel.allTypes {
            let table = DotKernel.levelKernels(type, level: level)
            guard let prefill = table.prefill else { continue }
            for cols in [512, 2560] {
                var rng = SeededRNG(seed: 0x4E7E1 + UInt64(type.rawValue) << 8 + UInt64(cols))
                let rows = 9
                let w = Self.weights(type, cols: cols, rows: rows, &rng), stride = w.count / rows
                for count in [1, 2, 3, 5, 8, 11, 16, 37] {
                    let xs = (0..<count).map { _ in RandomRows.floats(cols, &rng, scale: 3) }
                    let expected = Self.decode(table.dot, type, w, stride, xs, cols)
                    let got = Self.batch(prefill, type, w, stride, rows, xs, cols)
                    for (form, values) in got {
                        #expect(sameBits(values, expected),
                                "\(type.name) \(form) at \(level), cols \(cols), \(count) activation rows")
                    }
                }
            }
        }
    }

    /// Random rows of `type`; I2_S rows are `cols / 4` bytes of 2-bit codes (no per-row scale).
    static func weights(_ type: GGMLType, cols: Int, rows: Int, _ rng: inout SeededRNG) -> [UInt8] {
        guard type == .i2_s else { return RandomRows.weights(type, cols: cols, rows: rows, &rng) }
        return (0..<cols / 4 * rows).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// `y[t · rows + r]` from the decode kernel on the decode activation format.
    static func decode(_ dot: RowDotFunction, _ type: GGMLType, _ w: [UInt8], _ stride: Int, _ xs: [[Float]],
                       _ cols: Int) -> [Float] {
        let rows = w.count / stride
        var y = [Float]()
        for x in xs {
            let a = RandomRows.activations(x, DotKernel.activationFormat(for: type))
            for r in 0..<rows {
                y.append(w.withUnsafeBytes { wp in a.withUnsafeBytes { dot(wp.baseAddress! + r * stride, $0.baseAddress!, cols) } })
            }
        }
        return y
    }

    /// Each batch form's `y[t · rows + r]`, as `matmul` drives it: the tile decoded (or read in place), then `rows`
    /// per activation row, `rowPairs` per pair (the odd one through `rows`), `tile` for all at once, and
    /// `packedTile` on the stored rows.
    static func batch(_ prefill: PrefillKernel, _ type: GGMLType, _ w: [UInt8], _ stride: Int, _ rows: Int,
                      _ xs: [[Float]], _ cols: Int) -> [(String, [Float])] {
        let format = prefill.activation ?? DotKernel.activationFormat(for: type), rowBytes = format.rowBytes(cols)
        let activations = xs.flatMap { RandomRows.activations($0, format) }
        let unpackedBytes = prefill.rowBytes(cols)
        // Decoded layouts interleave rows in groups (of 4, or `tileRows`): room for the padded last group, as
        // matmul's tile buffers (a multiple of 4 rows) have.
        let group = prefill.tileRows ?? 4, padded = (rows + group - 1) / group * group
        var unpacked = [UInt8](repeating: 0, count: prefill.inPlace ? 0 : padded * unpackedBytes)
        if !prefill.inPlace {
            w.withUnsafeBytes { wp in unpacked.withUnsafeMutableBytes { prefill.unpack(wp.baseAddress!, stride, cols, rows, $0.baseAddress!) } }
        }
        let tileBytes = prefill.inPlace ? w : unpacked, tileStride = prefill.inPlace ? stride : unpackedBytes
        let count = xs.count
        var results: [(String, [Float])] = []
        func run(_ form: String, _ body: (UnsafeRawPointer, UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
            var y = [Float](repeating: .nan, count: count * rows)
            tileBytes.withUnsafeBytes { tp in
                activations.withUnsafeBytes { ap in
                    y.withUnsafeMutableBufferPointer { body(tp.baseAddress!, ap.baseAddress!, $0.baseAddress!) }
                }
            }
            results.append((form, y))
        }
        run("rows") { t, a, y in
            for i in 0..<count { prefill.rows(t, tileStride, a + i * rowBytes, cols, y + i * rows, rows) }
        }
        if let pairs = prefill.rowPairs {
            run("rowPairs") { t, a, y in
                var i = 0
                while i + 1 < count {
                    pairs(t, tileStride, a + i * rowBytes, a + (i + 1) * rowBytes, cols, y + i * rows, y + (i + 1) * rows, rows)
                    i += 2
                }
                if i < count { prefill.rows(t, tileStride, a + i * rowBytes, cols, y + i * rows, rows) }
            }
        }
        if let tile = prefill.tile {
            run("tile") { t, a, y in tile(t, tileStride, a, rowBytes, count, cols, y, rows, rows) }
        }
        if let packed = prefill.packedTile, count <= prefill.packedTileLimit {  // over the stored rows, as matmul runs it
            var y = [Float](repeating: .nan, count: count * rows)
            w.withUnsafeBytes { wp in
                activations.withUnsafeBytes { ap in
                    y.withUnsafeMutableBufferPointer { packed(wp.baseAddress!, stride, ap.baseAddress!, rowBytes, count, cols, $0.baseAddress!, rows, rows) }
                }
            }
            results.append(("packedTile", y))
        }
        return results
    }
}
