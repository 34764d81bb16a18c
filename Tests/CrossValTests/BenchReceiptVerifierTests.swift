@testable import CrossVal
import Foundation
import Kernels
import Testing

/// Bench receipts: a receipt built from fabricated raw times verifies; each kind of tampering is rejected with its
/// reason. The derived numbers are computed here independently of the Bench module, from the raw times.
struct BenchReceiptVerifierTests {
    /// A consistent receipt: pp64 and tg16, two repetitions per side, with the reference.
    static func validReceipt() -> BenchReceipt {
        let weightBytes = 96_000_000, kvPerPosition = 92_160, bandwidth = 17.5
        func side(_ ns: [Int], tokens: Int) -> BenchReceipt.Side {
            let rates = ns.map { Double(tokens) * 1e9 / Double($0) }
            let mean = rates.reduce(0, +) / Double(rates.count)
            let std = (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1)).squareRoot()
            return .init(runNs: ns, rates: rates, mean: mean, std: std)
        }
        let pp = (ours: side([310_000_000, 330_000_000], tokens: 64), theirs: side([250_000_000, 262_000_000], tokens: 64))
        let tg = (ours: side([101_000_000, 99_000_000], tokens: 16), theirs: side([131_000_000, 129_000_000], tokens: 16))
        let bytes = Double(weightBytes) + Double(kvPerPosition) * Double(16 + 3) / 2
        let gbPerS = bytes * tg.ours.mean / 1e9
        let kernel = DotKernel.all.first { $0.id.hasPrefix("q4_1") }!.id
        return BenchReceipt(
            createdAt: "2026-11-23T04:00:00Z", git: .init(commit: String(repeating: "a", count: 40), dirty: false),
            model: .init(path: "/models/m.gguf", sha256: String(repeating: "b", count: 64), sizeBytes: 98_362_432,
                         architecture: "llama", tensorTypes: [.init(type: "q4_1", tensors: 200, bytes: 90_000_000)],
                         parameters: 134_515_008, label: "llama 256M Q4_1"),
            engine: .init(name: "bitnet-swift", version: "0.1.0-dev", kernels: [kernel], threads: 2, kvCache: "f16"),
            host: .init(cpuModel: "AMD EPYC 7763 64-Core Processor", cpuFeatures: ["avx2", "fma"], logicalCores: 2,
                        os: "Linux"),
            settings: .init(promptTokens: 64, generateTokens: 16, repetitions: 2, threads: 2),
            memory: .init(loadSeconds: 0.05, peakRssBytes: 150_000_000, weightBytesPerToken: weightBytes,
                          kvBytesPerPosition: kvPerPosition, readBandwidthGbPerS: bandwidth, bandwidthThreads: 2,
                          bandwidthBufferBytes: 268_435_456, bandwidthPasses: 5,
                          referencePeakRssBytes: 154_000_000),
            tests: [
                .init(test: "pp64", promptTokens: 64, generateTokens: 0, ours: pp.ours, reference: pp.theirs,
                      ratio: pp.ours.mean / pp.theirs.mean, bytesPerToken: nil, gbPerS: nil, percentOfBound: nil),
                .init(test: "tg16", promptTokens: 0, generateTokens: 16, ours: tg.ours, reference: tg.theirs,
                      ratio: tg.ours.mean / tg.theirs.mean, bytesPerToken: bytes, gbPerS: gbPerS,
                      percentOfBound: 100 * gbPerS / bandwidth),
            ],
            reference: .init(name: "llama.cpp", commit: "0c1e570", buildNumber: 11312,
                             binary: "/cache/reference/0c1e570-native/bin/llama-bench", threads: 2, level: "native",
                             systemInfo: "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 |"))
    }

    /// The verdict on `receipt` after `edit`, written (and digested) by the codec like a real run.
    static func verdict(_ edit: (inout BenchReceipt) -> Void = { _ in }) throws -> ReceiptVerdict {
        var r = validReceipt()
        edit(&r)
        return ReceiptVerifier.standard.verify(try ReceiptCodec.encode(r))
    }

    static func expectRejected(_ verdict: ReceiptVerdict, mentioning phrase: String) {
        #expect(!verdict.isValid)
        #expect(verdict.problems.contains { $0.contains(phrase) }, "no problem mentions \"\(phrase)\": \(verdict.problems)")
    }

    /// The bandwidth is the median of the probes paired with the decode repetitions, one per repetition.
    @Test func bandwidthProbesMustGiveTheBound() throws {
        let good = try Self.verdict { $0.memory.bandwidthSamplesGbPerS = [17.0, 18.0] }
        #expect(good.isValid, "\(good.problems)")
        Self.expectRejected(try Self.verdict { $0.memory.bandwidthSamplesGbPerS = [17.5, 30.0] },
                            mentioning: "median of its probes")
        Self.expectRejected(try Self.verdict { $0.memory.bandwidthSamplesGbPerS = [17.5] }, mentioning: "bandwidth probes for")
    }

    @Test func validReceiptVerifies() throws {
        let verdict = try Self.verdict()
        #expect(verdict.kind == "bench")
        #expect(verdict.problems == [])
    }

    @Test func receiptWithoutReferenceVerifies() throws {
        let verdict = try Self.verdict { r in
            r.reference = nil
            for i in r.tests.indices { r.tests[i].reference = nil; r.tests[i].ratio = nil }
        }
        #expect(verdict.problems == [])
    }

    @Test func editedRateIsRejectedEvenWhenReSigned() throws {
        Self.expectRejected(try Self.verdict { $0.tests[1].ours.rates[0] *= 1.2 }, mentioning: "rate 0 is")
        Self.expectRejected(try Self.verdict { $0.tests[1].ours.mean *= 1.2 }, mentioning: "mean")
        Self.expectRejected(try Self.verdict { $0.tests[0].ratio! *= 1.2 }, mentioning: "ratio")
        Self.expectRejected(try Self.verdict { $0.tests[1].percentOfBound! += 5 }, mentioning: "percent_of_bound")
        Self.expectRejected(try Self.verdict { $0.tests[1].reference!.runNs[1] /= 2 }, mentioning: "reference: rate 1")
    }

    @Test func removedOrInventedKernelIdsAreRejected() throws {
        Self.expectRejected(try Self.verdict { $0.engine.kernels = [] }, mentioning: "no kernels")
        Self.expectRejected(try Self.verdict { $0.engine.kernels = ["q4_1×q8_1.turbo"] }, mentioning: "is not a kernel")
    }

    @Test func nonFiniteValuesAreRejected() throws {
        Self.expectRejected(try Self.verdict { $0.tests[0].ours.rates[1] = .nan }, mentioning: "NaN")
        Self.expectRejected(try Self.verdict { $0.memory.loadSeconds = .infinity }, mentioning: "load_seconds")
        Self.expectRejected(try Self.verdict { $0.memory.referenceLoadSeconds = -1 }, mentioning: "reference_load_seconds")
        Self.expectRejected(try Self.verdict { $0.memory.referencePeakRssBytes = 0 }, mentioning: "reference_peak_rss_bytes")
        Self.expectRejected(try Self.verdict { $0.memory.peakRssBytes = -1 }, mentioning: "peak_rss_bytes")
        Self.expectRejected(try Self.verdict { $0.tests[1].ours.runNs[0] = 0 }, mentioning: "not positive")
    }

    @Test func mockOrEmptyIdentitiesAreRejected() throws {
        Self.expectRejected(try Self.verdict { $0.engine.name = "mock-engine" }, mentioning: "engine identity")
        Self.expectRejected(try Self.verdict { $0.engine.version = "" }, mentioning: "engine identity")
        Self.expectRejected(try Self.verdict { $0.reference!.commit = "fake" }, mentioning: "reference llama.cpp commit")
        Self.expectRejected(try Self.verdict { $0.model.sha256 = "abc" }, mentioning: "sha256")
    }

    @Test func missingRepetitionsAndTestsAreRejected() throws {
        Self.expectRejected(try Self.verdict { $0.tests[1].reference = nil }, mentioning: "no reference times")
        Self.expectRejected(try Self.verdict { $0.tests.removeLast() }, mentioning: "settings ask for")
        Self.expectRejected(try Self.verdict { $0.settings.repetitions = 3 }, mentioning: "for 3 repetitions")
    }

    @Test func levelsAreRequiredFromSchema110() throws {
        Self.expectRejected(try Self.verdict { $0.reference!.level = nil }, mentioning: "reference.level is missing")
        Self.expectRejected(try Self.verdict { $0.engine.kernelLevel = nil }, mentioning: "kernel")
        // A 1.0.0 receipt (older baselines) has no levels and still verifies.
        let old = try Self.verdict {
            $0.schemaVersion = "1.0.0"
            $0.reference!.level = nil
            $0.reference!.systemInfo = nil
            $0.engine.kernelLevel = nil
        }
        #expect(old.problems == [])
    }

    @Test func handEditAfterWritingBreaksTheDigest() throws {
        let data = try ReceiptCodec.encode(Self.validReceipt())
        let edited = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "/models/m.gguf", with: "/models/n.gguf")
        let verdict = ReceiptVerifier.standard.verify(Data(edited.utf8))
        Self.expectRejected(verdict, mentioning: "digest mismatch")
        #expect(verdict.problems.count == 1)  // only the digest: the edited field is not derived from anything
    }

    @Test func missingFieldIsNamed() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: ReceiptCodec.encode(Self.validReceipt())) as? [String: Any])
        json.removeValue(forKey: "memory")
        let verdict = ReceiptVerifier.standard.verify(try JSONSerialization.data(withJSONObject: json))
        Self.expectRejected(verdict, mentioning: "missing field `memory`")
    }
}
