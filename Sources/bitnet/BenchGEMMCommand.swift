import ArgumentParser
import Bench
import Foundation
import GGUF

/// `bitnet bench-gemm`: one weight type's matrix product timed alone, in GMAC/s per thread.
struct BenchGEMMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gemm",
        abstract: "Time one prefill matrix product [m×k]·[k×n] (matmul with the active kernel level) in GMAC/s.",
        discussion: "The default shape, 128×2048 by 2048×2048 on one thread, is the one bitnet.cpp reports its I2_S "
            + "kernel time for (docs/performance.md).")

    @Option(help: "Weight type: i2_s, tq2_0, q8_0 or q4_1.") var type = "i2_s"
    @Option(name: .customShort("m"), help: "Activation rows (tokens).") var m = 128
    @Option(name: .customShort("k"), help: "Reduction length (weight columns).") var k = 2048
    @Option(name: .customShort("n"), help: "Weight rows (outputs).") var n = 2048
    @Option(help: "Threads.") var threads = 1
    @Option(name: .shortAndLong, help: "Timed calls (after one warm-up).") var repetitions = 10
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        guard let weightType = GEMMBench.types.first(where: { $0.name == type.lowercased() }) else {
            throw ValidationError("--type \(type) is not one of \(GEMMBench.types.map(\.name).joined(separator: ", "))")
        }
        let r = try GEMMBench.measure(type: weightType, m: m, k: k, n: n, threads: threads, repetitions: repetitions)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
        } else {
            print(String(format: "%@ [%d×%d]·[%d×%d] threads=%d level=%@ (%@): best %.3f ms, median %.3f ms, "
                         + "%.1f GMAC/s (%.1f per thread)", r.weightType, r.m, r.k, r.k, r.n, r.threads,
                         r.kernelLevel, r.kernel, r.bestMilliseconds, r.medianMilliseconds, r.gmacPerSecond,
                         r.gmacPerSecondPerThread))
        }
    }
}
