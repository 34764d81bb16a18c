import ArgumentParser
import Bench
import BitNetRuntime
import CrossVal
import Foundation
import LlamaReference

/// `bitnet bench`: prefill and decode tokens per second in llama-bench's table shape, optionally side by side with
/// the pinned llama.cpp measured in the same run; `--receipt` writes a verifiable bench receipt; `--memory` only
/// measures the read bandwidth.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill (ppN) and decode (tgN) tokens/s, optionally against llama.cpp's llama-bench.",
        discussion: """
            Each test runs once untimed (warm-up), then -r times. Prefill evaluates -p tokens as one batch from an \
            empty cache; decode evaluates -n single tokens after a one-token prompt. With --reference, the pinned \
            llama-bench runs once after each of our repetitions (interleaved, so both see the same machine load) \
            and the table gains llama.cpp's rate and the ratio ours / llama.cpp. Decode rows also show the memory \
            traffic (GB/s) and its share of the read bandwidth measured in the same run (% of bound). \
            --memory measures only the read bandwidth (docs/performance.md describes the method).
            """
    )

    @OptionGroup var options: BenchOptions

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Option(name: .long, help: "Write a bench receipt (JSON, checked by `bitnet verify-receipt`) to this file.")
    var receipt: String?

    @Flag(help: "Only measure the memory read bandwidth (with --threads threads) and print it.")
    var memory = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        if memory {
            let threads = try options.resolvedThreads()
            let b = try MemoryBandwidth.measure(threads: threads)
            if json {
                print(try BenchTable.jsonText(b))
            } else {
                print(String(format: "memory read bandwidth: %.2f GB/s (%d thread(s), best of %d passes per pattern "
                             + "over %d MiB; fastest with %d stream(s) per thread)",
                             b.gigabytesPerSecond, b.threads, b.passes, b.bufferBytes >> 20, b.streamsPerThread ?? 1))
            }
            return
        }
        let report = try BenchRunner(try options.configuration()).run(progress: Self.progress)
        if json {
            print(try BenchTable.json(report))
        } else {
            print(BenchTable.markdown(report))
            print("\n" + BenchTable.footer(report))
        }
        if let receipt {
            let digest = try Self.writeReceipt(report, to: receipt)
            FileHandle.standardError.write(Data("[bench] receipt \(receipt) (\(digest))\n".utf8))
        }
    }

    static func progress(_ line: String) { FileHandle.standardError.write(Data("[bench] \(line)\n".utf8)) }

    /// Writes `report` as a bench receipt to `path` and returns its digest.
    static func writeReceipt(_ report: BenchReport, to path: String) throws -> String {
        let data = try ReceiptCodec.encode(try BenchReceipt(report))
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot write the receipt to \(path): \(error.localizedDescription)")
        }
        return try ReceiptCodec.decode(BenchReceipt.self, from: data).digest ?? "?"
    }
}

/// The flags `bench` and `bench-baseline` share.
struct BenchOptions: ParsableArguments {
    @Option(name: .long, help: "Path to a .gguf model or a lockfile name. Default: the cached SmolLM2-135M-Instruct.")
    var model: String?

    @Option(name: .customShort("p"), help: "Prompt tokens for the prefill test, 0 skips it (default 512).")
    var promptTokens: Int?

    @Option(name: .customShort("n"), help: "Tokens for the decode test, 0 skips it (default 128).")
    var generateTokens: Int?

    @Option(name: .customShort("r"), help: "Timed repetitions of each test (default 5).")
    var repetitions: Int?

    @Option(name: .long, help: "Threads (default: physical cores).")
    var threads: Int?

    @Flag(help: "Also run the pinned llama.cpp's llama-bench, interleaved with our runs.")
    var reference = false

    @Option(name: .customLong("reference-bench"), help: "The llama-bench binary (default: the pinned reference build of --reference-level in the cache).")
    var referenceBench: String?

    @Option(name: .customLong("reference-level"),
            help: "The llama.cpp build to compare with: native (default; what a llama.cpp user builds on this machine) or v3 (x86-64-v3, our AVX2 kernels' routes).")
    var referenceLevel: ReferenceLevel = .native

    @Option(name: .customLong("reference-model"),
            help: "Run llama.cpp on this file (path or lockfile name) instead of --model, e.g. the TQ2_0 file an I2_S copy was converted from; implies --reference.")
    var referenceModel: String?

    /// `--threads`, or the engine's default, validated.
    func resolvedThreads() throws -> Int {
        let n = threads ?? SessionOptions().threads
        guard (1...256).contains(n) else { throw ValidationError("--threads must be 1...256, got \(n)") }
        return n
    }

    /// The run these flags describe, with `defaults` filling what was not given.
    func configuration(defaults: BenchReceipt.Settings? = nil, forceReference: Bool = false) throws -> BenchConfiguration {
        var c = BenchConfiguration(modelPath: try ModelOptions.resolveModel(model))
        c.promptTokens = promptTokens ?? defaults?.promptTokens ?? 512
        c.generateTokens = generateTokens ?? defaults?.generateTokens ?? 128
        c.repetitions = repetitions ?? defaults?.repetitions ?? 5
        if let stored = defaults?.threads, threads == nil { c.threads = stored } else { c.threads = try resolvedThreads() }
        if reference || referenceBench != nil || referenceModel != nil || forceReference {
            c.referenceBinary = referenceBench ?? BenchConfiguration.pinnedReferenceBinary(level: referenceLevel)
            c.referenceLevel = referenceLevel
        }
        if let referenceModel { c.referenceModelPath = try ModelOptions.resolveModel(referenceModel) }
        return c
    }
}

extension BenchReceipt {
    /// The receipt of `report`: hashes the model file and stamps git, host and time.
    init(_ report: BenchReport) throws {
        let model = try ModelIdentity.read(path: report.modelPath, label: report.model)
        let referenceModel = try report.referenceModelPath.map {
            try ModelIdentity.read(path: $0, label: report.reference?.modelType ?? "")
        }
        let b = report.bandwidth
        let tests = report.tests.map { t in
            Test(test: t.test, promptTokens: t.promptTokens, generateTokens: t.generateTokens,
                 ours: Side(runNs: t.runNanoseconds, rates: t.samples, mean: t.mean, std: t.standardDeviation),
                 reference: t.referenceRunNanoseconds.map {
                     Side(runNs: $0, rates: t.referenceSamples ?? [], mean: t.referenceMean ?? 0,
                          std: t.referenceStandardDeviation ?? 0)
                 },
                 ratio: t.ratio, bytesPerToken: t.bytesPerToken, gbPerS: t.gigabytesPerSecond,
                 percentOfBound: t.percentOfBound)
        }
        self.init(
            model: model,
            engine: .init(name: "bitnet-swift", version: BitNetVersion.string, kernels: report.kernels,
                          threads: report.threads, kvCache: report.kvCache),
            settings: .init(promptTokens: report.promptTokens, generateTokens: report.generateTokens,
                            repetitions: report.repetitions, threads: report.threads),
            memory: .init(loadSeconds: report.loadSeconds, peakRssBytes: report.peakResidentBytes,
                          weightBytesPerToken: report.traffic.weightBytes,
                          kvBytesPerPosition: report.traffic.kvBytesPerPosition,
                          readBandwidthGbPerS: b?.gigabytesPerSecond, bandwidthThreads: b?.threads,
                          bandwidthBufferBytes: b?.bufferBytes, bandwidthPasses: b?.passes,
                          referenceLoadSeconds: report.referenceLoadSeconds,
                          kvCacheBytes: report.kvCacheBytes,
                          referencePeakRssBytes: report.referencePeakResidentBytes,
                          bandwidthSamplesGbPerS: b?.samples),
            tests: tests,
            reference: report.reference.map {
                .init(name: "llama.cpp", commit: $0.commit, buildNumber: $0.buildNumber, binary: $0.binary,
                      threads: report.threads, model: referenceModel, level: report.referenceLevel ?? "unknown",
                      systemInfo: report.referenceSystemInfo)
            })
    }
}
