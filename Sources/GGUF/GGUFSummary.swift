/// The facts about a model file that people ask first: what it is, how big, which types, which hyper-parameters.
public struct ModelSummary: Sendable {
    /// `general.architecture`.
    public let architecture: String?
    /// `general.name`.
    public let name: String?
    /// Total weights across all tensors.
    public let parameterCount: Int
    /// File size in bytes.
    public let fileSize: Int
    /// Tensor count.
    public let tensorCount: Int
    /// Per type: how many tensors and how many bytes, in type-id order.
    public let typeHistogram: [(type: GGMLType, tensors: Int, bytes: Int)]
    /// `{arch}.context_length`.
    public let contextLength: Int?
    /// Number of entries in `tokenizer.ggml.tokens`.
    public let vocabSize: Int?
    /// `tokenizer.ggml.model` and `tokenizer.ggml.pre`.
    public let tokenizerModel: String?, tokenizerPre: String?
    /// Hyper-parameter keys under the architecture's prefix and the special-token ids, in file order.
    public let engineKeys: [(key: String, value: GGUFValue)]

    public init(_ file: GGUFFile) {
        let md = file.metadata
        architecture = md.architecture
        name = md.string("general.name")
        parameterCount = file.parameterCount
        fileSize = file.fileSize
        tensorCount = file.tensors.count
        var hist: [GGMLType: (Int, Int)] = [:]
        for t in file.tensors { hist[t.type, default: (0, 0)].0 += 1; hist[t.type, default: (0, 0)].1 += t.byteCount }
        typeHistogram = hist.keys.sorted { $0.rawValue < $1.rawValue }.map { ($0, hist[$0]!.0, hist[$0]!.1) }
        contextLength = architecture.flatMap { md.int("\($0).context_length") }
        vocabSize = md["tokenizer.ggml.tokens"]?.array?.count
        tokenizerModel = md.string("tokenizer.ggml.model")
        tokenizerPre = md.string("tokenizer.ggml.pre")
        let prefix = architecture.map { $0 + "." } ?? "\u{0}"
        engineKeys = md.entries.filter { e in
            e.key.hasPrefix(prefix) || (e.key.hasPrefix("tokenizer.ggml.") && e.key.hasSuffix("_id"))
                || e.key.hasPrefix("tokenizer.ggml.add_") || e.key == "general.file_type"
                || e.key == "general.alignment"
        }
    }

    /// A multi-line text report; `tensors` adds one line per tensor.
    public func text(tensors: [GGUFTensorInfo]? = nil) -> String {
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k.padding(16) + v) }
        row("architecture", architecture ?? "(missing)")
        row("name", name ?? "(none)")
        row("parameters", "\(parameterCount) (\(Self.humanCount(parameterCount)))")
        row("file size", "\(fileSize) bytes (\(Self.humanBytes(fileSize)))")
        row("tensors", "\(tensorCount)")
        for h in typeHistogram {
            row("  " + h.type.name, "\(h.tensors) tensors, \(Self.humanBytes(h.bytes))")
        }
        row("context length", contextLength.map(String.init) ?? "(missing)")
        row("vocab size", vocabSize.map(String.init) ?? "(missing)")
        row("tokenizer", [tokenizerModel, tokenizerPre.map { "pre=\($0)" }].compactMap { $0 }.joined(separator: ", "))
        lines.append("hyper-parameters:")
        for (k, v) in engineKeys { lines.append("  " + k + " = " + v.summary()) }
        if let tensors {
            lines.append("tensors:")
            for t in tensors {
                lines.append("  \(t.name.padding(34)) \(t.type.name.padding(7)) \(t.shape) offset=\(t.offset) bytes=\(t.byteCount)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `135.0M`, `2.4B`.
    public static func humanCount(_ n: Int) -> String {
        n >= 1_000_000_000 ? fmt(Double(n) / 1e9) + "B" : n >= 1_000_000 ? fmt(Double(n) / 1e6) + "M" : "\(n)"
    }

    /// `93.8 MiB`.
    public static func humanBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : fmt(v) + " " + units[i]
    }

    private static func fmt(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? "\(Int(r)).0" : "\(r)"
    }
}

private extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}
