import Foundation
import GGUF
import Kernels

/// One matrix product timed alone: `y = x · Wᵀ` with `W` [n, k] of one weight type and `x` [m, k] F32, through
/// `matmul` (activation quantization, tiling, the active level's batch kernels), as a prefill step runs it.
///
/// The weights are deterministic pseudo-random blocks (ternary codes 0…2 for TQ2_0 and I2_S, small F16 scales), so
/// the work is the real kernels' on real-sized data; the values themselves do not matter to the time.
public struct GEMMBench: Sendable, Codable, Equatable {
    public let weightType: String
    /// Activation rows (tokens), reduction length, weight rows.
    public let m: Int, k: Int, n: Int
    public let threads: Int
    /// Timed calls (after one untimed warm-up).
    public let repetitions: Int
    /// Best and median wall time of one call, milliseconds.
    public let bestMilliseconds: Double, medianMilliseconds: Double
    /// m·k·n multiply-adds ÷ best time, in 10^9 per second, in all and per thread.
    public let gmacPerSecond: Double, gmacPerSecondPerThread: Double
    /// The kernel level and kernel id that ran.
    public let kernelLevel: String, kernel: String

    /// The weight types this bench can fill.
    public static let types: [GGMLType] = [.i2_s, .tq2_0, .q8_0, .q4_1]

    /// Times `repetitions` calls of `matmul` on [m, k] · [n, k]ᵀ.
    /// - Throws: `BenchError.invalidConfiguration` for a type it cannot fill, a non-positive size, or a `k` that is
    ///   not whole blocks of the type.
    public static func measure(type: GGMLType, m: Int, k: Int, n: Int, threads: Int, repetitions: Int)
        throws(BenchError) -> GEMMBench
    {
        guard types.contains(type) else {
            throw .invalidConfiguration("bench-gemm fills \(types.map(\.name).joined(separator: ", ")) weights, "
                + "not \(type.name)")
        }
        guard m > 0, k > 0, n > 0, threads > 0, repetitions > 0 else {
            throw .invalidConfiguration("bench-gemm needs positive m, k, n, threads and repetitions")
        }
        // WeightMatrix reads the bytes where they lie (as it reads a mapped file), so they live until the end.
        let bytes = weightBytes(type, k: k, n: n)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        let w: WeightMatrix
        do {
            w = try WeightMatrix(type: type, rows: n, cols: k, bytes: UnsafeRawBufferPointer(storage))
        } catch {
            throw .invalidConfiguration("bench-gemm cannot build a \(type.name) [\(n), \(k)] matrix: \(error)")
        }
        let pool = ThreadPool(threadCount: threads), scratch = KernelScratch()
        let x = (0..<m * k).map { Float(sin(Double($0) * 0.37)) }
        var y = [Float](repeating: 0, count: m * n)
        var times: [Double] = []
        for round in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer {
                    matmul(w, input: xp.baseAddress!, count: m, output: $0.baseAddress!, pool: pool, scratch: scratch)
                }
            }
            if round > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        times.sort()
        let best = times[0], macs = Double(m) * Double(k) * Double(n)
        return GEMMBench(weightType: type.name, m: m, k: k, n: n, threads: threads, repetitions: repetitions,
                         bestMilliseconds: best, medianMilliseconds: times[times.count / 2],
                         gmacPerSecond: macs / best / 1e6, gmacPerSecondPerThread: macs / best / 1e6 / Double(threads),
                         kernelLevel: KernelLevel.active.rawValue, kernel: w.kernel(forRow: m - 1, of: m).id)
    }

    /// Deterministic bytes of an [n, k] matrix of `type` (I2_S with its 32-byte trailer, scale 1).
    static func weightBytes(_ type: GGMLType, k: Int, n: Int) -> [UInt8] {
        var state: UInt64 = 0x6A09E667F3BCC908
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        func ternaryByte() -> UInt8 { (0..<4).reduce(0) { $0 | UInt8(next() % 3) << (2 * $1) } }
        if type == .i2_s {
            var bytes = (0..<n * k / 4).map { _ in ternaryByte() }
            bytes += withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Array($0) } + [UInt8](repeating: 0, count: 28)
            return bytes
        }
        let traits = type.traits!, blocks = n * k / traits.blockSize
        let scaleOffsets = type == .tq2_0 ? [64] : type == .q4_1 ? [0, 2] : [0]
        var bytes = [UInt8]()
        bytes.reserveCapacity(blocks * traits.blockBytes)
        for _ in 0..<blocks {
            var block = (0..<traits.blockBytes).map { _ in type == .tq2_0 ? ternaryByte() : UInt8(truncatingIfNeeded: next()) }
            for offset in scaleOffsets {
                block[offset] = 0x1F; block[offset + 1] = 0x21  // F16 0x211F ≈ 0.0101
            }
            bytes += block
        }
        return bytes
    }
}
