import Foundation
import Testing
@testable import Bench

/// The read-bandwidth probe's sizing and its result's shape (its rate is a measurement, never asserted here).
@Suite struct MemoryBandwidthTests {
    @Test func cacheSizesParseAsSysfsWritesThem() {
        #expect(MemoryBandwidth.parseCacheSize("32768K\n") == 32 << 20)
        #expect(MemoryBandwidth.parseCacheSize("260M") == 260 << 20)
        #expect(MemoryBandwidth.parseCacheSize("512") == 512)
        #expect(MemoryBandwidth.parseCacheSize("") == nil)
        #expect(MemoryBandwidth.parseCacheSize("lots") == nil)
    }

    @Test func defaultBufferIsFarLargerThanTheLastLevelCache() {
        let llc = MemoryBandwidth.lastLevelCacheBytes()
        print("last-level cache \(llc.map { "\($0 >> 20) MiB" } ?? "unknown"); default probe buffer "
              + "\(MemoryBandwidth.defaultBufferBytes >> 20) MiB")
        #expect(MemoryBandwidth.defaultBufferBytes >= 1 << 30)
        if let llc { #expect(MemoryBandwidth.defaultBufferBytes >= 4 * llc) }
    }

    @Test func measurementReportsItsPatternAndRejectsBadSizes() throws {
        let b = try MemoryBandwidth.measure(threads: 2, bufferBytes: 8 << 20, passes: 1)
        #expect(b.gigabytesPerSecond > 0 && b.threads == 2 && b.bufferBytes == 8 << 20 && b.passes == 1)
        #expect(MemoryBandwidth.streamPatterns.contains(b.streamsPerThread ?? 0))
        #expect(throws: BenchError.self) { try MemoryBandwidth.measure(threads: 2, bufferBytes: 64) }
        #expect(throws: BenchError.self) { try MemoryBandwidth.measure(threads: 0) }
    }
}
