import GGUF
import KernelsNEON

/// The ARM64 levels' table: `neon` (baseline AArch64 Advanced SIMD) and `dotprod` (SDOT), C functions of the
/// `KernelsNEON` target. Each gives the bits of llama.cpp's own ARM dot product for its type (ggml's ARM order; I2_S
/// the scalar reference's), checked under qemu-aarch64 against llama.cpp's ARM build by `NEONEmulationTests`; every
/// supported weight type has one. Compiled on every architecture (off AArch64 the C entries trap and these levels are
/// never offered), so x86-64 builds type-check it.
enum NEONKernels {
    static func kernels(for type: GGMLType, dotprod: Bool) -> LevelKernels {
        switch type {
        case .f32: LevelKernels(dot: bitnet_neon_dot_f32)
        case .f16: LevelKernels(dot: bitnet_neon_dot_f16)
        case .bf16: LevelKernels(dot: bitnet_neon_dot_bf16)
        case .q8_0: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q8_0 : bitnet_neon_dot_q8_0)
        case .q4_0: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q4_0 : bitnet_neon_dot_q4_0)
        case .q4_1: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q4_1 : bitnet_neon_dot_q4_1)
        case .q5_0: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q5_0 : bitnet_neon_dot_q5_0)
        case .tq2_0: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_tq2_0 : bitnet_neon_dot_tq2_0)
        case .i2_s: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_i2_s : bitnet_neon_dot_i2_s)
        case .q4_K: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q4_K : bitnet_neon_dot_q4_K)
        case .q6_K: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q6_K : bitnet_neon_dot_q6_K)
        case .tq1_0: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_tq1_0 : bitnet_neon_dot_tq1_0)
        case .q2_K: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q2_K : bitnet_neon_dot_q2_K)
        case .q3_K: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q3_K : bitnet_neon_dot_q3_K)
        case .q5_K: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_q5_K : bitnet_neon_dot_q5_K)
        case .iq4_nl: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_iq4_nl : bitnet_neon_dot_iq4_nl)
        case .iq4_xs: LevelKernels(dot: dotprod ? bitnet_dotprod_dot_iq4_xs : bitnet_neon_dot_iq4_xs)
        default: LevelKernels(dot: DotKernel.scalarDot(type))
        }
    }

    /// A routed kernel: the repacked 4×4 and 8×4 gemvs' order at `dotprod` (the only level llama.cpp repacks at); the
    /// scalar reference otherwise (never chosen there).
    static func kernels(for type: GGMLType, route: DotKernel.Route, dotprod: Bool) -> LevelKernels {
        switch (type, route, dotprod) {
        case (.q4_0, .repack4x4, true): LevelKernels(dot: bitnet_dotprod_gemv_q4_0)
        case (.q8_0, .repack4x4, true): LevelKernels(dot: bitnet_dotprod_gemv_q8_0)
        case (.iq4_nl, .repack4x4, true): LevelKernels(dot: bitnet_dotprod_gemv_iq4_nl)
        case (.q4_K, .repack8x4, true): LevelKernels(dot: bitnet_dotprod_gemv_q4_K)
        case (.q5_K, .repack8x4, true): LevelKernels(dot: bitnet_dotprod_gemv_q5_K)
        case (.q8_0, .repackARMGEMM, true): LevelKernels(dot: bitnet_dotprod_gemm_q8_0)
        case (.q6_K, .repackARMGEMM, true): LevelKernels(dot: bitnet_dotprod_gemm_q6_K)
        case (.f32, .tinyBLASARM, _): LevelKernels(dot: bitnet_neon_tinyblas_f32)
        case (.f16, .tinyBLASARM, _): LevelKernels(dot: bitnet_neon_tinyblas_f16)
        case (.q4_0, .tinyBLASARM, true): LevelKernels(dot: bitnet_dotprod_tinyblas_q4_0)
        case (.q8_0, .tinyBLASARM, true): LevelKernels(dot: bitnet_dotprod_tinyblas_q8_0)
        default: LevelKernels(dot: DotKernel.routedScalarDot(type, route))
        }
    }
}
