@testable import CrossVal
import Foundation
import Testing

/// SHA-256, canonical JSON and the receipt digest, without llama.cpp.
struct ReceiptDigestTests {
    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256Hex.of(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hex.of([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hex.of(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func canonicalFormSortsKeysAndFixesNumbers() throws {
        let a = try JSONValue.parse(Data(#"{"b": [1.0, 2.5e0, "x\n\"y"], "a": {"z": null, "y": true}}"#.utf8))
        #expect(String(decoding: a.canonicalBytes, as: UTF8.self) == #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\n\"y"]}"#)
    }

    @Test func digestIgnoresFormattingAndTheDigestFieldButNotValues() throws {
        let compact = try JSONValue.parse(Data(#"{"status":"pass","rows":[0.99999,1],"digest":"sha256:00"}"#.utf8))
        let spaced = try JSONValue.parse(Data("{\n  \"rows\" : [ 0.99999, 1.0 ],\n  \"status\" : \"pass\"\n}".utf8))
        let edited = try JSONValue.parse(Data(#"{"status":"pass","rows":[0.99998,1]}"#.utf8))
        #expect(ReceiptCodec.digest(ofBody: compact) == ReceiptCodec.digest(ofBody: spaced))
        #expect(ReceiptCodec.digest(ofBody: compact) != ReceiptCodec.digest(ofBody: edited))
    }

    @Test func logitMetricsOfIdenticalAndShiftedRows() {
        let row: [Float] = [0.5, 2, -1, 3, 1, 0, 2.5]
        let same = LogitMetrics(ours: row[...], reference: row[...])
        #expect(abs(same.cosine - 1) < 1e-15 && same.mse == 0 && same.maxAbsDiff == 0 && same.kl == 0)
        #expect(same.referenceTop1 == 3 && same.top5Overlap == 5)
        // Adding a constant leaves the softmax (so KL and the top-5) unchanged but not the raw logits.
        let shifted = row.map { $0 + 1 }
        let m = LogitMetrics(ours: shifted[...], reference: row[...])
        #expect(m.kl < 1e-12 && m.top5Overlap == 5 && m.maxAbsDiff == 1 && m.cosine < 1)
        #expect(LogitMetrics.topK(row[...], 3).map(\.id) == [3, 6, 1])
    }
}
