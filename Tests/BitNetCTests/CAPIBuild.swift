import Foundation

/// Compiles and runs the C API test programs against the libBitNetC of the build this test runs from.
enum CAPIBuild {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The repository root (this file is Tests/BitNetCTests/CAPIBuild.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var includeDir: String { root + "/include" }

    /// The directory of the running test binary: `.build/<triple>/<configuration>`, where SwiftPM also puts
    /// the `BitNetC` product when it builds the package (`swift build --build-tests` builds every product).
    static func buildDirectory() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the runner is `<dir>/bitnet-swiftPackageTests.xctest`; on macOS it sits inside a bundle.
        while !FileManager.default.fileExists(atPath: dir.path + "/libBitNetC.so"), dir.pathComponents.count > 2 {
            if dir.lastPathComponent == ".build" { break }
            dir.deleteLastPathComponent()
        }
        guard FileManager.default.fileExists(atPath: dir.path + "/libBitNetC.so") else {
            throw Failure(description: "libBitNetC.so not found next to the test binary \(exe); build it with "
                + "`swift build -c release -Xswiftc -enable-testing --build-tests` (or --product BitNetC)")
        }
        return dir.path
    }

    /// Compiles Tests/CAPI/`source` with strict warnings into `dir` and returns the executable's path.
    static func compile(source: String, compiler: String, flags: [String], into dir: String) throws -> String {
        let lib = try buildDirectory()
        let exe = dir + "/" + source.replacingOccurrences(of: ".", with: "_")
        try run(compiler, flags + ["-Wall", "-Wextra", "-pedantic", "-Werror", "-g", "-I", includeDir,
                                   root + "/Tests/CAPI/" + source, "-o", exe,
                                   "-L", lib, "-lBitNetC", "-Wl,-rpath," + lib])
        return exe
    }

    /// Runs `tool` (looked up on PATH unless it is a path), returns its stdout; throws with stderr on failure.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        let errData = Data.readAll(err)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        let stderr = String(decoding: errData.wait(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "`\(tool) \(arguments.joined(separator: " "))` exited with "
                + "\(process.terminationStatus):\n\(stderr)\(stdout)")
        }
        return stdout
    }

    /// The ids on the program's "TOKENS ..." line.
    static func tokens(in output: String) -> [Int32] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("TOKENS") }) else { return [] }
        return line.split(separator: " ").dropFirst().compactMap { Int32($0) }
    }

    /// The bytes on the program's "TEXT <hex>" line.
    static func text(in output: String) -> [UInt8] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("TEXT") }) else { return [] }
        let hex = Array(line.dropFirst(4).trimmingCharacters(in: .whitespaces).utf8)
        return stride(from: 0, to: hex.count - 1, by: 2).compactMap { UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16) }
    }
}

private extension Data {
    /// Reads `pipe` to its end on a background thread.
    static func readAll(_ pipe: Pipe) -> PipeReader { PipeReader(pipe) }
}

/// A pipe drained on its own thread.
final class PipeReader: @unchecked Sendable {
    // @unchecked: `data` is written once by the reading thread before `done` is signalled, read after the wait.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ pipe: Pipe) {
        Thread.detachNewThread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
    }
    func wait() -> Data {
        done.wait()
        return data
    }
}
