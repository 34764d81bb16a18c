import BitNetModels
import Foundation
import GGUF
import Kernels

/// The `inspect --json` document. Keys: architecture, tensor_count, metadata, tensors[] and summary fields.
struct InspectJSON: Encodable {
    let summary: ModelSummary
    let file: GGUFFile
    let compat: CompatibilityReport?
    let fullArrays: Bool

    struct Tensor: Encodable {
        let name: String, type: String, shape: [Int], offset: UInt64, bytes: Int
    }

    enum CodingKeys: String, CodingKey {
        case architecture, name, tensor_count, parameter_count, file_size, gguf_version, alignment, data_offset
        case context_length, vocab_size, tokenizer_model, tokenizer_pre, type_histogram, metadata, tensors, compat
        case kernel_level, host_cpu, host_cpu_features
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary.architecture, forKey: .architecture)
        try c.encode(summary.name, forKey: .name)
        try c.encode(summary.tensorCount, forKey: .tensor_count)
        try c.encode(summary.parameterCount, forKey: .parameter_count)
        try c.encode(summary.fileSize, forKey: .file_size)
        try c.encode(file.version, forKey: .gguf_version)
        try c.encode(file.alignment, forKey: .alignment)
        try c.encode(file.dataOffset, forKey: .data_offset)
        try c.encode(summary.contextLength, forKey: .context_length)
        try c.encode(summary.vocabSize, forKey: .vocab_size)
        try c.encode(summary.tokenizerModel, forKey: .tokenizer_model)
        try c.encode(summary.tokenizerPre, forKey: .tokenizer_pre)
        let hist = Dictionary(uniqueKeysWithValues: summary.typeHistogram.map { ($0.type.name, $0.tensors) })
        try c.encode(hist, forKey: .type_histogram)
        var md = c.nestedContainer(keyedBy: AnyKey.self, forKey: .metadata)
        for (k, v) in file.metadata.entries {
            try md.encode(JSONValue(v, fullArrays: fullArrays), forKey: AnyKey(k))
        }
        try c.encode(file.tensors.map {
            Tensor(name: $0.name, type: $0.type.name, shape: $0.shape, offset: $0.offset, bytes: $0.byteCount)
        }, forKey: .tensors)
        try c.encodeIfPresent(compat, forKey: .compat)
        // What would run this file here: the engine's kernel level and the CPU it was chosen for.
        try c.encode(KernelLevel.active.rawValue, forKey: .kernel_level)
        try c.encode(HostCPU.current.model, forKey: .host_cpu)
        try c.encode(HostCPU.current.simdFlags, forKey: .host_cpu_features)
    }

    func encoded() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }
}

/// A metadata value as JSON: numbers, strings, bools, arrays; long arrays summarised unless asked otherwise.
struct JSONValue: Encodable {
    let value: GGUFValue
    let fullArrays: Bool

    init(_ value: GGUFValue, fullArrays: Bool) { self.value = value; self.fullArrays = fullArrays }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .float32(let f): try c.encode(f)
        case .float64(let d): try c.encode(d)
        case .array(let t, let a):
            if a.count > 64 && !fullArrays {
                try c.encode(ArraySummary(type: "arr", element_type: t.name, count: a.count,
                                          head: a.prefix(8).map { JSONValue($0, fullArrays: false) }))
            } else {
                try c.encode(a.map { JSONValue($0, fullArrays: fullArrays) })
            }
        case .uint64(let v): try c.encode(v)
        default: try c.encode(value.int ?? 0)
        }
    }

    struct ArraySummary: Encodable {
        let type: String, element_type: String, count: Int, head: [JSONValue]
    }
}

struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
