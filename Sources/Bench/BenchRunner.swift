import BitNetRuntime
import Foundation
import GGUF
import LlamaReference

/// What `bitnet bench` measures: llama-bench's two tests on one model and thread count.
public struct BenchConfiguration: Sendable {
    /// The GGUF file.
    public var modelPath: String
    /// Prompt tokens evaluated as one batch for the prefill test (`ppN`); 0 skips it.
    public var promptTokens = 512
    /// Single-token decode steps for the decode test (`tgN`); 0 skips it.
    public var generateTokens = 128
    /// Timed repetitions of each test (after one untimed warm-up).
    public var repetitions = 5
    /// Threads for our engine and for the reference.
    public var threads = 1
    /// The pinned `llama-bench` to interleave with our runs, or nil to measure only ours.
    public var referenceBinary: String?
    /// The reference build the ratio is taken against, for its in-process load time and the receipt: `native`
    /// (what a llama.cpp user builds on this machine) unless chosen.
    public var referenceLevel: ReferenceLevel = .native
    /// The file the reference runs, when not `modelPath` (e.g. llama.cpp's TQ2_0 next to our I2_S copy of the same
    /// weights, a format llama.cpp cannot load).
    public var referenceModelPath: String?
    /// Measure the read bandwidth after the tests (for the decode rows' `% of bound`).
    public var measureBandwidth = true

    public init(modelPath: String) { self.modelPath = modelPath }

    /// The pinned `llama-bench` of `level` in the reference cache (`<cache>/reference/<commit>-<level>/bin/`, where
    /// `bitnet setup-reference` installs it), whether or not it exists yet.
    public static func pinnedReferenceBinary(level: ReferenceLevel = .native) -> String {
        ReferenceBench.defaultBinary(level: level)
    }
}

/// Runs the prefill and decode tests on our engine, and — interleaved, one reference run after each of ours — on
/// the pinned llama.cpp's `llama-bench`, so both see the same machine load.
public struct BenchRunner {
    public let configuration: BenchConfiguration

    public init(_ configuration: BenchConfiguration) { self.configuration = configuration }

    /// Loads the model, runs a warm-up and `repetitions` timed runs of each test, then (unless
    /// `measureBandwidth` is off) measures the read bandwidth for the `% of bound` column.
    /// - Throws: `BenchError` (bad configuration, model load or evaluation failure, reference failure).
    public func run(progress: (String) -> Void = { _ in }) throws(BenchError) -> BenchReport {
        let c = configuration
        guard c.repetitions > 0, c.threads > 0, c.promptTokens >= 0, c.generateTokens >= 0,
              c.promptTokens + c.generateTokens > 0 else {
            throw .invalidConfiguration("need -r ≥ 1, --threads ≥ 1, and -p or -n above 0")
        }
        let engine: Engine
        do { engine = try Engine(path: c.modelPath) } catch { throw .model(error.description) }
        var options = SessionOptions()
        options.threads = c.threads
        options.batchSize = max(512, c.promptTokens)  // one batch, as llama-bench's pp (n_ubatch 512 for pp512)
        options.contextLength = max(c.promptTokens, c.generateTokens + 1) + 1
        let session = engine.makeSession(options)
        let referenceModel = c.referenceModelPath ?? c.modelPath
        let reference = c.referenceBinary.map { ReferenceBench(binary: $0, modelPath: referenceModel, threads: c.threads) }
        let vocab = session.vocabSize
        var tests: [BenchTestResult] = []
        var referenceIdentity: BenchReport.ReferenceIdentity?
        var referencePeakResident: Int?  // the largest of llama-bench's runs
        var probes: [MemoryBandwidth] = []
        var peakBeforeProbe: Int?
        for (prompt, generate) in [(c.promptTokens, 0), (0, c.generateTokens)] where prompt + generate > 0 {
            let name = prompt > 0 ? "pp\(prompt)" : "tg\(generate)"
            let tokens = Self.tokens(count: max(prompt, generate), vocab: vocab)
            let measure = { () throws(BenchError) -> Int in
                prompt > 0 ? try Self.prefill(session, tokens) : try Self.decode(session, tokens)
            }
            progress("\(name): warm-up")
            _ = try measure()
            // Decode rows are judged against the read bandwidth probed right after each repetition (paired).
            var probe: MemoryBandwidth.Probe?
            if c.measureBandwidth, generate > 0 {
                // The warm-up did everything a repetition does, so the peak so far is the run's peak; the probe's
                // buffer must not count in it.
                peakBeforeProbe = ProcessMemory.peakResidentBytes()
                progress("memory: allocating the read-bandwidth buffer (probed after every decode repetition)")
                probe = try MemoryBandwidth.Probe(threads: c.threads)
            }
            var ours: [Int] = [], theirs: [Int] = []
            for rep in 1...c.repetitions {
                ours.append(try measure())
                if let probe { probes.append(try probe.measure(passes: 1)) }
                if let reference {
                    let run = try reference.run(promptTokens: prompt, generateTokens: generate)
                    theirs.append(run.nanoseconds)
                    if let bytes = run.peakResidentBytes { referencePeakResident = max(referencePeakResident ?? 0, bytes) }
                    referenceIdentity = .init(binary: reference.binary, commit: run.commit,
                                              buildNumber: run.buildNumber, modelType: run.modelType)
                }
                let tokensTimed = max(prompt, generate)
                progress("\(name): run \(rep)/\(c.repetitions): ours "
                    + String(format: "%.2f", BenchTestResult.rate(tokens: tokensTimed, nanoseconds: ours.last!)) + " t/s"
                    + (theirs.last.map {
                        String(format: ", llama.cpp %.2f t/s", BenchTestResult.rate(tokens: tokensTimed, nanoseconds: $0))
                    } ?? "") + (generate > 0 && !probes.isEmpty
                        ? String(format: ", read bandwidth %.2f GB/s", probes.last!.gigabytesPerSecond) : ""))
            }
            tests.append(BenchTestResult(test: name, promptTokens: prompt, generateTokens: generate,
                                         runNanoseconds: ours, referenceRunNanoseconds: reference == nil ? nil : theirs))
        }
        // Before llama.cpp's own mapping of the file raises the high-water mark; with a decode test, as it was before
        // the bandwidth buffer was allocated.
        let peakResident = peakBeforeProbe ?? ProcessMemory.peakResidentBytes()
        // Both load times are taken here, one right after the other, when the file's pages are in the page cache
        // for both (our tests read every weight): the first load above may have read the file from disk, which
        // would time the disk, not the loader, and only ours.
        let loadSeconds = try Self.loadSeconds(c.modelPath)
        let referenceLoad = c.referenceBinary == nil ? nil : try Self.referenceLoad(referenceModel, level: c.referenceLevel)
        let referenceLoadSeconds = referenceLoad?.seconds
        var bandwidth: MemoryBandwidth?
        if let first = probes.first {
            let rates = probes.map(\.gigabytesPerSecond)
            bandwidth = MemoryBandwidth(gigabytesPerSecond: MemoryBandwidth.median(rates), threads: first.threads,
                                        bufferBytes: first.bufferBytes, passes: first.passes,
                                        streamsPerThread: first.streamsPerThread, samples: rates)
        }
        let file = engine.file
        let hp = engine.model.hyperParameters
        let kvCache = options.kvCacheType.rawValue
        let traffic = DecodeTraffic(file: file, layers: hp.blockCount, kvHeads: hp.headCountKV, keyLength: hp.keyLength,
                                    valueLength: hp.valueLength, kvElementBytes: kvCache == "f32" ? 4 : 2)
        let ourModel = [hp.architecture, Self.parameterLabel(file.parameterCount), Self.dominantType(file)]
            .joined(separator: " ")
        var report = BenchReport(
            model: (c.referenceModelPath == nil ? referenceIdentity?.modelType : nil) ?? ourModel, modelPath: c.modelPath, architecture: hp.architecture,
            sizeBytes: file.tensors.reduce(0) { $0 + $1.byteCount }, parameters: file.parameterCount, backend: "CPU",
            threads: c.threads, promptTokens: c.promptTokens, generateTokens: c.generateTokens,
            repetitions: c.repetitions, kvCache: kvCache,
            tests: tests.map { $0.withTraffic(traffic, bandwidth: bandwidth) }, kernels: session.executedKernels,
            loadSeconds: loadSeconds, referenceLoadSeconds: referenceLoadSeconds, peakResidentBytes: peakResident,
            traffic: traffic, bandwidth: bandwidth, reference: referenceIdentity)
        report.fileBytes = (try? FileManager.default.attributesOfItem(atPath: c.modelPath)[.size] as? Int) ?? 0
        report.kvCacheBytes = session.contextLength * traffic.kvBytesPerPosition
        if reference != nil, referenceModel != c.modelPath { report.referenceModelPath = referenceModel }
        if let binary = c.referenceBinary {
            // The level of the llama-bench that ran (its install's reference.json), which an explicit
            // --reference-bench may make differ from the level loaded in process for the load time.
            let record = ReferenceInstallRecord.forInstalledFile(at: binary)
            report.referenceLevel = record?.level ?? "unknown"
            report.referenceSystemInfo = record?.systemInfo ?? referenceLoad?.library.systemInfo
        }
        if let referencePeakResident, referencePeakResident > 0 { report.referencePeakResidentBytes = referencePeakResident }
        return report
    }

    /// Our model load time: `Engine(path:)` on a warm page cache; the engine is released right after.
    static func loadSeconds(_ path: String) throws(BenchError) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        do { _ = try Engine(path: path) } catch { throw .model(error.description) }
        return Self.seconds(since: start)
    }

    /// llama.cpp's model load time through the in-process bridge: `llama_model_load_from_file` (the shim library is
    /// loaded first and not timed), then the model is freed.
    static func referenceLoad(
        _ path: String, level: ReferenceLevel
    ) throws(BenchError) -> (seconds: Double, library: ReferenceLibrary) {
        do {
            let library = try ReferenceLibrary.load(level: level)
            let start = DispatchTime.now().uptimeNanoseconds
            let model = try LlamaReference.LlamaModel(path: path, library: library)
            let seconds = Self.seconds(since: start)
            try model.close()
            return (seconds, library)
        } catch {
            throw .referenceFailed(command: "llama_model_load_from_file \(path) (through the reference bridge)",
                                   status: -1, output: "\(error)")
        }
    }

    /// Prefill: `tokens` evaluated as one batch from an empty cache. Returns the wall time in nanoseconds.
    static func prefill(_ session: InferenceSession, _ tokens: [Int32]) throws(BenchError) -> Int {
        session.truncate(to: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        do { _ = try session.evaluate(tokens) } catch { throw .evaluation(error.description) }
        return nanoseconds(since: start)
    }

    /// Decode: one untimed token as the prompt, then `tokens.count` single-token steps. Returns the wall time of
    /// the steps in nanoseconds.
    static func decode(_ session: InferenceSession, _ tokens: [Int32]) throws(BenchError) -> Int {
        session.truncate(to: 0)
        do {
            _ = try session.evaluate([tokens[0]])
            let start = DispatchTime.now().uptimeNanoseconds
            for token in tokens { _ = try session.evaluate([token]) }
            return nanoseconds(since: start)
        } catch {
            throw .evaluation(error.description)
        }
    }

    /// Nanoseconds since `start` (at least 1, so a rate is always finite).
    static func nanoseconds(since start: UInt64) -> Int {
        max(1, Int(DispatchTime.now().uptimeNanoseconds - start))
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Deterministic pseudo-random token ids (like llama-bench's random tokens, but the same every run).
    static func tokens(count: Int, vocab: Int) -> [Int32] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32(truncatingIfNeeded: (state >> 33) % UInt64(vocab))
        }
    }

    /// `135M`, `2.4B`: the parameter count as llama.cpp labels model sizes.
    static func parameterLabel(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.1fB", Double(n) / 1e9) : "\(n / 1_000_000)M"
    }

    /// The weight type holding the most bytes of the transformer blocks (`blk.*`), so a model whose F16 embedding
    /// and output matrices outweigh its ternary blocks (bitnet-25 2B) is still labelled by its block type.
    static func dominantType(_ file: GGUFFile) -> String {
        var bytes: [String: Int] = [:]
        let blocks = file.tensors.filter { $0.name.hasPrefix("blk.") }
        for t in blocks.isEmpty ? file.tensors : blocks { bytes[t.type.name, default: 0] += t.byteCount }
        return bytes.max { $0.value < $1.value }?.key.uppercased() ?? "?"
    }
}
