import ArgumentParser
import CrossVal
import Foundation

/// `bitnet verify-receipt`: is a receipt intact and internally consistent?
struct VerifyReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-receipt",
        abstract: "Check a receipt: schema, digest, reference identity, and that its statuses agree with its rows.",
        discussion: """
            Accepts crossval receipts (`bitnet crossval --receipt`) and bench receipts (`bitnet bench --receipt`). \
            Exit codes: 0 valid; 1 invalid (every reason is printed).
            """
    )

    /// The receipt kinds this command checks (crossval and bench).
    static let verifiers: [any ReceiptKindVerifier] = ReceiptVerifier.standard.verifiers

    @Argument(help: "The receipt file (JSON).")
    var file: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = global.bootstrapLogging()
        guard let data = FileManager.default.contents(atPath: file) else {
            print("invalid: cannot read \(file)")
            throw ExitCode(1)
        }
        let verdict = ReceiptVerifier(verifiers: Self.verifiers).verify(data)
        if verdict.isValid {
            print("valid: \(file) (\(verdict.kind ?? "?") receipt, digest and consistency checks pass)")
            return
        }
        print("invalid: \(file)")
        for problem in verdict.problems { print("  - \(problem)") }
        throw ExitCode(1)
    }
}
