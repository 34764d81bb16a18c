import ArgumentParser
import Foundation
import Kernels
import LlamaReference

/// `bitnet preflight`: is this machine ready to validate against llama.cpp?
struct PreflightCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check the llama.cpp reference install, its symbols, the CPU features and the test models.",
        discussion: """
            Looks for the reference shim of the level the engine's kernels match (explicit --library, \
            BITNET_REFERENCE_LIB, BITNET_CACHE_DIR, ~/.cache/bitnet-swift; BITNET_REFERENCE_LEVEL picks another) and \
            reports what it found, the engine's kernel level, and every reference level built (with ggml's feature \
            report). Exit codes: 0 ready; 1 not ready (the fix is printed).
            """
    )

    @Flag(help: "Also print llama.cpp's system info, the install record and every searched path.")
    var diagnostics = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Use this shim (file, or directory holding it) instead of searching.")
    var library: String?

    @Flag(help: "Also load the default test model through the reference and greedy-decode a few tokens.")
    var smoke = false

    @Option(help: "Time limit in seconds for the --smoke reference calls.")
    var timeout: Double = 300

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let log = global.bootstrapLogging()
        var report = PreflightReport.collect(explicitLibrary: library)
        if smoke { report.runSmokeTest(limit: .milliseconds(Int(timeout * 1000))) }
        log.debug("preflight ready=\(report.ready), library=\(report.reference.libraryPath ?? "none")")
        if json {
            print(try report.encodedJSON())
        } else {
            print(report.text(diagnostics: diagnostics))
        }
        if !report.ready { throw ExitCode(1) }
    }
}

/// Everything `bitnet preflight` reports.
struct PreflightReport: Codable {
    /// A CPU feature and whether /proc/cpuinfo lists it (nil when unknown).
    struct CPUFeature: Codable {
        let name: String
        let present: Bool?
    }

    /// A test model and where it was looked for.
    struct TestModel: Codable {
        let name: String
        let sha256: String
        let path: String
        let present: Bool
        let required: Bool
    }

    /// One reference level's install in the cache (from its `reference.json`; never loaded, since one process can
    /// hold only one install).
    struct LevelInstall: Codable {
        let level: String
        let directory: String
        let systemInfo: String?
        let compileFlags: [String]?
        let builtOn: String?
    }

    var ready: Bool
    /// The instruction-set level the engine's kernels run at here, and the reference level a bit-exact comparison
    /// pairs it with (nil: none).
    var kernelLevel: String
    var exactReferenceLevel: String?
    var reference: ReferenceProbe
    /// Every built reference level.
    var levels: [LevelInstall]
    var cpuModel: String
    var cpuFlags: [String]
    var cpu: [CPUFeature]
    var testModels: [TestModel]
    var smokeTest: String?
    var fixes: [String]

    static func collect(explicitLibrary: String?) -> PreflightReport {
        let probe = ReferenceProbe.run(explicitPath: explicitLibrary)
        let models = defaultTestModels()
        var fixes: [String] = []
        if !probe.ready { fixes.append("Build the reference: scripts/setup-reference.sh (or bitnet setup-reference).") }
        if models.contains(where: { $0.required && !$0.present }) {
            fixes.append("Fetch the test models: scripts/fetch-test-models.sh.")
        }
        let levels = ReferenceLocator().completedInstallsOfEveryLevel().map { install in
            let record = ReferenceInstallRecord.read(installDirectory: install.directory)
            return LevelInstall(level: install.level.rawValue, directory: install.directory,
                                systemInfo: record?.systemInfo, compileFlags: record?.compileFlags, builtOn: record?.hostCpu)
        }
        let exact = ReferenceLevel.exactMatch(forKernelLevel: KernelLevel.active.rawValue)
        let missing = ReferenceLevel.buildable.filter { level in !levels.contains { $0.level == level.rawValue } }
        if probe.ready, !missing.isEmpty {
            fixes.append("Build the missing reference level(s) \(missing.map(\.rawValue).joined(separator: ", ")) "
                + "(bench --reference and the tolerance tier use native): scripts/setup-reference.sh --level all.")
        }
        return PreflightReport(
            ready: fixes.isEmpty, kernelLevel: KernelLevel.active.rawValue, exactReferenceLevel: exact?.rawValue,
            reference: probe, levels: levels, cpuModel: HostCPU.current.model, cpuFlags: HostCPU.current.simdFlags,
            cpu: cpuFeatures(), testModels: models, smokeTest: nil, fixes: fixes)
    }

    /// Loads the first present test model through the reference and decodes four tokens.
    mutating func runSmokeTest(limit: Duration) {
        guard reference.ready, let model = testModels.first(where: \.present) else {
            smokeTest = "skipped: needs the reference and a test model"
            return
        }
        let explicit = reference.libraryPath
        do {
            let result = try ReferenceTimeout.run(limit: limit) { () throws(ReferenceError) -> String in
                let library = try ReferenceLibrary.load(explicitPath: explicit)
                let llama = try LlamaModel(path: model.path, library: library)
                let context = try LlamaContext(model: llama, contextLength: 128)
                let prompt = try llama.tokenize("The capital of France is")
                let generated = try context.greedy(prompt: prompt, steps: 4)
                return "ok: \(prompt.count) prompt tokens -> \(try llama.detokenize(generated).debugDescription)"
            }
            smokeTest = result
        } catch {
            smokeTest = "failed: \(error)"
            ready = false
            fixes.append("Rebuild the reference: BITNET_REFERENCE_FORCE=1 scripts/setup-reference.sh.")
        }
    }

    /// The features that decide kernel levels, from `HostCPU` (nil each when the flags are unknown): AVX2, FMA,
    /// F16C, AVX-512F, AVX-512 VNNI and AVX-VNNI on x86-64; Advanced SIMD (asimd) and the dot-product extension
    /// (asimddp) on ARM64.
    static func cpuFeatures() -> [CPUFeature] {
        #if arch(arm64)
        let wanted = [("NEON", "asimd"), ("DotProd", "asimddp"), ("I8MM", "i8mm"), ("SVE", "sve")]
        #else
        let wanted = [("AVX2", "avx2"), ("FMA", "fma"), ("F16C", "f16c"), ("AVX-512", "avx512f"),
                      ("AVX-512 VNNI", "avx512_vnni"), ("AVX-VNNI", "avx_vnni")]
        #endif
        let flags = HostCPU.current.flags
        return wanted.map { CPUFeature(name: $0.0, present: flags.isEmpty ? nil : flags.contains($0.1)) }
    }

    /// The models the test suite uses, at `${BITNET_MODEL_CACHE_DIR:-<cache>/models}/<sha256>/model.gguf`.
    static func defaultTestModels() -> [TestModel] {
        let environment = ProcessInfo.processInfo.environment
        let locator = ReferenceLocator(environment: environment)
        let modelRoot = environment["BITNET_MODEL_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? locator.cacheRoots[0] + "/models"
        let known: [(String, String, Bool)] = [
            ("SmolLM2-135M-Instruct Q4_1", "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", true),
            ("gemma-3-270m Q4_K_M", "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", false),
        ]
        return known.enumerated().map { index, entry in
            var path = "\(modelRoot)/\(entry.1)/model.gguf"
            if index == 0, let override = environment["BITNET_TEST_MODEL"], !override.isEmpty { path = override }
            return TestModel(
                name: entry.0, sha256: entry.1, path: path, present: FileManager.default.fileExists(atPath: path),
                required: entry.2)
        }
    }

    func encodedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text(diagnostics: Bool) -> String {
        func mark(_ ok: Bool?) -> String { ok.map { $0 ? "✓" : "✗" } ?? "?" }
        var lines = ["engine kernels: \(kernelLevel) (bit-exact against llama.cpp \(exactReferenceLevel ?? "— no matching build"))",
                     "llama.cpp reference"]
        for key in ReferenceProbe.environmentKeys where diagnostics || !(reference.environment[key] ?? "").isEmpty {
            let value = reference.environment[key] ?? ""
            lines.append("  \(key) = \(value.isEmpty ? "(unset)" : value)")
        }
        lines.append("  searched:")
        let shown = diagnostics ? reference.searched : Array(reference.searched.prefix(4))
        for entry in shown { lines.append("    \(mark(entry.exists)) \(entry.path)") }
        if shown.count < reference.searched.count {
            lines.append("    … \(reference.searched.count - shown.count) more (--diagnostics)")
        }
        lines.append("  library: \(reference.libraryPath ?? "not found")")
        if let commit = reference.llamaCommit {
            let build = reference.llamaBuildNumber.map { " (build b\($0))" } ?? ""
            lines.append("  llama.cpp commit: \(commit)\(build)")
        }
        let abi = reference.abiVersion.map(String.init) ?? "?"
        lines.append("  shim ABI: \(abi) (this build needs \(reference.expectedABIVersion))")
        if !reference.symbols.isEmpty {
            let found = reference.symbols.filter(\.found).count
            lines.append("  symbols: \(found)/\(reference.symbols.count) found" + (diagnostics ? "" : " (--diagnostics lists each)"))
            for symbol in reference.symbols where diagnostics || !symbol.found {
                lines.append("    \(mark(symbol.found)) \(symbol.name)")
            }
        }
        if let problem = reference.problem { lines.append("  problem: \(problem)") }
        if diagnostics {
            if let info = reference.systemInfo { lines.append("  llama.cpp system info: \(info)") }
            if let record = reference.installRecord {
                lines.append("  install record:")
                lines += record.split(separator: "\n").map { "    \($0)" }
            }
        }
        lines.append("reference levels built:" + (levels.isEmpty ? " none" : ""))
        for install in levels {
            lines.append("  \(install.level): \(install.directory)")
            if diagnostics {
                lines.append("    ggml: \(install.systemInfo ?? "(not recorded)")")
                lines.append("    compiled with: \(install.compileFlags?.joined(separator: " ") ?? "(not recorded)")")
                if let builtOn = install.builtOn { lines.append("    built on: \(builtOn)") }
            }
        }
        lines.append("cpu: \(cpuModel)")
        if diagnostics { lines.append("  flags: \(cpuFlags.joined(separator: " "))") }
        lines.append("cpu: " + cpu.map { "\($0.name) \(mark($0.present))" }.joined(separator: "  "))
        lines.append("test models:")
        for model in testModels {
            let note = model.required ? "" : " (optional)"
            lines.append("  \(mark(model.present)) \(model.name)\(note): \(model.path)")
        }
        if let smokeTest { lines.append("smoke test: \(smokeTest)") }
        lines.append(ready ? "ready" : "NOT ready")
        lines += fixes.map { "  fix: \($0)" }
        return lines.joined(separator: "\n")
    }
}
