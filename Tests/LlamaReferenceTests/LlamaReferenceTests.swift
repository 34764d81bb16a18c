import Foundation
@testable import LlamaReference
import Testing

/// Tests that need the installed reference and the SmolLM2 test model. Serialized: they read process-wide
/// live-handle counters and RSS.
@Suite(
    "llama.cpp reference bridge", .serialized,
    .enabled(if: ReferenceFixture.enabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct LlamaReferenceTests {
    let library: ReferenceLibrary
    let modelPath: String

    init() throws {
        library = try ReferenceFixture.library()
        modelPath = try ReferenceFixture.smolLM2Path()
    }

    @Test("loads SmolLM2 and reports its vocabulary")
    func loadsSmolLM2() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        #expect(model.vocabularySize == 49_152)
        #expect(model.embeddingLength == 576)
        #expect(model.bosToken != nil)
        #expect(model.eosToken != nil)
        #expect(library.commit == ReferenceLocator.pinnedCommit || library.commit.count >= 7)
        #expect(LiveReferenceHandles.models >= 1)
    }

    @Test(
        "tokenize: query and fill passes agree, and match llama-tokenize",
        arguments: [
            "Hello, world!",
            "The quick brown fox jumps over the lazy dog. 1234567890",
            "  leading spaces, tabs\tand\nnewlines\n\n",
            "Ünïcödé — 日本語のテキスト 🦙🚀",
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        ])
    func tokenizeMatchesLlamaTokenize(text: String) throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let queried = try model.tokenCount(text, addSpecial: true, parseSpecial: true)
        let tokens = try model.tokenize(text, addSpecial: true, parseSpecial: true)
        #expect(queried == tokens.count)
        #expect(!tokens.isEmpty)
        let expected = try ReferenceFixture.llamaTokenize(text, model: modelPath, library: library)
        #expect(tokens == expected)
        // Detokenizing (rendering special tokens) gives the text back for this byte-level BPE vocabulary.
        #expect(try model.detokenize(tokens, removeSpecial: true, unparseSpecial: true) == text)
    }

    @Test("tokenize edge cases: empty text, special text kept literal, pieces")
    func tokenizeEdgeCases() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        #expect(try model.tokenize("", addSpecial: false) == [])
        let literal = try model.tokenize("<|im_end|>", addSpecial: false, parseSpecial: false)
        let special = try model.tokenize("<|im_end|>", addSpecial: false, parseSpecial: true)
        #expect(special.count == 1)
        #expect(literal.count > 1)
        #expect(try model.piece(for: special[0], special: true) == Array("<|im_end|>".utf8))
        #expect(model.isEndOfGeneration(special[0]))
        let error = #expect(throws: ReferenceError.self) { try model.piece(for: Int32(model.vocabularySize)) }
        #expect(error.map { if case .invalidArgument = $0 { true } else { false } } == true)
    }

    @Test("eval returns finite, vocabulary-sized logits for every position")
    func evalLogits() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let context = try LlamaContext(model: model, contextLength: 256, threads: 1)
        let tokens = try model.tokenize("The capital of France is", addSpecial: true)
        let all = try context.eval(tokens, logits: .all)
        #expect(all.rows == tokens.count)
        #expect(all.values.count == tokens.count * model.vocabularySize)
        #expect(all.values.allSatisfy { $0.isFinite })
        #expect(context.evaluatedPositions == tokens.count)
        // Rows differ from each other, so they are real per-position outputs.
        #expect(all.row(0) != all.row(tokens.count - 1))

        try context.reset()
        let last = try context.eval(tokens, logits: .last)
        #expect(last.rows == 1)
        let maxDifference = zip(last.row(0), all.row(tokens.count - 1)).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDifference < 1e-3)
    }

    @Test("greedy decoding of 16 tokens matches an eval + arg-max loop")
    func greedyDecode() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let prompt = try model.tokenize(
            "<|im_start|>user\nName three colours.<|im_end|>\n<|im_start|>assistant\n",
            addSpecial: true, parseSpecial: true)
        let context = try LlamaContext(model: model, contextLength: 256, threads: 1)
        let generated = try context.greedy(prompt: prompt, steps: 16)
        #expect(generated.count == 16)
        print("greedy(16): \(generated) -> \(try model.detokenize(generated).debugDescription)")

        let manual = try LlamaContext(model: model, contextLength: 256, threads: 1)
        var logits = try manual.eval(prompt, logits: .last)
        var expected: [Int32] = []
        for step in 0..<16 {
            let row = logits.row(0)
            let best = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
            expected.append(Int32(best - row.startIndex))
            if step < 15 { logits = try manual.eval([expected.last!], logits: .last) }
        }
        #expect(generated == expected)
    }

    @Test("a missing model file fails with modelLoadFailed")
    func missingModel() throws {
        let path = "/nonexistent/bitnet-swift/model-\(UUID().uuidString).gguf"
        let error = #expect(throws: ReferenceError.self) { try LlamaModel(path: path, library: library) }
        guard case .modelLoadFailed(let failedPath, let reason) = error else {
            Issue.record("expected modelLoadFailed, got \(String(describing: error))")
            return
        }
        #expect(failedPath == path)
        #expect(reason.contains("No such file"))
    }

    @Test("a prompt longer than n_ctx fails with contextOverflow and evaluates nothing")
    func contextOverflow() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        // llama.cpp may round n_ctx up (to 256 here); the context reports what it granted.
        let context = try LlamaContext(model: model, contextLength: 64, threads: 1)
        #expect(context.contextLength >= 64)
        let prompt = [Int32](repeating: 100, count: context.contextLength + 1)
        let error = #expect(throws: ReferenceError.self) { try context.eval(prompt) }
        #expect(error == .contextOverflow(tokens: context.contextLength + 1, nCtx: context.contextLength))
        #expect(context.evaluatedPositions == 0)
        // Greedy never evaluates its last token: prompt + steps - 1 positions must fit.
        let fitting = context.contextLength - 4
        let greedyError = #expect(throws: ReferenceError.self) {
            try context.greedy(prompt: Array(prompt.prefix(fitting)), steps: 10)
        }
        #expect(greedyError == .contextOverflow(tokens: fitting + 9, nCtx: context.contextLength))
        #expect(context.evaluatedPositions == 0)
        // The context is still usable.
        _ = try context.eval(Array(prompt.prefix(8)))
        #expect(context.evaluatedPositions == 8)
    }

    /// Checked on the handles themselves: the process-wide `LiveReferenceHandles` counters also move with the
    /// parity suites that run in parallel with this one, so deltas of them raced (seen once in a full run).
    @Test("a model with live contexts cannot be closed; handles are freed exactly once")
    func closeOrder() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let context = try LlamaContext(model: model, contextLength: 64, threads: 1)
        #expect(!model.cell.isClosed && !context.cell.isClosed)
        #expect(LiveReferenceHandles.models >= 1 && LiveReferenceHandles.contexts >= 1)
        let error = #expect(throws: ReferenceError.self) { try model.close() }
        #expect(error.map { if case .cleanupFailed = $0 { true } else { false } } == true)
        #expect(!model.cell.isClosed)
        try context.close()
        #expect(context.cell.isClosed)
        try context.close()  // a second close is a no-op
        #expect(context.cell.isClosed)
        #expect(throws: ReferenceError.handleClosed(handle: "context")) { try context.eval([1]) }
        try model.close()
        #expect(model.cell.isClosed)
    }

    @Test("a 1 ms limit on a long eval throws timeout; the context recovers after reset")
    func timeoutOnLongEval() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let context = try LlamaContext(model: model, contextLength: 512, threads: 1)
        let long = [Int32](repeating: 1000, count: 512)
        let error = #expect(throws: ReferenceError.self) {
            try context.eval(long, logits: .all, timeout: .milliseconds(1))
        }
        #expect(error == .timeout(after: .milliseconds(1)))
        #expect(context.waitUntilIdle(limit: .seconds(120)))
        try context.reset()
        let logits = try context.eval(Array(long.prefix(4)), timeout: .seconds(120))
        #expect(logits.values.allSatisfy { $0.isFinite })
        #expect(context.evaluatedPositions == 4)
    }

    @Test("a timeout mid-eval aborts the worker; the context then needs reset")
    func timeoutAbortsRunningEval() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let context = try LlamaContext(model: model, contextLength: 512, threads: 1)
        // 512 positions on one thread take seconds; 200 ms lands the abort inside llama_decode.
        let long = [Int32](repeating: 1000, count: 512)
        #expect(throws: ReferenceError.timeout(after: .milliseconds(200))) {
            try context.eval(long, logits: .all, timeout: .milliseconds(200))
        }
        #expect(context.waitUntilIdle(limit: .seconds(120)))
        let error = #expect(throws: ReferenceError.self) { try context.eval([1]) }
        guard case .evalFailed(let reason) = error else {
            Issue.record("expected evalFailed after an aborted eval, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("reset"))
        try context.reset()
        #expect(try context.eval([1]).rows == 1)
    }

    @Test("an abort requested while idle does not affect the next call")
    func staleAbortIsIgnored() throws {
        let model = try LlamaModel(path: modelPath, library: library)
        let context = try LlamaContext(model: model, contextLength: 64, threads: 1)
        context.requestAbort()
        let logits = try context.eval([1, 2, 3])
        #expect(logits.rows == 1)
        #expect(context.evaluatedPositions == 3)
    }

    @Test("the probe finds the library and every symbol")
    func probe() throws {
        let probe = ReferenceProbe.run()
        #expect(probe.ready, "\(probe.problem ?? "")")
        #expect(probe.symbols.count == 28)
        #expect(probe.symbols.allSatisfy { $0.found })
        #expect(probe.abiVersion == probe.expectedABIVersion)
        #expect(probe.systemInfo?.isEmpty == false)
    }
}

/// Tests of the bridge that need no installed reference.
@Suite("llama.cpp reference bridge without an install")
struct LlamaReferenceLocatorTests {
    @Test("a library path with no shim throws libraryNotFound listing that path")
    func libraryNotFound() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("no-shim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let expected = directory.appendingPathComponent(ReferenceLocator.shimFileName).path
        #expect(throws: ReferenceError.libraryNotFound(searched: [expected])) {
            try ReferenceLibrary.load(explicitPath: directory.path)
        }
        let message = ReferenceError.libraryNotFound(searched: [expected]).description
        #expect(message.contains("scripts/setup-reference.sh"))
    }

    @Test("the search order is explicit path, BITNET_REFERENCE_LIB, BITNET_CACHE_DIR, default cache, per level")
    func searchOrder() {
        let environment = ["HOME": "/home/u", "BITNET_REFERENCE_LIB": "/opt/shim.so", "BITNET_CACHE_DIR": "/c"]
        let commit = ReferenceLocator.pinnedCommit
        let name = ReferenceLocator.shimFileName
        for level in ReferenceLevel.allCases {
            let locator = ReferenceLocator(environment: environment, level: level)
            #expect(Array(locator.candidates().prefix(3)) == [
                "/opt/shim.so", "/c/reference/\(commit)-\(level.rawValue)/lib/\(name)",
                "/home/u/.cache/bitnet-swift/reference/\(commit)-\(level.rawValue)/lib/\(name)",
            ])
            #expect(locator.candidates(explicitPath: "/x/lib.so") == ["/x/lib.so"])
        }
    }

    @Test("levels: spellings, the default, BITNET_REFERENCE_LEVEL, and the exact pairing of kernel levels")
    func levels() throws {
        #expect(ReferenceLevel(argument: "v3") == .x86_64_v3 && ReferenceLevel(argument: "x86-64-v3") == .x86_64_v3)
        #expect(ReferenceLevel(argument: "native") == .native && ReferenceLevel(argument: "avx512") == nil)
        #expect(try ReferenceLevel.defaultLevel(environment: ["BITNET_REFERENCE_LEVEL": "native"]) == .native)
        #expect(throws: ReferenceError.invalidLevel("v4", variable: "BITNET_REFERENCE_LEVEL")) {
            try ReferenceLevel.defaultLevel(environment: ["BITNET_REFERENCE_LEVEL": "v4"])
        }
        #if arch(x86_64)
        #expect(try ReferenceLevel.defaultLevel(environment: [:]) == .x86_64_v3)
        #endif
        #expect(ReferenceLevel.exactMatch(forKernelLevel: "avx2") == .x86_64_v3)
        #expect(ReferenceLevel.exactMatch(forKernelLevel: "avx512") == .x86_64_v3)
        #expect(ReferenceLevel.exactMatch(forKernelLevel: "scalar") == nil)
        #expect(ReferenceLevel.x86_64_v3.installName(commit: "0c1e570") == "0c1e570-x86-64-v3")
    }

    @Test("an install's reference.json gives its level; the migrated old layout's symlink is not an install")
    func installRecordAndMigratedLayout() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ref-layout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let commit = ReferenceLocator.pinnedCommit
        let native = root.appendingPathComponent("reference/\(commit)-native")
        try FileManager.default.createDirectory(at: native.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: native.appendingPathComponent(".complete"))
        let record = #"{"level": "native", "llama_cpp_commit": "0c1e570", "llama_cpp_build_number": 11312, "system_info": "CPU : AVX2 = 1 | "}"#
        try Data(record.utf8).write(to: native.appendingPathComponent("reference.json"))
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("reference/\(commit)").path, withDestinationPath: "\(commit)-native")
        let locator = ReferenceLocator(environment: ["HOME": "/nonexistent", "BITNET_CACHE_DIR": root.path])
        let installs = locator.completedInstallsOfEveryLevel()
        #expect(installs.map(\.level) == [.native] && installs.first?.directory.hasSuffix("\(commit)-native") == true)
        let parsed = ReferenceInstallRecord.forInstalledFile(at: native.appendingPathComponent("lib/\(ReferenceLocator.shimFileName)").path)
        #expect(parsed?.referenceLevel == .native && parsed?.systemInfo == "CPU : AVX2 = 1 | ")
    }

    @Test("the timeout wrapper returns results and errors from its worker")
    func timeoutWrapper() throws {
        #expect(try ReferenceTimeout.run(limit: .seconds(10)) { 42 } == 42)
        #expect(throws: ReferenceError.evalFailed(reason: "x")) {
            try ReferenceTimeout.run(limit: .seconds(10)) { () throws(ReferenceError) -> Int in
                throw .evalFailed(reason: "x")
            }
        }
        #expect(throws: ReferenceError.timeout(after: .milliseconds(5))) {
            try ReferenceTimeout.run(limit: .milliseconds(5)) { Thread.sleep(forTimeInterval: 0.2) }
        }
    }
}
