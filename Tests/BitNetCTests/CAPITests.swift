import BitNetRuntime
import Foundation
import TestSupport
import Testing

/// The C API from C and C++: Tests/CAPI/capi_test.c and capi_test.cpp, compiled here with `cc`/`c++` against
/// include/bitnet.h and the libBitNetC.so of this build, stream the same greedy tokens as `Engine` + `Generator`
/// and check every error path themselves.
@Suite(.serialized) struct CAPITests {
    static let prompt = "The capital of France is"
    static let tokenCount = 16

    @Test func headerCompilesWarningFreeAsC99AndCpp17() throws {
        let dir = try TestModels.scratchDirectory("capi-header")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/twice.c"
        try "#include \"bitnet.h\"\n#include \"bitnet.h\"\nint main(void) { return BITNET_OK; }\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        try CAPIBuild.run("cc", ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", CAPIBuild.includeDir,
                                 "-c", source, "-o", dir + "/c.o"])
        try CAPIBuild.run("c++", ["-std=c++17", "-Wall", "-Wextra", "-pedantic", "-Werror", "-x", "c++",
                                  "-I", CAPIBuild.includeDir, "-c", source, "-o", dir + "/cpp.o"])
    }

    @Test func cProgramStreamsGeneratorsTokensAndChecksEveryErrorPath() throws {
        let model = try TestModels.smolLM2()
        let expected = try Self.swiftGreedy(model: model)
        let dir = try TestModels.scratchDirectory("capi-c")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try CAPIBuild.compile(source: "capi_test.c", compiler: "cc", flags: ["-std=c99"], into: dir)
        let out = try CAPIBuild.run(exe, [model, Self.prompt, String(Self.tokenCount)])
        #expect(CAPIBuild.tokens(in: out) == expected.tokens)
        #expect(CAPIBuild.text(in: out) == Array(expected.text.utf8))
    }

    @Test func cppProgramSharesOneModelBetweenThreads() throws {
        let model = try TestModels.smolLM2()
        let expected = try Self.swiftGreedy(model: model)
        let dir = try TestModels.scratchDirectory("capi-cpp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try CAPIBuild.compile(source: "capi_test.cpp", compiler: "c++", flags: ["-std=c++17", "-pthread"],
                                        into: dir)
        let out = try CAPIBuild.run(exe, [model, Self.prompt, String(Self.tokenCount)])
        #expect(CAPIBuild.tokens(in: out) == expected.tokens)
        #expect(CAPIBuild.text(in: out) == Array(expected.text.utf8))
    }

    /// What the Swift API produces: `bitnet run --temp 0 -n 16` on the same prompt.
    static func swiftGreedy(model: String) throws -> GenerationResult {
        let engine = try Engine(path: model)
        let generator = Generator(session: engine.makeSession(), tokenizer: engine.tokenizer)
        return try generator.generate(prompt: engine.tokenizer.encode(prompt), maxTokens: tokenCount,
                                      sampling: .greedy)
    }
}
