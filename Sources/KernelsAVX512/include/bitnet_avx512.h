#ifndef BITNET_AVX512_H
#define BITNET_AVX512_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// The AVX-512 level's kernels (AVX-512 F/BW/VL/DQ + VNNI). Each gives, bit for bit, the result of the AVX2 kernel
// of the same name (KernelsAVX2), i.e. of llama.cpp's x86-64-v3 route; only the integer products are computed with
// VNNI and more rows are kept in flight. Callers must have found every one of those features (`KernelLevel`).

// MARK: TQ2_0 · Q8_K

/// One row (`bitnet_avx2_dot_tq2_0`'s bits).
float bitnet_avx512_dot_tq2_0(const void *w, const void *x, ptrdiff_t count);

/// Four rows per pass, with the AVX2 kernels' prefetch (`bitnet_avx2_rows_tq2_0`'s bits).
void bitnet_avx512_rows_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                              ptrdiff_t rows);

/// A tile (the `TileDotFunction` contract): `y[t · yStride + r] = dot(w + r · stride, x + t · xStride)` for
/// `t < xRows`, `r < rows`: two weight rows against four activation rows per pass (each weight block's codes decoded
/// once for the four, each activation load shared by the two rows; 8 accumulators in the 32 vector registers).
void bitnet_avx512_tile_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                              ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

// MARK: I2_S · I8 (count a multiple of 128; the I8 row's trailer: F32 multiplier at byte count, Int32 Σq at count + 4)

/// One row (`bitnet_avx2_dot_i2_s`'s bits).
float bitnet_avx512_dot_i2_s(const void *w, const void *x, ptrdiff_t count);

/// Four rows per pass (`bitnet_avx2_rows_i2_s`'s bits).
void bitnet_avx512_rows_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows);

/// A tile, as `bitnet_avx512_tile_tq2_0`.
void bitnet_avx512_tile_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

// MARK: Q8_0 and Q5_0 · Q8_0 (prefill over the AVX2 level's unpacked 4-row groups, Q8_0-split activations)

/// A tile of rows unpacked by `bitnet_avx2_unpack_q8_0` or `_q5_0` (`stride` = the unpacked row bytes; groups of 4
/// rows at `4 · stride`): four rows by four activation rows per pass, the bits of `bitnet_avx2_unpacked_rows_q8_0`.
void bitnet_avx512_tile_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

// MARK: Q4_1 · Q8_1 (decode)

/// Four rows per pass, two per 512-bit register (`bitnet_avx2_rows_q4_1`'s bits; rows ≥ 1, any count).
void bitnet_avx512_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows);

// MARK: Q8_0 and Q5_0 · Q8_0 (decode)

/// Four rows per pass, two per 512-bit register (`bitnet_avx2_rows_q8_0`'s bits; rows ≥ 1, any count).
void bitnet_avx512_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows);

/// As `bitnet_avx512_rows_q8_0` for Q5_0 rows (`bitnet_avx2_rows_q5_0`'s bits).
void bitnet_avx512_rows_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows);

// MARK: Q4_1 · Q8_1 (prefill over the AVX2 level's unpacked 4-row groups)

/// A tile of rows unpacked by `bitnet_avx2_unpack_q4_1` (`stride` = the unpacked row bytes; groups of 4 rows at
/// `4 · stride`): four rows by four activation rows per pass, the bits of `bitnet_avx2_unpacked_rows_q4_1`.
void bitnet_avx512_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

/// A tile over the stored Q4_1 rows (`stride` = the packed row bytes) for a few activation rows: four rows by four
/// activation rows per pass, each weight block decoded once; the bits of `bitnet_avx2_dot_q4_1` per output.
void bitnet_avx512_packed_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

/// A tile over the stored Q8_0 rows (`stride` = the packed row bytes) against Q8_0-split activations, for a few
/// activation rows: four rows by four activation rows per pass; the bits of `bitnet_avx2_dot_q8_0` per output.
void bitnet_avx512_packed_tile_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

/// `bitnet_avx512_packed_tile_q8_0` over stored Q5_0 rows (the same Q8_0-split activations); the bits of
/// `bitnet_avx2_dot_q5_0` per output.
void bitnet_avx512_packed_tile_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
