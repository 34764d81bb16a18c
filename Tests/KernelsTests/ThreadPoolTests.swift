import Synchronization
import Testing
@testable import Kernels

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyIndexRunsExactlyOnceAcrossManyCalls(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for call in 0..<500 {
                let count = 1 + call % 1000
                // Ranges are disjoint, so threads write disjoint elements.
                pool.parallelFor(count) { range in for i in range { base[i] += 1 } }
            }
        }
        let expected = (0..<1000).map { i in (0..<500).filter { 1 + $0 % 1000 > i }.count }
        #expect(hits == expected)
    }

    /// Adds 1 to every element of its range (ranges are disjoint, so threads write disjoint elements).
    struct Increment: ParallelWork {
        let base: UnsafeMutablePointer<Int>
        func run(_ range: Range<Int>, thread: Int) { for i in range { base[i] += 1 } }
    }

    @Test(arguments: [1, 2, 3])
    func parallelWorkRunsEveryIndexExactlyOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { buffer in
            for call in 0..<500 { pool.parallelFor(1 + call % 1000, Increment(base: buffer.baseAddress!)) }
        }
        let expected = (0..<1000).map { i in (0..<500).filter { 1 + $0 % 1000 > i }.count }
        #expect(hits == expected)
    }

    /// Chunked calls hand out ranges of at most `chunk` indices (a one-thread pool runs the whole range at once),
    /// each index exactly once, with plain and chunked jobs alternating on one pool (the claim counter is reset per
    /// job).
    @Test(arguments: [1, 2, 3])
    func chunkedCallsRunEveryIndexExactlyOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        var hits = [Int](repeating: 0, count: 1000)
        let oversized = Atomic<Int>(0)
        hits.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for call in 0..<600 {
                let count = 1 + call % 1000, chunk = 1 + call % 7
                if call % 3 == 2 {
                    pool.parallelFor(count, Increment(base: base))
                } else if call % 2 == 0 {
                    pool.parallelFor(count, chunk: chunk, Increment(base: base))
                } else {
                    pool.parallelFor(count, chunk: chunk) { range in
                        if range.count > chunk && threads > 1 { oversized.add(1, ordering: .relaxed) }
                        for i in range { base[i] += 1 }
                    }
                }
            }
        }
        let expected = (0..<1000).map { i in (0..<600).filter { 1 + $0 % 1000 > i }.count }
        #expect(hits == expected)
        #expect(oversized.load(ordering: .relaxed) == 0)
    }

    @Test func rangesPartitionTheCount() {
        for threads in 1...4 {
            for count in [0, 1, 5, 576, 1537] {
                let ranges = (0..<threads).map { ThreadPool.range($0, of: threads, count: count) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                for i in 1..<threads { #expect(ranges[i - 1].upperBound == ranges[i].lowerBound) }
            }
        }
    }

    @Test func physicalCoreCountIsPositive() { #expect(ThreadPool.physicalCoreCount >= 1) }
}
