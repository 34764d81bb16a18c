@testable import Bench
import Foundation
import Testing
import TestSupport

/// The peak-RSS figures `bitnet bench` prints: ours from `getrusage`, llama-bench's sampled from `/proc`.
@Suite struct ProcessMemoryTests {
    @Test func ownHighWaterMarkCountsTouchedPages() throws {
        let bytes = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { block.deallocate() }
        for page in stride(from: 0, to: bytes, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        let sampled = try #require(ProcessMemory.peakResidentBytes(ofProcess: getpid()))
        #expect(sampled >= bytes)
        #expect(ProcessMemory.peakResidentBytes() >= bytes)
    }

    /// A child's own mark is read, not this process's: `getrusage(RUSAGE_CHILDREN)` would report at least our peak.
    @Test func childHighWaterMarkIsTheChildsOwn() throws {
        let bytes = 96 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        defer { block.deallocate() }
        for page in stride(from: 0, to: bytes, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["2"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.2)  // past the exec
        let sampled = try #require(ProcessMemory.peakResidentBytes(ofProcess: child.processIdentifier))
        #expect(sampled > 0 && sampled < 32 << 20, "sleep's own peak, far below ours (\(bytes >> 20) MiB touched)")
    }

    @Test func exitedProcessHasNoSample() {
        #expect(ProcessMemory.peakResidentBytes(ofProcess: Int32.max) == nil)
    }

    /// One real llama-bench run through `ReferenceBench`: its peak covers the weights it mapped and read.
    @Test(.enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
    func referenceRunReportsItsPeak() throws {
        let model = try TestModels.smolLM2()
        let fileBytes = try #require(try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        let run = try ReferenceBench(binary: ReferenceBench.defaultBinary(level: .native), modelPath: model, threads: 2)
            .run(promptTokens: 16, generateTokens: 0)
        let peak = try #require(run.peakResidentBytes)
        #expect(peak >= fileBytes / 2, "pp16 reads every weight of the mapped file (\(fileBytes) bytes)")
        #expect(peak < 1 << 30)
    }
}
