import Foundation
import GGUF

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`, `config.json`),
/// as the `tokenizer.*` GGUF metadata llama.cpp's `convert_hf_to_gguf.py` writes for it (`_set_vocab_gpt2` and
/// gguf-py's `SpecialVocab`): the token list with `[PAD<id>]` for ids the tokenizer does not define, token types
/// (added tokens that are special or look special are control tokens), the merges, the special-token ids and
/// whether BOS/EOS are added (from the post-processor, then `tokenizer_config.json`), and the chat template.
///
/// The pre-tokenizer name (`tokenizer.ggml.pre`) is where this differs in method: llama.cpp runs the Hugging Face
/// tokenizer on a probe text and looks the hash of the result up in a table; this reads the `pre_tokenizer`
/// section and recognises the published layouts of the families below (`recognisedPreTokenizers`). Anything else
/// is refused with a message naming `--tokenizer-pre`.
public struct HFTokenizerImport: Sendable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE from tokenizer.json) or `llama` (SentencePiece tokenizer.model).
    public var model = "gpt2"
    /// `tokenizer.ggml.pre`.
    public var pre: String
    /// Tokens by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` by id (1 normal, 3 control, 4 user-defined, 5 unused).
    public var tokenTypes: [Int32]
    /// Merges, `"a b"` each (BPE only).
    public var merges: [String] = []
    /// Token scores (SentencePiece only).
    public var scores: [Float]?
    /// Special-token ids in the order they were found (`bos`, `eos`, `unk`, `sep`, `pad`, `cls`, `mask`).
    public var specialIDs: [(kind: String, id: Int)]
    /// `add_bos` / `add_eos` / `add_sep` flags in the order they were found.
    public var addSpecial: [(kind: String, value: Bool)]
    /// The chat template, if the checkpoint has one.
    public var chatTemplate: String?

    /// Token types as llama.cpp numbers them.
    public enum TokenType: Int32 { case normal = 1, control = 3, userDefined = 4, unused = 5 }

    /// The largest vocabulary accepted (the largest real ones have about 262,000 tokens).
    static let maxVocabulary = 1 << 24

    /// The pre-tokenizer layouts recognised, by the `tokenizer.ggml.pre` value each gets.
    public static let recognisedPreTokenizers = ["llama-bpe", "qwen2", "tekken", "smollm", "gpt-2"]

    static let llama3Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Mistral's tekken split (Mistral Nemo, Mistral Small 3, Ministral 3), as llama.cpp quotes it from their
    /// tokenizer.json beside its own form of the expression.
    static let tekkenSplit = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Reads the tokenizer of the checkpoint in `directory`: its SentencePiece `tokenizer.model` when there is one
    /// (as llama.cpp's converter prefers for the architectures converted here), else the byte-level BPE
    /// `tokenizer.json`. `vocabularySize` is `config.json`'s `vocab_size` (nil: the tokenizer's own size);
    /// `preOverride` replaces the recognised pre-tokenizer name (BPE only).
    /// - Throws: `HFImportError.missingFile` (neither file), `.badJSON`, `.tokenizer` (not BPE, a malformed
    ///   tokenizer.model, ids beyond the vocabulary, an unrecognised pre-tokenizer).
    /// `phi3`: Phi-3's converter reads the SentencePiece vocabulary its own way (added tokens typed by their
    /// `special` flag alone, tokenizer.json's added tokens applied too) and takes the BPE path when
    /// tokenizer_config.json names `GPT2Tokenizer`.
    public init(directory: String, config: [String: Any], vocabularySize: Int?, preOverride: String? = nil,
                phi3: Bool = false) throws(HFImportError)
    {
        var gpt2Class = false
        if phi3, FileManager.default.fileExists(atPath: directory + "/tokenizer_config.json") {
            gpt2Class = (try HFJSON.object(at: directory + "/tokenizer_config.json")["tokenizer_class"] as? String) == "GPT2Tokenizer"
        }
        if !gpt2Class, FileManager.default.fileExists(atPath: directory + "/tokenizer.model") {
            try self.init(sentencePiece: directory, config: config, vocabularySize: vocabularySize, phi3: phi3)
        } else {
            try self.init(bytePairs: directory, config: config, vocabularySize: vocabularySize, preOverride: preOverride)
        }
    }

    /// A byte-level BPE vocabulary from tokenizer.json.
    init(bytePairs directory: String, config: [String: Any], vocabularySize: Int?, preOverride: String?)
        throws(HFImportError)
    {
        let path = directory + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(path: path, hint: "convert --from-hf needs the Hugging Face fast tokenizer file "
                + "(or a SentencePiece tokenizer.model).")
        }
        let json = try HFJSON.object(at: path)
        guard let model = json["model"] as? [String: Any], (model["type"] as? String) == "BPE",
              let vocab = model["vocab"] as? [String: Any]
        else {
            let kind = ((json["model"] as? [String: Any])?["type"] as? String) ?? "none"
            throw .tokenizer("tokenizer.json's model is '\(kind)'; only byte-level BPE tokenizers are converted.")
        }
        // Ids: the model's vocabulary and the added tokens.
        var byID: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = HFJSON.int(value), id >= 0 else { throw .tokenizer("token '\(token)' has no integer id") }
            byID[id] = token
        }
        struct Added { var content: String; var special: Bool }
        var added: [Int: Added] = [:]
        var addedList: [(content: String, id: Int)] = []
        for entry in (json["added_tokens"] as? [[String: Any]]) ?? [] {
            guard let id = HFJSON.int(entry["id"]), id >= 0, let content = entry["content"] as? String else { continue }
            added[id] = Added(content: content, special: HFJSON.bool(entry["special"]) ?? false)
            addedList.append((content, id))
            byID[id] = content
        }
        let maxID = byID.keys.max() ?? -1
        let size = vocabularySize ?? (maxID + 1)
        guard size <= Self.maxVocabulary else { throw .tokenizer("\(size) tokens is beyond any vocabulary (at most \(Self.maxVocabulary))") }
        guard maxID < size else {
            throw .tokenizer("token id \(maxID) is not below config.json's vocab_size \(size)")
        }
        let addedContents = Set(added.values.map(\.content))
        tokens = []
        tokenTypes = []
        tokens.reserveCapacity(size)
        for i in 0..<size {
            guard let token = byID[i] else {
                tokens.append("[PAD\(i)]")
                tokenTypes.append(TokenType.unused.rawValue)
                continue
            }
            if addedContents.contains(token) {
                let typed = Self.addedToken(token, special: added[i]?.special ?? false)
                tokens.append(typed.text)
                tokenTypes.append(typed.type.rawValue)
            } else {
                tokens.append(token)
                tokenTypes.append(TokenType.normal.rawValue)
            }
        }
        merges = try Self.merges(model["merges"])
        if let preOverride {
            pre = preOverride
        } else if let recognised = Self.recognisePre(json["pre_tokenizer"]) {
            pre = recognised
        } else {
            throw .tokenizer("the pre_tokenizer section of tokenizer.json is not one of the recognised layouts "
                + "(\(Self.recognisedPreTokenizers.joined(separator: ", "))); if you know which llama.cpp "
                + "pre-tokenizer the model uses, name it with --tokenizer-pre.")
        }
        var special = SpecialTokens()
        try special.load(directory: directory, tokenizer: json, added: addedList, config: config)
        specialIDs = special.ids
        addSpecial = special.add
        chatTemplate = special.chatTemplate
    }

    /// A SentencePiece vocabulary as llama.cpp's `_create_vocab_sentencepiece` builds it: every piece with its score
    /// and type (user-defined pieces stay normal, as there), `[PAD<id>]` (score −10000, unused) up to config.json's
    /// vocab_size, then added_tokens.json and tokenizer_config.json's `added_tokens_decoder` entries (score −1000;
    /// control when special or special-looking, else user-defined). Special ids are only taken below that size.
    init(sentencePiece directory: String, config: [String: Any], vocabularySize: Int?, phi3: Bool = false)
        throws(HFImportError)
    {
        let modelPath = directory + "/tokenizer.model"
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw .missingFile(path: modelPath, hint: "unreadable")
        }
        let pieces = try SentencePieceModel.pieces(Array(data))
        let size = vocabularySize ?? pieces.count
        guard size <= Self.maxVocabulary else { throw .tokenizer("\(size) tokens is beyond any vocabulary (at most \(Self.maxVocabulary))") }
        model = "llama"
        pre = "default"
        tokens = (0..<size).map { "[PAD\($0)]" }
        var scores = [Float](repeating: -10000, count: size)
        tokenTypes = [Int32](repeating: TokenType.unused.rawValue, count: size)
        for (id, p) in pieces.enumerated() where id < size {
            tokens[id] = p.piece
            scores[id] = p.score
            // NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4 (kept normal), UNUSED 5, BYTE 6.
            tokenTypes[id] = [2, 3, 5, 6].contains(p.type) ? p.type : TokenType.normal.rawValue
        }
        let addedPath = directory + "/added_tokens.json"
        if FileManager.default.fileExists(atPath: addedPath) {
            for (text, value) in try HFJSON.object(at: addedPath) {
                guard let id = HFJSON.int(value), id >= 0, id < size else { continue }
                tokens[id] = text
                scores[id] = -1000
                tokenTypes[id] = TokenType.userDefined.rawValue
            }
        }
        let tcPath = directory + "/tokenizer_config.json"
        let tc = FileManager.default.fileExists(atPath: tcPath) ? try HFJSON.object(at: tcPath) : [:]
        if let decoder = tc["added_tokens_decoder"] as? [String: Any] {
            for (key, value) in decoder {
                guard let id = Int(key), id >= 0, id < size, let entry = value as? [String: Any],
                      let text = entry["content"] as? String else { continue }
                let special = HFJSON.bool(entry["special"]) == true
                if phi3 {
                    tokens[id] = text
                    tokenTypes[id] = special ? TokenType.control.rawValue : TokenType.userDefined.rawValue
                } else {
                    let typed = Self.addedToken(text, special: special)
                    tokens[id] = typed.text
                    tokenTypes[id] = typed.type.rawValue
                }
                scores[id] = -1000
            }
        }
        var added: [(content: String, id: Int)] = []
        var tokenizerJSON: [String: Any]?
        if FileManager.default.fileExists(atPath: directory + "/tokenizer.json") {
            let json = try HFJSON.object(at: directory + "/tokenizer.json")
            tokenizerJSON = json
            for entry in (json["added_tokens"] as? [[String: Any]]) ?? [] {
                guard let id = HFJSON.int(entry["id"]), let content = entry["content"] as? String else { continue }
                added.append((content, id))
                if phi3, id >= 0, id < size {
                    tokens[id] = content
                    scores[id] = -1000
                    tokenTypes[id] = HFJSON.bool(entry["special"]) == true ? TokenType.control.rawValue : TokenType.userDefined.rawValue
                }
            }
        }
        self.scores = scores
        var special = SpecialTokens()
        special.limit = size
        try special.load(directory: directory, tokenizer: tokenizerJSON, added: added, config: config)
        specialIDs = special.ids
        addSpecial = special.add
        chatTemplate = special.chatTemplate
    }

    /// An added token as llama.cpp's converter types it: control when marked special or special-looking (kept as
    /// written), else user-defined with SentencePiece's "▁" read as a space.
    static func addedToken(_ text: String, special: Bool) -> (text: String, type: TokenType) {
        special || looksSpecial(text) ? (text, .control) : (text.replacingOccurrences(of: "\u{2581}", with: " "), .userDefined)
    }

    /// Whether an added token that is not marked special still looks like a control token (`<|…|>` and a few
    /// others), as llama.cpp's converter judges.
    static func looksSpecial(_ t: String) -> Bool {
        ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(t)
            || (t.hasPrefix("<|") && t.hasSuffix("|>")) || (t.hasPrefix("<\u{FF5C}") && t.hasSuffix("\u{FF5C}>"))
            || (t.hasPrefix("<unused") && t.hasSuffix(">"))
    }

    /// Merges as `"a b"` strings: the old form is already that; the newer pair form has spaces inside a part
    /// written as U+0120 (the byte-level space), as llama.cpp's converter encodes them.
    static func merges(_ raw: Any?) throws(HFImportError) -> [String] {
        guard let list = raw as? [Any], !list.isEmpty else { return [] }
        if let strings = list as? [String] { return strings }
        var out: [String] = []
        out.reserveCapacity(list.count)
        for item in list {
            guard let pair = item as? [String], pair.count == 2 else {
                throw .tokenizer("tokenizer.json's merges are neither strings nor pairs of strings")
            }
            out.append(pair.map { $0.replacingOccurrences(of: " ", with: "\u{0120}") }.joined(separator: " "))
        }
        return out
    }

    /// The `tokenizer.ggml.pre` name of a recognised `pre_tokenizer` layout.
    static func recognisePre(_ raw: Any?) -> String? {
        guard let top = raw as? [String: Any] else { return nil }
        let steps = (top["type"] as? String) == "Sequence" ? (top["pretokenizers"] as? [[String: Any]]) ?? [] : [top]
        func type(_ i: Int) -> String? { i < steps.count ? steps[i]["type"] as? String : nil }
        func byteLevel(_ i: Int, regex: Bool) -> Bool {
            type(i) == "ByteLevel" && HFJSON.bool(steps[i]["use_regex"]) == regex
                && HFJSON.bool(steps[i]["add_prefix_space"]) != true
        }
        if steps.count == 2, type(0) == "Split", byteLevel(1, regex: false),
           let pattern = (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String
        {
            if pattern == llama3Split { return "llama-bpe" }
            if pattern == qwen2Split { return "qwen2" }
            if pattern == tekkenSplit { return "tekken" }
            return nil
        }
        if steps.count == 2, type(0) == "Digits", HFJSON.bool(steps[0]["individual_digits"]) == true,
           byteLevel(1, regex: true)
        {
            return "smollm"
        }
        if steps.count == 1, byteLevel(0, regex: true) { return "gpt-2" }
        return nil
    }

    /// The `tokenizer.*` metadata entries, in the order llama.cpp's converter writes them.
    public func metadata() -> [(String, GGUFValue)] {
        var m: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
        ]
        if let scores { m.append(("tokenizer.ggml.scores", .array(.float32, scores.map { .float32($0) }))) }
        m.append(("tokenizer.ggml.token_type", .array(.int32, tokenTypes.map { .int32($0) })))
        if !merges.isEmpty { m.append(("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) }))) }
        let idKeys = ["bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id", "sep": "seperator_token_id",
                      "pad": "padding_token_id", "cls": "cls_token_id", "mask": "mask_token_id",
                      "eot": "eot_token_id", "eom": "eom_token_id"]
        for (kind, id) in specialIDs {
            if let key = idKeys[kind] { m.append(("tokenizer.ggml.\(key)", .uint32(UInt32(id)))) }
        }
        for (kind, value) in addSpecial where ["bos", "eos", "sep"].contains(kind) {
            m.append(("tokenizer.ggml.add_\(kind)_token", .bool(value)))
        }
        if let chatTemplate { m.append(("tokenizer.chat_template", .string(chatTemplate))) }
        return m
    }
}

/// Special-token ids and add flags from `tokenizer.json`'s post-processor, `tokenizer_config.json` and
/// `config.json`, following gguf-py's `SpecialVocab` for the post-processors checkpoints use (ByteLevel,
/// RobertaProcessing, TemplateProcessing with its single and pair templates).
struct SpecialTokens {
    static let kinds = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
    var kinds = SpecialTokens.kinds
    var ids: [(kind: String, id: Int)] = []
    var add: [(kind: String, value: Bool)] = []
    var chatTemplate: String?
    /// Ids at or above this are ignored (the SentencePiece path's vocabulary size).
    var limit = Int.max

    mutating func setID(_ kind: String, _ id: Int?) {
        guard let id, id >= 0, id < limit, !ids.contains(where: { $0.kind == kind }) else { return }
        ids.append((kind, id))
    }

    mutating func setAdd(_ kind: String, _ value: Bool, onlyIfUnset: Bool = false) {
        if let i = add.firstIndex(where: { $0.kind == kind }) {
            if !onlyIfUnset { add[i].value = value }
        } else {
            add.append((kind, value))
        }
    }

    static func content(_ v: Any?) -> String? {
        if let s = v as? String { return s }
        return (v as? [String: Any])?["content"] as? String
    }

    mutating func load(directory: String, tokenizer: [String: Any]?, added: [(content: String, id: Int)],
                       config: [String: Any]) throws(HFImportError)
    {
        let configPath = directory + "/tokenizer_config.json"
        var tc: [String: Any]? = FileManager.default.fileExists(atPath: configPath) ? try HFJSON.object(at: configPath) : nil
        var bos = Self.content(tc?["bos_token"]), eos = Self.content(tc?["eos_token"])
        var cls = Self.content(tc?["cls_token"])
        let sep = Self.content(tc?["sep_token"])
        if tokenizer != nil, bos == nil, let cls, tc != nil { tc?["bos_token"] = cls; bos = cls }
        if tokenizer != nil, eos == nil, let sep, tc != nil { tc?["eos_token"] = sep; eos = sep }
        if let post = tokenizer?["post_processor"] as? [String: Any] {
            for processor in (post["processors"] as? [[String: Any]]) ?? [post] {
                switch processor["type"] as? String {
                case "ByteLevel":
                    setAdd("bos", false, onlyIfUnset: true)
                    setAdd("eos", false, onlyIfUnset: true)
                case "RobertaProcessing":
                    setAdd("bos", true); setAdd("eos", true); setAdd("sep", true)
                case "TemplateProcessing":
                    func specialID(_ item: [String: Any]?) -> String? {
                        (item?["SpecialToken"] as? [String: Any])?["id"] as? String
                    }
                    let single = (processor["single"] as? [[String: Any]]) ?? []
                    var first: String?, last: String?
                    if single.count > 1 {
                        if let f = specialID(single.first) {
                            first = f
                            if tc == nil {
                                bos = f
                            } else if f != bos && f != cls {
                                if bos == nil { tc?["bos_token"] = f; bos = f }
                                if cls == nil { tc?["cls_token"] = f; cls = f }
                            }
                            setAdd("bos", f == bos || f == cls)
                        }
                        if let l = specialID(single.last) {
                            last = l
                            if tc == nil {
                                eos = l
                            } else if l != eos {
                                // The template ends with another token than EOS: the old EOS becomes EOT.
                                if let old = eos, !kinds.contains("eot") { kinds.append("eot"); tc?["eot_token"] = old }
                                tc?["eos_token"] = l
                                eos = l
                            }
                            setAdd("eos", l == eos)
                        }
                    }
                    var pair = (processor["pair"] as? [[String: Any]]) ?? []
                    if !pair.isEmpty {
                        if first != nil, specialID(pair.first) == first { pair.removeFirst() }
                        if last != nil, specialID(pair.last) == last { pair.removeLast() }
                        func seq(_ item: [String: Any]?) -> String? { (item?["Sequence"] as? [String: Any])?["id"] as? String }
                        if pair.count >= 2, seq(pair.first) == "A", seq(pair.last) == "B" {
                            let middle = Array(pair.dropFirst().dropLast())
                            if !middle.isEmpty {
                                var addSep = false
                                if let s = specialID(middle[0]), (s == sep || s == eos), last == nil { addSep = true }
                                if middle.count == 2, let s = specialID(middle[1]), s == sep || s == eos { addSep = true }
                                setAdd("sep", addSep)
                            }
                        }
                    }
                default:
                    break
                }
            }
        }
        if let tc {
            if let t = tc["chat_template"] as? String {
                chatTemplate = t
            } else if let t = try? String(contentsOfFile: directory + "/chat_template.jinja", encoding: .utf8) {
                chatTemplate = t
            } else if FileManager.default.fileExists(atPath: directory + "/chat_template.json") {
                chatTemplate = try HFJSON.object(at: directory + "/chat_template.json")["chat_template"] as? String
            }
            for kind in kinds {
                if let flag = HFJSON.bool(tc["add_\(kind)_token"]) { setAdd(kind, flag, onlyIfUnset: true) }
                guard let text = Self.content(tc["\(kind)_token"]) else { continue }
                setID(kind, added.first(where: { $0.content == text })?.id)
            }
        }
        for kind in kinds { setID(kind, HFJSON.int(config["\(kind)_token_id"])) }
    }
}

/// The pieces of a SentencePiece `tokenizer.model` (a protobuf `ModelProto`; field 1 repeats `SentencePiece`
/// messages of piece = 1, score = 2, type = 3), read without a protobuf library.
enum SentencePieceModel {
    struct Piece { var piece: String; var score: Float; var type: Int32 }

    static func pieces(_ bytes: [UInt8]) throws(HFImportError) -> [Piece] {
        var out: [Piece] = []
        var reader = ProtobufReader(bytes[...])
        while let (field, value) = try reader.next() {
            guard field == 1, case .bytes(let body) = value else { continue }
            var p = Piece(piece: "", score: 0, type: 1)
            var inner = ProtobufReader(body)
            while let (f, v) = try inner.next() {
                switch (f, v) {
                case (1, .bytes(let b)): p.piece = String(decoding: b, as: UTF8.self)
                case (2, .fixed32(let bits)): p.score = Float(bitPattern: bits)
                case (3, .varint(let t)): p.type = Int32(truncatingIfNeeded: t)
                default: break
                }
            }
            out.append(p)
        }
        guard !out.isEmpty else { throw .tokenizer("tokenizer.model holds no pieces (not a SentencePiece model?)") }
        return out
    }
}

/// Reads protobuf wire-format fields one at a time.
struct ProtobufReader {
    enum Value { case varint(UInt64), fixed64(UInt64), bytes(ArraySlice<UInt8>), fixed32(UInt32) }
    var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    mutating func varint() throws(HFImportError) -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while let b = rest.first {
            rest = rest.dropFirst()
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
            guard shift < 64 else { break }
        }
        throw .tokenizer("tokenizer.model is truncated or not a protobuf (bad varint)")
    }

    /// The next (field number, value), or nil at the end.
    mutating func next() throws(HFImportError) -> (Int, Value)? {
        guard !rest.isEmpty else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        func take(_ n: Int) throws(HFImportError) -> ArraySlice<UInt8> {
            guard n >= 0, rest.count >= n else { throw .tokenizer("tokenizer.model is truncated (field \(field))") }
            defer { rest = rest.dropFirst(n) }
            return rest.prefix(n)
        }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }))
        case 2:
            let n = try varint()
            guard n <= UInt64(rest.count) else { throw .tokenizer("tokenizer.model is truncated (field \(field))") }
            return (field, .bytes(try take(Int(n))))
        case 5: return (field, .fixed32(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }))
        default: throw .tokenizer("tokenizer.model uses protobuf wire type \(key & 7), not a SentencePiece model")
        }
    }
}
