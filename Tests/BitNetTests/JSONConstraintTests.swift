import BitNet
import Foundation
import Testing

/// The JSON-object recogniser behind `response_format: {"type": "json_object"}`.
struct JSONConstraintTests {
    static func accepts(_ text: String) -> (ok: Bool, complete: Bool) {
        var r = JSONObjectRecognizer()
        let ok = r.feed(Array(text.utf8))
        return (ok, r.isComplete)
    }

    @Test(arguments: [
        #"{}"#, #"{"a":1}"#, #" { "a" : [1, -2.5e+3, 0, 0.25, true, false, null, "x\"y\u00e9\n"], "b": {"c": []} } "#.trimmingCharacters(in: .whitespaces),
        #"{"nested":[[[{}]]],"s":"ü — 東京"}"#, #"{"n":-0.0E-7}"#,
    ])
    func acceptsObjects(_ text: String) throws {
        let (ok, complete) = Self.accepts(text)
        #expect(ok && complete, "\(text)")
        // Every object it completes is valid JSON.
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        // Every proper prefix is accepted and incomplete.
        for n in 1..<text.utf8.count {
            let prefix = String(decoding: Array(text.utf8)[0..<n], as: UTF8.self)
            var r = JSONObjectRecognizer()
            #expect(r.feed(Array(text.utf8)[0..<n]) && !r.isComplete, "prefix '\(prefix)'")
        }
    }

    @Test(arguments: [
        #"[1]"#, #"1"#, #""a""#, #"{"a":01}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{a:1}"#, #"{"a":tru}"#, #"{"a":"\x"}"#,
        #"{"a":"\u12G4"}"#, "{\"a\":\"\u{01}\"}", #"{"a":1}}"#, #"{"a":1} "#, #"{"a":-}"#, #"{"a":1.}"#, #"{"a":1e}"#,
        #"{"a":[1,]}"#, #"{"a":[1 2]}"#, #"{"a":}"#, #"{,}"#,
    ])
    func refusesOtherText(_ text: String) {
        #expect(!Self.accepts(text).ok, "\(text)")
    }

    @Test func boundsWhitespaceAndDepth() {
        #expect(Self.accepts("{" + String(repeating: " ", count: JSONObjectRecognizer.maxWhitespaceRun) + "}").ok)
        #expect(!Self.accepts("{" + String(repeating: " ", count: JSONObjectRecognizer.maxWhitespaceRun + 1) + "}").ok)
        let deep = JSONObjectRecognizer.maxDepth - 1
        #expect(Self.accepts("{\"a\":" + String(repeating: "[", count: deep) + String(repeating: "]", count: deep) + "}").complete)
        #expect(!Self.accepts("{\"a\":" + String(repeating: "[", count: deep + 1)).ok)
    }
}
