import GGUF

/// The matmul implementations llama.cpp's CPU backend chooses between, and the kernels that reproduce them.
///
/// ggml-cpu does not always run `vec_dot`: on AVX2 a Q4_0 or Q4_K weight with a multiple of 8 rows is repacked at
/// load and always goes through `GGMLRepack8x8` (extra buffer types are tried before `mul_mat`); any other Q4_K or
/// Q6_K weight goes through `GGMLTiledKQuant` once a matmul has `GGMLTiledKQuant.batchFloor` activation rows or
/// more. Each route sums the same exact integers but combines the per-block floats in its own order, so matching
/// llama.cpp bit for bit means picking the same route per matrix and batch size.
extension DotKernel {
    /// A ggml-cpu matmul implementation other than `vec_dot`.
    public enum Route: String, Sendable, CaseIterable {
        /// `ggml-cpu/tiled/` (batched K-quants).
        case tiled
        /// `CPU_REPACK` 8×8 gemv (and Q4_0's gemm, which sums in the same order).
        case repack8x8
        /// `CPU_REPACK` 8×8 gemm where its order differs from the gemv's (Q4_K): activation rows in groups of 4.
        case repack8x8GEMM = "repack8x8-gemm"
        /// llamafile's `tinyBLAS` (F32, F16 and BF16 batches, `GGMLFloat`, `GGMLBF16`).
        case tinyBLAS = "tinyblas"
        /// `CPU_REPACK` 4×4 gemv on ARM64 with dot-product instructions (`GGMLRepack4x4`).
        case repack4x4
        /// `CPU_REPACK` 8×4 K-quant gemv on ARM64 with dot-product instructions (`GGMLRepack8x4`).
        case repack8x4
        /// The ARM64 repacked gemms where their order differs from the gemv's (Q8_0 4×4, Q6_K 8×4): activation rows
        /// in groups of 4.
        case repackARMGEMM = "repack-arm-gemm"
        /// llamafile's tinyBLAS on ARM64 (F32; Q4_0/Q8_0 not repacked, with dot-product instructions;
        /// `GGMLTinyBLASARM`).
        case tinyBLASARM = "tinyblas-arm"
    }

    /// The kernels llama.cpp runs for one weight matrix (`WeightMatrix.kernel(forRow:of:)` picks among them).
    public struct GGMLKernels: Sendable {
        /// Every row of a matmul of fewer than `batchFloor` activation rows.
        public let single: DotKernel
        /// Every row from `batchFloor` activation rows on, when that differs (tiled K-quants, float tinyBLAS).
        public let batched: DotKernel?
        /// The rows of a matmul that fall in whole groups of 4 (all but the last `count % 4`), when that differs
        /// (repacked Q4_K's gemm).
        public let grouped: DotKernel?
        /// The batch size from which `batched` applies (2 for tinyBLAS).
        public var batchFloor = GGMLTiledKQuant.batchFloor
    }

    /// The (type, route) pairs that have kernels, in `DotKernel.all` order after the `vec_dot` kernels.
    static let routedTypes: [(GGMLType, Route)] = [(.q4_0, .repack8x8), (.q4_K, .repack8x8), (.q4_K, .repack8x8GEMM),
                                                   (.q4_K, .tiled), (.q6_K, .tiled), (.bf16, .tinyBLAS),
                                                   (.f32, .tinyBLAS), (.f16, .tinyBLAS), (.q5_K, .tiled),
                                                   (.q2_K, .tiled), (.q3_K, .tiled), (.iq4_nl, .repack8x8),
                                                   (.iq4_xs, .tiled), (.q4_0, .repack4x4), (.q8_0, .repack4x4),
                                                   (.iq4_nl, .repack4x4), (.q4_K, .repack8x4),
                                                   (.q5_K, .repack8x4), (.q8_0, .repackARMGEMM),
                                                   (.q6_K, .repackARMGEMM), (.f32, .tinyBLASARM),
                                                   (.q4_0, .tinyBLASARM), (.q8_0, .tinyBLASARM),
                                                   (.f16, .tinyBLASARM)]

    /// The kernel reproducing `route` for `type`, or nil when that route does not exist for the type.
    public static func kernel(for type: GGMLType, route: Route, path: KernelPath = .simd) -> DotKernel? {
        guard let i = routedTypes.firstIndex(where: { $0 == (type, route) }) else { return nil }
        return all[2 * allTypes.count + 2 * i + (path == .scalar ? 0 : 1)]
    }

    /// The kernels llama.cpp runs for a `type` weight of `rows` rows of `cols` elements, or nil when the type has no
    /// kernel.
    public static func ggmlKernels(for type: GGMLType, rows: Int, cols: Int, path: KernelPath = .simd) -> GGMLKernels? {
        guard let vecDot = kernel(for: type, path: path) else { return nil }
        if GGMLRepack8x8.repacks(type, rows: rows), let gemv = kernel(for: type, route: .repack8x8, path: path) {
            let gemm = kernel(for: type, route: .repack8x8GEMM, path: path)
            return GGMLKernels(single: gemv, batched: nil, grouped: gemm)
        }
        #if arch(x86_64)
        if type == .bf16 || type == .f32 || type == .f16 {  // the same tinyBLAS::matmul rule for all three
            let tinyBLAS = GGMLBF16.tinyBLASTakes(rows: rows) ? kernel(for: type, route: .tinyBLAS, path: path) : nil
            return GGMLKernels(single: vecDot, batched: tinyBLAS, grouped: nil, batchFloor: GGMLBF16.tinyBLASBatchFloor)
        }
        return GGMLKernels(single: vecDot, batched: kernel(for: type, route: .tiled, path: path), grouped: nil)
        #else
        // ARM64 with dot-product instructions: the repacked weights' gemv for decode and the last count % 4 rows of a
        // batch, their gemm for the rest (`grouped`, where its order differs). ggml-cpu's tiled kernel exists for
        // x86 only.
        if type == .f32 || type == .f16 {
            // tinyBLAS at both levels when the rows and columns are multiples of 4: F32 from 4 activation rows, F16
            // (against F32 activations) from 2.
            let tinyBLAS = rows % 4 == 0 && cols % 4 == 0 ? kernel(for: type, route: .tinyBLASARM, path: path) : nil
            return GGMLKernels(single: vecDot, batched: tinyBLAS, grouped: nil, batchFloor: type == .f32 ? 4 : 2)
        }
        if KernelLevel.active == .dotprod {
            // Q6_K is repacked too (rows % 8 == 0), and its gemv has vec_dot's order; its gemm and Q8_0's differ.
            let route: Route? = GGMLRepack4x4.repacks(type, rows: rows) ? .repack4x4
                : GGMLRepack8x4.repacks(type, rows: rows) ? .repack8x4 : nil
            let gemm = (type == .q8_0 && rows % 4 == 0) || (type == .q6_K && rows % 8 == 0)
                ? kernel(for: type, route: .repackARMGEMM, path: path) : nil
            let gemv = route.flatMap { kernel(for: type, route: $0, path: path) } ?? vecDot
            // tinyBLAS takes the batches of the Q4_0 / Q8_0 weights that were not repacked.
            let tinyBLAS = route == nil && (type == .q4_0 || type == .q8_0)
                ? kernel(for: type, route: .tinyBLASARM, path: path) : nil
            return GGMLKernels(single: gemv, batched: tinyBLAS, grouped: gemm, batchFloor: 2)
        }
        return GGMLKernels(single: vecDot, batched: nil, grouped: nil)
        #endif
    }

    /// The routed kernels appended to `all`, indices from `start`: scalar then the active level's per (type, route).
    static func routedKernels(startingAt start: Int) -> [DotKernel] {
        var kernels: [DotKernel] = []
        for (type, route) in routedTypes {
            // ARM64 tinyBLAS multiplies F16 weights by the F32 activations as they come.
            let activation = type == .f16 && route == .tinyBLASARM ? .f32 : activationFormat(for: type)
            let name = "\(type.name)×\(activation.rawValue).\(route.rawValue)"
            let scalar = routedScalarDot(type, route), level = levelKernels(type, route)
            kernels.append(DotKernel(id: name + ".scalar", weightType: type, activation: activation, dot: scalar,
                                     rows: nil, index: start + kernels.count))
            kernels.append(DotKernel(id: name + "." + simdSuffix, weightType: type, activation: activation,
                                     dot: level.dot, rows: level.rows, prefill: level.prefill,
                                     index: start + kernels.count))
        }
        return kernels
    }

    /// `level`'s row for a routed kernel (the scalar kernel alone at `.scalar`).
    static func levelKernels(_ type: GGMLType, _ route: Route, level: KernelLevel = .active) -> LevelKernels {
        switch level {
        case .scalar: LevelKernels(dot: routedScalarDot(type, route))
        #if arch(x86_64)
        case .avx2, .avx512: AVX2Kernels.kernels(for: type, route: route)  // no AVX-512 form of a route yet
        #else
        case .avx2, .avx512: LevelKernels(dot: routedScalarDot(type, route))  // never active off x86-64
        #endif
        case .neon, .dotprod: NEONKernels.kernels(for: type, route: route, dotprod: level == .dotprod)
        }
    }

    /// The scalar reference of a routed kernel.
    static func routedScalarDot(_ type: GGMLType, _ route: Route) -> RowDotFunction {
        switch (type, route) {
        case (.q4_0, .repack8x8): { GGMLRepack8x8.q4_0($0, $1, $2) }
        case (.q4_K, .repack8x8): { GGMLRepack8x8.q4_K($0, $1, $2) }
        case (.q4_K, .repack8x8GEMM): { GGMLRepack8x8.q4_KGEMM($0, $1, $2) }
        case (.q4_K, .tiled): { GGMLTiledKQuant.q4_K($0, $1, $2) }
        case (.q5_K, .tiled): { GGMLTiledKQuant.q5_K($0, $1, $2) }
        case (.q2_K, .tiled): { GGMLTiledKQuant.q2_K($0, $1, $2) }
        case (.iq4_nl, .repack8x8): { GGMLRepack8x8.iq4_nl($0, $1, $2) }
        case (.iq4_xs, .tiled): { GGMLTiledKQuant.iq4_xs($0, $1, $2) }
        case (.q3_K, .tiled): { GGMLTiledKQuant.q3_K($0, $1, $2) }
        case (.bf16, .tinyBLAS): { GGMLBF16.tinyBLAS($0, $1, $2) }
        case (.f32, .tinyBLAS): { GGMLFloat.tinyBLASF32($0, $1, $2) }
        case (.f16, .tinyBLAS): { GGMLFloat.tinyBLASF16($0, $1, $2) }
        case (.q4_0, .repack4x4): { GGMLRepack4x4.q4_0($0, $1, $2) }
        case (.q8_0, .repack4x4): { GGMLRepack4x4.q8_0($0, $1, $2) }
        case (.iq4_nl, .repack4x4): { GGMLRepack4x4.iq4_nl($0, $1, $2) }
        case (.q4_K, .repack8x4): { GGMLRepack8x4.q4_K($0, $1, $2) }
        case (.q5_K, .repack8x4): { GGMLRepack8x4.q5_K($0, $1, $2) }
        case (.q8_0, .repackARMGEMM): { GGMLRepack4x4.q8_0GEMM($0, $1, $2) }
        case (.q6_K, .repackARMGEMM): { GGMLRepack8x4.q6_KGEMM($0, $1, $2) }
        case (.f32, .tinyBLASARM): { GGMLTinyBLASARM.f32($0, $1, $2) }
        case (.q4_0, .tinyBLASARM): { GGMLTinyBLASARM.q4_0($0, $1, $2) }
        case (.q8_0, .tinyBLASARM): { GGMLTinyBLASARM.q8_0($0, $1, $2) }
        case (.f16, .tinyBLASARM): { GGMLTinyBLASARM.f16($0, $1, $2) }
        default: { GGMLTiledKQuant.q6_K($0, $1, $2) }
        }
    }
}
