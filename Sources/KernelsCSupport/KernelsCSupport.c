// CPU feature detection for the run-time kernel level (the rest of the module is header-only inline functions).
#include "KernelsCSupport.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// XCR0: which register states the operating system saves on a context switch.
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

unsigned int bitnet_cpu_features(void) {
    unsigned int eax, ebx, ecx, edx, features = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int leaf1_ecx = ecx;
    if (leaf1_ecx & (1u << 20)) features |= BITNET_CPU_SSE42;
    // YMM state (SSE and AVX bits of XCR0) must be enabled by the OS before any AVX instruction may run.
    const int osxsave = (leaf1_ecx >> 27) & 1;
    const unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    const int ymm = (xcr0 & 0x6) == 0x6;
    const int zmm = ymm && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM0-15 upper halves, ZMM16-31
    if (!ymm) return features;
    if (leaf1_ecx & (1u << 28)) features |= BITNET_CPU_AVX;
    if (leaf1_ecx & (1u << 12)) features |= BITNET_CPU_FMA;
    if (leaf1_ecx & (1u << 29)) features |= BITNET_CPU_F16C;
    if (__get_cpuid_max(0, 0) < 7) return features;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const unsigned int leaf7_ebx = ebx, leaf7_ecx = ecx, leaf7_max = eax;
    if (leaf7_ebx & (1u << 5)) features |= BITNET_CPU_AVX2;
    if (leaf7_ebx & (1u << 8)) features |= BITNET_CPU_BMI2;
    unsigned int leaf71_eax = 0;
    if (leaf7_max >= 1) {
        __cpuid_count(7, 1, eax, ebx, ecx, edx);
        leaf71_eax = eax;
    }
    if (leaf71_eax & (1u << 4)) features |= BITNET_CPU_AVXVNNI;
    if (!zmm) return features;
    if (leaf7_ebx & (1u << 16)) features |= BITNET_CPU_AVX512F;
    if (leaf7_ebx & (1u << 17)) features |= BITNET_CPU_AVX512DQ;
    if (leaf7_ebx & (1u << 30)) features |= BITNET_CPU_AVX512BW;
    if (leaf7_ebx & (1u << 31)) features |= BITNET_CPU_AVX512VL;
    if (leaf7_ecx & (1u << 11)) features |= BITNET_CPU_AVX512VNNI;
    if (leaf71_eax & (1u << 5)) features |= BITNET_CPU_AVX512BF16;
    return features;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>

unsigned int bitnet_cpu_features(void) {
    const unsigned long hwcap = getauxval(AT_HWCAP);
    unsigned int features = 0;
    if (hwcap & (1ul << 1)) features |= BITNET_CPU_NEON;      // HWCAP_ASIMD
    if (hwcap & (1ul << 20)) features |= BITNET_CPU_DOTPROD;  // HWCAP_ASIMDDP
    return features;
}
#elif defined(__aarch64__)
unsigned int bitnet_cpu_features(void) { return BITNET_CPU_NEON; }
#else
unsigned int bitnet_cpu_features(void) { return 0; }
#endif
