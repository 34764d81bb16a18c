import BitNetRuntime
import Foundation
import LlamaReference
import Testing
import TestSupport

/// Every chat-template family we render against llama.cpp's own rendering of the same conversation
/// (`llama_chat_apply_template` through the shim), from template texts both recognise. The BOS text is left out
/// (`bosText: ""`): llama.cpp's built-in renderings leave BOS to the tokenizer, ours write it where the Jinja
/// template does.
@Suite(.enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct ChatTemplateParityTests {
    static let conversation = [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Hi there"),
        ChatMessage(role: "assistant", content: "Hello."),
        ChatMessage(role: "user", content: "Name a colour."),
    ]

    static let templates: [(family: String, text: String)] = [
        ("chatml", "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}"),
        ("gemma", "{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>' + m['role'] + '\\n' }}{% endfor %}"),
        ("llama3", "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' }}{% endfor %}"),
        ("phi3", "{% for m in messages %}{{'<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n'}}{% endfor %}{{ '<|assistant|>\\n' }}"),
        ("falcon3", "{% if m['role'] == 'user' %}{{ '<|user|>\\n' + m['content'] }}{% else %}{{ '<|assistant|>\\n' + m['content'] + '</s>' }}{% endif %}"),
        ("granite", "{%- for m in messages %}{{- '<|start_of_role|>' + m['role'] + '<|end_of_role|>' + m['content'] + '<|end_of_text|>\n' }}{%- endfor %}"),
        ("granite", "{%- if tools %}<|start_of_role|>available_tools<|end_of_role|>{{ tools | tojson }}<tool_call>{%- endif %}"),
        ("mistral-v7", "{{ bos_token }}{% if m['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + m['content'] + '[/SYSTEM_PROMPT]' }}{% else %}{{ '[INST] ' + m['content'] + '[/INST]' }}{% endif %}"),
        ("mistral-v1", "{{ bos_token }}{{ ' [INST] ' + system_message }}{{ ' [/INST]' }}"),
        ("mistral-v3", "{{ bos_token }}{% if tools %}[AVAILABLE_TOOLS]{% endif %}{{ '[INST] ' + m['content'] + '[/INST]' }}"),
        ("mistral-v3-tekken", "{{ bos_token }}{% if tools %}[AVAILABLE_TOOLS]{% endif %}{{ \"[INST]\" + m['content'] + \"[/INST]\" }}"),
    ]

    @Test(arguments: 0..<templates.count)
    func rendersAsLlamaCpp(_ index: Int) throws {
        let (family, text) = Self.templates[index]
        let ours = try ChatTemplate(template: text)
        #expect(ours.family.rawValue == family)
        let library = try ExactReference.library()
        for addAssistant in [true, false] {
            for messages in [Self.conversation, Array(Self.conversation.dropFirst())] {
                let theirs = try library.applyChatTemplate(text, messages: messages.map { ($0.role, $0.content) },
                                                           addAssistant: addAssistant)
                let mine = ours.render(messages, addGenerationPrompt: addAssistant, bosText: "")
                #expect(mine == theirs, "\(family), \(messages.count) messages, assistant opener \(addAssistant)")
            }
        }
    }
}
