// Off AArch64 the ARM kernels do not exist; these definitions only let the Swift table that names them link. They are
// unreachable: `KernelLevel` offers `neon`/`dotprod` only on a CPU whose features say AArch64 (and a bad override is
// refused), so no table entry below is ever called.
#include "bitnet_neon.h"

#if !defined(__aarch64__)
#define BN_UNAVAILABLE(name) \
    float name(const void *w, const void *x, ptrdiff_t count) { (void)w, (void)x, (void)count; __builtin_trap(); }
BN_UNAVAILABLE(bitnet_neon_dot_f32)
BN_UNAVAILABLE(bitnet_neon_dot_f16)
BN_UNAVAILABLE(bitnet_neon_dot_bf16)
BN_UNAVAILABLE(bitnet_neon_dot_q8_0)
BN_UNAVAILABLE(bitnet_neon_dot_q4_0)
BN_UNAVAILABLE(bitnet_neon_dot_q4_1)
BN_UNAVAILABLE(bitnet_neon_dot_q5_0)
BN_UNAVAILABLE(bitnet_neon_dot_tq2_0)
BN_UNAVAILABLE(bitnet_neon_dot_i2_s)
BN_UNAVAILABLE(bitnet_dotprod_dot_q8_0)
BN_UNAVAILABLE(bitnet_dotprod_dot_q4_0)
BN_UNAVAILABLE(bitnet_dotprod_dot_q4_1)
BN_UNAVAILABLE(bitnet_dotprod_dot_q5_0)
BN_UNAVAILABLE(bitnet_dotprod_dot_tq2_0)
BN_UNAVAILABLE(bitnet_dotprod_dot_i2_s)
BN_UNAVAILABLE(bitnet_neon_dot_q4_K)
BN_UNAVAILABLE(bitnet_neon_dot_q6_K)
BN_UNAVAILABLE(bitnet_neon_dot_tq1_0)
BN_UNAVAILABLE(bitnet_dotprod_dot_q4_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_q6_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_tq1_0)
BN_UNAVAILABLE(bitnet_neon_dot_q2_K)
BN_UNAVAILABLE(bitnet_neon_dot_q3_K)
BN_UNAVAILABLE(bitnet_neon_dot_q5_K)
BN_UNAVAILABLE(bitnet_neon_dot_iq4_nl)
BN_UNAVAILABLE(bitnet_neon_dot_iq4_xs)
BN_UNAVAILABLE(bitnet_dotprod_dot_q2_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_q3_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_q5_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_iq4_nl)
BN_UNAVAILABLE(bitnet_dotprod_gemv_q4_0)
BN_UNAVAILABLE(bitnet_dotprod_gemv_q8_0)
BN_UNAVAILABLE(bitnet_dotprod_gemv_iq4_nl)
BN_UNAVAILABLE(bitnet_dotprod_gemv_q4_K)
BN_UNAVAILABLE(bitnet_dotprod_dot_iq4_xs)
#endif
