import Foundation
import GGUF
import Testing
import TestSupport
@testable import Kernels

/// The shared seeded generator (SplitMix64) under the name these tests use.
typealias SeededRNG = SeededRandom

enum Fixture {
    /// Bytes of `Fixtures/<name>`; fails the test with the regeneration command when missing.
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("missing fixture \(name); regenerate with: python3 scripts/gen-kernel-fixtures.py")
            throw CocoaError(.fileNoSuchFile)
        }
        return [UInt8](data)
    }

    static func floats(_ name: String) throws -> [Float] {
        try bytes(name).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// Random but well-formed rows of each weight type: random bytes with small finite F16 scales.
enum RandomRows {
    static func floats(_ count: Int, _ rng: inout SeededRNG, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &rng) * scale }
    }

    static func weights(_ type: GGMLType, cols: Int, rows: Int = 1, _ rng: inout SeededRNG) -> [UInt8] {
        let traits = type.traits!
        let rowBytes = cols / traits.blockSize * traits.blockBytes
        switch type {
        case .f32:
            return floats(cols * rows, &rng).withUnsafeBytes { Array($0) }
        case .f16:
            return floats(cols * rows, &rng).map(HalfFloat.fromFloat).withUnsafeBytes { Array($0) }
        case .bf16:
            return floats(cols * rows, &rng).map(BFloat16.fromFloat).withUnsafeBytes { Array($0) }
        default:
            var bytes = (0..<rowBytes * rows).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let scaleOffsets: [Int] = switch type {
            case .q4_1, .q4_K, .q5_K: [0, 2]
            case .q6_K: [208]
            case .q2_K: [80, 82]
            case .q3_K: [108]
            case .tq1_0: [52]
            case .tq2_0: [64]
            default: [0]
            }
            for block in 0..<(rowBytes * rows / traits.blockBytes) {
                for offset in scaleOffsets {
                    let h = HalfFloat.fromFloat(Float.random(in: 0.001...0.02, using: &rng))
                    bytes[block * traits.blockBytes + offset] = UInt8(h & 0xFF)
                    bytes[block * traits.blockBytes + offset + 1] = UInt8(h >> 8)
                }
            }
            return bytes
        }
    }

    /// `x` converted to `format` with the SIMD quantizers (the form matmul feeds to dot products).
    static func activations(_ x: [Float], _ format: ActivationFormat) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: format.rowBytes(x.count))
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { quantizeActivationRow(src.baseAddress!, into: $0.baseAddress!, x.count, format) }
        }
        return out
    }
}

/// Dequantizes `bytes` of `type` with the scalar reference (activation formats included).
func dequantizeScalar(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    let ok = bytes.withUnsafeBytes { src in
        out.withUnsafeMutableBufferPointer { DequantizeScalar.row(type, src.baseAddress!, into: $0.baseAddress!, count: count) }
    }
    #expect(ok, "no scalar dequantizer for \(type)")
    return out
}

func dequantizeSIMD(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    let ok = bytes.withUnsafeBytes { src in
        out.withUnsafeMutableBufferPointer { Dequantize.row(type, src.baseAddress!, into: $0.baseAddress!, count: count) }
    }
    #expect(ok, "no dequantizer for \(type)")
    return out
}

/// Bitwise equality of float arrays (so −0 ≠ +0 and NaN == NaN of the same payload).
func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

extension ActivationFormat {
    /// The GGMLType with this layout, for dequantizing activations in tests.
    var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q8_1: .q8_1
        case .q8_K: .q8_K
        case .i8: .i8
        case .q8_0Split: preconditionFailure("q8_0Split is the prefill kernels' own layout, not a GGML type")
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs a test only at the `avx2` kernel level (checks of the AVX2 table's own forms, such as its row pairs),
    /// printing why it is skipped otherwise.
    static var needsAVX2Level: Self {
        .enabled(if: KernelLevel.active == .avx2, "needs the avx2 kernel level (this process runs \(KernelLevel.active))")
    }

    /// Runs a test only at a level that gives llama.cpp's x86-64-v3 bits (`avx2`, and `avx512`, which reproduces
    /// them): checks against bits printed from that build. Prints why it is skipped otherwise.
    static var needsV3Bits: Self {
        .enabled(if: KernelLevel.active.givesX86V3Bits,
                 "needs a kernel level with llama.cpp's x86-64-v3 bits (this process runs \(KernelLevel.active))")
    }
}
