#ifndef BITNET_KERNELS_C_SUPPORT_H
#define BITNET_KERNELS_C_SUPPORT_H

/// Hints the CPU to fetch the cache line holding `address` into all cache levels (`prefetcht0` on x86-64).
/// A hint only: it never faults, so `address` may lie past the end of a buffer.
/// In C because Swift has no prefetch: `_mm_prefetch` is a macro and `_m_prefetch` a builtin the importer drops.
static inline __attribute__((always_inline)) void bitnet_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// CPU features that decide which kernel level may run, as bits of `bitnet_cpu_features()`. A bit is set only
/// when the CPU has the instructions *and* the operating system saves the registers they use (XCR0), so code of
/// that level can run. Bits for other architectures stay clear.
enum {
    BITNET_CPU_SSE42 = 1 << 0,
    BITNET_CPU_AVX = 1 << 1,
    BITNET_CPU_AVX2 = 1 << 2,
    BITNET_CPU_FMA = 1 << 3,
    BITNET_CPU_F16C = 1 << 4,
    BITNET_CPU_BMI2 = 1 << 5,
    BITNET_CPU_AVX512F = 1 << 6,
    BITNET_CPU_AVX512BW = 1 << 7,
    BITNET_CPU_AVX512VL = 1 << 8,
    BITNET_CPU_AVX512DQ = 1 << 9,
    BITNET_CPU_AVX512VNNI = 1 << 10,
    BITNET_CPU_AVX512BF16 = 1 << 11,
    BITNET_CPU_AVXVNNI = 1 << 12,
    // AArch64 (from the kernel's HWCAP): Advanced SIMD, and the SDOT/UDOT dot-product instructions.
    BITNET_CPU_NEON = 1 << 16,
    BITNET_CPU_DOTPROD = 1 << 17,
};

/// This CPU's `BITNET_CPU_*` bits, read with CPUID and XGETBV (x86-64), or from `getauxval(AT_HWCAP)` (AArch64
/// Linux; on other AArch64 systems Advanced SIMD alone, which every AArch64 CPU has); 0 elsewhere. Plain C with no ISA flags,
/// so it runs on any x86-64 CPU before any wider code does.
unsigned int bitnet_cpu_features(void);

#endif
