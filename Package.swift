// swift-tools-version:6.1
// bitnet-swift: BitNet and llama-family GGUF inference on the CPU, checked against llama.cpp.
import PackageDescription

let package = Package(
    name: "bitnet-swift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bitnet", targets: ["bitnet"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "BitNet", targets: ["BitNet"]),
        .library(name: "BitNetRuntime", targets: ["BitNetRuntime"]),
        .library(name: "LlamaReference", targets: ["LlamaReference"]),
        .library(name: "BitNetC", type: .dynamic, targets: ["BitNetC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        // `swift package generate-documentation` (scripts/build-docs.sh); a command plugin, linked into nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Lowest layer: the GGUF container format (mmap reader, writer, metadata, tensor directory).
        .target(name: "GGUF", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Block formats, scalar references, dispatch, matmul, thread pool. No ISA flags: the level-specific kernels
        // are in the C targets below and are chosen at run time (`KernelLevel.active`).
        .target(name: "Kernels", dependencies: ["GGUF", "KernelsCSupport", "KernelsAVX2", "KernelsAVX512", "KernelsNEON"]),
        // What Swift cannot spell: a prefetch hint, and CPUID feature detection for the run-time level.
        .target(name: "KernelsCSupport"),
        // The AVX2 kernels (x86-64-v3), in C so that they alone are compiled for AVX2: each file enables it for its
        // own functions (`#pragma clang attribute ... target`), so the package needs no compiler flags.
        .target(name: "KernelsAVX2"),
        // The AVX-512 kernels (F/BW/VL/DQ + VNNI), the same way: the bits of the AVX2 kernels with VNNI integer
        // products and 32 vector registers (docs/kernels.md).
        .target(name: "KernelsAVX512"),
        // The ARM64 kernels (Advanced SIMD, and SDOT under `target("dotprod")`): compiled for AArch64 only; elsewhere
        // trapping stubs let the Swift table link. Tested under qemu-aarch64 (NEONEmulationTests).
        .target(name: "KernelsNEON"),
        // SPM and BPE tokenizers built from GGUF metadata.
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        // One file per architecture.
        .target(name: "BitNetModels", dependencies: ["GGUF", "Kernels"]),
        // Engine: KV cache, samplers, generation, chat templates.
        .target(name: "BitNetRuntime", dependencies: ["BitNetModels", "Tokenizers", "Kernels", "GGUF", "ModelFetcher"]),
        // The one module a Swift program imports: the runtime (async `LanguageModel`, `ChatSession`, the synchronous
        // `Engine`/`Generator`) re-exported, with the tokenizer types its API names.
        .target(name: "BitNet", dependencies: ["BitNetRuntime", "Tokenizers", "ModelFetcher"]),
        // dlopen'd bridge to llama.cpp through our C shim (no link-time dependency).
        .target(name: "LlamaReference", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Parity harness: engine vs reference.
        .target(
            name: "CrossVal",
            dependencies: [
                "BitNetRuntime", "BitNetModels", "GGUF", "Kernels", "LlamaReference", "Tokenizers",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Lockfile, content-addressed cache, verified downloads.
        .target(
            name: "ModelFetcher",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Deterministic synthetic models (random weights of any type, tokenizer from a vocab GGUF).
        .target(name: "ModelMaker", dependencies: ["GGUF", "Kernels"]),
        // Benchmark runner, receipts, baselines.
        .target(name: "Bench", dependencies: ["BitNetRuntime", "GGUF", "Kernels", "LlamaReference"]),
        // OpenAI-compatible HTTP server (Hummingbird 2): slots, bounded queue, SSE streaming.
        .target(
            name: "BitNetServer",
            dependencies: [
                "BitNetRuntime", "Tokenizers", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "BitNetC", dependencies: ["BitNetRuntime"]),
        .executableTarget(
            name: "bitnet",
            dependencies: [
                "GGUF", "BitNetRuntime", "LlamaReference", "CrossVal", "ModelFetcher", "Bench", "Tokenizers", "ModelMaker",
                "BitNetServer", "Kernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fixture lookup shared by the test targets (not shipped).
        .target(name: "TestSupport", dependencies: ["Kernels", "LlamaReference"], path: "Tests/TestSupport"),
        // Counts heap allocations per thread by interposing malloc in the test binary (not shipped).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "EngineParityTests", dependencies: ["BitNetModels", "BitNetRuntime", "GGUF", "LlamaReference", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelFetcherTests", dependencies: ["ModelFetcher", "TestSupport"]),
        .testTarget(name: "LlamaReferenceTests", dependencies: ["LlamaReference", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "TestSupport"]),
        .testTarget(name: "SyntheticParityTests", dependencies: ["ModelMaker", "BitNetModels", "BitNetRuntime", "GGUF", "LlamaReference", "TestSupport", "AllocationCounter"]),
        .testTarget(name: "TokenizerParityTests", dependencies: ["Tokenizers", "GGUF", "LlamaReference", "TestSupport"]),
        .testTarget(name: "BitNetTests", dependencies: ["BitNet", "TestSupport"]),
        .testTarget(name: "BitNetCTests", dependencies: ["BitNetRuntime", "Tokenizers", "TestSupport"]),
        .testTarget(name: "BitNetServerTests", dependencies: ["BitNetServer", "BitNetRuntime", "Tokenizers", "TestSupport"]),
        .testTarget(name: "CrossValTests", dependencies: ["CrossVal", "Bench", "BitNetRuntime", "GGUF", "LlamaReference", "ModelMaker", "TestSupport"]),
    ]
)
