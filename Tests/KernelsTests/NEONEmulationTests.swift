import Foundation
import GGUF
import Testing
@testable import Kernels

/// The ARM64 kernels (Sources/KernelsNEON) checked on this x86-64 host against llama.cpp's own ARM64 dot products:
/// random rows of every type with an ARM form and their activations from our quantizers; the expected results come
/// from ggml's `ggml_vec_dot_*` in the pinned llama.cpp, built by `scripts/setup-arm-reference.sh` (Debian's AArch64
/// GCC 12, -O3) for two of llama.cpp's ARM variants — armv8.0_1 (`-march=armv8-a`, our `neon` level) and armv8.2_1
/// (`-march=armv8.2-a+dotprod`, our `dotprod` level) — and run under qemu-aarch64. I2_S is not a ggml type: its
/// records keep the scalar reference's result (`DotScalar`; one exact integer times the scale). Our kernels and a
/// known-answer driver (Tests/NEONDriver/driver.c) are built with clang for AArch64 and run under qemu-aarch64: the
/// `neon` kernels on a CPU with the dot-product instructions (`-cpu max`, where `bitnet_cpu_features` must report
/// dotprod) and on one without (`-cpu cortex-a53`, where it must not), the `dotprod` kernels on `-cpu max`. Every
/// result must have exactly the reference variant's bits.
///
/// Needs qemu-user, the AArch64 C library and the reference (`scripts/setup-arm-emulation.sh` and
/// `scripts/setup-arm-reference.sh`, run by the test command, which then sets BITNET_REQUIRE_ARM_EMULATION=1 and
/// BITNET_ARM_REFERENCE). Without them the test is skipped with the reason — or fails, when that variable says they
/// were installed. On an ARM64 machine the drivers run natively, on that CPU's own features.
@Suite struct NEONEmulationTests {
    static let types: [(GGMLType, counts: [Int])] = [
        // Float counts: 16-element groups with 0, 3, 5, 8 and 14 left over (ggml's tail: fused one by one below four,
        // four at a time above). Block counts: one block (the tail alone), three (a pair and the tail), even runs.
        (.f32, [19, 37, 256, 1000, 1022]), (.f16, [19, 37, 256, 1000, 1022]), (.bf16, [19, 37, 256, 1000, 1022]),
        (.q4_0, [32, 96, 576, 2048]), (.q4_1, [32, 96, 576, 2048]), (.q5_0, [32, 96, 576, 2048]), (.q8_0, [32, 96, 576, 2048]),
        (.tq2_0, [256, 2560]), (.i2_s, [128, 2560]), (.q4_K, [256, 2048]), (.q6_K, [256, 2048]), (.tq1_0, [256, 2560]),
        (.q2_K, [256, 2048]), (.q3_K, [256, 2048]), (.q5_K, [256, 2048]), (.iq4_nl, [32, 96, 576, 2048]), (.iq4_xs, [256, 2048]),
    ]

    /// Whether this process runs on ARM64 (then no emulator is needed).
    static let runsNatively: Bool = {
        #if arch(arm64)
        return true
        #else
        return false
        #endif
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func armKernelsEqualLlamaCppUnderQEMU() throws {
        // On an ARM64 machine the drivers run natively, on that CPU's own features.
        let native = Self.runsNatively
        let environment = ProcessInfo.processInfo.environment
        let reference = environment["BITNET_ARM_REFERENCE"].map { URL(fileURLWithPath: $0) }
        var missing = native ? ["clang"].filter { Self.which($0) == nil }
            : ["qemu-aarch64", "clang", "ld.lld"].filter { Self.which($0) == nil }
                + (FileManager.default.fileExists(atPath: "/usr/aarch64-linux-gnu/lib/libc.so.6") ? [] : ["libc6-dev-arm64-cross"])
        if reference == nil { missing.append("the llama.cpp ARM reference (BITNET_ARM_REFERENCE unset)") }
        let required = environment["BITNET_REQUIRE_ARM_EMULATION"] == "1"
        if !missing.isEmpty {
            let reason = "ARM64 kernels not checked: \(missing.joined(separator: ", ")) missing "
                + "(scripts/setup-arm-emulation.sh and scripts/setup-arm-reference.sh provide them)"
            if required { Issue.record(Comment(rawValue: reason)) } else { print("[NEONEmulationTests] skipped: \(reason)") }
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neon-kat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vectors = dir.appendingPathComponent("vectors.bin"), driver = dir.appendingPathComponent("driver")
        let records = try Self.writeVectors(to: vectors)

        let root = Self.packageRoot.path
        let sources = ["Sources/KernelsNEON/float.c", "Sources/KernelsNEON/blocks.c", "Sources/KernelsNEON/kquants.c", "Sources/KernelsNEON/lowbits.c",
                       "Sources/KernelsNEON/unavailable.c",
                       "Sources/KernelsCSupport/KernelsCSupport.c", "Tests/NEONDriver/driver.c"].map { root + "/" + $0 }
        let cross = native ? [] : ["--target=aarch64-linux-gnu", "-fuse-ld=lld"]
        let build = try Self.run(Self.which("clang")!, cross + ["-O2", "-Wall",
            "-I", root + "/Sources/KernelsNEON/include", "-I", root + "/Sources/KernelsNEON", "-I", root + "/Sources/KernelsCSupport/include"]
            + sources + ["-o", driver.path])
        #expect(build.status == 0, "AArch64 build failed:\n\(build.output)")
        guard build.status == 0, let reference else { return }

        /// Runs an AArch64 program: natively, or under qemu-aarch64 as `cpu`.
        func arm(_ program: String, _ arguments: [String], cpu: String) throws -> (status: Int32, output: String) {
            native ? try Self.run(program, arguments)
                : try Self.run(Self.which("qemu-aarch64")!, ["-L", "/usr/aarch64-linux-gnu", "-cpu", cpu, program] + arguments)
        }
        // (llama.cpp variant, our level, the CPUs our level runs on under qemu and whether each has dotprod)
        let runs: [(variant: String, level: String, cpus: [(String, String)])] = [
            ("armv8.0_1", "neon", [("max", "yes"), ("cortex-a53", "no")]),
            ("armv8.2_1", "dotprod", [("max", "yes")]),
        ]
        for run in runs {
            let expected = dir.appendingPathComponent("vectors.\(run.variant).bin")
            let made = try arm(reference.appendingPathComponent(run.variant + "/ggml_reference").path,
                               [vectors.path, expected.path], cpu: "max")
            print("[NEONEmulationTests] \(run.variant): " + made.output)
            #expect(made.status == 0, "llama.cpp's \(run.variant) reference failed:\n\(made.output)")
            guard made.status == 0 else { continue }
            for (cpu, dotprod) in native ? [("native", "")] : run.cpus {
                let r = try arm(driver.path, [expected.path, "--level", run.level] + (native ? [] : ["--expect-dotprod", dotprod]),
                                cpu: cpu)
                print("[NEONEmulationTests] \(run.level) kernels vs llama.cpp \(run.variant), \(native ? "native" : "qemu-aarch64 -cpu \(cpu)"), "
                      + "\(records) vectors:\n" + r.output)
                #expect(r.status == 0, "\(run.level) kernels vs llama.cpp \(run.variant) on \(cpu):\n\(r.output)")
                #expect(r.output.contains("\(run.level) q8_0: "), "no \(run.level) results from \(cpu)")
                if dotprod == "no" { #expect(!r.output.contains("dotprod q8_0"), "dotprod kernels ran on a CPU without SDOT") }
            }
        }
    }

    /// Writes one record per (type, count, row): u32 type, count, weight bytes, activation bytes, expected bits, then
    /// the weight and activation rows. Returns the number of records.
    static func writeVectors(to url: URL) throws -> Int {
        var data = Data(), records = 0
        var rng = SeededRNG(seed: 0xA64)
        for (type, counts) in types {
            let activation = DotKernel.activationFormat(for: type), reference = DotKernel.scalarDot(type)
            for count in counts {
                for row in 0..<6 {
                    let w = type == .i2_s ? (0..<count / 4).map { _ in UInt8.random(in: 0...255, using: &rng) }
                        : RandomRows.weights(type, cols: count, &rng)
                    let x = RandomRows.activations(RandomRows.floats(count, &rng, scale: row == 5 ? 40 : 3), activation)
                    let expected = w.withUnsafeBytes { wp in x.withUnsafeBytes { reference(wp.baseAddress!, $0.baseAddress!, count) } }
                    for field in [UInt32(type.rawValue), UInt32(count), UInt32(w.count), UInt32(x.count), expected.bitPattern] {
                        withUnsafeBytes(of: field.littleEndian) { data.append(contentsOf: $0) }
                    }
                    data.append(contentsOf: w)
                    data.append(contentsOf: x)
                    records += 1
                }
            }
        }
        try data.write(to: url)
        return records
    }

    static func which(_ tool: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
