import Foundation
import KernelsCSupport

/// The instruction-set level the engine's kernels run at, chosen once per process.
///
/// Nothing in the package is compiled for a wider ISA than x86-64 (or the ARM64 baseline): the AVX2 kernels live in
/// the C target `KernelsAVX2`, whose functions alone are compiled for AVX2, and `DotKernel.all` and the other
/// kernel tables take their entries from `active` the first time they are used. `active` is the widest level this
/// CPU runs (CPUID and XGETBV, `bitnet_cpu_features`), lowered by `BITNET_ISA=scalar|avx2|avx512` (or the CLI's `--isa`,
/// which sets it) when that is given. So no AVX2 instruction runs before the check, and a binary built here starts
/// on any x86-64 CPU.
///
/// Parity tests and receipts name the level so that a bit-exact comparison is only ever made against a llama.cpp
/// build of the same routes (`LlamaReference.ReferenceLevel.exactMatch`).
public enum KernelLevel: String, Sendable, Codable, CaseIterable, CustomStringConvertible, Comparable {
    /// Portable Swift (no SIMD intrinsics).
    case scalar
    /// AVX2 + FMA + F16C (+ BMI2): x86-64-v3, the routes llama.cpp's `x86-64-v3` build takes.
    case avx2
    /// AVX-512 F/BW/VL/DQ + VNNI on top of `avx2`: the same routes and bits as `avx2` (so llama.cpp's `x86-64-v3`
    /// build is its exact reference too), with VNNI integer products and 32 vector registers where a kernel has an
    /// AVX-512 form (`AVX512Kernels`); the other kernels are the `avx2` ones.
    case avx512
    /// AArch64 Advanced SIMD (every ARM64 CPU): the scalar reference's bits with NEON integer products
    /// (`NEONKernels`).
    case neon
    /// `neon` plus the SDOT/UDOT dot-product instructions (Armv8.2 `dotprod`; Graviton 2+, Ampere, Apple M1+,
    /// Raspberry Pi 5): the same bits.
    case dotprod

    /// The environment variable that lowers the level (`scalar`, `avx2`, `avx512`; `neon`, `dotprod` on ARM64).
    public static let environmentKey = "BITNET_ISA"

    /// The level every kernel table of this process uses, fixed on first use.
    public static let active: KernelLevel = {
        switch resolve(requested: ProcessInfo.processInfo.environment[environmentKey], supported: hostSupported) {
        case .success(let level):
            return level
        case .failure(let error):
            // A bad override must not stop a library user's process: report it once and run the widest level.
            FileHandle.standardError.write(Data("warning: \(error.description); using \(hostBest)\n".utf8))
            return hostBest
        }
    }()

    /// Every level this CPU can run, narrowest first (always includes `scalar`).
    public static let hostSupported: [KernelLevel] = supported(features: bitnet_cpu_features())

    /// The widest level this CPU can run.
    public static var hostBest: KernelLevel { hostSupported.last ?? .scalar }

    /// The levels a CPU with these `BITNET_CPU_*` bits runs.
    static func supported(features: UInt32) -> [KernelLevel] {
        let avx2Bits = UInt32(BITNET_CPU_AVX2 | BITNET_CPU_FMA | BITNET_CPU_F16C | BITNET_CPU_BMI2)
        var levels: [KernelLevel] = [.scalar]
        if features & UInt32(BITNET_CPU_NEON) != 0 {
            levels.append(.neon)
            if features & UInt32(BITNET_CPU_DOTPROD) != 0 { levels.append(.dotprod) }
        }
        guard features & avx2Bits == avx2Bits else { return levels }
        levels.append(.avx2)
        let avx512Bits = UInt32(BITNET_CPU_AVX512F | BITNET_CPU_AVX512BW | BITNET_CPU_AVX512VL | BITNET_CPU_AVX512DQ
                                | BITNET_CPU_AVX512VNNI)
        if features & avx512Bits == avx512Bits { levels.append(.avx512) }
        return levels
    }

    /// The level for an override value: nil or empty runs the widest supported level; a name must be a level the
    /// host supports.
    public static func resolve(requested: String?, supported: [KernelLevel]) -> Result<KernelLevel, KernelLevelError> {
        guard let raw = requested?.trimmingCharacters(in: .whitespaces).lowercased(), !raw.isEmpty else {
            return .success(supported.last ?? .scalar)
        }
        guard let level = KernelLevel(rawValue: raw) else { return .failure(.unknown(raw)) }
        guard supported.contains(level) else { return .failure(.unsupported(level, supported: supported)) }
        return .success(level)
    }

    public var description: String { rawValue }

    /// True for the levels whose kernels give llama.cpp's `x86-64-v3` bits: `avx2`, and `avx512`, which reproduces
    /// them (so both pair with that reference build in the exact tier).
    public var givesX86V3Bits: Bool { self == .avx2 || self == .avx512 }

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Why a requested kernel level cannot be used.
public enum KernelLevelError: Error, Equatable, CustomStringConvertible {
    /// Not a level name.
    case unknown(String)
    /// A level this CPU cannot run.
    case unsupported(KernelLevel, supported: [KernelLevel])

    public var description: String {
        switch self {
        case .unknown(let raw):
            "\(KernelLevel.environmentKey)=\(raw) is not a kernel level (use one of: "
                + KernelLevel.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .unsupported(let level, let supported):
            "this CPU cannot run the \(level) kernels (it supports: "
                + supported.map(\.rawValue).joined(separator: ", ") + ")"
        }
    }
}
