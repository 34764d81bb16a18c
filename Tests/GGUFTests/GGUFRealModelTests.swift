import Foundation
import GGUF
import TestSupport
import Testing

/// Our reader against the `gguf` PyPI package's reader on the real SmolLM2 file.
@Suite struct GGUFRealModelTests {
    struct Expectation: Decodable {
        struct Tensor: Decodable { let name: String; let type: String; let type_id: UInt32; let shape: [Int]; let file_offset: Int; let bytes: Int }
        let architecture: String
        let tensor_count: Int
        let metadata_keys: [String]
        let tensors: [Tensor]
    }

    @Test func smolLM2MatchesGGUFPythonReader() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/smollm2-135m-q4_1.tensors", withExtension: "json"))
        let expected = try JSONDecoder().decode(Expectation.self, from: Data(contentsOf: url))
        let file = try GGUFFile(path: try TestModels.smolLM2())
        #expect(file.metadata.architecture == "llama")
        #expect(file.tensors.count == 272)
        #expect(file.metadata.keys == expected.metadata_keys)
        #expect(file.tensors.count == expected.tensor_count)
        for (ours, theirs) in zip(file.tensors, expected.tensors) {
            #expect(ours.name == theirs.name)
            #expect(ours.type.rawValue == theirs.type_id)
            #expect(ours.type.name.lowercased() == theirs.type)
            #expect(ours.shape == theirs.shape, "\(ours.name)")
            #expect(ours.fileOffset == theirs.file_offset, "\(ours.name)")
            #expect(ours.byteCount == theirs.bytes, "\(ours.name)")
        }
        #expect(file.metadata.int("llama.block_count") == 30)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray?.count == 49152)
        #expect(file.metadata.string("tokenizer.ggml.pre") == "smollm")
    }
}
