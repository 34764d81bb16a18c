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
