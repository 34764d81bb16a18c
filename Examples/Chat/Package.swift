// swift-tools-version:6.1
// An example program that uses bitnet-swift the way an application does: by version, through the `BitNet` product,
// in Swift 6 language mode. `scripts/check-consumer.sh` (part of the test command) builds it against a tagged clone
// of this repository and runs it on SmolLM2.
import PackageDescription

let package = Package(
    name: "Chat",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "https://github.com/bitnet-swift/bitnet-swift", from: "0.1.0")],
    targets: [
        .executableTarget(name: "Chat", dependencies: [.product(name: "BitNet", package: "bitnet-swift")]),
    ]
)
