import Foundation
import GGUF
import TestSupport
import Tokenizers

/// llama.cpp's own tokenizer vectors (tests/test-tokenizer-0): `models/ggml-vocab-<name>.gguf` with `.inp`
/// (cases separated by "\n__ggml_vocab_test__\n") and `.out` (one line of space-separated ids per case),
/// produced with add_special = false, parse_special = false. Provided by `scripts/fetch-vocab-suite.sh`.
enum VocabSuite {
    /// Every vocabulary in the pinned sdist with an .inp/.out pair, except bert-bge (a WordPiece `bert` model,
    /// which this module reports as unsupported).
    static let supported = [
        "command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2", "llama-bpe", "llama-spm", "mpt",
        "phi-3", "qwen2", "qwen35", "refact", "starcoder",
    ]

    static var directory: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["BITNET_VOCAB_DIR"], !d.isEmpty { return d }
        return TestModels.cacheRoot + "/vocab/0c1e570"
    }

    /// Path of `ggml-vocab-<name>.gguf`.
    /// - Throws: `TestModels.Missing` naming the command that provides the suite.
    static func path(_ name: String, suffix: String = "") throws -> String {
        let p = "\(directory)/ggml-vocab-\(name).gguf\(suffix)"
        guard FileManager.default.fileExists(atPath: p) else {
            throw TestModels.Missing(what: "llama.cpp tokenizer vectors (ggml-vocab-\(name).gguf\(suffix))",
                                     searched: [p], fix: "scripts/fetch-vocab-suite.sh")
        }
        return p
    }

    struct Case {
        let input: [UInt8]
        let expected: [Int32]
    }

    /// The cases of one vocabulary, split exactly as test-tokenizer-0.cpp splits them.
    static func cases(_ name: String) throws -> [Case] {
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: try path(name, suffix: ".inp"))))
        let out = String(decoding: try Data(contentsOf: URL(fileURLWithPath: try path(name, suffix: ".out"))),
                         as: UTF8.self)
        let sep = Array("\n__ggml_vocab_test__\n".utf8)
        var inputs: [[UInt8]] = []
        var pos = 0
        while pos < raw.count {
            if let r = raw[pos...].firstRange(of: sep) {
                inputs.append(Array(raw[pos..<r.lowerBound]))
                pos = r.upperBound
            } else {
                inputs.append(Array(raw[pos...]))
                break
            }
        }
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == inputs.count else {
            throw TestModels.Missing(what: "matching .inp/.out case counts for \(name) (\(inputs.count) vs \(lines.count))",
                                     searched: [directory], fix: "scripts/fetch-vocab-suite.sh")
        }
        return zip(inputs, lines).map { input, line in
            Case(input: input, expected: line.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) })
        }
    }

    /// Loads the tokenizer of one vocabulary.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(path: try path(name)))
    }
}
