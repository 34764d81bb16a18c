// swift-tools-version:6.1
// bitnet-swift: BitNet and llama-family GGUF inference on the CPU, checked against llama.cpp.
import PackageDescription

let package = Package(
    name: "bitnet-swift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bitnet", targets: ["bitnet"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "BitNetRuntime", targets: ["BitNetRuntime"]),
        .library(name: "LlamaReference", targets: ["LlamaReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Lowest layer: the GGUF container format (mmap reader, writer, metadata, tensor directory).
        .target(name: "GGUF", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Block formats, dot products, matmul, thread pool.
        .target(name: "Kernels", dependencies: ["GGUF"]),
        // SPM and BPE tokenizers built from GGUF metadata.
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        // One file per architecture.
        .target(name: "BitNetModels", dependencies: ["GGUF", "Kernels"]),
        // Engine: KV cache, samplers, generation, chat templates.
        .target(name: "BitNetRuntime", dependencies: ["BitNetModels", "Tokenizers", "Kernels", "GGUF"]),
        // dlopen'd bridge to llama.cpp through our C shim (no link-time dependency).
        .target(name: "LlamaReference", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Parity harness: engine vs reference.
        .target(name: "CrossVal", dependencies: ["BitNetRuntime", "LlamaReference", "Tokenizers"]),
        // Lockfile, content-addressed cache, verified downloads.
        .target(name: "ModelFetcher", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Benchmark runner, receipts, baselines.
        .target(name: "Bench", dependencies: ["BitNetRuntime"]),
        .target(name: "BitNetServer", dependencies: ["BitNetRuntime"]),
        .target(name: "BitNetC", dependencies: ["BitNetRuntime"]),
        .executableTarget(
            name: "bitnet",
            dependencies: [
                "GGUF", "BitNetRuntime", "LlamaReference", "CrossVal", "ModelFetcher", "Bench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF"]),
    ]
)
