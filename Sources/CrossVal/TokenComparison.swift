/// The token rung: our tokenizer's ids against llama.cpp's, exactly (BOS/EOS included).
public enum TokenComparison {
    /// Compares two tokenizations of one text. On a mismatch the result names the first differing index with
    /// both ids and their pieces (an id is nil where its sequence already ended).
    ///
    /// - Parameters:
    ///   - ourPiece: text of one of our ids (our tokenizer's piece).
    ///   - referencePiece: text of one of the reference's ids (llama.cpp's piece).
    public static func compare(
        ours: [Int32], reference: [Int32], ourPiece: (Int32) -> String, referencePiece: (Int32) -> String
    ) -> TokenRung {
        guard let index = firstDifference(ours, reference) else {
            return TokenRung(status: .pass, ours: ours, reference: reference, firstMismatch: nil)
        }
        let ourId = index < ours.count ? ours[index] : nil
        let referenceId = index < reference.count ? reference[index] : nil
        let mismatch = TokenMismatch(
            index: index, ourId: ourId, referenceId: referenceId, ourPiece: ourId.map(ourPiece),
            referencePiece: referenceId.map(referencePiece))
        return TokenRung(status: .fail, ours: ours, reference: reference, firstMismatch: mismatch)
    }

    /// The first index where `a` and `b` differ, counting a length difference; nil when equal.
    public static func firstDifference(_ a: [Int32], _ b: [Int32]) -> Int? {
        for i in 0..<min(a.count, b.count) where a[i] != b[i] { return i }
        return a.count == b.count ? nil : min(a.count, b.count)
    }
}
