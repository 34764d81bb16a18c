import Foundation

/// One chat message.
public struct ChatMessage: Sendable, Codable, Equatable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The text.
    public var content: String

    /// A message from `role` (`system`, `user`, `assistant`) with its text.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Renders conversations for the template families the supported models carry, recognised from the Jinja text in
/// `tokenizer.chat_template`: ChatML (SmolLM2, SmolLM3, Qwen2, Qwen3), Gemma, Llama-3, Phi-3, Falcon3, Granite and
/// Mistral (v1, v3, v3-tekken, v7), recognised by the
/// markers llama.cpp's `llm_chat_detect_template` looks for. This is not a Jinja interpreter: it knows each
/// family's shape, and refuses a template it does not recognise rather than guess.
public struct ChatTemplate: Sendable, Equatable {
    /// The recognised families.
    public enum Family: String, Sendable, Codable {
        case chatML = "chatml", gemma, llama3, phi3, falcon3
        /// IBM Granite's `<|start_of_role|>` turns (llama.cpp's granite, granite-4.0 and granite-4.1 render the
        /// system, user and assistant roles alike).
        case granite
        /// Mistral's `[INST]` conventions, as llama.cpp names them: v1 (a space before `[INST]` and `[/INST]`), v3,
        /// v3-tekken (no spaces after `[INST]`), v7 (`[SYSTEM_PROMPT]` turns).
        case mistralV1 = "mistral-v1", mistralV3 = "mistral-v3", mistralV3Tekken = "mistral-v3-tekken"
        case mistralV7 = "mistral-v7"
    }

    /// Which family.
    public let family: Family
    /// System prompt ChatML templates insert when the conversation has none (SmolLM2's does).
    public let defaultSystemPrompt: String?
    /// The template's own tool-call syntax, when it has one the server speaks.
    public var toolCallSyntax: ToolCallSyntax = .none

    /// Tool-call syntaxes a chat template may define.
    public enum ToolCallSyntax: String, Sendable, Codable {
        /// None: the server's generic JSON convention is used.
        case none
        /// Hermes / Qwen2.5 (`<tools>` in the system turn, `<tool_call>{json}</tool_call>` replies,
        /// `<tool_response>` results): ChatML templates that mention `<tool_call>`.
        case hermes
    }

    /// Recognises `template`.
    /// - Throws: `EngineError.unsupportedChatTemplate` naming what was looked for.
    public init(template: String) throws(EngineError) {
        if template.contains("<|im_start|>") {
            family = .chatML
            defaultSystemPrompt = ChatTemplate.chatMLDefaultSystem(template)
            if template.contains("<tool_call>") { toolCallSyntax = .hermes }
        } else if template.contains("<start_of_turn>") {
            family = .gemma
            defaultSystemPrompt = nil
        } else if template.contains("<|start_header_id|>") {
            family = .llama3
            defaultSystemPrompt = nil
        } else if template.contains("[INST]") && template.contains("[SYSTEM_PROMPT]") {
            family = .mistralV7
            defaultSystemPrompt = nil
        } else if template.contains("[INST]")
                    && (template.contains("' [INST] ' + system_message") || template.contains("[AVAILABLE_TOOLS]")) {
            family = template.contains(" [INST]") ? .mistralV1 : template.contains("\"[INST]\"") ? .mistralV3Tekken : .mistralV3
            defaultSystemPrompt = nil
        } else if template.contains("<|start_of_role|>") {
            family = .granite
            defaultSystemPrompt = nil
        } else if template.contains("<|assistant|>") && template.contains("<|end|>") {
            family = .phi3
            defaultSystemPrompt = nil
        } else if template.contains("<|assistant|>") && template.contains("<|user|>") && template.contains("</s>") {
            family = .falcon3
            defaultSystemPrompt = nil
        } else {
            throw .unsupportedChatTemplate(
                "the model's tokenizer.chat_template is none of ChatML (<|im_start|>), Gemma (<start_of_turn>), "
                    + "Llama-3 (<|start_header_id|>), Phi-3 (<|assistant|> … <|end|>), Falcon3 (<|assistant|>, "
                    + "<|user|>, </s>), Granite (<|start_of_role|>) or Mistral ([INST] with [SYSTEM_PROMPT] or "
                    + "[AVAILABLE_TOOLS]); use `bitnet run` with a raw prompt instead")
        }
    }

    /// A template of a known family.
    public init(family: Family, defaultSystemPrompt: String? = nil) {
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The text of `messages`, ending with the assistant's turn opener when `addGenerationPrompt`.
    /// `bosText` is the BOS token's text, written where the template writes `bos_token`.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, bosText: String = "") -> String {
        var out = ""
        switch family {
        case .chatML:
            if let sys = defaultSystemPrompt, messages.first?.role != "system" {
                out += "<|im_start|>system\n\(sys)<|im_end|>\n"
            }
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .gemma:
            // Gemma has no system role: a system message is prefixed to the first user turn.
            out += bosText
            var pendingSystem: String?
            for m in messages {
                if m.role == "system" { pendingSystem = m.content; continue }
                let role = m.role == "assistant" ? "model" : m.role
                var content = m.content
                if let sys = pendingSystem, role == "user" { content = sys + "\n\n" + content; pendingSystem = nil }
                out += "<start_of_turn>\(role)\n\(content.trimmingWhitespace())<end_of_turn>\n"
            }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }
        case .llama3:
            out += bosText
            for m in messages {
                out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(m.content.trimmingWhitespace())<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .phi3:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)<|end|>\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        case .falcon3:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        case .granite:
            for m in messages { out += "<|start_of_role|>\(m.role)<|end_of_role|>\(m.content)<|end_of_text|>\n" }
            if addGenerationPrompt { out += "<|start_of_role|>assistant<|end_of_role|>" }
        case .mistralV7:
            // The model's turn follows `[/INST]` directly, so there is no opener to add.
            out += bosText
            for m in messages {
                switch m.role {
                case "system": out += "[SYSTEM_PROMPT] \(m.content)[/SYSTEM_PROMPT]"
                case "user": out += "[INST] \(m.content)[/INST]"
                default: out += " \(m.content)</s>"
                }
            }
        case .mistralV1, .mistralV3, .mistralV3Tekken:
            let lead = family == .mistralV1 ? " " : "", trail = family == .mistralV3Tekken ? "" : " "
            out += bosText
            var inTurn = false
            for m in messages {
                if !inTurn { out += lead + "[INST]" + trail; inTurn = true }
                switch m.role {
                case "system": out += m.content + "\n\n"
                case "user": out += m.content + lead + "[/INST]"
                default:
                    out += trail + (family == .mistralV3 ? m.content.trimmingWhitespace() : m.content) + "</s>"
                    inTurn = false
                }
            }
        }
        return out
    }

    /// The literal system turn a ChatML template emits when `messages[0]` is not a system message, if any:
    /// SmolLM2's (`if messages[0]['role'] != 'system'`) and Qwen2.5's (the `else` of `== 'system'`). It is the first
    /// `<|im_start|>system` followed by a newline (real or written `\n`) and plain text up to `<|im_end|>`; turns
    /// built from `messages[0]['content']` are skipped.
    static func chatMLDefaultSystem(_ template: String) -> String? {
        guard template.contains("messages[0]['role']") else { return nil }
        var searchFrom = template.startIndex
        while let start = template.range(of: "<|im_start|>system", range: searchFrom..<template.endIndex) {
            searchFrom = start.upperBound
            var rest = template[start.upperBound...]
            if rest.hasPrefix("\\n") {
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("\n") {
                rest = rest.dropFirst(1)
            } else {
                continue
            }
            guard let end = rest.range(of: "<|im_end|>") else { return nil }
            let text = rest[rest.startIndex..<end.lowerBound]
            if text.isEmpty || text.contains("'") || text.contains("{") { continue }
            return text.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
