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

    /// The llama.cpp ARM reference directory when everything the tests need is there; otherwise nil, after printing
    /// why (or recording an issue, when the test command said it installed them).
    static func armReference(_ what: String) -> URL? {
        let environment = ProcessInfo.processInfo.environment
        let reference = environment["BITNET_ARM_REFERENCE"].map { URL(fileURLWithPath: $0) }
        var missing = runsNatively ? ["clang"].filter { which($0) == nil }
            : ["qemu-aarch64", "clang", "ld.lld"].filter { which($0) == nil }
                + (FileManager.default.fileExists(atPath: "/usr/aarch64-linux-gnu/lib/libc.so.6") ? [] : ["libc6-dev-arm64-cross"])
        if reference == nil { missing.append("the llama.cpp ARM reference (BITNET_ARM_REFERENCE unset)") }
        guard missing.isEmpty else {
            let reason = "\(what) not checked: \(missing.joined(separator: ", ")) missing "
                + "(scripts/setup-arm-emulation.sh and scripts/setup-arm-reference.sh provide them)"
            if environment["BITNET_REQUIRE_ARM_EMULATION"] == "1" {
                Issue.record(Comment(rawValue: reason))
            } else {
                print("[NEONEmulationTests] skipped: \(reason)")
            }
            return nil
        }
        return reference
    }

    /// Runs an AArch64 program: natively on ARM64, else under qemu-aarch64 as `cpu`.
    static func arm(_ program: String, _ arguments: [String], cpu: String) throws -> (status: Int32, output: String) {
        runsNatively ? try run(program, arguments)
            : try run(which("qemu-aarch64")!, ["-L", "/usr/aarch64-linux-gnu", "-cpu", cpu, program] + arguments)
    }

    @Test func armKernelsEqualLlamaCppUnderQEMU() throws {
        // On an ARM64 machine the drivers run natively, on that CPU's own features.
        let native = Self.runsNatively
        guard let reference = Self.armReference("ARM64 kernels") else { return }
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
        // (llama.cpp variant, our level, the CPUs our level runs on under qemu and whether each has dotprod)
        let runs: [(variant: String, level: String, cpus: [(String, String)])] = [
            ("armv8.0_1", "neon", [("max", "yes"), ("cortex-a53", "no")]),
            ("armv8.2_1", "dotprod", [("max", "yes")]),
        ]
        for run in runs {
            let expected = dir.appendingPathComponent("vectors.\(run.variant).bin")
            let made = try Self.arm(reference.appendingPathComponent(run.variant + "/ggml_reference").path,
                               [vectors.path, expected.path], cpu: "max")
            print("[NEONEmulationTests] \(run.variant): " + made.output)
            #expect(made.status == 0, "llama.cpp's \(run.variant) reference failed:\n\(made.output)")
            guard made.status == 0 else { continue }
            if run.variant == "armv8.0_1" {
                // The flash attention's F16 query·key dot at the ARM levels (`RowKernels.halfDot`, host code) is
                // ggml_vec_dot_f16's: the F16 records must give the reference's bits.
                let f16 = try Self.records(expected).filter { $0.type == .f16 }
                func differing(_ halfDot: RowKernels.HalfDot) -> Int {
                    f16.filter { r in
                        let q = r.x.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)).map(HalfFloat.toFloat) }
                        let got = q.withUnsafeBufferPointer { qp in
                            r.w.withUnsafeBytes { halfDot(qp.baseAddress!, $0.bindMemory(to: UInt16.self).baseAddress!, r.count) }
                        }
                        return got.bitPattern != r.expected
                    }.count
                }
                let arm = differing(RowKernels(level: .neon).halfDot), x86 = differing(RowKernels(level: .scalar).halfDot)
                print("[NEONEmulationTests] ARM F16 query·key dot on the host: \(f16.count - arm)/\(f16.count) identical "
                      + "(the x86 form: \(f16.count - x86))")
                #expect(!f16.isEmpty && arm == 0, "the ARM F16 dot differs from ggml_vec_dot_f16 in \(arm) records")
                #expect(x86 > 0, "no record separates the ARM F16 dot from the x86 one")
            }
            for (cpu, dotprod) in native ? [("native", "")] : run.cpus {
                let r = try Self.arm(driver.path, [expected.path, "--level", run.level] + (native ? [] : ["--expect-dotprod", dotprod]),
                                cpu: cpu)
                print("[NEONEmulationTests] \(run.level) kernels vs llama.cpp \(run.variant), \(native ? "native" : "qemu-aarch64 -cpu \(cpu)"), "
                      + "\(records) vectors:\n" + r.output)
                #expect(r.status == 0, "\(run.level) kernels vs llama.cpp \(run.variant) on \(cpu):\n\(r.output)")
                #expect(r.output.contains("\(run.level) q8_0: "), "no \(run.level) results from \(cpu)")
                if dotprod == "no" { #expect(!r.output.contains("dotprod q8_0"), "dotprod kernels ran on a CPU without SDOT") }
            }
        }

        // llama.cpp's other ARM routes, each run by the reference program on the records it applies to and checked
        // against our kernels for that route under qemu and against their Swift scalar references (what
        // LevelTableTests holds the ARM kernels to on an ARM64 machine) on the host:
        // - the dotprod build's decode route for the weights it repacks (Q4_0, Q8_0, IQ4_NL 4 rows at a time, Q4_K,
        //   Q5_K and Q6_K 8 — Q6_K's in vec_dot's order, so its scalar check is vec_dot's), ggml_gemv_*;
        // - their batch kernels, ggml_gemm_* (the gemv's order except Q8_0's and Q6_K's), with 4 activation rows;
        // - llamafile's tinyBLAS, which ggml-cpu tries first for a batch: F32 and F16 (against F32 activations)
        //   weights at both levels, Q4_0 and Q8_0 (when not repacked) at dotprod.
        let repacked = ["q4_0", "q8_0", "iq4_nl", "q4_K", "q5_K", "q6_K"]
        let routes: [(flag: String, variant: String, level: String, cpus: [String], types: [String], checked: Int?,
                      route: (GGMLType) -> DotKernel.Route?)] = [
            ("gemv", "armv8.2_1", "dotprod", ["max"], repacked, 96,
             { $0 == .q6_K ? nil : GGMLRepack4x4.repacks($0, rows: 4) ? .repack4x4 : .repack8x4 }),
            ("gemm", "armv8.2_1", "dotprod", ["max"], repacked, 108,
             { $0 == .q8_0 || $0 == .q6_K ? .repackARMGEMM : GGMLRepack4x4.repacks($0, rows: 4) ? .repack4x4 : .repack8x4 }),
            ("tinyblas", "armv8.0_1", "neon", ["max", "cortex-a53"], ["f32", "f16"], nil, { _ in .tinyBLASARM }),
            ("tinyblas", "armv8.2_1", "dotprod", ["max"], ["f32", "f16", "q4_0", "q8_0"], nil, { _ in .tinyBLASARM }),
        ]
        for run in routes {
            let expected = dir.appendingPathComponent("vectors.\(run.flag).\(run.variant).bin")
            let made = try Self.arm(reference.appendingPathComponent(run.variant + "/ggml_reference").path,
                                    ["--" + run.flag, vectors.path, expected.path], cpu: "max")
            print("[NEONEmulationTests] \(run.variant): " + made.output)
            #expect(made.status == 0, "llama.cpp's \(run.variant) \(run.flag) failed:\n\(made.output)")
            guard made.status == 0 else { continue }
            for cpu in native ? ["native"] : run.cpus {
                let r = try Self.arm(driver.path, [expected.path, "--route", run.flag, "--level", run.level], cpu: cpu)
                print("[NEONEmulationTests] \(run.level) \(run.flag) kernels vs llama.cpp \(run.variant) on \(cpu):\n" + r.output)
                #expect(r.status == 0, "\(run.level) \(run.flag) kernels vs llama.cpp \(run.variant) on \(cpu):\n\(r.output)")
                for type in run.types {
                    #expect(r.output.contains("\(run.level) \(run.flag) \(type): "), "no \(run.flag) results for \(type)")
                }
            }
            let host = try Self.hostMismatches(expected, route: run.route)
            print("[NEONEmulationTests] \(run.variant) \(run.flag) scalar references on the host: "
                  + "\(host.checked - host.names.count)/\(host.checked) identical")
            #expect(host.checked == (run.checked ?? max(host.checked, 1)) && host.names.isEmpty,
                    "\(run.flag) scalar references differ from llama.cpp's: \(host.names)")
        }
    }

    /// A vector file's records.
    static func records(_ url: URL) throws -> [(type: GGMLType, count: Int, expected: UInt32, w: [UInt8], x: [UInt8])] {
        let data = [UInt8](try Data(contentsOf: url))
        var offset = 0, out: [(type: GGMLType, count: Int, expected: UInt32, w: [UInt8], x: [UInt8])] = []
        while offset + 20 <= data.count {
            let field = { (i: Int) in data[(offset + 4 * i)..<(offset + 4 * i + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
            let (wBytes, xBytes) = (Int(field(2)), Int(field(3)))
            out.append((GGMLType(rawValue: field(0)), Int(field(1)), field(4), Array(data[(offset + 20)..<(offset + 20 + wBytes)]),
                        Array(data[(offset + 20 + wBytes)..<(offset + 20 + wBytes + xBytes)])))
            offset += 20 + wBytes + xBytes
        }
        return out
    }

    /// Runs each record of a vector file through `DotKernel.routedScalarDot(type, route(type))` on the host (records
    /// whose route is nil are skipped); returns how many were checked and which differ from the file's expected bits.
    static func hostMismatches(_ url: URL, route: (GGMLType) -> DotKernel.Route?) throws -> (checked: Int, names: [String]) {
        var checked = 0, different: [String] = []
        for r in try records(url) {
            guard let route = route(r.type) else { continue }
            let reference = DotKernel.routedScalarDot(r.type, route)
            let got = r.w.withUnsafeBytes { wp in r.x.withUnsafeBytes { reference(wp.baseAddress!, $0.baseAddress!, r.count) } }
            checked += 1
            if got.bitPattern != r.expected { different.append("\(r.type.name) count \(r.count)") }
        }
        return (checked, different)
    }

    /// The ARM64 levels' activation quantizers (`Q8Rounding.ggmlARM`, portable code run here on the host) against
    /// llama.cpp's own: ggml's `quantize_row_q8_0` / `quantize_row_q8_1` (their Advanced SIMD forms) run under
    /// qemu-aarch64 on the same rows must write the same bytes. Rows: random values at three scales, all zeros, and
    /// values that land on halves after scaling (127 is the largest magnitude, so d = 1).
    @Test func armActivationQuantizersEqualLlamaCppUnderQEMU() throws {
        guard let reference = Self.armReference("ARM64 activation quantizers") else { return }
        var rng = SeededRNG(seed: 0x51AB)
        var rows: [(GGMLType, [Float])] = []
        for type in [GGMLType.q8_0, .q8_1] {
            for count in [32, 256, 2048] {
                for scale: Float in [0.01, 3, 1000] { rows.append((type, RandomRows.floats(count, &rng, scale: scale))) }
            }
            rows.append((type, [Float](repeating: 0, count: 64)))
            rows.append((type, (0..<64).map { j in j % 32 == 0 ? 127 : Float(j % 7) - 3.5 }))
            rows.append((type, Self.roundingSeparatingBlocks(4, &rng)))
        }
        var input = Data()
        for (type, x) in rows {
            for field in [UInt32(type.rawValue), UInt32(x.count)] { withUnsafeBytes(of: field.littleEndian) { input.append(contentsOf: $0) } }
            x.withUnsafeBytes { input.append(contentsOf: $0) }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neon-quant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inURL = dir.appendingPathComponent("rows.bin"), outURL = dir.appendingPathComponent("quantized.bin")
        try input.write(to: inURL)
        for variant in ["armv8.0_1", "armv8.2_1"] {
            let r = try Self.arm(reference.appendingPathComponent(variant + "/ggml_reference").path,
                                 ["--quantize", inURL.path, outURL.path], cpu: "max")
            print("[NEONEmulationTests] \(variant): " + r.output)
            #expect(r.status == 0, "llama.cpp's \(variant) quantizers failed:\n\(r.output)")
            guard r.status == 0 else { continue }
            let expected = [UInt8](try Data(contentsOf: outURL))
            var offset = 0, blocks = 0, different = 0, x86Different = 0
            for (type, x) in rows {
                let format: ActivationFormat = type == .q8_0 ? .q8_0 : .q8_1
                let bytes = format.rowBytes(x.count), blockBytes = bytes / (x.count / 32)
                func ours(_ rounding: Q8Rounding) -> [UInt8] {
                    var out = [UInt8](repeating: 0, count: bytes)
                    x.withUnsafeBufferPointer { xp in
                        out.withUnsafeMutableBytes { yp in
                            if type == .q8_0 {
                                ActivationQuantizer.quantizeQ8_0Portable(xp.baseAddress!, into: yp.baseAddress!, count: x.count, rounding: rounding)
                            } else {
                                ActivationQuantizer.quantizeQ8_1Portable(xp.baseAddress!, into: yp.baseAddress!, count: x.count, rounding: rounding)
                            }
                        }
                    }
                    return out
                }
                guard offset + bytes <= expected.count else {
                    Issue.record("llama.cpp's output ends before row \(blocks)")
                    break
                }
                let theirs = Array(expected[offset..<offset + bytes]), arm = ours(.ggmlARM), x86 = ours(.ggmlCPU)
                // What a matmul at an ARM64 level gets when it asks for ggml-cpu's rounding.
                var viaTable = [UInt8](repeating: 0, count: bytes)
                let table = RowKernels(level: .neon), code = Q8Rounding.ggmlCPU.code
                x.withUnsafeBufferPointer { xp in
                    viaTable.withUnsafeMutableBytes { yp in
                        (type == .q8_0 ? table.quantizeQ8_0 : table.quantizeQ8_1)(xp.baseAddress!, yp.baseAddress!, x.count, code)
                    }
                }
                #expect(viaTable == arm, "RowKernels(level: .neon) does not quantize with the ARM rounding")
                for b in 0..<x.count / 32 {
                    let range = b * blockBytes..<(b + 1) * blockBytes
                    blocks += 1
                    if arm[range] != theirs[range] { different += 1 }
                    if x86[range] != theirs[range] { x86Different += 1 }
                }
                offset += bytes
            }
            print("[NEONEmulationTests] \(variant) quantizers: \(blocks - different)/\(blocks) blocks identical "
                  + "(the x86 rounding would differ in \(x86Different))")
            #expect(different == 0, "\(different) of \(blocks) blocks differ from llama.cpp's \(variant) quantizers")
            #expect(offset == expected.count, "llama.cpp wrote \(expected.count) bytes, the rows take \(offset)")
            // The rows must tell the ARM rounding from the x86 one, or the comparison above proves little.
            #expect(x86Different > 0, "no row separates the ARM rounding from the x86 one")
        }
    }

    /// The ARM64 levels' row operations that differ from the x86 ones — SwiGLU's tail (4 lanes before the scalar
    /// `expf`) and the flash-attention tile sums (4-lane pairwise sums added in `Double`) — run here on the host
    /// through `RowKernels(level: .neon)`, against ggml's ggml_vec_swiglu_f32 / ggml_vec_soft_max_f32 (their Advanced
    /// SIMD forms) under qemu: the same bits for every element and sum. SwiGLU widths reach every tail (8-lane groups
    /// only, a 4-lane group and 1 or 2 scalars).
    @Test func armRowOperationsEqualLlamaCppUnderQEMU() throws {
        guard let reference = Self.armReference("ARM64 row operations") else { return }
        var rng = SeededRNG(seed: 0x5161)
        var rows: [(op: UInt32, a: [Float], b: [Float])] = []
        for count in [13, 37, 64, 1030] {
            rows.append((0, RandomRows.floats(count, &rng, scale: 6), RandomRows.floats(count, &rng, scale: 3)))
        }
        for count in [8, 64, 256] {
            let a = RandomRows.floats(count, &rng, scale: 12)
            rows.append((1, a, [a.max()! + 0.5] + [Float](repeating: 0, count: count - 1)))
        }
        var input = Data()
        for row in rows {
            for field in [row.op, UInt32(row.a.count)] { withUnsafeBytes(of: field.littleEndian) { input.append(contentsOf: $0) } }
            row.a.withUnsafeBytes { input.append(contentsOf: $0) }
            row.b.withUnsafeBytes { input.append(contentsOf: $0) }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neon-rowops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inURL = dir.appendingPathComponent("rows.bin"), outURL = dir.appendingPathComponent("out.bin")
        try input.write(to: inURL)
        let r = try Self.arm(reference.appendingPathComponent("armv8.2_1/ggml_reference").path,
                             ["--rowops", inURL.path, outURL.path], cpu: "max")
        print("[NEONEmulationTests] armv8.2_1: " + r.output)
        #expect(r.status == 0, "llama.cpp's row operations failed:\n\(r.output)")
        guard r.status == 0 else { return }
        let theirs = [UInt8](try Data(contentsOf: outURL))
        /// The rows of `table` that differ from llama.cpp's (a description each), and the bytes of its output read.
        func mismatches(_ table: RowKernels) -> (rows: [String], bytes: Int) {
            var offset = 0, different: [String] = []
            for row in rows {
                let n = row.a.count
                var ours = [Float](repeating: 0, count: n)
                if row.op == 0 {
                    row.a.withUnsafeBufferPointer { a in
                        row.b.withUnsafeBufferPointer { b in
                            ours.withUnsafeMutableBufferPointer { table.swiglu(a.baseAddress!, b.baseAddress!, $0.baseAddress!, n, n) }
                        }
                    }
                } else {
                    ours = row.a
                    let sum = ours.withUnsafeMutableBufferPointer { table.expShiftedSum($0.baseAddress!, n, row.b[0]) }
                    let expected = theirs[offset..<offset + 8].withUnsafeBytes { $0.loadUnaligned(as: Double.self) }
                    if sum.bitPattern != expected.bitPattern { different.append("softmax \(n): sum \(sum) vs \(expected)") }
                    offset += 8
                }
                let expected = theirs[offset..<offset + 4 * n].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                offset += 4 * n
                let count = zip(ours, expected).filter { $0.bitPattern != $1.bitPattern }.count
                if count > 0 { different.append("\(row.op == 0 ? "swiglu" : "softmax") \(n): \(count) elements") }
            }
            return (different, offset)
        }
        let arm = mismatches(RowKernels(level: .neon)), x86 = mismatches(RowKernels(level: .scalar))
        print("[NEONEmulationTests] row operations on the host vs llama.cpp's ARM build: "
              + "\(rows.count - arm.rows.count)/\(rows.count) rows identical (the x86 forms: \(rows.count - x86.rows.count))")
        #expect(arm.rows.isEmpty, "ARM row operations differ from llama.cpp's: \(arm.rows)")
        #expect(arm.bytes == theirs.count, "llama.cpp wrote \(theirs.count) bytes, the rows take \(arm.bytes)")
        // The rows must tell the ARM forms from the x86 ones, or the comparison above proves little.
        #expect(!x86.rows.isEmpty, "no row separates the ARM row operations from the x86 ones")
    }

    /// Blocks whose values round differently under the ARM multiplier (1/d) and the x86 one (127/amax): random
    /// maxima where the two multipliers differ, each with 31 values searched next to a rounding boundary.
    static func roundingSeparatingBlocks(_ blocks: Int, _ rng: inout SeededRNG) -> [Float] {
        var out: [Float] = []
        while out.count < 32 * blocks {
            let amax = Float.random(in: 1...100, using: &rng), d = amax / 127
            let arm = 1 / d, x86 = 127 / amax
            guard arm != x86 else { continue }
            var block: [Float] = [amax]
            var k = 0
            while block.count < 32, k < 127 {
                var x = (Float(k) + 0.5) / x86
                for _ in 0..<8 where block.count < 32 {
                    if x <= amax, (x * arm).rounded(.toNearestOrEven) != (x * x86).rounded(.toNearestOrEven) {
                        block.append(Bool.random(using: &rng) ? x : -x)
                        break
                    }
                    x = x.nextUp
                }
                k += 1
            }
            guard block.count == 32 else { continue }
            out += block
        }
        return out
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
