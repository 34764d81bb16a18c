import ArgumentParser
import BitNetModels
import Foundation
import GGUF
import Kernels

/// `bitnet inspect`: what a GGUF file holds, and whether this engine can run it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a GGUF file: architecture, size, tensor types, hyper-parameters, tokenizer.",
        discussion: "Exit codes: 0 success; 1 unreadable or malformed file; with --compat, 3 when not runnable."
    )

    @Argument(help: "Path to a .gguf file, or a model name from models.lock.json.")
    var file: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "List every tensor (name, type, shape, offset, bytes).")
    var tensors = false

    @Flag(help: "Report whether this engine can run the file; exit 3 when it cannot.")
    var compat = false

    @Flag(name: .customLong("full-arrays"), help: "In --json, print metadata arrays in full instead of summarising those over 64 elements.")
    var fullArrays = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let log = global.bootstrapLogging()
        let gguf = try GGUFFile(path: try ModelOptions.resolveModel(file))
        log.debug("parsed \(file): \(gguf.tensors.count) tensors, \(gguf.metadata.count) keys")
        let summary = ModelSummary(gguf)
        let report = compat ? Compatibility.check(gguf) : nil
        if json {
            let obj = InspectJSON(summary: summary, file: gguf, compat: report, fullArrays: fullArrays)
            print(try obj.encoded())
        } else {
            print(summary.text(tensors: tensors ? gguf.tensors : nil))
            print("kernels: \(KernelLevel.active) on \(HostCPU.current.model)")
            if let report { print(report.text) }
        }
        if let report, !report.runnable { throw ExitCode(3) }
    }
}

extension CompatibilityReport {
    var text: String {
        if runnable { return "compat: runnable (\(architecture ?? "?"))" }
        return (["compat: NOT runnable"] + problems.map { "  - \($0)" }).joined(separator: "\n")
    }
}
