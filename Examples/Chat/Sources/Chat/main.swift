import BitNet
import Foundation

// A terminal chat with a GGUF model, streaming each reply as it is generated.
//
//   swift run -c release Chat MODEL.gguf                   one line of standard input per turn
//   swift run -c release Chat smollm2-135m-instruct        a lockfile model, fetched and verified on first use
//   swift run -c release Chat MODEL.gguf "Hello"            one turn, then exit
//   swift run -c release Chat MODEL.gguf --cancel-after 3 "Tell me a story"
//                                                         stop the reply after 3 pieces (shows cancellation)
//   swift run -c release Chat MODEL.gguf --sync "Hello"     the synchronous API instead (Engine + Generator)

var arguments = Array(CommandLine.arguments.dropFirst())
guard !arguments.isEmpty else {
    FileHandle.standardError.write(Data("usage: Chat MODEL.gguf [--sync] [--cancel-after N] [MESSAGE]\n".utf8))
    exit(2)
}
let path = arguments.removeFirst()
var cancelAfter: Int?, synchronous = false
while let flag = arguments.first, flag.hasPrefix("--") {
    arguments.removeFirst()
    switch flag {
    case "--sync": synchronous = true
    case "--cancel-after": cancelAfter = Int(arguments.removeFirst())
    default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8)); exit(2)
    }
}
let message = arguments.isEmpty ? nil : arguments.joined(separator: " ")

var options = GenerationOptions(maxTokens: 48, sampling: .greedy)
options.session.contextLength = 1024

if synchronous {
    let engine = try Engine(path: path)
    let generator = Generator(session: engine.makeSession(options.session), tokenizer: engine.tokenizer)
    let prompt = PromptTokenization.completion.tokens(message ?? "The capital of France is", engine.tokenizer)
    let result = try generator.generate(prompt: prompt, maxTokens: 16, sampling: .greedy)
    print("kernel level: \(engine.kernelLevel)\ntokens: \(result.tokens.count)\ntext: \(result.text)")
    exit(result.tokens.isEmpty ? 1 : 0)
}

// A path loads that file; anything else is a lockfile name (`smollm2-135m-instruct`), fetched on first use.
let source: LanguageModel.Source = FileManager.default.fileExists(atPath: path) ? .file(URL(fileURLWithPath: path))
    : .named(path)
let model = try await LanguageModel.load(source) { event in
    if case .progress(_, let phase, let bytes, let total) = event, total > 0 {
        FileHandle.standardError.write(Data("\r\(phase) \(bytes * 100 / total)%".utf8))
    }
}
let chat = try ChatSession(model: model, system: "You are a helpful assistant.", options: options)

/// Streams one reply to standard output; with `limit`, cancels the task after that many pieces.
func reply(to text: String, limit: Int?) async throws {
    let turn = Task {
        var pieces = 0
        for try await piece in chat.streamResponse(to: text) {
            FileHandle.standardOutput.write(Data(piece.utf8))  // unbuffered: each piece shows as it arrives
            pieces += 1
            if let limit, pieces >= limit { withUnsafeCurrentTask { $0?.cancel() } }
        }
        return pieces
    }
    let pieces = try await turn.value
    print()
    if let limit, pieces >= limit { print("[cancelled after \(pieces) pieces; the conversation keeps \(chat.messages.count) messages]") }
}

if let message {
    try await reply(to: message, limit: cancelAfter)
} else {
    while let line = readLine(), line != "/exit" {
        if !line.isEmpty { try await reply(to: line, limit: cancelAfter) }
    }
}
