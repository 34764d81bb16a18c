import Foundation
import GGUF
import Kernels
import Testing

/// A by-hand throughput check, not a timed test: skipped unless `KERNELS_BENCH=1`. Run it in release mode:
///
///     KERNELS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter PrefillThroughputCheck
///
/// Prints the block products per nanosecond (one product = one 32-element block of one weight row against one
/// activation row) of `matmul` on a 512-row batch for Q8_0 and Q4_1 SmolLM2-shaped matrices, with 1 and 2 threads:
/// activation quantization, tile decoding and the kernels together, as a prefill step runs them. Best of 8 rounds.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KERNELS_BENCH"] == "1",
                "a by-hand throughput measurement, not a test: run with KERNELS_BENCH=1 to measure"))
struct PrefillThroughputCheck {
    @Test func report() throws {
        let shapes = [(rows: 1536, cols: 576), (rows: 576, cols: 1536), (rows: 576, cols: 576)]
        let types: [GGMLType] = ProcessInfo.processInfo.environment["KERNELS_BENCH_TYPES"].map {
            let known: [String: GGMLType] = ["q8_0": .q8_0, "q4_1": .q4_1, "q5_0": .q5_0]
            return $0.split(separator: ",").compactMap { known[String($0)] }
        } ?? [.q8_0, .q4_1]
        for type in types {
            for (rows, cols) in shapes {
                for threads in [1, 2] {
                    let rate = try measure(type, rows: rows, cols: cols, tokens: 512, threads: threads)
                    let kernel = DotKernel.kernel(for: type)!.id
                    print(String(format: "%@ %5d×%-5d × 512 threads=%d  %6.3f block products/ns", kernel, rows, cols,
                                 threads, rate))
                }
            }
        }
    }

    func measure(_ type: GGMLType, rows: Int, cols: Int, tokens: Int, threads: Int) throws -> Double {
        let rowBytes = type.rowByteCount(cols)!, matrixBytes = rows * rowBytes
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: matrixBytes, alignment: 64)
        defer { storage.deallocate() }
        var state: UInt64 = 12345
        for i in 0..<storage.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            storage[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let blockBytes = type.traits!.blockBytes
        for block in stride(from: 0, to: storage.count, by: blockBytes) {
            storage.storeBytes(of: UInt16(0x1800), toByteOffset: block, as: UInt16.self)
            if type == .q4_1 { storage.storeBytes(of: UInt16(0x9800), toByteOffset: block + 2, as: UInt16.self) }
        }
        let w = try WeightMatrix(type: type, rows: rows, cols: cols, bytes: UnsafeRawBufferPointer(storage))
        let pool = ThreadPool(threadCount: threads), scratch = KernelScratch()
        let x = (0..<tokens * cols).map { Float(sin(Double($0) * 0.37)) }
        var y = [Float](repeating: 0, count: tokens * rows)
        var best = 0.0
        for round in 0..<9 {
            let start = DispatchTime.now().uptimeNanoseconds
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer {
                    matmul(w, input: xp.baseAddress!, count: tokens, output: $0.baseAddress!, pool: pool,
                           scratch: scratch)
                }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if round > 0 { best = max(best, Double(rows * cols / 32 * tokens) / Double(elapsed)) }
        }
        return best
    }
}
