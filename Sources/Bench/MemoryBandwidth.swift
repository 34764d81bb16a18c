import Foundation

/// The machine's memory read bandwidth, measured the way decode uses memory: `threads` threads each sum their own
/// contiguous slice of a buffer much larger than the last-level cache, and the best of several passes counts.
///
/// Method (docs/performance.md): allocate `bufferBytes` (default 256 MiB, well above the 32 MiB L3 of the EPYC
/// hosts this runs on), write every page once so it is resident, then time `passes` full read passes; in each pass
/// thread i sums slice i with four independent 16-byte integer accumulators (so the adds never limit the loads).
/// GB/s = bytes read ÷ wall time of the pass (10^9 bytes per GB); the fastest pass is reported, because the slower
/// ones measured interference, not the memory system.
public struct MemoryBandwidth: Sendable, Codable, Equatable {
    /// Best read rate over the passes, in 10^9 bytes per second.
    public let gigabytesPerSecond: Double
    /// Threads that read in parallel.
    public let threads: Int
    /// Bytes read per pass.
    public let bufferBytes: Int
    /// Timed passes (the best counts).
    public let passes: Int

    /// The default buffer: 256 MiB.
    public static let defaultBufferBytes = 256 << 20

    /// Measures read bandwidth with `threads` threads.
    /// - Throws: `BenchError.invalidConfiguration` when `threads`, `passes` or `bufferBytes` is not positive.
    public static func measure(threads: Int, bufferBytes: Int = defaultBufferBytes, passes: Int = 5)
        throws(BenchError) -> MemoryBandwidth
    {
        guard threads > 0, passes > 0, bufferBytes >= 64 * threads else {
            throw .invalidConfiguration("memory bandwidth needs threads ≥ 1, passes ≥ 1 and a buffer of at least "
                + "64 bytes per thread (got threads \(threads), passes \(passes), \(bufferBytes) bytes)")
        }
        let vectors = bufferBytes / 16 / 4 * 4  // a whole number of 4-vector groups
        let buffer = UnsafeMutablePointer<SIMD4<UInt32>>.allocate(capacity: vectors)
        defer { buffer.deallocate() }
        for i in 0..<vectors { buffer[i] = SIMD4(repeating: UInt32(truncatingIfNeeded: i)) }  // fault every page in
        let bytes = vectors * 16
        let shared = Shared(base: UnsafePointer(buffer), sums: UnsafeMutablePointer.allocate(capacity: threads))
        defer { shared.sums.deallocate() }
        var best = Double.infinity
        var sink = SIMD4<UInt32>()
        for _ in 0..<passes {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                // Slice t is groups [lo, hi) of 4 vectors; lo..<hi ⊂ 0..<vectors/4, so every load is in the buffer.
                let groups = vectors / 4
                let lo = groups * t / threads, hi = groups * (t + 1) / threads
                shared.sums[t] = sumGroups(shared.base + 4 * lo, count: hi - lo)
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            for t in 0..<threads { sink &+= shared.sums[t] }
            best = min(best, elapsed)
        }
        // The sums feed a comparison the optimiser cannot drop, so the loads cannot be elided.
        let rate = Double(bytes) / best
        return MemoryBandwidth(gigabytesPerSecond: sink == SIMD4(repeating: 1) ? rate.nextUp : rate,
                               threads: threads, bufferBytes: bytes, passes: passes)
    }

    /// The buffer and the per-thread results, handed to the reading threads.
    private struct Shared: @unchecked Sendable {
        // @unchecked Sendable: during a pass the threads only read `base` and each writes only its own `sums[t]`;
        // both allocations outlive the pass (freed by `measure`'s defers after `concurrentPerform` returns).
        let base: UnsafePointer<SIMD4<UInt32>>
        let sums: UnsafeMutablePointer<SIMD4<UInt32>>
    }

    /// Wrapping sum of `count` groups of four vectors starting at `p` (the caller guarantees `4 × count` vectors).
    private static func sumGroups(_ p: UnsafePointer<SIMD4<UInt32>>, count: Int) -> SIMD4<UInt32> {
        var a = SIMD4<UInt32>(), b = a, c = a, d = a
        for g in 0..<count {
            let q = p + 4 * g
            a &+= q[0]; b &+= q[1]; c &+= q[2]; d &+= q[3]
        }
        return a &+ b &+ c &+ d
    }

    /// `threads` measured once per process and reused (the measurement takes about a second).
    public static func cached(threads: Int) throws(BenchError) -> MemoryBandwidth {
        if let hit = cache.withLock({ $0[threads] }) { return hit }
        let measured = try measure(threads: threads)
        cache.withLock { $0[threads] = measured }
        return measured
    }

    private static let cache = LockedDictionary()
}

/// A dictionary behind a lock, for the per-process bandwidth cache.
final class LockedDictionary: @unchecked Sendable {
    // @unchecked Sendable: `values` is only touched while `lock` is held.
    private let lock = NSLock()
    private var values: [Int: MemoryBandwidth] = [:]

    func withLock<T>(_ body: (inout [Int: MemoryBandwidth]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&values)
    }
}
