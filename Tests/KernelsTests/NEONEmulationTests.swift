import Foundation
import GGUF
import Testing
@testable import Kernels

/// The ARM64 kernels (Sources/KernelsNEON) checked on this x86-64 host: the vectors are random rows of every type with
/// an ARM form, their activations from our quantizers and the expected results from the scalar reference (`DotScalar`);
/// the kernels and a known-answer driver (Tests/NEONDriver/driver.c) are built with clang for AArch64 and run under
/// qemu-aarch64, once on a CPU with the dot-product instructions (`-cpu max`: the `neon` and `dotprod` kernels, and
/// `bitnet_cpu_features` must report dotprod) and once on one without (`-cpu cortex-a53`: `neon` only, and it must
/// not). Every result must have exactly the reference's bits.
///
/// Needs qemu-user and the AArch64 C library (`scripts/setup-arm-emulation.sh`, run by the test command, which sets
/// BITNET_REQUIRE_ARM_EMULATION=1 once they are installed). Without them the test is skipped with the reason — or
/// fails, when that variable says they were installed. On an ARM64 machine the driver is built and run natively on
/// that CPU's own features instead (the kernel self-test a user on ARM runs, docs/kernels.md).
@Suite struct NEONEmulationTests {
    static let types: [(GGMLType, counts: [Int])] = [
        (.f32, [37, 256, 1000]), (.f16, [37, 256, 1000]), (.bf16, [37, 256, 1000]),
        (.q4_0, [32, 576, 2048]), (.q4_1, [32, 576, 2048]), (.q5_0, [32, 576, 2048]), (.q8_0, [32, 576, 2048]),
        (.tq2_0, [256, 2560]), (.i2_s, [128, 2560]), (.q4_K, [256, 2048]), (.q6_K, [256, 2048]), (.tq1_0, [256, 2560]),
        (.q2_K, [256, 2048]), (.q3_K, [256, 2048]), (.q5_K, [256, 2048]), (.iq4_nl, [32, 576, 2048]), (.iq4_xs, [256, 2048]),
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

    @Test func armKernelsEqualScalarReferenceUnderQEMU() throws {
        // On an ARM64 machine the driver runs natively, on that CPU's own features.
        let native = Self.runsNatively
        let missing = native ? ["clang"].filter { Self.which($0) == nil }
            : ["qemu-aarch64", "clang", "ld.lld"].filter { Self.which($0) == nil }
                + (FileManager.default.fileExists(atPath: "/usr/aarch64-linux-gnu/lib/libc.so.6") ? [] : ["libc6-dev-arm64-cross"])
        let required = ProcessInfo.processInfo.environment["BITNET_REQUIRE_ARM_EMULATION"] == "1"
        if !missing.isEmpty {
            let reason = "ARM64 kernels not checked: \(missing.joined(separator: ", ")) missing "
                + "(scripts/setup-arm-emulation.sh installs them)"
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
        guard build.status == 0 else { return }

        if native {
            let r = try Self.run(driver.path, [vectors.path])
            print("[NEONEmulationTests] native ARM64 run, \(records) vectors:\n" + r.output)
            #expect(r.status == 0, "ARM64 kernels on this CPU:\n\(r.output)")
            return
        }
        for (cpu, dotprod) in [("max", "yes"), ("cortex-a53", "no")] {
            let r = try Self.run(Self.which("qemu-aarch64")!, ["-L", "/usr/aarch64-linux-gnu", "-cpu", cpu, driver.path,
                                                               vectors.path, "--expect-dotprod", dotprod])
            print("[NEONEmulationTests] qemu-aarch64 -cpu \(cpu), \(records) vectors:\n" + r.output)
            #expect(r.status == 0, "ARM64 kernels under qemu -cpu \(cpu):\n\(r.output)")
            let levels = dotprod == "yes" ? ["neon", "dotprod"] : ["neon"]
            for level in levels { #expect(r.output.contains("\(level) q8_0: "), "no \(level) results from -cpu \(cpu)") }
            if dotprod == "no" { #expect(!r.output.contains("dotprod q8_0"), "dotprod kernels ran on a CPU without SDOT") }
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
