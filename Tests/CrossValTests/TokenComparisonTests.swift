import BitNetRuntime
import CrossVal
import Foundation
import TestSupport
import Testing

/// The token rung on its own: the first differing index with both ids and pieces.
struct TokenComparisonTests {
    @Test func equalSequencesPass() {
        let rung = TokenComparison.compare(ours: [1, 2, 3], reference: [1, 2, 3], ourPiece: { "\($0)" },
                                           referencePiece: { "\($0)" })
        #expect(rung.status == .pass && rung.firstMismatch == nil)
    }

    @Test func lengthDifferenceIsAMismatchAtTheShorterEnd() {
        let rung = TokenComparison.compare(ours: [1, 2], reference: [1, 2, 9], ourPiece: { "o\($0)" },
                                           referencePiece: { "r\($0)" })
        #expect(rung.status == .fail)
        let m = rung.firstMismatch
        #expect(m?.index == 2 && m?.ourId == nil && m?.referenceId == 9 && m?.ourPiece == nil && m?.referencePiece == "r9")
    }

    /// Two real, different tokenizations (with and without a comma) from SmolLM2's tokenizer: the rung names the
    /// first index where they part, with both ids and the text of each piece.
    @Test func realTokenizationsReportTheFirstDifferingIndex() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        let tokenizer = engine.tokenizer
        let a = tokenizer.encode("The capital of France is Paris", addSpecial: true)
        let b = tokenizer.encode("The capital of France, is Paris", addSpecial: true)
        let piece = { (id: Int32) in String(decoding: tokenizer.tokenToPiece(id, renderSpecial: true), as: UTF8.self) }
        let rung = TokenComparison.compare(ours: a, reference: b, ourPiece: piece, referencePiece: piece)
        let m = try #require(rung.firstMismatch)
        #expect(rung.status == .fail)
        #expect(Array(a[..<m.index]) == Array(b[..<m.index]))
        #expect(m.index == 4, "'The', ' capital', ' of', ' France' agree; then ' is' vs ','")
        #expect(m.ourPiece == " is" && m.referencePiece == ",")
        #expect(m.ourId == a[m.index] && m.referenceId == b[m.index])
    }
}
