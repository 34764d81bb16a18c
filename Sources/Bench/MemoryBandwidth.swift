import Foundation

/// The machine's memory read bandwidth, measured the way decode uses memory: `threads` threads each read their own
/// contiguous slice of a buffer far larger than the last-level cache, and the best of several passes counts.
///
/// Method (docs/performance.md): allocate `bufferBytes` (default: 4 × the last-level cache, at least 1 GiB — the
/// Intel hosts have 260 MB of L3, so a smaller buffer would be read partly from cache), write every page once so it
/// is resident, then time passes with each of several access patterns: in a pass thread i sums slice i as
/// `streamsPerThread` interleaved sequential streams (1, 4 and 8: one stream is what a plain loop does; decode's
/// kernels read four or more weight rows at once, which keeps more misses in flight), each 64-byte line with four
/// independent 16-byte integer accumulators so the adds never limit the loads. GB/s = bytes read ÷ wall time of the
/// pass (10^9 bytes per GB); the fastest pass of any pattern is reported (the slower ones measured interference or a
/// pattern the prefetchers serve worse), so a decode rate above 100 % of it would mean the probe under-reads.
public struct MemoryBandwidth: Sendable, Codable, Equatable {
    /// Best read rate over the passes, in 10^9 bytes per second.
    public let gigabytesPerSecond: Double
    /// Threads that read in parallel.
    public let threads: Int
    /// Bytes read per pass.
    public let bufferBytes: Int
    /// Timed passes per access pattern (the best of all counts).
    public let passes: Int
    /// Interleaved streams per thread in the fastest pass; nil in results from before the patterns existed.
    public var streamsPerThread: Int? = nil
    /// Paired measurements (`bitnet bench`): one probe right after each timed decode repetition, in GB/s;
    /// `gigabytesPerSecond` is then their median. Nil for a single measurement.
    public var samples: [Double]? = nil

    /// The stream counts tried per thread.
    public static let streamPatterns = [1, 4, 8]

    /// The default buffer: 4 × the last-level cache (sysfs), at least 1 GiB.
    public static var defaultBufferBytes: Int { max(1 << 30, 4 * (lastLevelCacheBytes() ?? 0)) }

    /// The largest cache of CPU 0 (`/sys/devices/system/cpu/cpu0/cache/index*/size`, e.g. "32768K"); nil when the
    /// system does not say.
    public static func lastLevelCacheBytes(root: String = "/sys/devices/system/cpu/cpu0/cache") -> Int? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let sizes = entries.filter { $0.hasPrefix("index") }.compactMap { entry -> Int? in
            guard let text = try? String(contentsOfFile: "\(root)/\(entry)/size", encoding: .utf8) else { return nil }
            return parseCacheSize(text)
        }
        return sizes.max()
    }

    /// "32768K" → 33554432, "1M" → 1048576, "512" → 512; nil when unreadable.
    static func parseCacheSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let scale = t.hasSuffix("K") ? 1 << 10 : t.hasSuffix("M") ? 1 << 20 : t.hasSuffix("G") ? 1 << 30 : 1
        let digits = scale == 1 ? t : String(t.dropLast())
        guard let n = Int(digits), n > 0 else { return nil }
        return n * scale
    }

    /// Measures read bandwidth with `threads` threads.
    /// - Throws: `BenchError.invalidConfiguration` when `threads`, `passes` or `bufferBytes` is not positive.
    public static func measure(threads: Int, bufferBytes: Int = defaultBufferBytes, passes: Int = 3)
        throws(BenchError) -> MemoryBandwidth
    {
        try Probe(threads: threads, bufferBytes: bufferBytes).measure(passes: passes)
    }

    /// The median of `x` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return 0 }
        let s = x.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// A resident read buffer that can be measured repeatedly: `bitnet bench` probes once after every decode
    /// repetition, so each bound sample sees the same host conditions as the run beside it (on a shared host the
    /// probe alone moved 35 → 58 GB/s between processes, which made `% of bound` swing by half).
    public final class Probe {
        public let threads: Int
        public let bufferBytes: Int
        private let raw: UnsafeMutableRawPointer
        private let shared: Shared
        private let lines: Int
        private var sink = SIMD4<UInt32>()

        /// Allocates `bufferBytes` and writes every page once so it is resident.
        /// - Throws: `BenchError.invalidConfiguration` for a non-positive thread count or a buffer too small.
        public init(threads: Int, bufferBytes: Int = MemoryBandwidth.defaultBufferBytes) throws(BenchError) {
            let maxStreams = MemoryBandwidth.streamPatterns.max()!
            guard threads > 0, bufferBytes >= 64 * threads * maxStreams else {
                throw .invalidConfiguration("memory bandwidth needs threads ≥ 1 and a buffer of at least "
                    + "\(64 * maxStreams) bytes per thread (got threads \(threads), \(bufferBytes) bytes)")
            }
            self.threads = threads
            lines = bufferBytes / 64  // 64-byte lines = groups of four 16-byte vectors
            self.bufferBytes = lines * 64
            raw = UnsafeMutableRawPointer.allocate(byteCount: lines * 64, alignment: 64)
            let buffer = raw.bindMemory(to: SIMD4<UInt32>.self, capacity: 4 * lines)
            for i in 0..<4 * lines { buffer[i] = SIMD4(repeating: UInt32(truncatingIfNeeded: i)) }  // fault every page in
            shared = Shared(base: UnsafePointer(buffer), sums: UnsafeMutablePointer.allocate(capacity: threads))
        }

        deinit {
            shared.sums.deallocate()
            raw.deallocate()
        }

        /// The best rate of `passes` passes of every access pattern.
        /// - Throws: `BenchError.invalidConfiguration` when `passes` is not positive.
        public func measure(passes: Int) throws(BenchError) -> MemoryBandwidth {
            guard passes > 0 else { throw .invalidConfiguration("memory bandwidth needs passes ≥ 1 (got \(passes))") }
            var best = Double.infinity, bestStreams = 1
            let (lines, threads, shared) = (self.lines, self.threads, self.shared)
            for _ in 0..<passes {
                for streams in MemoryBandwidth.streamPatterns {
                    let start = DispatchTime.now().uptimeNanoseconds
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        // Slice t is lines [lo, hi); lo..<hi ⊂ 0..<lines, so every load is in the buffer.
                        let lo = lines * t / threads, hi = lines * (t + 1) / threads
                        shared.sums[t] = MemoryBandwidth.sumLines(shared.base + 4 * lo, count: hi - lo, streams: streams)
                    }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
                    for t in 0..<threads { sink &+= shared.sums[t] }
                    if elapsed < best { (best, bestStreams) = (elapsed, streams) }
                }
            }
            // The sums feed a comparison the optimiser cannot drop, so the loads cannot be elided.
            let rate = Double(lines * 64) / best
            return MemoryBandwidth(gigabytesPerSecond: sink == SIMD4(repeating: 1) ? rate.nextUp : rate,
                                   threads: threads, bufferBytes: lines * 64, passes: passes, streamsPerThread: bestStreams)
        }
    }

    /// The buffer and the per-thread results, handed to the reading threads.
    fileprivate struct Shared: @unchecked Sendable {
        // @unchecked Sendable: during a pass the threads only read `base` and each writes only its own `sums[t]`;
        // both allocations outlive the pass (freed by the probe's deinit, after `concurrentPerform` returns).
        let base: UnsafePointer<SIMD4<UInt32>>
        let sums: UnsafeMutablePointer<SIMD4<UInt32>>
    }

    /// Wrapping sum of `count` 64-byte lines from `p` (the caller guarantees `4 × count` vectors), read as `streams`
    /// equal sequential streams advanced together (line i of each, then line i + 1), the remainder as one stream.
    fileprivate static func sumLines(_ p: UnsafePointer<SIMD4<UInt32>>, count: Int, streams: Int) -> SIMD4<UInt32> {
        var a = SIMD4<UInt32>(), b = a, c = a, d = a
        let per = count / streams
        for i in 0..<per {
            for s in 0..<streams {
                let q = p + 4 * (s * per + i)  // line s·per + i < streams·per ≤ count
                a &+= q[0]; b &+= q[1]; c &+= q[2]; d &+= q[3]
            }
        }
        for line in streams * per ..< count {
            let q = p + 4 * line
            a &+= q[0]; b &+= q[1]; c &+= q[2]; d &+= q[3]
        }
        return a &+ b &+ c &+ d
    }
}
