import BitNet
import Testing

/// Template families recognised from `tokenizer.chat_template` by the markers llama.cpp's `llm_chat_detect_template`
/// uses, and rendered in the shape llama.cpp's `llm_chat_apply_template` writes for that family.
struct ChatTemplateTests {
    static let conversation = [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Hi"),
        ChatMessage(role: "assistant", content: "Hello."),
        ChatMessage(role: "user", content: "Name a colour."),
    ]

    /// Excerpts of the published templates, enough to carry each family's markers.
    @Test(arguments: [
        ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}", "chatml"),
        ("{%- if tools %}{{- '<|im_start|>system\\n' }}{%- endif %}{{- '<|im_start|>assistant\\n' }}", "chatml"),  // Qwen3
        ("{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n'}}{% endfor %}{{ '<|assistant|>\\n' }}", "phi3"),
        ("{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + '</s>' }}{% endif %}", "falcon3"),
        ("{{ '<start_of_turn>' + role + '\\n' }}", "gemma"),
        ("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}", "llama3"),
    ])
    func recognisesFamily(_ template: String, _ family: String) throws {
        #expect(try ChatTemplate(template: template).family.rawValue == family)
    }

    @Test func refusesAnUnknownTemplate() {
        #expect(throws: EngineError.self) { try ChatTemplate(template: "{{ '[INST] ' + message['content'] + ' [/INST]' }}") }
    }

    @Test func rendersPhi3() {
        let text = ChatTemplate(family: .phi3).render(Self.conversation, addGenerationPrompt: true)
        #expect(text == "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n"
            + "<|user|>\nName a colour.<|end|>\n<|assistant|>\n")
    }

    @Test func rendersFalcon3() {
        let text = ChatTemplate(family: .falcon3).render(Self.conversation, addGenerationPrompt: true)
        #expect(text == "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\nHello.\n<|user|>\nName a colour.\n<|assistant|>\n")
        #expect(!ChatTemplate(family: .falcon3).render(Self.conversation, addGenerationPrompt: false).hasSuffix("<|assistant|>\n"))
    }

    @Test func rendersChatMLAsQwenUsesIt() {
        let text = ChatTemplate(family: .chatML).render(Array(Self.conversation[0...1]), addGenerationPrompt: true)
        #expect(text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}

/// The system turn a ChatML template writes when the conversation has none.
struct ChatMLDefaultSystemTests {
    @Test func qwen25WritesItsOwnInTheElseBranch() throws {
        let template = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + "
            + "'<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a "
            + "helpful assistant.<|im_end|>\\n' }}{%- endif %}"
        let t = try ChatTemplate(template: template)
        #expect(t.defaultSystemPrompt == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        let text = t.render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true)
        #expect(text.hasPrefix("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"))
        // A system message of the conversation replaces it.
        let own = t.render([ChatMessage(role: "system", content: "Terse."), ChatMessage(role: "user", content: "Hi")],
                           addGenerationPrompt: false)
        #expect(own == "<|im_start|>system\nTerse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test func smolLM2WritesItsOwnWhenTheFirstIsNotSystem() throws {
        let template = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
            + "'<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
            + "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
        #expect(try ChatTemplate(template: template).defaultSystemPrompt
            == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    @Test func qwen3HasNone() throws {
        let template = "{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + "
            + "'<|im_end|>\\n' }}{%- endif %}{{- '<|im_start|>assistant\\n' }}"
        #expect(try ChatTemplate(template: template).defaultSystemPrompt == nil)
    }
}
