/// The `CrossVal` module: our engine against llama.cpp, rung by rung, with receipts a validator can check.
///
/// `CrossValRunner.run` compares tokens, then prefill logits per position, then greedy decode per step, and
/// returns a `CrossValReceipt`; `ReceiptCodec` writes it with a digest of its canonical body; and
/// `CrossValReceiptVerifier` checks a written receipt (schema, digest, reference identity, internal consistency).
/// docs/receipts.md documents the schema, docs/parity.md the thresholds.
public enum CrossValModule {
    /// The module's name, as reported by diagnostics.
    public static let name = "CrossVal"
}
