/// The instruction-set level the engine's kernels run at on this host.
///
/// Today the level is fixed when the package is built: on x86-64 the Kernels target is compiled with AVX2, FMA and
/// F16C and every kernel table entry is an AVX2 route (the routes llama.cpp's `x86-64-v3` build takes); elsewhere
/// the portable scalar paths run. Parity tests and receipts name the level so a bit-exact comparison is only ever
/// made against a llama.cpp build of the same routes (`LlamaReference.ReferenceLevel.exactMatch`).
public enum KernelLevel: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Portable Swift (no SIMD intrinsics).
    case scalar
    /// AVX2 + FMA + F16C (x86-64-v3).
    case avx2

    /// The level every kernel of this build runs at.
    public static var active: KernelLevel {
        #if arch(x86_64)
        .avx2
        #else
        .scalar
        #endif
    }

    public var description: String { rawValue }
}
