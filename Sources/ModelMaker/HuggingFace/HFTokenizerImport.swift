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
    /// `tokenizer.ggml.pre`.
    public var pre: String
    /// Tokens by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` by id (1 normal, 3 control, 4 user-defined, 5 unused).
    public var tokenTypes: [Int32]
    /// Merges, `"a b"` each.
    public var merges: [String]
    /// Special-token ids in the order they were found (`bos`, `eos`, `unk`, `sep`, `pad`, `cls`, `mask`).
    public var specialIDs: [(kind: String, id: Int)]
    /// `add_bos` / `add_eos` / `add_sep` flags in the order they were found.
    public var addSpecial: [(kind: String, value: Bool)]
    /// The chat template, if the checkpoint has one.
    public var chatTemplate: String?

    /// Token types as llama.cpp numbers them.
    public enum TokenType: Int32 { case normal = 1, control = 3, userDefined = 4, unused = 5 }

    /// The pre-tokenizer layouts recognised, by the `tokenizer.ggml.pre` value each gets.
    public static let recognisedPreTokenizers = ["llama-bpe", "qwen2", "smollm", "gpt-2"]

    static let llama3Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Split = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Reads the tokenizer of the checkpoint in `directory`; `vocabularySize` is `config.json`'s `vocab_size`
    /// (nil: the tokenizer's own size); `preOverride` replaces the recognised pre-tokenizer name.
    /// - Throws: `HFImportError.missingFile` (no tokenizer.json), `.badJSON`, `.tokenizer` (not BPE, ids beyond
    ///   the vocabulary, an unrecognised pre-tokenizer).
    public init(directory: String, config: [String: Any], vocabularySize: Int?, preOverride: String? = nil)
        throws(HFImportError)
    {
        let path = directory + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: path) else {
            let spm = FileManager.default.fileExists(atPath: directory + "/tokenizer.model")
            throw .missingFile(path: path, hint: spm
                ? "This checkpoint has only a SentencePiece tokenizer.model, which convert --from-hf does not read yet; "
                    + "save a fast tokenizer (tokenizer.json) with transformers' AutoTokenizer.save_pretrained."
                : "convert --from-hf needs the Hugging Face fast tokenizer file.")
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
                let special = added[i]?.special ?? false
                if special || Self.looksSpecial(token) {
                    tokens.append(token)
                    tokenTypes.append(TokenType.control.rawValue)
                } else {
                    tokens.append(token.replacingOccurrences(of: "\u{2581}", with: " "))
                    tokenTypes.append(TokenType.userDefined.rawValue)
                }
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
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, tokenTypes.map { .int32($0) })),
        ]
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

    mutating func setID(_ kind: String, _ id: Int?) {
        guard let id, id >= 0, !ids.contains(where: { $0.kind == kind }) else { return }
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

    mutating func load(directory: String, tokenizer: [String: Any], added: [(content: String, id: Int)],
                       config: [String: Any]) throws(HFImportError)
    {
        let configPath = directory + "/tokenizer_config.json"
        var tc: [String: Any]? = FileManager.default.fileExists(atPath: configPath) ? try HFJSON.object(at: configPath) : nil
        var bos = Self.content(tc?["bos_token"]), eos = Self.content(tc?["eos_token"])
        var cls = Self.content(tc?["cls_token"])
        let sep = Self.content(tc?["sep_token"])
        if bos == nil, let cls, tc != nil { tc?["bos_token"] = cls; bos = cls }
        if eos == nil, let sep, tc != nil { tc?["eos_token"] = sep; eos = sep }
        if let post = tokenizer["post_processor"] as? [String: Any] {
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
