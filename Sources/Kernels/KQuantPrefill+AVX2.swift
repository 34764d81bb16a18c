#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The panel kernels: one decoded panel of 8 weight rows (`KQuantPrefill`) · one Q8_K activation row, `out[r]` for
/// `r < rows` (the `RowsDotFunction` contract with the panel as `w`; `stride` is unused, the panel is one unit).
///
/// Bounds: the panel holds `count / 256` blocks of the layout in `KQuantPrefill` and `x` as many Q8_K blocks; every
/// load below reads inside block `b < count / 256` of one of them.
extension KQuantPrefill {
    /// The float fold a route applies to each block's integer sums (`GGMLTiledKQuant`, `GGMLRepack8x8`).
    enum Fold {
        /// `acc = fma(fma(−dmin, M, d·S), d_x, acc)` per block (Q6_K: `acc = fma(d·S, d_x, acc)`).
        case tiled
        /// `acc = fma(S, d·d_x, acc)`, `accMin = fma(M, dmin·d_x, accMin)` per block; `acc − accMin`.
        case gemv
        /// As `gemv`, once per 64-element pair of sub-blocks.
        case gemm
    }

    @inline(__always) static func load(_ p: UnsafeRawPointer, _ offset: Int) -> __m256i {
        p.loadUnaligned(fromByteOffset: offset, as: __m256i.self)
    }

    @inline(__always) static func loadFloats(_ p: UnsafeRawPointer, _ offset: Int) -> __m256 {
        p.loadUnaligned(fromByteOffset: offset, as: __m256.self)
    }

    /// The 4 activation quants at `offset` of `xb`, repeated in every 32-bit lane (one lane per weight row).
    @inline(__always) static func broadcastQuad(_ xb: UnsafeRawPointer, _ offset: Int) -> __m256i {
        _mm256_set1_epi32(xb.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    /// Stores lanes `0..<rows` of `v` (all 8 when the panel is full).
    @inline(__always) static func store(_ v: __m256, _ out: UnsafeMutablePointer<Float>, _ rows: Int) {
        if rows >= panelRows {
            UnsafeMutableRawPointer(out).storeBytes(of: v, as: __m256.self)
        } else {
            let lanes = unsafeBitCast(v, to: SIMD8<Float>.self)
            for r in 0..<rows { out[r] = lanes[r] }
        }
    }

    // MARK: Q4_K

    /// Σ over sub-block `sub` (32 elements) of sc·q·q_x: int32 lane r = weight row r.
    @inline(__always)
    static func q4_KSubBlock(_ pb: UnsafeRawPointer, _ xb: UnsafeRawPointer, _ sub: Int) -> __m256i {
        let q = q4_KQuants + 256 * sub, x = 4 + 32 * sub  // groups 8·sub ..< 8·sub + 8
        var pairs = _mm256_maddubs_epi16(load(pb, q), broadcastQuad(xb, x))
        for g in 1..<8 {
            pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(load(pb, q + 32 * g), broadcastQuad(xb, x + 4 * g)))
        }
        return _mm256_madd_epi16(pairs, load(pb, q4_KScales + 32 * sub))
    }

    /// A Q4_K panel · one Q8_K row in `fold`'s order.
    @inline(__always)
    static func q4_KPanel(
        _ fold: Fold, _ panel: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        var acc = _mm256_setzero_ps(), accMin = acc
        for b in 0..<count / 256 {
            let pb = panel + b * q4_KPanelBlockBytes, xb = x + b * BlockLayout.q8_KBytes
            let dx = _mm256_set1_ps(xb.loadUnaligned(as: Float.self))
            let d = loadFloats(pb, 0), dmin = loadFloats(pb, q4_KDmin)
            let dd = _mm256_mul_ps(d, dx), dm = _mm256_mul_ps(dmin, dx)
            // Lanes 0, 1, 4, 5 hold (bs_2p, bs_2p+1) for pairs 0…3, bs_s = bsum_2s + bsum_2s+1 (Σ q_x of sub-block s).
            let bsums = load(xb, 260)
            let xsums = unsafeBitCast(_mm256_hadd_epi16(bsums, bsums), to: SIMD8<Int32>.self)
            var s = _mm256_setzero_si256(), m = s
            for pair in 0..<4 {
                let sp = _mm256_add_epi32(q4_KSubBlock(pb, xb, 2 * pair), q4_KSubBlock(pb, xb, 2 * pair + 1))
                let mp = _mm256_madd_epi16(load(pb, q4_KMins + 32 * pair),
                                           _mm256_set1_epi32(xsums[pair < 2 ? pair : pair + 2]))
                if fold == .gemm {
                    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp), dd, acc)
                    accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mp), dm, accMin)
                } else {
                    s = _mm256_add_epi32(s, sp)
                    m = _mm256_add_epi32(m, mp)
                }
            }
            switch fold {
            case .tiled:
                let r = _mm256_fnmadd_ps(dmin, _mm256_cvtepi32_ps(m), _mm256_mul_ps(d, _mm256_cvtepi32_ps(s)))
                acc = _mm256_fmadd_ps(r, dx, acc)
            case .gemv:
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), dd, acc)
                accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), dm, accMin)
            case .gemm:
                break
            }
        }
        store(fold == .tiled ? acc : _mm256_sub_ps(acc, accMin), out, rows)
    }

    /// Q4_K panel · Q8_K in the tiled kernel's order (`GGMLTiledKQuant.q4_K`).
    static func q4_KTiledPanel(
        _ panel: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        q4_KPanel(.tiled, panel, x, count, out, rows)
    }

    /// Q4_K panel · Q8_K in the repacked gemv's order (`GGMLRepack8x8.q4_K`).
    static func q4_KGEMVPanel(
        _ panel: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        q4_KPanel(.gemv, panel, x, count, out, rows)
    }

    /// Q4_K panel · Q8_K in the repacked gemm's order (`GGMLRepack8x8.q4_KGEMM`).
    static func q4_KGEMMPanel(
        _ panel: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        q4_KPanel(.gemm, panel, x, count, out, rows)
    }

    // MARK: Q6_K

    /// Σ over sub-block `s` (16 elements) of sc·q·q_x with the unsigned quants (0…63): int32 lane r = row r.
    @inline(__always)
    static func q6_KSubBlock(_ pb: UnsafeRawPointer, _ xb: UnsafeRawPointer, _ s: Int) -> __m256i {
        let q = q6_KQuants + 128 * s, x = 4 + 16 * s  // groups 4s ..< 4s + 4
        let a = _mm256_add_epi16(_mm256_maddubs_epi16(load(pb, q), broadcastQuad(xb, x)),
                                 _mm256_maddubs_epi16(load(pb, q + 32), broadcastQuad(xb, x + 4)))
        let c = _mm256_add_epi16(_mm256_maddubs_epi16(load(pb, q + 64), broadcastQuad(xb, x + 8)),
                                 _mm256_maddubs_epi16(load(pb, q + 96), broadcastQuad(xb, x + 12)))
        let scale = load(pb, q6_KScales + 32 * s)
        return _mm256_add_epi32(_mm256_madd_epi16(a, scale), _mm256_madd_epi16(c, scale))
    }

    /// Q6_K panel · Q8_K in the tiled kernel's order (`GGMLTiledKQuant.q6_K`). The −32 quant offset is applied once
    /// per block through the activation's bsums: Σ sc·(q−32)·q_x = Σ sc·q·q_x − 32·Σ_g sc_g·bsum_g.
    static func q6_KTiledPanel(
        _ panel: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        var acc = _mm256_setzero_ps()
        for b in 0..<count / 256 {
            let pb = panel + b * q6_KPanelBlockBytes, xb = x + b * BlockLayout.q8_KBytes
            var s = _mm256_setzero_si256(), offset = s
            for sub in 0..<16 { s = _mm256_add_epi32(s, q6_KSubBlock(pb, xb, sub)) }
            for k in 0..<8 {  // (bsum_2k, bsum_2k+1) against (sc_2k, sc_2k+1)
                offset = _mm256_add_epi32(offset, _mm256_madd_epi16(load(pb, q6_KScalePairs + 32 * k),
                                                                    broadcastQuad(xb, 260 + 4 * k)))
            }
            s = _mm256_sub_epi32(s, _mm256_slli_epi32(offset, 5))
            let dx = _mm256_set1_ps(xb.loadUnaligned(as: Float.self))
            acc = _mm256_fmadd_ps(_mm256_mul_ps(loadFloats(pb, 0), _mm256_cvtepi32_ps(s)), dx, acc)
        }
        store(acc, out, rows)
    }
}
#endif
