// Shared helpers of the AVX-512 kernels (AVX-512 F/BW/VL/DQ + VNNI, on top of x86-64-v3).
//
// As in KernelsAVX2, this target is built with no ISA flags: every function in it is compiled for this level by the
// `BITNET_AVX512_BEGIN` / `BITNET_AVX512_END` region, and Swift calls in here only after `KernelLevel.active` has
// found every one of these features (CPUID + the ZMM/opmask state in XCR0).
//
// Arithmetic rule: each kernel gives the bits of the AVX2 kernel of the same name, which are those of llama.cpp's
// x86-64-v3 build. The wider level changes only how the exact integer parts are computed: `vpdpbusd` (VNNI) forms
// the same int32 lane sums that AVX2's `vpmaddubsw` + `vpmaddwd` pair forms (each int32 lane is the sum of the same
// four adjacent byte products, and integer addition does not depend on order), and AVX-512VL's 32 vector registers
// let one pass keep four activation rows' accumulators without spilling. Every floating-point operation, and its
// order, is the AVX2 kernel's.
#ifndef BITNET_KERNELS_AVX512_INTERNAL_H
#define BITNET_KERNELS_AVX512_INTERNAL_H

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)

// The AVX2 level's helpers (loads, F16 widening, `bn_hsum`, `bn_wrapped_sum`): AVX2-target inline functions, which
// inline into the AVX-512 functions here (their features are a subset), so both levels share one copy.
#include "../KernelsAVX2/avx2.h"

#define BITNET_AVX512_BEGIN                                                                                       \
    _Pragma("clang attribute push (__attribute__((target(\"avx2,fma,f16c,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\"))), apply_to = function)")
#define BITNET_AVX512_END _Pragma("clang attribute pop")

#define BN5_INLINE static inline __attribute__((always_inline))

BITNET_AVX512_BEGIN

BN5_INLINE const uint8_t *bn5_at(const void *p, ptrdiff_t offset) { return (const uint8_t *)p + offset; }

/// Hints the CPU to fetch `lines` consecutive 64-byte lines from `address` (a hint: never faults, so the address may
/// lie past a buffer, which pointer arithmetic could not express).
BN5_INLINE void bn5_prefetch(uintptr_t address, int lines) {
    for (int line = 0; line < lines; line++) __builtin_prefetch((const uint8_t *)address + 64 * line, 0, 3);
}

/// The 2-bit codes at bit `shift` of every byte of `raw`.
BN5_INLINE __m256i bn5_codes(__m256i raw, int shift) {
    return _mm256_and_si256(_mm256_srli_epi16(raw, shift), _mm256_set1_epi8(3));
}

/// `acc` + unsigned bytes `a` · signed bytes `b` summed in groups of four per int32 lane (exact).
BN5_INLINE __m256i bn5_dpbusd(__m256i acc, __m256i a, __m256i b) { return _mm256_dpbusd_epi32(acc, a, b); }

/// The two halves' horizontal sums of a pair accumulator (`bn_hsum` of each): the pair tiles' and the decode rows'
/// per-output finish.
BN5_INLINE void bn5_pair_sums(__m512 acc, float *low, float *high) {
    *low = bn_hsum(_mm512_castps512_ps256(acc));
    *high = bn_hsum(_mm512_extractf32x8_ps(acc, 1));
}

BITNET_AVX512_END

#endif  // __x86_64__
#endif
