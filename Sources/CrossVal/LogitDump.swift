import BitNetRuntime
import Foundation
import Kernels
import LlamaReference

/// One side's prefill logits (every position) and free-running greedy tokens on a list of prompts, on disk.
///
/// Two llama.cpp builds cannot share a process (their libraries carry the same sonames), so measuring how far
/// llama.cpp's `x86-64-v3` and `native` builds are from each other means one process per side writing a dump and a
/// third comparing them (`LogitDistance`). Prefill rows come from our F32 KV cache or llama.cpp's precise
/// configuration (flash attention off, F32 cache); greedy tokens from our default F16 cache or llama.cpp's default
/// configuration — the pairings of the parity tests. A dump is `FILE` (this header, JSON) and `FILE.f32` (the rows,
/// little-endian F32, prompt after prompt); both are written to temporary names and renamed, so a killed run leaves
/// no half dump.
public struct LogitDump: Codable, Sendable, Equatable {
    /// `engine` or `llama.cpp`.
    public var source: String
    /// Our kernel level (engine) or the reference build's level (llama.cpp).
    public var level: String
    /// llama.cpp's feature report (llama.cpp side only).
    public var systemInfo: String?
    public var modelPath: String
    public var vocabSize: Int
    public var contextLength: Int
    public var steps: Int
    public var hostCpu: String
    public var prompts: [Prompt]

    /// One prompt's tokens, where its rows start in the `.f32` file, and its greedy continuation.
    public struct Prompt: Codable, Sendable, Equatable {
        public var text: String
        public var tokens: [Int32]
        /// Offset of the first row, in floats.
        public var offset: Int
        public var greedy: [Int32]
    }

    /// What to capture.
    public enum Side: Sendable {
        /// Our engine.
        case engine(threads: Int)
        /// llama.cpp of this level, through the shim.
        case reference(ReferenceLevel)
    }

    /// Runs `side` on `prompts` and writes the dump to `path` (and `path.f32`).
    ///
    /// - Throws: `CrossValError` when a side cannot load or evaluate, or the files cannot be written.
    public static func capture(
        _ side: Side, modelPath: String, prompts: [String], steps: Int, contextLength: Int?, path: String,
        progress: (String) -> Void = { _ in }
    ) throws(CrossValError) -> LogitDump {
        guard !prompts.isEmpty else { throw .invalidConfiguration("no prompts given") }
        guard steps >= 0 else { throw .invalidConfiguration("steps must be 0 or more") }
        let producer: any RowProducer
        switch side {
        case .engine(let threads): producer = try EngineRows(modelPath: modelPath, threads: threads)
        case .reference(let level): producer = try ReferenceRows(modelPath: modelPath, level: level)
        }
        var tokenized: [[Int32]] = []
        for text in prompts { tokenized.append(try producer.tokenize(text)) }
        let longest = tokenized.map(\.count).max() ?? 0
        let needed = longest + steps
        let context = contextLength ?? (needed + 63) / 64 * 64
        guard needed <= context else {
            throw .invalidConfiguration("the longest prompt has \(longest) tokens; with \(steps) steps it needs "
                + "\(needed) positions but the context holds \(context)")
        }
        try producer.open(contextLength: context)

        let rowsPath = path + ".f32"
        let temporaryRows = rowsPath + ".partial", temporaryHeader = path + ".partial"
        _ = FileManager.default.createFile(atPath: temporaryRows, contents: nil)  // FileHandle below says whether it worked
        guard let out = FileHandle(forWritingAtPath: temporaryRows) else {
            throw .invalidConfiguration("cannot write \(temporaryRows)")
        }
        var entries: [Prompt] = []
        var offset = 0
        do throws(CrossValError) {
            defer { try? out.close() }
            for (index, tokens) in tokenized.enumerated() {
                let rows = try producer.prefill(tokens)
                rows.withUnsafeBufferPointer { out.write(Data(buffer: $0)) }
                let greedy = try producer.greedy(tokens, steps: steps)
                entries.append(Prompt(text: prompts[index], tokens: tokens, offset: offset, greedy: greedy))
                offset += rows.count
                progress("prompt \(index): \(tokens.count) positions, \(greedy.count) greedy steps")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryRows)  // no half dump
            throw error
        }
        let dump = LogitDump(
            source: producer.source, level: producer.level, systemInfo: producer.systemInfo, modelPath: modelPath,
            vocabSize: producer.vocabSize, contextLength: context, steps: steps, hostCpu: HostCPU.current.model,
            prompts: entries)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(dump).write(to: URL(fileURLWithPath: temporaryHeader))
            for (from, to) in [(temporaryRows, rowsPath), (temporaryHeader, path)] {
                if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
                try FileManager.default.moveItem(atPath: from, toPath: to)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryRows)
            try? FileManager.default.removeItem(atPath: temporaryHeader)
            throw .invalidConfiguration("cannot write the dump \(path): \(error)")
        }
        return dump
    }

    /// Reads a dump's header and maps its rows.
    ///
    /// - Throws: `invalidConfiguration` naming the file when either part is missing, unreadable or inconsistent.
    public static func load(_ path: String) throws(CrossValError) -> (header: LogitDump, rows: Data) {
        let header: LogitDump
        let rows: Data
        do {
            header = try JSONDecoder().decode(LogitDump.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            rows = try Data(contentsOf: URL(fileURLWithPath: path + ".f32"), options: .alwaysMapped)
        } catch {
            throw .invalidConfiguration("\(path) is not a readable logit dump (bitnet logits writes one): \(error)")
        }
        let floats = header.prompts.reduce(0) { $0 + $1.tokens.count * header.vocabSize }
        guard rows.count == floats * MemoryLayout<Float>.size else {
            throw .invalidConfiguration("\(path).f32 holds \(rows.count) bytes but the header describes \(floats) floats")
        }
        return (header, rows)
    }
}

/// What a dump needs from a side.
private protocol RowProducer {
    var source: String { get }
    var level: String { get }
    var systemInfo: String? { get }
    var vocabSize: Int { get }
    func tokenize(_ text: String) throws(CrossValError) -> [Int32]
    func open(contextLength: Int) throws(CrossValError)
    /// Every position's logits, row after row.
    func prefill(_ tokens: [Int32]) throws(CrossValError) -> [Float]
    /// `steps` free-running greedy tokens after `tokens`.
    func greedy(_ tokens: [Int32], steps: Int) throws(CrossValError) -> [Int32]
}

private final class EngineRows: RowProducer {
    let engine: Engine
    let threads: Int
    var precise: InferenceSession?
    var standard: InferenceSession?

    init(modelPath: String, threads: Int) throws(CrossValError) {
        do { engine = try Engine(path: modelPath) } catch { throw .engine(error) }
        self.threads = threads
    }

    var source: String { "engine" }
    var level: String { engine.kernelLevel.rawValue }
    var systemInfo: String? { nil }
    var vocabSize: Int { engine.model.hyperParameters.vocabSize }

    func tokenize(_ text: String) throws(CrossValError) -> [Int32] {
        PromptTokenization.completion.tokens(text, engine.tokenizer)
    }

    func open(contextLength: Int) throws(CrossValError) {
        var options = SessionOptions()
        options.contextLength = contextLength
        options.threads = threads
        options.kvCacheType = .f32
        precise = engine.makeSession(options)
        options.kvCacheType = .f16
        standard = engine.makeSession(options)
    }

    func prefill(_ tokens: [Int32]) throws(CrossValError) -> [Float] {
        guard let precise else { throw .invalidConfiguration("sessions not opened") }
        precise.truncate(to: 0)
        do { return try precise.evaluate(tokens, allLogits: true) } catch { throw .engine(error) }
    }

    func greedy(_ tokens: [Int32], steps: Int) throws(CrossValError) -> [Int32] {
        guard let standard else { throw .invalidConfiguration("sessions not opened") }
        standard.truncate(to: 0)
        var out: [Int32] = []
        do {
            var logits = try standard.evaluate(tokens)
            for _ in 0..<steps {
                let next = LogitMetrics.argmax(logits[...])
                out.append(next)
                logits = try standard.evaluate([next])
            }
        } catch { throw .engine(error) }
        return out
    }
}

private final class ReferenceRows: RowProducer {
    let library: ReferenceLibrary
    let model: LlamaReference.LlamaModel
    let referenceLevel: ReferenceLevel
    var precise: LlamaContext?
    var standard: LlamaContext?

    init(modelPath: String, level: ReferenceLevel) throws(CrossValError) {
        do {
            library = try ReferenceLibrary.load(level: level)
            model = try LlamaReference.LlamaModel(path: modelPath, library: library)
        } catch { throw .referenceUnavailable(error) }
        referenceLevel = level
    }

    var source: String { "llama.cpp" }
    var level: String { referenceLevel.rawValue }
    var systemInfo: String? { library.systemInfo }
    var vocabSize: Int { model.vocabularySize }

    func tokenize(_ text: String) throws(CrossValError) -> [Int32] {
        do { return try model.tokenize(text, addSpecial: true, parseSpecial: false) } catch { throw .reference(error) }
    }

    func open(contextLength: Int) throws(CrossValError) {
        do {
            // One thread, as the parity tests: llama.cpp's results do not depend on its thread count.
            precise = try LlamaContext(model: model, contextLength: contextLength, threads: 1, precision: .precise)
            standard = try LlamaContext(model: model, contextLength: contextLength, threads: 1, precision: .default)
        } catch { throw .reference(error) }
    }

    func prefill(_ tokens: [Int32]) throws(CrossValError) -> [Float] {
        guard let precise else { throw .invalidConfiguration("contexts not opened") }
        do {
            try precise.reset()
            return try precise.eval(tokens, logits: .all).values
        } catch { throw .reference(error) }
    }

    func greedy(_ tokens: [Int32], steps: Int) throws(CrossValError) -> [Int32] {
        guard let standard else { throw .invalidConfiguration("contexts not opened") }
        do {
            try standard.reset()
            return try standard.greedy(prompt: tokens, steps: steps)
        } catch { throw .reference(error) }
    }
}
