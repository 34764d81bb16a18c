import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
import LlamaReference
import Tokenizers

/// Runs the ladder (tokens → prefill logits → greedy decode) for every prompt against llama.cpp and returns the
/// receipt. Each prompt's ladder stops at its first failing rung; every prompt runs.
public enum CrossValRunner {
    /// Runs `configuration`. `progress` receives one line per finished rung (for the CLI's stderr).
    ///
    /// - Throws: `referenceUnavailable` when the shim cannot be loaded, `reference`/`engine` when a side fails
    ///   to load or evaluate, `incomparable`, `invalidConfiguration`. A numeric disagreement is not an error: it
    ///   is a receipt with status `fail`.
    public static func run(
        _ configuration: CrossValConfiguration, progress: (String) -> Void = { _ in }
    ) throws(CrossValError) -> CrossValReceipt {
        let clock = ContinuousClock()
        let started = clock.now
        let createdAt = RunIdentity.timestamp()
        guard !configuration.prompts.isEmpty else { throw .invalidConfiguration("no prompts given") }
        guard configuration.steps >= 0 else { throw .invalidConfiguration("steps must be 0 or more") }
        guard configuration.referenceThreads > 0, configuration.engineThreads > 0 else {
            throw .invalidConfiguration("thread counts must be positive")
        }
        let timeout = configuration.referenceTimeout

        let library: ReferenceLibrary
        let kernelLevel = KernelLevel.active
        do {
            if let path = configuration.referenceLibraryPath {
                library = try ReferenceLibrary.load(explicitPath: path)
            } else if let level = configuration.referenceLevel ?? ReferenceLevel.exactMatch(forKernelLevel: kernelLevel.rawValue) {
                library = try ReferenceLibrary.load(level: level)
            } else {
                library = try ReferenceLibrary.load()
            }
        } catch {
            throw .referenceUnavailable(error)
        }
        let tier = CrossValReceipt.Tier(kernelLevel: kernelLevel.rawValue, referenceLevel: library.level?.rawValue)
        progress("engine kernels \(kernelLevel), llama.cpp \(library.level?.rawValue ?? "of unknown level") "
            + "(\(library.path)): \(tier.rawValue) tier")

        var t = clock.now
        let engine: Engine
        do { engine = try Engine(path: configuration.modelPath) } catch { throw .engine(error) }
        var ourTimes = CrossValReceipt.SideTimings(loadSeconds: (clock.now - t).seconds, tokenizeSeconds: 0,
                                                   prefillSeconds: 0, decodeSeconds: 0)
        t = clock.now
        let refModel = try reference { () throws(ReferenceError) in
            try LlamaModel.load(path: configuration.modelPath, library: library, timeout: timeout)
        }
        var refTimes = CrossValReceipt.SideTimings(loadSeconds: (clock.now - t).seconds, tokenizeSeconds: 0,
                                                   prefillSeconds: 0, decodeSeconds: 0)
        let vocab = engine.model.hyperParameters.vocabSize
        guard refModel.vocabularySize == vocab else {
            throw .incomparable("llama.cpp reads a vocabulary of \(refModel.vocabularySize), we read \(vocab)")
        }
        let model = modelIdentity(engine, path: configuration.modelPath)

        // Tokenize every prompt on both sides first: the longest decides the context length.
        var tokenizations: [(ours: [Int32], reference: [Int32])] = []
        for text in configuration.prompts {
            t = clock.now
            let ours = PromptTokenization.completion.tokens(text, engine.tokenizer)
            ourTimes.tokenizeSeconds += (clock.now - t).seconds
            t = clock.now
            let theirs = try reference { () throws(ReferenceError) in
                try ReferenceTimeout.run(limit: timeout) { () throws(ReferenceError) in
                    try refModel.tokenize(text, addSpecial: true, parseSpecial: false)
                }
            }
            refTimes.tokenizeSeconds += (clock.now - t).seconds
            tokenizations.append((ours, theirs))
        }
        let longest = tokenizations.map { max($0.ours.count, $0.reference.count) }.max() ?? 0
        let needed = longest + configuration.steps
        let train = engine.model.hyperParameters.contextLength
        let contextLength = configuration.contextLength ?? min(train, (needed + 63) / 64 * 64)
        guard needed <= contextLength else {
            throw .invalidConfiguration("the longest prompt has \(longest) tokens; with \(configuration.steps) steps "
                + "it needs \(needed) positions but the context holds \(contextLength) (training context \(train))")
        }

        let prefillCosine = configuration.prefillCosineMin
            ?? ThresholdPolicy.prefillCosine(forWeightTypes: weightMatrixTypes(engine.file))
        let overridden = configuration.prefillCosineMin != nil || configuration.decodeCosineMin != nil
        let thresholds = CrossValReceipt.Thresholds(
            prefillCosineMin: prefillCosine,
            decodeCosineMin: configuration.decodeCosineMin ?? ThresholdPolicy.decodeCosine,
            tieMargin: configuration.tieMargin,
            source: overridden ? "override" : "default:\(model.weightType)")

        t = clock.now
        let threads = configuration.referenceThreads
        let precise = try reference { () throws(ReferenceError) in
            try ReferenceTimeout.run(limit: timeout) { () throws(ReferenceError) in
                try LlamaContext(model: refModel, contextLength: contextLength, threads: threads, precision: .precise)
            }
        }
        let standard = try reference { () throws(ReferenceError) in
            try ReferenceTimeout.run(limit: timeout) { () throws(ReferenceError) in
                try LlamaContext(model: refModel, contextLength: contextLength, threads: threads, precision: .default)
            }
        }
        refTimes.loadSeconds += (clock.now - t).seconds

        var options = SessionOptions()
        options.contextLength = contextLength
        options.threads = configuration.engineThreads
        options.kvCacheType = .f32
        let prefillSession = engine.makeSession(options)
        options.kvCacheType = .f16
        let decodeSession = engine.makeSession(options)

        var ladder = PromptLadder(
            tokenizer: engine.tokenizer, referenceModel: refModel, precise: precise, standard: standard,
            prefillSession: prefillSession, decodeSession: decodeSession, thresholds: thresholds,
            steps: configuration.steps, timeout: timeout)
        var prompts: [PromptResult] = []
        for (index, text) in configuration.prompts.enumerated() {
            let result = try ladder.run(index: index, text: text, tokens: tokenizations[index], progress: progress)
            prompts.append(result)
        }
        ourTimes.prefillSeconds = ladder.ourPrefillSeconds
        ourTimes.decodeSeconds = ladder.ourDecodeSeconds
        refTimes.prefillSeconds = ladder.referencePrefillSeconds
        refTimes.decodeSeconds = ladder.referenceDecodeSeconds

        let summary = CrossValReceipt.Summary(prompts: prompts)
        let kernels = Set(prefillSession.executedKernels + decodeSession.executedKernels).sorted()
        return CrossValReceipt(
            schemaVersion: CrossValReceipt.currentSchemaVersion, kind: CrossValReceipt.receiptKind,
            createdAt: createdAt, git: RunIdentity.git(), model: model,
            engine: .init(name: "bitnet-swift", version: configuration.engineVersion, kernels: kernels,
                          kernelLevel: kernelLevel.rawValue, prefillKvCache: "f32", decodeKvCache: "f16",
                          threads: configuration.engineThreads),
            reference: .init(
                name: "llama.cpp", commit: library.commit, buildNumber: library.buildNumber,
                shimAbi: Int(library.abiVersion), libraryPath: library.path, systemInfo: library.systemInfo,
                level: library.level?.rawValue ?? "unknown", compileFlags: library.installRecord?.compileFlags ?? [],
                threads: threads,
                prefill: .init(precision: ReferencePrecision.precise.rawValue, flashAttention: "off", kvCache: "f32"),
                decode: .init(precision: ReferencePrecision.default.rawValue, flashAttention: "auto", kvCache: "f16")),
            host: RunIdentity.host(), tier: tier, thresholds: thresholds,
            settings: .init(steps: configuration.steps, contextLength: contextLength), prompts: prompts,
            timings: .init(engine: ourTimes, reference: refTimes, totalSeconds: (clock.now - started).seconds),
            summary: summary, status: summary.firstFailure == nil ? .pass : .fail, digest: nil)
    }

    /// Runs a reference call, mapping its error.
    static func reference<T>(_ call: () throws(ReferenceError) -> T) throws(CrossValError) -> T {
        do { return try call() } catch { throw .reference(error) }
    }

    /// The file's identity: SHA-256 of the mapped bytes, type histogram, dominant weight type.
    static func modelIdentity(_ engine: Engine, path: String) -> CrossValReceipt.ModelIdentity {
        let file = engine.file
        let summary = ModelSummary(file)
        var matrixBytes: [String: Int] = [:]
        for tensor in file.tensors where tensor.shape.count >= 2 { matrixBytes[tensor.type.name, default: 0] += tensor.byteCount }
        let dominant = matrixBytes.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? "unknown"
        let hp = engine.model.hyperParameters
        return .init(
            path: path, sha256: SHA256Hex.of(file.storage.buffer), sizeBytes: file.fileSize,
            architecture: hp.architecture,
            tensorTypes: summary.typeHistogram.map { .init(type: $0.type.name, tensors: $0.tensors, bytes: $0.bytes) },
            weightType: dominant, vocabSize: hp.vocabSize, trainingContextLength: hp.contextLength)
    }

    /// Types of the file's weight matrices (tensors of two or more dimensions; norms and biases are F32 vectors).
    static func weightMatrixTypes(_ file: GGUFFile) -> [String] {
        Array(Set(file.tensors.filter { $0.shape.count >= 2 }.map(\.type.name))).sorted()
    }
}
