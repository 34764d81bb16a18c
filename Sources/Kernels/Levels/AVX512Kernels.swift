#if arch(x86_64)
import GGUF
import KernelsAVX512

/// The AVX-512 level's table: the AVX2 level's rows, with the AVX-512 forms (C functions of the `KernelsAVX512`
/// target, compiled for AVX-512 F/BW/VL/DQ + VNNI there) where a type has them. Every AVX-512 kernel gives its AVX2
/// counterpart's bits, so this level's exact reference is llama.cpp's `x86-64-v3` build, as for `avx2`.
///
/// With AVX-512 forms: Q8_0, Q5_0 and Q4_1 (prefill tiles of four rows by four activation rows, VNNI; for Q8_0 and
/// Q4_1 also tiles over the stored rows, which `matmul` takes for batches of up to 16 rows), TQ2_0 and I2_S
/// (decode rows with VNNI products; prefill tiles of two weight rows by four activation rows). The 32 vector
/// registers hold each tile's accumulators without spilling.
enum AVX512Kernels {
    static func kernels(for type: GGMLType) -> LevelKernels {
        var row = AVX2Kernels.kernels(for: type)
        switch type {
        case .tq2_0:
            row.dot = bitnet_avx512_dot_tq2_0
            row.rows = bitnet_avx512_rows_tq2_0
            row.prefill = tilePrefill(row.prefill, bitnet_avx512_rows_tq2_0, tile: bitnet_avx512_tile_tq2_0)
        case .i2_s:
            row.dot = bitnet_avx512_dot_i2_s
            row.rows = bitnet_avx512_rows_i2_s
            row.prefill = tilePrefill(row.prefill, bitnet_avx512_rows_i2_s, tile: bitnet_avx512_tile_i2_s)
        case .q8_0, .q5_0:  // one unpacked layout (the avx2 unpackers), so one tile kernel
            row.prefill?.tile = bitnet_avx512_tile_q8_0
            // The pair tile over the stored rows: Q8_0's is faster at every batch size.
            if type == .q8_0 {
                row.rows = bitnet_avx512_rows_q8_0
                row.prefill?.packedTile = bitnet_avx512_packed_tile_q8_0
                row.prefill?.packedTileLimit = .max
            } else {
                row.rows = bitnet_avx512_rows_q5_0
                row.prefill?.packedTile = bitnet_avx512_packed_tile_q5_0
            }
        case .q4_1:
            row.rows = bitnet_avx512_rows_q4_1
            row.prefill?.tile = bitnet_avx512_tile_q4_1
            row.prefill?.packedTile = bitnet_avx512_packed_tile_q4_1
        default:
            break
        }
        return row
    }

    /// The ternary formats' in-place batch form with this level's rows and tile kernels (no row pairs: the tile
    /// kernel covers every activation row).
    static func tilePrefill(_ base: PrefillKernel?, _ rows: RowsDotFunction, tile: TileDotFunction) -> PrefillKernel? {
        guard var prefill = base else { return nil }
        prefill.rows = rows
        prefill.rowPairs = nil
        prefill.tile = tile
        return prefill
    }
}
#endif
