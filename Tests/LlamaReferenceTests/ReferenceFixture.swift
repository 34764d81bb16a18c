import Foundation
import LlamaReference
import TestSupport

/// Shared setup for the reference tests.
///
/// When the reference is not installed these tests fail with the setup command in the message, unless
/// `BITNET_SKIP_REFERENCE_TESTS=1` opts out (the suite is then skipped with that reason).
enum ReferenceFixture {
    /// False when the user opted out of the reference tier with `BITNET_SKIP_REFERENCE_TESTS=1`.
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["BITNET_SKIP_REFERENCE_TESTS"] != "1"
    }

    /// The installed shim; throws `libraryNotFound` (whose message names the setup command) when missing.
    static func library() throws -> ReferenceLibrary {
        try ExactReference.library()
    }

    /// SHA-256 of SmolLM2-135M-Instruct.Q4_1.gguf, the key of its model-cache directory.
    static let smolLM2SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    /// The SmolLM2-135M-Instruct Q4_1 model: `BITNET_TEST_MODEL`, else
    /// `${BITNET_MODEL_CACHE_DIR:-${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/models}/<sha256>/model.gguf`.
    static func smolLM2Path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["BITNET_TEST_MODEL"], !override.isEmpty { return override }
        let cacheRoot = environment["BITNET_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/bitnet-swift"
        let modelRoot = environment["BITNET_MODEL_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? cacheRoot + "/models"
        let path = "\(modelRoot)/\(smolLM2SHA256)/model.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureError("SmolLM2-135M-Instruct Q4_1 not found at \(path). Run scripts/fetch-test-models.sh first.")
        }
        return path
    }

    /// `bin/llama-tokenize` of the loaded install, next to the shim's `lib/` directory.
    static func llamaTokenizePath(for library: ReferenceLibrary) -> String {
        URL(fileURLWithPath: library.path).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bin/llama-tokenize").path
    }

    /// Resident set size of this process in bytes, from /proc/self/statm (Linux).
    ///
    /// glibc first returns its free heap pages to the kernel (`malloc_trim(0)`): without that, freed memory the
    /// allocator keeps for reuse shows up as multi-megabyte RSS steps that have nothing to do with leaks, while
    /// leaked memory is still allocated and stays counted.
    static func residentBytes() -> Int? {
        releaseFreeHeapPages()
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func releaseFreeHeapPages() {
        #if os(Linux)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        // malloc_trim is glibc's (not in Swift's Glibc module), so it is looked up at run time.
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// Runs `llama-tokenize` on `text` (passed verbatim through a file) and parses its `--ids` output.
    static func llamaTokenize(_ text: String, model: String, library: ReferenceLibrary) throws -> [Int32] {
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("bitnet-tokenize-\(UUID().uuidString).txt")
        try Data(text.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: llamaTokenizePath(for: library))
        process.arguments = ["-m", model, "-f", input.path, "--ids", "--no-escape", "--log-disable"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("llama-tokenize exited with \(process.terminationStatus)")
        }
        // The output is one Python-style list, e.g. "[1, 2, 3]".
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("["), text.hasSuffix("]") else { throw FixtureError("unexpected output: \(text)") }
        return try text.dropFirst().dropLast().split(separator: ",").map { field in
            guard let id = Int32(field.trimmingCharacters(in: .whitespaces)) else {
                throw FixtureError("not a token id: \(field)")
            }
            return id
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
