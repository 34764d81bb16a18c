#ifndef BITNET_KERNELS_C_SUPPORT_H
#define BITNET_KERNELS_C_SUPPORT_H

/// Hints the CPU to fetch the cache line holding `address` into all cache levels (`prefetcht0` on x86-64).
/// A hint only: it never faults, so `address` may lie past the end of a buffer.
/// In C because Swift has no prefetch: `_mm_prefetch` is a macro and `_m_prefetch` a builtin the importer drops.
static inline __attribute__((always_inline)) void bitnet_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
