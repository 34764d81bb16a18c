import Foundation
import GGUF
import Testing
import Tokenizers

/// Every case of llama.cpp's test-tokenizer-0 suite must produce exactly the `.out` ids
/// (add_special = false, parse_special = false, as tests/test-tokenizer-0.cpp calls common_tokenize).
@Suite struct VocabSuiteTests {
    @Test(arguments: VocabSuite.supported)
    func matchesLlamaCppVectors(_ name: String) throws {
        let tokenizer = try VocabSuite.tokenizer(name)
        let cases = try VocabSuite.cases(name)
        var passed = 0
        var failures: [String] = []
        for c in cases {
            let got = tokenizer.encode(bytes: c.input, addSpecial: false, parseSpecial: false)
            if got == c.expected {
                passed += 1
            } else if failures.count < 3 {
                failures.append("input \(String(decoding: c.input, as: UTF8.self).debugDescription)\n"
                    + "  expected \(c.expected)\n  got      \(got)")
            }
        }
        print("vocab \(name): \(passed)/\(cases.count) cases pass")
        for f in failures { print("  \(name) mismatch: \(f)") }
        #expect(passed == cases.count, "\(name): \(passed)/\(cases.count); first mismatches:\n\(failures.joined(separator: "\n"))")
    }

    /// bert-bge is WordPiece (`tokenizer.ggml.model = bert`): building it is a typed error naming the model.
    @Test func bertIsUnsupported() throws {
        let file = try GGUFFile(path: try VocabSuite.path("bert-bge"))
        #expect(throws: TokenizerError.unsupportedModel(model: "bert")) { try Tokenizer(gguf: file) }
    }
}
