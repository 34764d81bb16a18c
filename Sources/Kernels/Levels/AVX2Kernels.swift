#if arch(x86_64)
import GGUF
import KernelsAVX2

/// The AVX2 level's table: one row per weight type and per routed kernel, each entry a C function of the
/// `KernelsAVX2` target (compiled for AVX2 + FMA + F16C + BMI2 there). The engine calls them when
/// `KernelLevel.active` is `.avx2`; tests call them only when `KernelLevel.hostSupported` holds `.avx2`. The kernels
/// follow the routes llama.cpp's `x86-64-v3` build takes, bit for bit.
enum AVX2Kernels {
    /// The `vec_dot` kernel of `type` with its multi-row and batch forms, where they exist.
    static func kernels(for type: GGMLType) -> LevelKernels {
        switch type {
        case .f16: LevelKernels(dot: bitnet_avx2_dot_f16, rows: bitnet_avx2_rows_f16)
        case .bf16: LevelKernels(dot: bitnet_avx2_dot_bf16)
        case .q8_0:
            LevelKernels(dot: bitnet_avx2_dot_q8_0, rows: bitnet_avx2_rows_q8_0,
                         prefill: signedBlockPrefill { bitnet_avx2_unpack_q8_0($0, $1, $2, $3, $4) })
        case .q4_0: LevelKernels(dot: bitnet_avx2_dot_q4_0)
        case .q4_1:
            LevelKernels(
                dot: bitnet_avx2_dot_q4_1, rows: bitnet_avx2_rows_q4_1,
                prefill: PrefillKernel(rowBytes: { $0 / 32 * Int(BITNET_AVX2_Q4_1_UNPACKED_BLOCK_BYTES) },
                                       unpack: { bitnet_avx2_unpack_q4_1($0, $1, $2, $3, $4) },
                                       rows: bitnet_avx2_unpacked_rows_q4_1,
                                       packedTile: bitnet_avx2_packed_tile_q4_1))
        case .q5_0:
            LevelKernels(dot: bitnet_avx2_dot_q5_0, rows: bitnet_avx2_rows_q5_0,
                         prefill: signedBlockPrefill { bitnet_avx2_unpack_q5_0($0, $1, $2, $3, $4) })
        case .q4_K: LevelKernels(dot: bitnet_avx2_dot_q4_K)
        case .q5_K: LevelKernels(dot: bitnet_avx2_dot_q5_K)
        case .iq4_nl: LevelKernels(dot: bitnet_avx2_dot_iq4_nl)
        case .iq4_xs: LevelKernels(dot: bitnet_avx2_dot_iq4_xs)
        case .q2_K: LevelKernels(dot: bitnet_avx2_dot_q2_K)
        case .q3_K: LevelKernels(dot: bitnet_avx2_dot_q3_K)
        case .q6_K: LevelKernels(dot: bitnet_avx2_dot_q6_K, rows: bitnet_avx2_rows_q6_K)
        case .tq1_0: LevelKernels(dot: bitnet_avx2_dot_tq1_0)
        case .tq2_0:
            LevelKernels(dot: bitnet_avx2_dot_tq2_0, rows: bitnet_avx2_rows_tq2_0,
                         prefill: inPlaceRowsPrefill(rowBytes: { $0 / 256 * BlockLayout.tq2_0Bytes },
                                                     rows: bitnet_avx2_rows_tq2_0,
                                                     rowPairs: { bitnet_avx2_row_pairs_tq2_0($0, $1, $2, $3, $4, $5, $6, $7) }))
        case .i2_s:
            LevelKernels(dot: bitnet_avx2_dot_i2_s, rows: bitnet_avx2_rows_i2_s,
                         prefill: inPlaceRowsPrefill(rowBytes: { $0 / 4 }, rows: bitnet_avx2_rows_i2_s,
                                                     rowPairs: { bitnet_avx2_row_pairs_i2_s($0, $1, $2, $3, $4, $5, $6, $7) }))
        default: LevelKernels(dot: bitnet_avx2_dot_f32)
        }
    }

    /// A routed kernel (`DotKernel.Route`): the repacked 8×8, tiled K-quant and tinyBLAS orders.
    static func kernels(for type: GGMLType, route: DotKernel.Route) -> LevelKernels {
        switch (type, route) {
        case (.q4_0, .repack8x8): LevelKernels(dot: bitnet_avx2_repack_q4_0)
        case (.q4_K, .repack8x8): LevelKernels(dot: bitnet_avx2_repack_q4_K, prefill: q4_KPanels(bitnet_avx2_panel_q4_K_gemv))
        case (.q4_K, .repack8x8GEMM):
            LevelKernels(dot: bitnet_avx2_repack_q4_K_gemm, prefill: q4_KPanels(bitnet_avx2_panel_q4_K_gemm))
        case (.q4_K, .tiled): LevelKernels(dot: bitnet_avx2_tiled_q4_K, prefill: q4_KPanels(bitnet_avx2_panel_q4_K_tiled))
        case (.q5_K, .tiled):
            LevelKernels(dot: bitnet_avx2_tiled_q5_K,
                         prefill: PrefillKernel(rowBytes: { $0 / 256 * panelBlockBytes(q6_K: false) },
                                                unpack: { bitnet_avx2_unpack_q5_K_panels($0, $1, $2, $3, $4) },
                                                rows: bitnet_avx2_panel_q5_K_tiled, tileRows: panelRows))
        case (.q2_K, .tiled): LevelKernels(dot: bitnet_avx2_tiled_q2_K)
        case (.iq4_nl, .repack8x8): LevelKernels(dot: bitnet_avx2_repack_iq4_nl)
        case (.iq4_xs, .tiled): LevelKernels(dot: bitnet_avx2_tiled_iq4_xs)
        case (.q3_K, .tiled):
            LevelKernels(dot: bitnet_avx2_tiled_q3_K,
                         prefill: PrefillKernel(rowBytes: { $0 / 256 * panelBlockBytes(q6_K: true) },
                                                unpack: { bitnet_avx2_unpack_q3_K_panels($0, $1, $2, $3, $4) },
                                                rows: bitnet_avx2_panel_q3_K_tiled, tileRows: panelRows))
        case (_, .repack4x4), (_, .repack8x4), (_, .repackARMGEMM), (_, .tinyBLASARM): LevelKernels(dot: DotKernel.routedScalarDot(type, route))  // ARM64 routes
        case (.bf16, .tinyBLAS): LevelKernels(dot: bitnet_avx2_tinyblas_bf16, rows: bitnet_avx2_tinyblas_rows_bf16)
        case (.f32, .tinyBLAS): LevelKernels(dot: bitnet_avx2_tinyblas_f32, rows: bitnet_avx2_tinyblas_rows_f32)
        case (.f16, .tinyBLAS): LevelKernels(dot: bitnet_avx2_tinyblas_f16, rows: bitnet_avx2_tinyblas_rows_f16)
        default:  // (.q6_K, .tiled)
            LevelKernels(
                dot: bitnet_avx2_tiled_q6_K,
                prefill: PrefillKernel(rowBytes: { $0 / 256 * panelBlockBytes(q6_K: true) },
                                       unpack: { bitnet_avx2_unpack_q6_K_panels($0, $1, $2, $3, $4) },
                                       rows: bitnet_avx2_panel_q6_K_tiled, tileRows: panelRows))
        }
    }

    /// Rows per K-quant panel (8 weight rows interleaved block by block).
    static let panelRows = Int(BITNET_AVX2_KQUANT_PANEL_ROWS)

    /// Bytes of one 256-element block of one row in a K-quant panel.
    static func panelBlockBytes(q6_K: Bool) -> Int {
        Int(q6_K ? BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES : BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES) / panelRows
    }

    /// Q4_K's batch form: its three routes share one panel layout, so the gemm and gemv rows of one matmul read
    /// the same decoded panels.
    static func q4_KPanels(_ rows: RowsDotFunction) -> PrefillKernel {
        PrefillKernel(rowBytes: { $0 / 256 * panelBlockBytes(q6_K: false) },
                      unpack: { bitnet_avx2_unpack_q4_K_panels($0, $1, $2, $3, $4) }, rows: rows, tileRows: panelRows)
    }

    /// The ternary formats' batch form: the stored rows are already what the kernels read (`inPlace`; `unpack` is
    /// a plain copy), and two activation rows share each pass (`rowPairs`) — the decode kernels' arithmetic, so the
    /// same bits.
    static func inPlaceRowsPrefill(
        rowBytes: @escaping @Sendable (Int) -> Int, rows: RowsDotFunction, rowPairs: @escaping RowPairsDotFunction
    ) -> PrefillKernel {
        PrefillKernel(rowBytes: rowBytes,
                      unpack: { w, stride, count, n, out in
                          let bytes = rowBytes(count)
                          for r in 0..<n { (out + r * bytes).copyMemory(from: w + r * stride, byteCount: bytes) }
                      },
                      rows: rows, rowPairs: rowPairs, inPlace: true)
    }

    /// Q8_0 and Q5_0 share the unpacked signed layout, its kernels and the split activations; only the unpacker
    /// differs.
    static func signedBlockPrefill(
        _ unpack: @escaping @Sendable (UnsafeRawPointer, Int, Int, Int, UnsafeMutableRawPointer) -> Void
    ) -> PrefillKernel {
        PrefillKernel(rowBytes: { $0 / 32 * Int(BITNET_AVX2_Q8_0_UNPACKED_BLOCK_BYTES) }, unpack: unpack,
                      rows: bitnet_avx2_unpacked_rows_q8_0,
                      rowPairs: { bitnet_avx2_unpacked_row_pairs_q8_0($0, $1, $2, $3, $4, $5, $6, $7) },
                      activation: .q8_0Split)
    }
}
#endif
