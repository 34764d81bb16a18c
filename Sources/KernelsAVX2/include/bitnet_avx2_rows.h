#ifndef BITNET_AVX2_ROWS_H
#define BITNET_AVX2_ROWS_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// Multi-row dot products (the `RowsDotFunction` contract): `rows` weight rows starting at `w`, `stride` bytes apart,
// each dotted with the one activation row `x` of `count` elements, into `out[0 ..< rows]`. Every `out[r]` has the
// bits of the matching single-row kernel of bitnet_avx2_dot.h on row r (same products, same block order, same final
// sum); several rows per pass only overlap their independent chains and share the activation loads. Row-pair forms
// (`RowPairsDotFunction`) dot every row with two activation rows `x0`, `x1` into `out0`, `out1`, again with the
// single-row bits. Callers must have found AVX2, FMA and F16C.

// MARK: decode (rows of the packed weight matrix)

/// Q6_K · Q8_K, four rows per pass (leftover rows through `bitnet_avx2_dot_q6_K`); the bits of that kernel.
void bitnet_avx2_rows_q6_K(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows);

/// Q4_1 · Q8_1, four rows per pass (leftover rows through `bitnet_avx2_dot_q4_1`).
void bitnet_avx2_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows);

/// Q8_0 · Q8_0, four rows per pass (leftover rows through `bitnet_avx2_dot_q8_0`).
void bitnet_avx2_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows);

/// Q5_0 · Q8_0, four rows per pass (leftover rows through `bitnet_avx2_dot_q5_0`).
void bitnet_avx2_rows_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows);

/// TQ2_0 · Q8_K, four rows per pass (leftover rows through `bitnet_avx2_dot_tq2_0`).
void bitnet_avx2_rows_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                            ptrdiff_t rows);

/// TQ2_0 · Q8_K against two activation rows (prefill): each row's codes are extracted once for both.
void bitnet_avx2_row_pairs_tq2_0(const void *w, ptrdiff_t stride, const void *x0, const void *x1, ptrdiff_t count,
                                 float *out0, float *out1, ptrdiff_t rows);

/// I2_S · I8, four rows per pass (leftover rows through `bitnet_avx2_dot_i2_s`). `count` is a multiple of 128; the
/// I8 row's trailer (F32 multiplier at byte `count`, Int32 Σq at `count + 4`) is read once.
void bitnet_avx2_rows_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows);

/// I2_S · I8 against two activation rows (prefill), two weight rows per pass; an odd last row goes through
/// `bitnet_avx2_rows_i2_s` once per activation.
void bitnet_avx2_row_pairs_i2_s(const void *w, ptrdiff_t stride, const void *x0, const void *x1, ptrdiff_t count,
                                float *out0, float *out1, ptrdiff_t rows);

/// F16 · F16, two rows per pass sharing the activation widening (a last odd row through `bitnet_avx2_dot_f16`).
void bitnet_avx2_rows_f16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                          ptrdiff_t rows);

// MARK: prefill (weight tiles unpacked once, every activation row of a batch streamed past them)

/// Bytes one row contributes to one 32-element block of an unpacked tile (groups of 4 rows: 4 × this per block).
/// Q4_1: per row d broadcast to 8 F32 lanes (32), m as one F32 (4), 32 quants as bytes (32). Q8_0 (and Q5_0, which
/// shares the layout): d broadcast to 8 F32 lanes (32), the quants' magnitudes (32), the signed quants (32).
enum { BITNET_AVX2_Q4_1_UNPACKED_BLOCK_BYTES = 68, BITNET_AVX2_Q8_0_UNPACKED_BLOCK_BYTES = 96 };

/// Unpacks `rows` Q4_1 rows of `count` columns (`stride` bytes apart) into `out` in groups of 4 rows, the last group
/// padded with zero rows: ⌈rows / 4⌉ × 4 × (count / 32) × `BITNET_AVX2_Q4_1_UNPACKED_BLOCK_BYTES` bytes.
void bitnet_avx2_unpack_q4_1(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// Unpacks Q8_0 rows into the Q8_0 unpacked layout (sized as Q4_1's, with `BITNET_AVX2_Q8_0_UNPACKED_BLOCK_BYTES`).
void bitnet_avx2_unpack_q8_0(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// Unpacks Q5_0 rows into the Q8_0 unpacked layout: the values q − 16 dot exactly as Q8_0 quants do, so
/// `bitnet_avx2_unpacked_rows_q8_0` gives `bitnet_avx2_dot_q5_0`'s bits.
void bitnet_avx2_unpack_q5_0(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out);

/// Q4_1 · Q8_1 over a buffer from `bitnet_avx2_unpack_q4_1` (`stride` = unpacked bytes per row); same bits as
/// `bitnet_avx2_dot_q4_1` on the packed rows.
void bitnet_avx2_unpacked_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows);

/// Q8_0 · Q8_0-split activations (int8 quants, then one F32 scale per block at byte `count`) over a buffer from
/// `bitnet_avx2_unpack_q8_0` or `bitnet_avx2_unpack_q5_0`; same bits as the single-row kernel of the packed type.
void bitnet_avx2_unpacked_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows);

/// A tile over the stored Q4_1 rows (`stride` = the packed row bytes) against `xRows` Q8_1 activation rows, for a
/// few activation rows: 2 rows × up to 4 activation rows per pass; the bits of `bitnet_avx2_dot_q4_1` per output
/// (`y[t · yStride + r]`).
void bitnet_avx2_packed_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                                  ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows);

/// `bitnet_avx2_unpacked_rows_q8_0` against two activation rows: each unpacked block is loaded once for both.
void bitnet_avx2_unpacked_row_pairs_q8_0(const void *w, ptrdiff_t stride, const void *x0, const void *x1,
                                         ptrdiff_t count, float *out0, float *out1, ptrdiff_t rows);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
