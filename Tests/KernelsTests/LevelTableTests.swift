import GGUF
import Testing
@testable import Kernels

/// Every kernel level the host runs, in one process: each level's table (`DotKernel.levelKernels(_:level:)`,
/// `RowKernels(level:)`), not only the active one, against the scalar references. A level this CPU lacks is
/// skipped with a printed reason; no test compares two levels' outputs except through the scalar reference.
@Suite struct LevelTableTests {
    /// Whether `level` runs here; prints why not when it does not.
    static func runs(_ level: KernelLevel, _ test: String) -> Bool {
        if KernelLevel.hostSupported.contains(level) { return true }
        print("[LevelTableTests] \(test) at level \(level) skipped: this CPU runs only "
              + "\(KernelLevel.hostSupported.map(\.rawValue)) (\(HostCPU.current.model))")
        return false
    }

    /// Each type's `vec_dot` within DotTests' bound of the scalar reference, and its multi-row form equal to its
    /// own `dot` bit for bit.
    @Test(arguments: KernelLevel.allCases)
    func dotKernelsAgreeWithScalar(level: KernelLevel) {
        guard Self.runs(level, "dot kernels") else { return }
        for type in DotKernel.supportedTypes {
            let table = DotKernel.levelKernels(type, level: level), scalar = DotKernel.scalarDot(type)
            let activation = DotKernel.activationFormat(for: type)
            for (i, cols) in [256, 2816].enumerated() {
                var rng = SeededRNG(seed: 0x1E7E1 + UInt64(type.rawValue) << 8 + UInt64(i))
                let rows = 7
                let w = RandomRows.weights(type, cols: cols, rows: rows, &rng), stride = w.count / rows
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), activation)
                let xf = dequantizeScalar(activation.ggmlType, x, count: cols)
                var single = [Float](repeating: .nan, count: rows)
                for r in 0..<rows {
                    let row = Array(w[r * stride ..< (r + 1) * stride])
                    let (s, v) = row.withUnsafeBytes { wp in
                        x.withUnsafeBytes { xp in
                            (scalar(wp.baseAddress!, xp.baseAddress!, cols), table.dot(wp.baseAddress!, xp.baseAddress!, cols))
                        }
                    }
                    let wf = dequantizeScalar(type, row, count: cols)
                    let magnitude = zip(wf, xf).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                    #expect(abs(Double(s) - Double(v)) <= 1e-5 * magnitude + 1e-6,
                            "\(type.name) at \(level), cols \(cols) row \(r): \(v) vs scalar \(s)")
                    single[r] = v
                }
                guard let rowsDot = table.rows else { continue }
                // 5, 6 and 7 rows: a whole pass of 4, then 1, 2 or 3 rows left (each kernel's leftover forms).
                for n in 5...rows {
                    var first = [Float](repeating: .nan, count: n)
                    w.withUnsafeBytes { wp in
                        x.withUnsafeBytes { xp in
                            first.withUnsafeMutableBufferPointer {
                                rowsDot(wp.baseAddress!, stride, xp.baseAddress!, cols, $0.baseAddress!, n)
                            }
                        }
                    }
                    #expect(sameBits(first, Array(single[0..<n])),
                            "\(type.name) \(n) rows at \(level), cols \(cols): \(first) vs \(single)")
                }
            }
        }
    }

    /// The routed kernels (repack 8×8, tiled K-quants, tinyBLAS) equal their scalar models bit for bit.
    @Test(arguments: KernelLevel.allCases)
    func routedKernelsEqualScalarModels(level: KernelLevel) {
        guard Self.runs(level, "routed kernels") else { return }
        for (type, route) in DotKernel.routedTypes {
            let table = DotKernel.levelKernels(type, route, level: level), scalar = DotKernel.routedScalarDot(type, route)
            for cols in [256, 2816] {
                var rng = SeededRNG(seed: 0x2E7E1 + UInt64(type.rawValue) << 8 + UInt64(cols))
                let w = RandomRows.weights(type, cols: cols, &rng)
                // The route's own activation format (ARM64 tinyBLAS takes F16 weights against F32 activations).
                let format = DotKernel.kernel(for: type, route: route)!.activation
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), format)
                let (s, v) = w.withUnsafeBytes { wp in
                    x.withUnsafeBytes { xp in
                        (scalar(wp.baseAddress!, xp.baseAddress!, cols), table.dot(wp.baseAddress!, xp.baseAddress!, cols))
                    }
                }
                #expect(s.bitPattern == v.bitPattern, "\(type.name) \(route.rawValue) at \(level), cols \(cols): \(v) vs \(s)")
            }
        }
    }

    /// The row operations outside the dot table equal the portable Swift forms bit for bit at every level (the
    /// portable forms are the scalar level; their FMAs and order are the AVX2 kernels').
    @Test(arguments: KernelLevel.allCases)
    func rowKernelsEqualPortableForms(level: KernelLevel) {
        guard Self.runs(level, "row kernels") else { return }
        let k = RowKernels(level: level), p = RowKernels.portable
        var rng = SeededRNG(seed: 0x3E7E1)
        let n = 200  // not a multiple of 32: every tail runs
        let a = RandomRows.floats(n, &rng, scale: 4), b = RandomRows.floats(n, &rng, scale: 4)
        let tag = "at \(level)"

        func inPlace(_ f: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
            var x = a
            x.withUnsafeMutableBufferPointer { f($0.baseAddress!) }
            return x
        }
        #expect(sameBits(inPlace { k.softmax($0, n) }, inPlace { p.softmax($0, n) }), "softmax \(tag)")
        #expect(sameBits(inPlace { k.roundToHalf($0, n) }, inPlace { p.roundToHalf($0, n) }), "roundToHalf \(tag)")
        var sums: [Double] = [0, 0]
        let e0 = inPlace { sums[0] = k.expShiftedSum($0, n / 8 * 8, 1.5) }
        let e1 = inPlace { sums[1] = p.expShiftedSum($0, n / 8 * 8, 1.5) }
        #expect(sameBits(e0, e1) && sums[0].bitPattern == sums[1].bitPattern, "expShiftedSum \(tag)")

        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                let x = ap.baseAddress!, y = bp.baseAddress!
                #expect(k.dotVec(x, y, n).bitPattern == p.dotVec(x, y, n).bitPattern, "dotVec \(tag)")
                #expect(k.maximum(x, n / 8 * 8).bitPattern == p.maximum(x, n / 8 * 8).bitPattern, "maximum \(tag)")
                var s0 = [Float](repeating: 0, count: n), s1 = s0
                k.swiglu(x, y, &s0, n, 72)
                p.swiglu(x, y, &s1, n, 72)
                #expect(sameBits(s0, s1), "swiglu \(tag)")
            }
        }

        // F16 rows: narrow, widen (plain and strided), dot and multiply-add against them.
        var h0 = [UInt16](repeating: 0, count: n), h1 = h0
        k.narrowToHalf(a, &h0, n)
        p.narrowToHalf(a, &h1, n)
        #expect(h0 == h1, "narrowToHalf \(tag)")
        var w0 = [Float](repeating: 0, count: n), w1 = w0
        h0.withUnsafeBytes { k.widenHalf($0.baseAddress!, &w0, n) }
        h0.withUnsafeBytes { p.widenHalf($0.baseAddress!, &w1, n) }
        #expect(sameBits(w0, w1), "widenHalf \(tag)")
        var t0 = [Float](repeating: 0, count: 3 * n), t1 = t0
        k.widenHalfStrided(h0, &t0, n, 3)
        p.widenHalfStrided(h0, &t1, n, 3)
        #expect(sameBits(t0, t1), "widenHalfStrided \(tag)")
        #expect(k.halfDot(b, h0, n).bitPattern == p.halfDot(b, h0, n).bitPattern, "halfDot \(tag)")
        var m0 = b, m1 = b
        k.halfMultiplyAdd(h0, 0.37, &m0, n)
        p.halfMultiplyAdd(h0, 0.37, &m1, n)
        #expect(sameBits(m0, m1), "halfMultiplyAdd \(tag)")

        // One query row's flash attention over F16 cache rows: the fused form against the composition of this
        // level's own operations (strided rows, key/value lengths with and without a tail, one position or many;
        // keys growing with the position, so the running maximum, and with it the rescaling, changes often; the
        // widths 64, 128 and 256 take the AVX2 form's register loop, in runs of 64 positions, 72 its memory loop).
        for (keyLength, valueLength, positions) in [(64, 64, 0...37), (40, 72, 5...5), (128, 64, 3...90),
                                                   (128, 128, 0...130), (256, 256, 2...70), (64, 64, 7...7)] {
            let keyStride = keyLength + 8, valueStride = valueLength + 16, filled = positions.upperBound + 1
            var keys = [UInt16](repeating: 0, count: filled * keyStride)
            var values = [UInt16](repeating: 0, count: filled * valueStride)
            let growing = RandomRows.floats(keys.count, &rng, scale: 2).enumerated().map { i, x in
                x * Float(1 + i / keyStride) / Float(filled)
            }
            k.narrowToHalf(growing, &keys, keys.count)
            k.narrowToHalf(RandomRows.floats(values.count, &rng, scale: 2), &values, values.count)
            var q = RandomRows.floats(keyLength, &rng)
            k.roundToHalf(&q, keyLength)
            var fused = [Float](repeating: .nan, count: valueLength), composed = fused
            k.attendHalf(q, keys, keyStride, values, valueStride, positions.lowerBound, positions.upperBound,
                         keyLength, valueLength, 0.125, &fused)
            HalfVectorOps.attendComposed(k, q, keys, keyStride, values, valueStride, positions.lowerBound,
                                         positions.upperBound, keyLength, valueLength, 0.125, &composed)
            #expect(sameBits(fused, composed), "attendHalf \(keyLength)/\(valueLength) over \(positions) \(tag)")
        }

        // One attention tile: 64 keys of length 40 (transposed), scores, then weighted value rows.
        let keyLength = 40, keysT = RandomRows.floats(keyLength * 64, &rng), q = RandomRows.floats(keyLength, &rng)
        var c0 = [Float](repeating: 0, count: 64), c1 = c0
        k.tileScores(q, keysT, keyLength, 0.125, &c0)
        p.tileScores(q, keysT, keyLength, 0.125, &c1)
        #expect(sameBits(c0, c1), "tileScores \(tag)")
        let rowLength = 72, values = RandomRows.floats(rowLength * 64, &rng), weights = RandomRows.floats(64, &rng)
        var v0 = RandomRows.floats(rowLength, &rng), v1 = v0
        k.accumulateWeightedRows(values, rowLength, weights, 3, 60, &v0)
        p.accumulateWeightedRows(values, rowLength, weights, 3, 60, &v1)
        #expect(sameBits(v0, v1), "accumulateWeightedRows \(tag)")

        // The activation quantizers, both roundings.
        for rounding in [Q8Rounding.reference, .ggmlCPU] {
            let count = 256, src = RandomRows.floats(count, &rng, scale: 4)
            for (name, format, kq, pq) in [("q8_0", ActivationFormat.q8_0, k.quantizeQ8_0, p.quantizeQ8_0),
                                           ("q8_0Split", .q8_0Split, k.quantizeQ8_0Split, p.quantizeQ8_0Split),
                                           ("q8_1", .q8_1, k.quantizeQ8_1, p.quantizeQ8_1)] {
                var o0 = [UInt8](repeating: 0, count: format.rowBytes(count)), o1 = o0
                o0.withUnsafeMutableBytes { kq(src, $0.baseAddress!, count, rounding.code) }
                o1.withUnsafeMutableBytes { pq(src, $0.baseAddress!, count, rounding.code) }
                #expect(o0 == o1, "quantize \(name) (\(rounding)) \(tag)")
            }
        }

        // Q8_K and I8 on awkward rows: random, an all-zero block, ties at .5 after scaling, the largest magnitude
        // twice with both signs (the first wins), a NaN and an infinity in their own blocks, tiny values.
        let count = 1536
        var src = RandomRows.floats(count, &rng, scale: 3)
        for j in 256..<512 { src[j] = 0 }
        for j in 512..<768 { src[j] = Float(j % 9) - 4.5 }
        src[800] = -7; src[900] = 7
        src[1100] = .nan
        src[1300] = .infinity
        for j in 1408..<1536 { src[j] = Float(j - 1470) * 1e-9 }
        for (name, format, kq, pq) in [("q8_K", ActivationFormat.q8_K, k.quantizeQ8_K, p.quantizeQ8_K),
                                       ("i8", .i8, k.quantizeI8, p.quantizeI8)] {
            for rows in [Array(src[0..<1024]), Array(src[1024..<1280]), Array(src[1280..<1536])] {
                let n = rows.count
                var o0 = [UInt8](repeating: 0xAA, count: format.rowBytes(n)), o1 = o0
                o0.withUnsafeMutableBytes { kq(rows, $0.baseAddress!, n, 0) }
                o1.withUnsafeMutableBytes { pq(rows, $0.baseAddress!, n, 0) }
                #expect(o0 == o1, "quantize \(name), \(n) elements \(tag)")
            }
        }
    }
}
