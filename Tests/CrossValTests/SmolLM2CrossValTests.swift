import CrossVal
import Foundation
import LlamaReference
import TestSupport
import Testing

/// Runs the harness on the real SmolLM2 against llama.cpp (once, shared by the tests below) and checks that
/// its receipt verifies, and that hand edits and broken receipts do not.
@Suite(.serialized, .enabled(if: CrossValFixture.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct SmolLM2CrossValTests {
    @Test func franceCrossvalPassesAndItsReceiptVerifies() throws {
        let run = try CrossValFixture.smolLM2.get()
        #expect(run.receipt.status == .pass, "crossval failed: \(run.receipt.summary); receipt \(run.path)")
        #expect(run.receipt.prompts[0].prefill.rows.count == 5 && run.receipt.prompts[0].decode.rows.count == 32)
        #expect(run.receipt.model.sha256 == TestModels.smolLM2SHA256)
        #expect(run.receipt.reference.commit == ReferenceLocator.pinnedCommit)
        // The default comparison is the exact tier: the reference build of the engine's own kernel routes.
        let pairing = try ExactReference.pairing()
        #expect(run.receipt.tier == .exact && run.receipt.engine.kernelLevel == pairing.kernelLevel.rawValue
                && run.receipt.reference.level == pairing.referenceLevel.rawValue, "\(run.receipt.tier)")
        let verdict = ReceiptVerifier.standard.verify(run.data)
        #expect(verdict.isValid, "\(verdict.problems); receipt \(run.path)")
        print(CrossValReport.text(run.receipt))
    }

    @Test func editingStatusSummaryOrARowFailsVerification() throws {
        let run = try CrossValFixture.smolLM2.get()
        let edits: [(String, (inout CrossValReceipt) -> Void)] = [
            ("status", { $0.status = .fail }),
            ("summary", { $0.summary.decodeExact += 1 }),
            ("prefill row cosine", { $0.prompts[0].prefill.rows[2].cosine = 0.5 }),
            ("decode row token", { $0.prompts[0].decode.rows[7].ourToken += 1 }),
            ("prompt status", { $0.prompts[0].status = .fail }),
            ("threshold", { $0.thresholds.prefillCosineMin = 1.0 }),
        ]
        for (name, edit) in edits {
            var edited = run.receipt
            edit(&edited)
            // Edited in place, digest left as it was: the digest catches it.
            let handEdited = try CrossValFixture.reencode(edited, keepingDigest: CrossValFixture.statedDigest(run.data))
            let v1 = ReceiptVerifier.standard.verify(handEdited)
            #expect(!v1.isValid && v1.problems.contains { $0.hasPrefix("digest mismatch") }, "\(name): \(v1.problems)")
            // Edited and re-digested: the consistency checks still catch it.
            let resigned = try ReceiptCodec.encode(edited)
            let v2 = ReceiptVerifier.standard.verify(resigned)
            #expect(!v2.isValid && !v2.problems.contains { $0.hasPrefix("digest") }, "\(name): \(v2.problems)")
        }
    }

    @Test func nanMissingRowsAndMockIdentitiesFailVerification() throws {
        let run = try CrossValFixture.smolLM2.get()
        let breaks: [(String, (inout CrossValReceipt) -> Void, String)] = [
            ("NaN cosine", { $0.prompts[0].prefill.rows[1].cosine = .nan }, "NaN"),
            ("missing prefill row", { $0.prompts[0].prefill.rows.removeLast() }, "rows missing"),
            ("missing decode rows", { $0.prompts[0].decode.rows.removeLast(3) }, "rows missing"),
            ("mock engine", { $0.engine.name = "mock-engine" }, "mock"),
            ("empty engine version", { $0.engine.version = "" }, "mock"),
            ("no reference", { $0.reference.commit = "" }, "commit"),
            ("exact tier across levels", { $0.reference.level = "native" }, "exact-tier receipt compares"),
            ("tolerance tier with matching levels", { $0.tier = .tolerance }, "must be exact"),
        ]
        for (name, breakIt, expected) in breaks {
            var broken = run.receipt
            breakIt(&broken)
            let verdict = ReceiptVerifier.standard.verify(try ReceiptCodec.encode(broken))
            #expect(!verdict.isValid && verdict.problems.contains { $0.contains(expected) }, "\(name): \(verdict.problems)")
        }
        // A receipt with a whole field removed fails the schema check.
        var json = try JSONSerialization.jsonObject(with: run.data) as! [String: Any]
        json.removeValue(forKey: "reference")
        let verdict = ReceiptVerifier.standard.verify(try JSONSerialization.data(withJSONObject: json))
        #expect(verdict.problems.contains { $0.contains("schema: missing field `reference`") }, "\(verdict.problems)")
    }
}

/// The shared SmolLM2 run and helpers.
enum CrossValFixture {
    struct Run: Sendable {
        let receipt: CrossValReceipt
        let data: Data
        let path: String
    }

    static var referenceEnabled: Bool { ProcessInfo.processInfo.environment["BITNET_SKIP_REFERENCE_TESTS"] != "1" }

    /// `bitnet crossval --model <SmolLM2> --prompt "The capital of France is" --steps 32`, with llama.cpp on one thread.
    static let smolLM2: Result<Run, any Error> = Result {
        try run(model: try TestModels.smolLM2(), prompts: ["The capital of France is"], steps: 32, label: "smollm2")
    }

    /// Runs the harness and writes the receipt into a scratch directory (kept, so a failure message can name it).
    static func run(model: String, prompts: [String], steps: Int, label: String) throws -> Run {
        var configuration = CrossValConfiguration(modelPath: model, prompts: prompts, engineThreads: 2,
                                                  engineVersion: "0.1.0-dev")
        configuration.steps = steps
        configuration.referenceThreads = 1
        let receipt = try CrossValRunner.run(configuration)
        let data = try ReceiptCodec.encode(receipt)
        let path = try TestModels.scratchDirectory("crossval-\(label)") + "/receipt.json"
        try data.write(to: URL(fileURLWithPath: path))
        return Run(receipt: receipt, data: data, path: path)
    }

    /// The `digest` field of a written receipt.
    static func statedDigest(_ data: Data) -> String? {
        if case .string(let d)? = (try? JSONValue.parse(data))?["digest"] { return d }
        return nil
    }

    /// `receipt` as JSON with `digest` set to the given (stale) value, as a hand edit of the file would leave it.
    static func reencode(_ receipt: CrossValReceipt, keepingDigest digest: String?) throws -> Data {
        let fresh = try ReceiptCodec.encode(receipt)
        var json = try JSONSerialization.jsonObject(with: fresh) as! [String: Any]
        json["digest"] = digest
        return try JSONSerialization.data(withJSONObject: json)
    }
}
