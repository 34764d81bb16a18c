import KernelsCSupport
import Testing
@testable import Kernels

/// The run-time level choice: CPUID features → supported levels, and the `BITNET_ISA` override rules.
@Suite struct KernelLevelTests {
    @Test func activeLevelIsSupportedAndPrinted() {
        print("kernel level \(KernelLevel.active) (host supports \(KernelLevel.hostSupported.map(\.rawValue))); "
              + "host \(HostCPU.current.model) [\(HostCPU.current.simdFlags.joined(separator: " "))]")
        #expect(KernelLevel.hostSupported.contains(KernelLevel.active))
        #expect(KernelLevel.hostSupported.first == .scalar)
    }

    @Test func cpuidAgreesWithTheKernelsFlags() {
        // /proc/cpuinfo's flags come from the same CPUID bits (and the OS's XCR0 support), so the two must agree.
        guard !HostCPU.current.flags.isEmpty else { return print("skipped: no /proc/cpuinfo flags on this OS") }
        let cpuinfo = ["avx2", "fma", "f16c", "bmi2"].allSatisfy(HostCPU.current.flags.contains)
        #expect(KernelLevel.hostSupported.contains(.avx2) == cpuinfo)
        let avx512 = cpuinfo && ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"]
            .allSatisfy(HostCPU.current.flags.contains)
        #expect(KernelLevel.hostSupported.contains(.avx512) == avx512)
    }

    @Test func avx2NeedsAllFourFeatures() {
        let all = UInt32(BITNET_CPU_AVX2 | BITNET_CPU_FMA | BITNET_CPU_F16C | BITNET_CPU_BMI2)
        #expect(KernelLevel.supported(features: all) == [.scalar, .avx2])
        #expect(KernelLevel.supported(features: all & ~UInt32(BITNET_CPU_F16C)) == [.scalar])
        #expect(KernelLevel.supported(features: 0) == [.scalar])
    }

    @Test func avx512NeedsAVX2AndAllFiveFeatures() {
        let avx2 = UInt32(BITNET_CPU_AVX2 | BITNET_CPU_FMA | BITNET_CPU_F16C | BITNET_CPU_BMI2)
        let avx512 = UInt32(BITNET_CPU_AVX512F | BITNET_CPU_AVX512BW | BITNET_CPU_AVX512VL | BITNET_CPU_AVX512DQ
                            | BITNET_CPU_AVX512VNNI)
        #expect(KernelLevel.supported(features: avx2 | avx512) == [.scalar, .avx2, .avx512])
        #expect(KernelLevel.supported(features: avx2 | avx512 & ~UInt32(BITNET_CPU_AVX512VNNI)) == [.scalar, .avx2])
        #expect(KernelLevel.supported(features: avx512) == [.scalar])  // never without the AVX2 level's features
    }

    @Test func armLevelsFollowHWCAP() {
        let neon = UInt32(BITNET_CPU_NEON), dotprod = UInt32(BITNET_CPU_DOTPROD)
        #expect(KernelLevel.supported(features: neon | dotprod) == [.scalar, .neon, .dotprod])
        #expect(KernelLevel.supported(features: neon) == [.scalar, .neon])
        #expect(KernelLevel.supported(features: dotprod) == [.scalar])  // SDOT is an Advanced SIMD extension
        #expect(KernelLevel.resolve(requested: "neon", supported: [.scalar, .neon, .dotprod]) == .success(.neon))
        #expect(!KernelLevel.neon.givesX86V3Bits && !KernelLevel.dotprod.givesX86V3Bits)
        #expect(KernelLevel.avx2.givesX86V3Bits && KernelLevel.avx512.givesX86V3Bits)
    }

    @Test func overrideLowersButNeverRaises() {
        #expect(KernelLevel.resolve(requested: nil, supported: [.scalar, .avx2]) == .success(.avx2))
        #expect(KernelLevel.resolve(requested: " ", supported: [.scalar, .avx2]) == .success(.avx2))
        #expect(KernelLevel.resolve(requested: "SCALAR", supported: [.scalar, .avx2]) == .success(.scalar))
        #expect(KernelLevel.resolve(requested: "avx2", supported: [.scalar])
                == .failure(.unsupported(.avx2, supported: [.scalar])))
        #expect(KernelLevel.resolve(requested: "avx512", supported: [.scalar, .avx2])
                == .failure(.unsupported(.avx512, supported: [.scalar, .avx2])))
        #expect(KernelLevel.resolve(requested: "avx1024", supported: [.scalar, .avx2]) == .failure(.unknown("avx1024")))
    }
}
