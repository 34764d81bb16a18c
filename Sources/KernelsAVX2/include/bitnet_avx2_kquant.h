#ifndef BITNET_AVX2_KQUANT_H
#define BITNET_AVX2_KQUANT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// Prefill form of the routed Q4_K and Q6_K kernels: a panel of 8 weight rows is decoded once into an interleaved
// layout (4 consecutive quants of the 8 rows in one 32-byte vector, row r in bytes 4r ..< 4r + 4; per-row scales and
// mins spread the same way), then every Q8_K activation row of the batch is dotted against all 8 rows at once. Each
// panel kernel gives, per row, the bits of the route it stands for (tiled, repacked gemv, repacked gemm), because the
// routes differ only in the float fold over exact integer block sums and the fold here is theirs, lane-wise.
// Callers must have found AVX2 and FMA.

/// Layout constants: weight rows per panel, and the bytes one 256-element super-block takes in a panel.
enum {
    BITNET_AVX2_KQUANT_PANEL_ROWS = 8,
    BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES = 2496,
    BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES = 2848,
};

/// Decodes `rows` (≤ 8 are used) Q4_K rows of `count` columns, `stride` bytes apart from `w`, into one panel at
/// `out` (`count / 256 * BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES` bytes). A partial panel's missing rows are zeros.
void bitnet_avx2_unpack_q4_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// As `bitnet_avx2_unpack_q4_K_panels` for Q5_K rows: the same panel layout with 5-bit quants.
void bitnet_avx2_unpack_q5_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// As `bitnet_avx2_unpack_q4_K_panels` for Q6_K rows (`BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES` per super-block).
void bitnet_avx2_unpack_q6_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

// The panel kernels follow the rows contract with the panel as `w`: `out[r]` for `r < rows` is weight row r of the
// panel · the Q8_K row `x` (`count / 256` blocks); `stride` is ignored, the panel being one unit.

/// Q4_K panel · Q8_K in the tiled kernel's order: per block `fma(fma(−dmin, M, d·S), d_x, acc)`.
void bitnet_avx2_panel_q4_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows);

/// A Q5_K panel (`bitnet_avx2_unpack_q5_K_panels`) · one Q8_K row in the tiled order (Q4_K's epilogue).
void bitnet_avx2_panel_q5_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows);

/// Q3_K rows into Q6_K's panel layout (quants 0…7, signed scales, `BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES` per block).
void bitnet_avx2_unpack_q3_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// A Q3_K panel · one Q8_K row in the tiled order (Q6_K's epilogue, offset 4).
void bitnet_avx2_panel_q3_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows);

/// Q4_K panel · Q8_K in the repacked gemv's order: `fma(S, d·d_x, acc)` and `fma(M, dmin·d_x, accMin)` per block,
/// then `acc − accMin`.
void bitnet_avx2_panel_q4_K_gemv(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                 ptrdiff_t rows);

/// Q4_K panel · Q8_K in the repacked gemm's order: as the gemv's, once per 64-element pair of sub-blocks.
void bitnet_avx2_panel_q4_K_gemm(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                 ptrdiff_t rows);

/// Q6_K panel · Q8_K in the tiled kernel's order: per block `fma(d·S, d_x, acc)`, the −32 quant offset taken out of S
/// once per block through the activation's bsums.
void bitnet_avx2_panel_q6_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
