import Foundation

/// What this machine's CPU is, read once: its model name, every feature flag the kernel reports, and the
/// physical-core count. The one place that parses `/proc/cpuinfo` (Linux); elsewhere the fields stay unknown.
public struct HostCPU: Sendable, Equatable {
    /// e.g. "AMD EPYC 7B13" or "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"; "unknown" when unreadable.
    public let model: String
    /// Every flag of the first processor (`flags` on x86, `Features` on ARM), e.g. "avx2", "avx512f", "asimddp".
    public let flags: Set<String>
    /// Distinct (physical id, core id) pairs; nil when the file does not say.
    public let physicalCores: Int?

    /// The flags that decide kernel routes here or in llama.cpp, in a fixed order (those present are reported in
    /// receipts and by `preflight`).
    public static let simdFlagNames = [
        "sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd",
        "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512vbmi", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16",
        "asimd", "asimddp", "i8mm", "sve",
    ]

    /// This machine, parsed once.
    public static let current = HostCPU(cpuinfo: HostCPU.readCPUInfo())

    /// Parses the text of `/proc/cpuinfo` (nil: nothing known).
    public init(cpuinfo text: String?) {
        var model = "unknown", flags: Set<String> = [], cores = Set<String>(), package = "", sawFlags = false
        for line in (text ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "model name", "Model":
                if model == "unknown" { model = parts[1] }
            case "flags", "Features":
                if !sawFlags { flags = Set(parts[1].split(separator: " ").map(String.init)) }
                sawFlags = true
            case "physical id": package = parts[1]
            case "core id": cores.insert(package + "/" + parts[1])
            default: break
            }
        }
        self.model = model
        self.flags = flags
        self.physicalCores = cores.isEmpty ? nil : cores.count
    }

    /// The SIMD-relevant flags present, in `simdFlagNames` order.
    public var simdFlags: [String] { Self.simdFlagNames.filter(flags.contains) }

    private static func readCPUInfo() -> String? {
        #if os(Linux)
        try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        #else
        nil
        #endif
    }
}
