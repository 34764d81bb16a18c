import BitNetRuntime
import Foundation
import Tokenizers

/// The most alternatives a request may ask for (`logprobs` on completions, `top_logprobs` on chat), as OpenAI allows.
let maxTopLogprobs = 20

/// `choices[].logprobs` of either endpoint: OpenAI's legacy completion shape or the chat shape.
enum ChoiceLogprobs: Encodable, Sendable {
    case completion(CompletionLogprobs)
    case chat(ChatLogprobs)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .completion(let c): try c.encode(to: encoder)
        case .chat(let c): try c.encode(to: encoder)
        }
    }
}

/// `/v1/completions`: parallel arrays, one entry per token; `top_logprobs` maps token text to log-probability.
struct CompletionLogprobs: Encodable, Sendable {
    var tokens: [String] = []
    var token_logprobs: [Float] = []
    var top_logprobs: [TopLogprobMap] = []
    /// Where each token starts in the generated text, in Unicode scalars (the prompt is not counted).
    var text_offset: [Int] = []
}

/// `{"token text": logprob, …}`, most likely first; a text that two tokens share keeps the likelier one.
struct TopLogprobMap: Encodable, Sendable {
    let entries: [(text: String, logprob: Float)]

    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        var seen = Set<String>()
        for e in entries where seen.insert(e.text).inserted { try c.encode(e.logprob, forKey: Key(stringValue: e.text)) }
    }
}

/// `/v1/chat/completions`: `{"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}`.
struct ChatLogprobs: Encodable, Sendable {
    struct Alternative: Encodable, Sendable {
        let token: String
        let logprob: Float
        /// The token's UTF-8 bytes (a token may hold part of a character, which `token` shows as U+FFFD).
        let bytes: [UInt8]
    }
    struct Entry: Encodable, Sendable {
        let token: String
        let logprob: Float
        let bytes: [UInt8]
        let top_logprobs: [Alternative]
    }
    var content: [Entry] = []
}

/// Turns the engine's per-token log-probabilities into response objects, keeping the text offset across the chunks
/// of a stream.
struct LogprobFormatter: Sendable {
    let tokenizer: Tokenizer
    let isChat: Bool
    /// Unicode scalars in the text of the tokens formatted so far (UTF-8 lead bytes, so split characters count once).
    private var scalars = 0

    init(tokenizer: Tokenizer, isChat: Bool) {
        self.tokenizer = tokenizer
        self.isChat = isChat
    }

    /// The `logprobs` object for `lps`, the next tokens of the choice.
    mutating func format(_ lps: [TokenLogprob]) -> ChoiceLogprobs {
        isChat ? .chat(chat(lps)) : .completion(completion(lps))
    }

    private func piece(_ id: Int32) -> (text: String, bytes: [UInt8]) {
        let bytes = tokenizer.tokenToPiece(id, renderSpecial: false)
        return (String(decoding: bytes, as: UTF8.self), bytes)
    }

    private func chat(_ lps: [TokenLogprob]) -> ChatLogprobs {
        ChatLogprobs(content: lps.map { lp in
            let p = piece(lp.token)
            let top = lp.top.map { c in
                let a = piece(c.token)
                return ChatLogprobs.Alternative(token: a.text, logprob: jsonSafe(c.logprob), bytes: a.bytes)
            }
            return .init(token: p.text, logprob: jsonSafe(lp.logprob), bytes: p.bytes, top_logprobs: top)
        })
    }

    private mutating func completion(_ lps: [TokenLogprob]) -> CompletionLogprobs {
        var out = CompletionLogprobs()
        for lp in lps {
            let p = piece(lp.token)
            // A token that starts inside a character (a continuation byte) starts where that character started.
            let startsInside = p.bytes.first.map(isContinuation) ?? false
            out.text_offset.append(max(0, scalars - (startsInside ? 1 : 0)))
            scalars += p.bytes.count { !isContinuation($0) }
            out.tokens.append(p.text)
            out.token_logprobs.append(jsonSafe(lp.logprob))
            out.top_logprobs.append(TopLogprobMap(entries: lp.top.map { (piece($0.token).text, jsonSafe($0.logprob)) }))
        }
        return out
    }

    private func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// JSON has no infinities; a token the model rules out entirely gets a very negative finite value instead.
    private func jsonSafe(_ v: Float) -> Float { v.isFinite ? v : -9999 }
}

extension CompletionRequest {
    /// `logprobs: N`: the number of alternatives per token (0…20), or nil when not asked for.
    func logprobCount() throws(ServerError) -> Int? {
        guard let n = logprobs else { return nil }
        guard (0...maxTopLogprobs).contains(n) else {
            throw .invalidParameter("logprobs must be in [0, \(maxTopLogprobs)], got \(n)")
        }
        return n
    }
}

extension ChatCompletionRequest {
    /// `logprobs: true` with `top_logprobs: N` (0…20, default 0), or nil when not asked for.
    func logprobCount() throws(ServerError) -> Int? {
        if let n = top_logprobs {
            guard (0...maxTopLogprobs).contains(n) else {
                throw .invalidParameter("top_logprobs must be in [0, \(maxTopLogprobs)], got \(n)")
            }
            guard logprobs == true else { throw .invalidParameter("top_logprobs requires logprobs: true") }
        }
        return logprobs == true ? (top_logprobs ?? 0) : nil
    }
}
