import Foundation
import GGUF
import Kernels
import Testing

/// A by-hand throughput check, not a timed test: skipped unless `KERNELS_BENCH=1`. Run it in release mode:
///
///     KERNELS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter MatvecThroughputCheck
///
/// Prints GB/s of weight bytes read by Q4_1 and Q8_0 matrix × vector products on SmolLM2-shaped matrices, with
/// 1 and 2 threads. "stream" rotates through copies totalling ≥ 256 MB so every call reads from DRAM (as decode
/// does: the model is larger than the last-level cache); "hot" repeats one matrix (cache-resident when small).
/// Each figure is the best of 12 rounds, because the build machine is shared.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KERNELS_BENCH"] == "1",
                "a by-hand throughput measurement, not a test: run with KERNELS_BENCH=1 to measure"))
struct MatvecThroughputCheck {
    @Test func report() throws {
        let shapes = [(rows: 1536, cols: 576), (rows: 576, cols: 1536), (rows: 49152, cols: 576)]
        for type in [GGMLType.q4_1, .q8_0] {
            for (rows, cols) in shapes {
                for threads in [1, 2] {
                    let (stream, hot) = try measure(type, rows: rows, cols: cols, threads: threads)
                    let kernel = DotKernel.kernel(for: type)!.id
                    print(String(format: "%@ %5d×%-5d threads=%d  stream %6.2f GB/s  hot %6.2f GB/s", kernel,
                                 rows, cols, threads, stream, hot))
                }
            }
        }
    }

    func measure(_ type: GGMLType, rows: Int, cols: Int, threads: Int) throws -> (Double, Double) {
        let rowBytes = type.rowByteCount(cols)!, matrixBytes = rows * rowBytes
        let copies = max(2, (256 << 20) / matrixBytes)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: copies * matrixBytes, alignment: 64)
        defer { storage.deallocate() }
        // Random nibbles/quants with a small valid F16 scale in every 32-element block (offset 0; Q4_1 min at 2).
        var state: UInt64 = 12345
        for i in 0..<storage.count { state = state &* 6364136223846793005 &+ 1442695040888963407; storage[i] = UInt8(truncatingIfNeeded: state >> 56) }
        let blockBytes = type.traits!.blockBytes
        for block in stride(from: 0, to: storage.count, by: blockBytes) {
            storage.storeBytes(of: UInt16(0x1800), toByteOffset: block, as: UInt16.self)
            if type == .q4_1 { storage.storeBytes(of: UInt16(0x9800), toByteOffset: block + 2, as: UInt16.self) }
        }
        let matrices = try (0..<copies).map { i in
            try WeightMatrix(type: type, rows: rows, cols: cols,
                             bytes: UnsafeRawBufferPointer(rebasing: storage[i * matrixBytes ..< (i + 1) * matrixBytes]))
        }
        let pool = ThreadPool(threadCount: threads), scratch = KernelScratch()
        let x = (0..<cols).map { Float(sin(Double($0))) }
        var y = [Float](repeating: 0, count: rows)
        /// Best of 12 rounds of ≥ 40 ms each: the machine is shared, and the best round is the least disturbed.
        func time(_ pick: (Int) -> WeightMatrix) -> Double {
            var best = 0.0, calls = 0
            for _ in 0..<12 {
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed: UInt64 = 0, roundCalls = 0
                while elapsed < 40_000_000 {
                    let w = pick(calls)
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer {
                            matmul(w, input: xp.baseAddress!, count: 1, output: $0.baseAddress!, pool: pool, scratch: scratch)
                        }
                    }
                    calls += 1
                    roundCalls += 1
                    elapsed = DispatchTime.now().uptimeNanoseconds - start
                }
                best = max(best, Double(roundCalls * matrixBytes) / Double(elapsed))
            }
            return best
        }
        _ = time { matrices[$0 % copies] }  // warm-up: fault the pages in
        return (time { matrices[$0 % copies] }, time { _ in matrices[0] })
    }
}
