import Foundation
import GGUF
import TestSupport
import Testing
@testable import Tokenizers

/// Behaviour beyond the vocab suites: BOS/EOS, special-token parsing, decoding, streaming, errors.
@Suite struct TokenizerBehaviourTests {
    static func smolLM2() throws -> Tokenizer { try Tokenizer(gguf: GGUFFile(path: try TestModels.smolLM2())) }

    /// `llama-tokenize -m SmolLM2-135M-Instruct.Q4_1.gguf -p "Hello world" --ids` prints [19556, 905]
    /// (the model's add_bos_token is false, so no BOS even with add_special).
    @Test func smolLM2HelloWorld() throws {
        let t = try Self.smolLM2()
        #expect(t.encode("Hello world") == [19556, 905])
        #expect(t.kind == .bytePair && t.preTokenizer == "smollm" && t.vocabularySize == 49152)
        #expect(!t.addBOS && t.bos == 1 && t.eos == 2)
    }

    /// End of generation as llama.cpp decides it: EOS plus every well-known end-of-turn text in the vocabulary.
    @Test func smolLM2EndOfGeneration() throws {
        let t = try Self.smolLM2()
        let imEnd = try #require(t.id(of: "<|im_end|>"))
        let endOfText = try #require(t.id(of: "<|endoftext|>"))
        #expect(t.isEndOfGeneration(imEnd) && t.isEndOfGeneration(endOfText) && t.isEndOfGeneration(2))
        #expect(!t.isEndOfGeneration(try #require(t.id(of: "<|im_start|>"))))
    }

    /// parse_special on: control-token text becomes the token; off: it is tokenized as ordinary text.
    @Test func specialTokenParsing() throws {
        let t = try Self.smolLM2()
        let start = try #require(t.id(of: "<|im_start|>"))
        let text = "<|im_start|>user\nHi"
        let parsed = t.encode(text, addSpecial: false, parseSpecial: true)
        #expect(parsed.first == start)
        #expect(parsed.count == 4)
        let plain = t.encode(text, addSpecial: false, parseSpecial: false)
        #expect(!plain.contains(start))
        #expect(plain.count > parsed.count)
        #expect(t.decode(plain) == text)
    }

    /// add_special adds BOS only when the model asks for it (llama-spm: add_bos_token = true).
    @Test func bosOnAndOff() throws {
        let t = try VocabSuite.tokenizer("llama-spm")
        #expect(t.addBOS && t.bos == 1)
        let with = t.encode("Hello world", addSpecial: true)
        let without = t.encode("Hello world", addSpecial: false)
        #expect(with == [1] + without)
        #expect(without == [15043, 3186])
        // SentencePiece decoding drops the prefix space of the first token, except after a removed BOS
        // (llama.cpp's detokenize keeps it then).
        #expect(t.decode(without) == "Hello world")
        #expect(t.decode(with, removeSpecial: true) == " Hello world")
        #expect(t.decode(with, removeSpecial: false, renderSpecial: true) == "<s> Hello world")
        #expect(t.decode(with, removeSpecial: false, renderSpecial: false) == " Hello world")
    }

    /// A character split across byte-fallback tokens is held back until complete; nothing broken is emitted.
    @Test func streamingHoldsSplitCharacters() throws {
        let t = try VocabSuite.tokenizer("llama-spm")
        // "🦙" is not in the llama-spm vocabulary: it becomes four <0xXX> byte tokens.
        let ids = t.encode("🦙!", addSpecial: false)
        let llama = Array("🦙".utf8).map { b in t.id(of: String(format: "<0x%02X>", b)) }
        #expect(Array(ids.dropFirst().prefix(4)) == llama.compactMap { $0 })
        var decoder = StreamingDecoder(tokenizer: t)
        var emitted: [String] = []
        for id in ids { emitted.append(decoder.feed(id)) }
        emitted.append(decoder.finish())
        #expect(emitted.joined() == " 🦙!")
        for piece in emitted { #expect(!piece.contains("\u{FFFD}")) }
        #expect(emitted.filter { $0.contains("🦙") }.count == 1)
    }

    /// Byte-level BPE splits an emoji over several tokens; the streaming decoder reassembles it.
    @Test func streamingByteLevelEmoji() throws {
        let t = try Self.smolLM2()
        let ids = t.encode("tea ☕ and 🦙 ok", addSpecial: false)
        var decoder = StreamingDecoder(tokenizer: t)
        var out = ""
        for id in ids {
            let piece = decoder.feed(id)
            #expect(!piece.contains("\u{FFFD}"))
            out += piece
        }
        out += decoder.finish()
        #expect(out == "tea ☕ and 🦙 ok")
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xE2, 0x98, 0x95]) == 4)
    }

    /// Control tokens render only when asked.
    @Test func tokenToPieceSpecialFlag() throws {
        let t = try Self.smolLM2()
        let end = try #require(t.id(of: "<|im_end|>"))
        #expect(t.tokenToPiece(end, renderSpecial: true) == Array("<|im_end|>".utf8))
        #expect(t.tokenToPiece(end, renderSpecial: false).isEmpty)
        #expect(t.tokenToPiece(-1).isEmpty && t.tokenToPiece(Int32(t.vocabularySize)).isEmpty)
    }

    /// Unsupported tokenizer models are a typed error naming the model; missing metadata names the key.
    @Test func unsupportedAndMissing() throws {
        var md = GGUFMetadata()
        #expect(throws: TokenizerError.missingKey(key: "tokenizer.ggml.model")) { try Tokenizer(metadata: md) }
        md["tokenizer.ggml.model"] = .string("t5")
        #expect(throws: TokenizerError.unsupportedModel(model: "t5")) { try Tokenizer(metadata: md) }
        md["tokenizer.ggml.model"] = .string("gpt2")
        md["tokenizer.ggml.pre"] = .string("no-such-pre")
        #expect(throws: TokenizerError.unsupportedPreTokenizer(name: "no-such-pre")) { try Tokenizer(metadata: md) }
        md["tokenizer.ggml.pre"] = .string("gpt-2")
        #expect(throws: TokenizerError.missingKey(key: "tokenizer.ggml.tokens")) { try Tokenizer(metadata: md) }
    }

    /// llama.cpp's clean_spaces decoding pass (gpt-2 has it on): " ," -> ",", " 's" -> "'s", " ' " -> "'".
    @Test func cleanSpaces() {
        var t = Array("a , b 's c ' d 't e".utf8)
        Tokenizer.cleanSpaces(&t)
        #expect(String(decoding: t, as: UTF8.self) == "a, b's c'd 't e")
    }

    /// The category table is Unicode 15.1, the version of llama.cpp's unicode-data.cpp (0c1e570): code points
    /// assigned later (here U+1C89, Unicode 16) are unassigned, earlier ones follow the general category.
    @Test func unicodeCategoriesAreUnicode15_1() {
        #expect(UnicodeCategories.flags(0x41).isLetter)
        #expect(UnicodeCategories.flags(0x0661).isNumber)  // ARABIC-INDIC DIGIT ONE (Nd)
        #expect(UnicodeCategories.flags(0x0301).isMark)
        #expect(UnicodeCategories.flags(0x3000).isWhitespace)
        #expect(UnicodeCategories.flags(0x1C89).unicodeClass == .undefined)
        var mismatches = 0
        for cp in UInt32(0)..<0x11_0000 {
            guard let s = Unicode.Scalar(cp), let age = s.properties.age, (age.major, age.minor) <= (15, 1) else {
                continue
            }
            let f = UnicodeCategories.flags(cp)
            let letter = s.properties.generalCategory.isLetter
            if f.isLetter != letter { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}

private extension Unicode.GeneralCategory {
    var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }
}
