import AllocationCounter
import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
import ModelMaker
import TestSupport
import Testing

/// A decode step allocates nothing: counted by the test binary's interposed `malloc` family (AllocationCounter)
/// on the calling thread and the session's worker threads, over 48 decode steps of small synthetic models, one
/// per weight type and KV cache type (each route: vec_dot, repacked, tiled, ternary; flash and two-pass attention).
@Suite struct DecodeAllocationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let architecture: SyntheticArchitecture
        let type: GGMLType
        let cache: KVCacheType
        var testDescription: String { "\(architecture.rawValue) \(type.name), \(cache) cache" }
    }

    static let cases: [Case] =
        [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K].map { Case(architecture: .llama, type: $0, cache: .f16) }
        + [Case(architecture: .llama, type: .q4_1, cache: .f32), Case(architecture: .bitnet, type: .tq2_0, cache: .f16)]

    /// Attaches each pool thread to `counter` (nil detaches): with `count == threadCount` every thread runs
    /// exactly one index.
    struct Attach: ParallelWork {
        let counter: OpaquePointer?
        func run(_ range: Range<Int>, thread: Int) { allocation_counter_attach(counter) }
    }

    /// Counts allocations made by `body` on this thread and `pool`'s threads (a counter of its own, so tests on
    /// other threads do not add to it).
    static func allocations(pool: ThreadPool, _ body: () throws -> Void) throws -> Int {
        let counter = try #require(allocation_counter_create())
        defer { allocation_counter_destroy(counter) }
        pool.parallelFor(pool.threadCount, Attach(counter: counter))
        allocation_counter_attach(counter)
        defer {
            allocation_counter_attach(nil)
            pool.parallelFor(pool.threadCount, Attach(counter: nil))
        }
        try body()
        return allocation_counter_read(counter)
    }

    @Test func counterSeesAllocations() throws {
        try #require(allocation_counter_available() == 1, "the allocation counter needs glibc")
        let pool = ThreadPool(threadCount: 2)
        var kept: [Int] = []
        let n = try Self.allocations(pool: pool) { kept = [Int](repeating: 1, count: 100 + Int.random(in: 0..<2)) }
        #expect(kept.count >= 100)
        #expect(n >= 1, "an array allocation was not counted: the interposed malloc is not in effect")
    }

    @Test(arguments: cases)
    func decodeStepsDoNotAllocate(_ c: Case) throws {
        try #require(allocation_counter_available() == 1, "the allocation counter needs glibc")
        let dir = try TestModels.scratchDirectory("decode-alloc-\(c.architecture.rawValue)-\(c.type.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(architecture: c.architecture, shape: .tiny, weightType: c.type, seed: 5).write(to: path)
        let engine = try Engine(path: path)
        var options = SessionOptions()
        options.threads = 2
        options.contextLength = 128
        options.kvCacheType = c.cache
        let session = engine.makeSession(options)
        _ = try session.evaluate([1, 2, 3, 4, 5])
        var next: Int32 = 6
        for _ in 0..<4 { next = Sampler.argmax(try session.decode(next)) }  // first-use setup happens here
        let count = try Self.allocations(pool: session.context.pool) {
            for _ in 0..<48 { next = Sampler.argmax(try session.decode(next)) }
        }
        #expect(count == 0, "\(count) heap allocations in 48 decode steps")
    }
}
