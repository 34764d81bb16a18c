#ifndef BITNET_AVX2_DOT_H
#define BITNET_AVX2_DOT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// One weight row `w` of `count` elements dotted with one activation row `x` in the activation format the weight type
// pairs with (`ActivationFormat`), the `RowDotFunction` contract. `count` is a multiple of the weight type's block
// size; only whole blocks are read. Quantized activations must hold quants in −127…127 (`ActivationQuantizer`): the
// sign trick for signed × signed bytes cannot represent −128. Each function sums in the order of the llama.cpp route
// it stands for, so its result has llama.cpp's bits. Callers must have found AVX2, FMA and F16C.

// MARK: `vec_dot` (the one-token matmul and every batch that no other route takes)

/// Q8_0 · Q8_0: per 32-element block one FMA of d_w·d_x into a single 8-lane chain, then a tree sum.
float bitnet_avx2_dot_q8_0(const void *w, const void *x, ptrdiff_t count);

/// Q4_0 · Q8_0, as `bitnet_avx2_dot_q8_0` with the nibbles offset by −8.
float bitnet_avx2_dot_q4_0(const void *w, const void *x, ptrdiff_t count);

/// Q4_1 · Q8_1: the product chain plus a separate fused chain of m_w·s_x, added at the end.
float bitnet_avx2_dot_q4_1(const void *w, const void *x, ptrdiff_t count);

/// Q5_0 · Q8_0, as `bitnet_avx2_dot_q8_0` with the 5-bit values offset by −16.
float bitnet_avx2_dot_q5_0(const void *w, const void *x, ptrdiff_t count);

/// Q4_K · Q8_K: one FMA of d·d_x per super-block into an 8-lane chain, minus the rounded min terms summed in order.
float bitnet_avx2_dot_q4_K(const void *w, const void *x, ptrdiff_t count);

/// IQ4_NL · Q8_0 in ggml's x86 `vec_dot` order: blocks in pairs into two 8-lane chains, added before the horizontal
/// sum; an odd last block added after it.
float bitnet_avx2_dot_iq4_nl(const void *w, const void *x, ptrdiff_t count);

/// IQ4_XS · Q8_K in ggml's x86 `vec_dot` order: one FMA of d·d_x per super-block into an 8-lane chain.
float bitnet_avx2_dot_iq4_xs(const void *w, const void *x, ptrdiff_t count);

/// IQ4_XS · Q8_K in the tiled kernel's order (Q6_K's epilogue).
float bitnet_avx2_tiled_iq4_xs(const void *w, const void *x, ptrdiff_t count);

/// IQ4_NL · Q8_0 in the repacked kernels' order (Q4_0's: per block acc = fma(S, d·d_x, acc)).
float bitnet_avx2_repack_iq4_nl(const void *w, const void *x, ptrdiff_t count);

/// Q2_K · Q8_K in ggml's x86 `vec_dot` order: per super-block the min lanes (FMA with −d_x·dmin) then the scaled
/// sums (FMA with d_x·d) into one 8-lane chain, horizontal sum at the end.
float bitnet_avx2_dot_q2_K(const void *w, const void *x, ptrdiff_t count);

/// Q3_K · Q8_K in ggml's x86 `vec_dot` order: one FMA of d_x·d per super-block into an 8-lane chain.
float bitnet_avx2_dot_q3_K(const void *w, const void *x, ptrdiff_t count);

/// Q5_K · Q8_K in ggml's x86 `vec_dot` order (Q4_K's, with the fifth bit added to each quant).
float bitnet_avx2_dot_q5_K(const void *w, const void *x, ptrdiff_t count);

/// Q6_K · Q8_K: one FMA of d·d_x per super-block into an 8-lane chain, then a tree sum.
float bitnet_avx2_dot_q6_K(const void *w, const void *x, ptrdiff_t count);

/// TQ1_0 · Q8_K: ternary codes times quants, the −1 offset taken off through the bsums, one FMA per super-block.
float bitnet_avx2_dot_tq1_0(const void *w, const void *x, ptrdiff_t count);

/// TQ2_0 · Q8_K, as `bitnet_avx2_dot_tq1_0` for the 2-bit code layout.
float bitnet_avx2_dot_tq2_0(const void *w, const void *x, ptrdiff_t count);

/// I2_S · I8: the exact integer Σ c·q over the row minus the row's stored Σq, divided by the row's multiplier (the
/// I8 row's trailer: F32 multiplier at byte `count`, Int32 Σq at `count + 4`). `count` is a multiple of 128.
float bitnet_avx2_dot_i2_s(const void *w, const void *x, ptrdiff_t count);

/// F32 · F32 in `ggml_vec_dot_f32`'s order (four FMA chains, the ggml reduction, a float tail).
float bitnet_avx2_dot_f32(const void *w, const void *x, ptrdiff_t count);

/// F16 · F16 (activations rounded to F16) in `ggml_vec_dot_f16`'s order (four FMA chains, a `double` tail).
float bitnet_avx2_dot_f16(const void *w, const void *x, ptrdiff_t count);

/// BF16 · BF16 (activations rounded to BF16) in `ggml_vec_dot_bf16`'s order (four FMA chains, llamafile's lane sum,
/// a `double` tail).
float bitnet_avx2_dot_bf16(const void *w, const void *x, ptrdiff_t count);

// MARK: repacked 8×8 kernels (Q4_0 and Q4_K weights whose row count is a multiple of 8)

/// Q4_0 · Q8_0 in the repacked kernels' order: one scalar FMA of the exact block sum by d_w·d_x per block.
float bitnet_avx2_repack_q4_0(const void *w, const void *x, ptrdiff_t count);

/// Q4_K · Q8_K in the repacked gemv's order: per super-block a scalar FMA of S by d·d_x and of M by dmin·d_x into two
/// accumulators; the result is their difference.
float bitnet_avx2_repack_q4_K(const void *w, const void *x, ptrdiff_t count);

/// Q4_K · Q8_K in the repacked gemm's order: as `bitnet_avx2_repack_q4_K` but one pair of FMAs per 64 elements.
float bitnet_avx2_repack_q4_K_gemm(const void *w, const void *x, ptrdiff_t count);

// MARK: tiled K-quant kernels (prefill batches of a Q4_K or Q6_K weight that is not repacked)

/// Q4_K · Q8_K in the tiled kernel's order: per super-block r = fma(−dmin, M, d·S), then acc = fma(r, d_x, acc).
float bitnet_avx2_tiled_q4_K(const void *w, const void *x, ptrdiff_t count);

/// Q2_K · Q8_K in the tiled kernel's order (Q4_K's epilogue).
float bitnet_avx2_tiled_q2_K(const void *w, const void *x, ptrdiff_t count);

/// Q3_K · Q8_K in the tiled kernel's order (Q6_K's epilogue).
float bitnet_avx2_tiled_q3_K(const void *w, const void *x, ptrdiff_t count);

/// Q5_K · Q8_K in the tiled kernel's order (Q4_K's epilogue).
float bitnet_avx2_tiled_q5_K(const void *w, const void *x, ptrdiff_t count);

/// Q6_K · Q8_K in the tiled kernel's order: per super-block acc = fma(d·S, d_x, acc).
float bitnet_avx2_tiled_q6_K(const void *w, const void *x, ptrdiff_t count);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
