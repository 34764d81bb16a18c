#ifndef BITNET_NEON_H
#define BITNET_NEON_H

#include <stddef.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

// The ARM64 levels' dot products (the `RowDotFunction` contract: weight row · activation row of `count` elements in
// the weight type's activation format). Each gives exactly the bits of llama.cpp's own ARM dot product for the type
// (`ggml_vec_dot_*`, as its armv8.0_1 build computes them at `neon` and its armv8.2_1 build at `dotprod`; I2_S, not a
// llama.cpp type, the scalar reference's): the integer products are formed with Advanced SIMD (`neon`: SMULL +
// SADALP, baseline AArch64) or with SDOT (`dotprod`, `__attribute__((target("dotprod")))`, called only when the CPU
// reports it), and every float operation runs in ggml's ARM order (docs/kernels.md). Checked under qemu-aarch64
// against llama.cpp's ARM build (Tests/NEONDriver, `NEONEmulationTests`).
//
// Declared on every architecture so that the Swift table (`NEONKernels`) is type-checked on x86-64 hosts too; off
// AArch64 the definitions trap (`unavailable.c`), and no level that uses them can become active there.

float bitnet_neon_dot_f32(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_f16(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_bf16(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q8_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q4_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q4_1(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q5_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_tq2_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_i2_s(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q4_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q6_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_tq1_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q2_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q3_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_q5_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_iq4_nl(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_dot_iq4_xs(const void *w, const void *x, ptrdiff_t count);

float bitnet_dotprod_dot_q8_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q4_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q4_1(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q5_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_tq2_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_i2_s(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q4_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q6_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_tq1_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q2_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q3_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_q5_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_iq4_nl(const void *w, const void *x, ptrdiff_t count);

// llama.cpp's `dotprod` decode route for weights it repacks 4 rows at a time (Q4_0, Q8_0, IQ4_NL with a multiple of
// 4 rows): one row of ggml_gemv_*_4x4_q8_0, computed on the original layout (`GGMLRepack4x4`).
float bitnet_dotprod_gemv_q4_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_gemv_q8_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_gemv_iq4_nl(const void *w, const void *x, ptrdiff_t count);
// The same for Q4_K and Q5_K weights of a multiple of 8 rows: one row of ggml_gemv_q4_K/q5_K_8x4_q8_K
// (`GGMLRepack8x4`).
float bitnet_dotprod_gemv_q4_K(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_gemv_q5_K(const void *w, const void *x, ptrdiff_t count);
// Their batch forms (activation rows in whole groups of 4) where the order differs from the gemv's: one row of
// ggml_gemm_q8_0_4x4_q8_0 / ggml_gemm_q6_K_8x4_q8_K.
float bitnet_dotprod_gemm_q8_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_gemm_q6_K(const void *w, const void *x, ptrdiff_t count);

// llamafile's tinyBLAS on ARM64: F32 weights (both levels) and Q4_0/Q8_0 weights llama.cpp did not repack (dotprod);
// one output of its batch kernels (`GGMLTinyBLASARM`).
float bitnet_neon_tinyblas_f32(const void *w, const void *x, ptrdiff_t count);
float bitnet_neon_tinyblas_f16(const void *w, const void *x, ptrdiff_t count);  // `x` F32
float bitnet_dotprod_tinyblas_q4_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_tinyblas_q8_0(const void *w, const void *x, ptrdiff_t count);
float bitnet_dotprod_dot_iq4_xs(const void *w, const void *x, ptrdiff_t count);

#pragma clang assume_nonnull end
#endif
