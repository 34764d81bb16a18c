import Foundation
import GGUF
import Kernels

/// Rewrites a GGUF model with every weight matrix in one 32-element block format (Q8_0, Q4_0 or Q4_1), as
/// `llama-quantize --allow-requantize` would: each matrix is dequantized to F32 and quantized with llama.cpp's
/// reference quantizer for the target (`quantize_row_q8_0_ref` and friends). One-dimensional tensors (norms,
/// biases) and everything else is copied; `general.file_type` is set to the target's. Used to make the Q8_0 copy
/// of a model for benchmarks. The output is streamed tensor by tensor through a `.partial` file renamed into
/// place only when complete.
public struct ModelRequantizer: Sendable {
    /// The formats `ModelRequantizer` writes.
    public static let targets: [GGMLType] = [.q8_0, .q4_0, .q4_1, .q6_K]

    /// The format every matrix is written in.
    public let target: GGMLType

    /// When set, only the matrices of these names are rewritten (everything else is copied and `general.file_type`
    /// is kept): `tokenEmbeddingTensors` for `bitnet convert --token-embedding-type`.
    public let only: Set<String>?

    /// The token embedding and the output projection: on a tied model (bitnet-2b) the embedding is also the output
    /// head, which a decode step reads whole — most of a ternary model's bytes per token when it is F16.
    public static let tokenEmbeddingTensors: Set<String> = ["token_embd.weight", "output.weight"]

    /// A requantizer to `target`, of every matrix or of the `only` ones.
    /// - Throws: `RequantizationError.unsupportedTarget` unless `target` is in `targets`.
    public init(target: GGMLType, only: Set<String>? = nil) throws(RequantizationError) {
        guard Self.targets.contains(target) else { throw .unsupportedTarget(target.name) }
        self.target = target
        self.only = only
    }

    /// The target named `name` (`q8_0`, `Q4_1`…), or nil when it is not a requantization target.
    public static func target(named name: String) -> GGMLType? {
        targets.first { $0.name.lowercased() == name.lowercased() }
    }

    /// What a requantization did.
    public struct Summary: Sendable, Equatable {
        /// Matrices written in the target format (including those already in it, which are copied).
        public var requantized = 0
        /// Tensors copied unchanged (one-dimensional, or rows that are not whole 32-element blocks).
        public var copied = 0
    }

    /// Whether `t` is rewritten: a matrix whose rows are whole 32-element blocks, in a type we can dequantize.
    func converts(_ t: GGUFTensorInfo) -> Bool {
        t.shape.count >= 2 && t.shape[0] % target.traits!.blockSize == 0 && t.type.traits != nil && t.type != .i2_s
            && (only?.contains(t.name) ?? true)
    }

    /// Requantizes the model at `input` into `output`.
    /// - Throws: `RequantizationError`: same file, unreadable input, a matrix type with no dequantizer, or an
    ///   unwritable output (no output file is left behind).
    @discardableResult
    public func convert(input: String, output: String) throws(RequantizationError) -> Summary {
        guard URL(fileURLWithPath: input).standardized.path != URL(fileURLWithPath: output).standardized.path else {
            throw .sameFile(input)
        }
        let file: GGUFFile
        do { file = try GGUFFile(path: input) } catch { throw .input(path: input, error) }
        var metadata = GGUFMetadata()
        for (k, v) in file.metadata.entries where k != "general.alignment" { metadata[k] = v }
        if only == nil { metadata["general.file_type"] = .uint32(SyntheticModel.fileType(for: target)) }
        let plans = file.tensors.map {
            GGUFTensorPlan(name: $0.name, type: converts($0) ? target : $0.type, shape: $0.shape)
        }
        let writer: GGUFStreamingWriter
        do { writer = try GGUFStreamingWriter(path: output, metadata: metadata, tensors: plans, alignment: file.alignment) }
        catch { throw .output(path: output, error) }

        var summary = Summary()
        let targetBlockBytes = target.traits!.blockBytes  // every target is a block type
        for t in file.tensors {
            let data = file.data(of: t)
            guard converts(t), t.type != target else {
                do { try writer.append(data) } catch { throw .output(path: output, error) }
                if converts(t) { summary.requantized += 1 } else { summary.copied += 1 }
                continue
            }
            let cols = t.shape[0], rows = t.elementCount / cols
            let sourceRowBytes = data.count / rows, targetRowBytes = cols / target.traits!.blockSize * targetBlockBytes
            let x = UnsafeMutablePointer<Float>.allocate(capacity: cols)
            defer { x.deallocate() }
            var bytes = [UInt8](repeating: 0, count: rows * targetRowBytes)
            for r in 0..<rows {
                // Row r: sourceRowBytes bytes of the tensor's data, targetRowBytes bytes of `bytes`.
                guard Dequantize.row(t.type, data.baseAddress! + r * sourceRowBytes, into: x, count: cols) else {
                    throw .tensor(name: t.name, type: t.type.name, .unsupportedType(t.type))
                }
                bytes.withUnsafeMutableBytes { quantize(x, into: $0.baseAddress! + r * targetRowBytes, count: cols) }
            }
            do { try writer.append(bytes) } catch { throw .output(path: output, error) }
            summary.requantized += 1
        }
        do { try writer.commit() } catch { throw .output(path: output, error) }
        return summary
    }

    /// One row of `count` floats in the target format, by llama.cpp's reference quantizer.
    func quantize(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        switch target {
        case .q4_0: WeightQuantizer.quantizeQ4_0(x, into: y, count: count)
        case .q4_1: WeightQuantizer.quantizeQ4_1(x, into: y, count: count)
        case .q6_K: WeightQuantizer.quantizeQ6_K(x, into: y, count: count)
        default: ActivationQuantizer.quantizeQ8_0Scalar(x, into: y, count: count, rounding: .reference)
        }
    }
}

/// Why a requantization could not produce its output.
public enum RequantizationError: Error, Equatable, CustomStringConvertible {
    /// The target is not one of `ModelRequantizer.targets`.
    case unsupportedTarget(String)
    /// Input and output are the same file.
    case sameFile(String)
    /// The input file cannot be read as GGUF.
    case input(path: String, GGUFError)
    /// A matrix's type has no dequantizer.
    case tensor(name: String, type: String, KernelError)
    /// The output cannot be written.
    case output(path: String, GGUFError)

    public var description: String {
        switch self {
        case .unsupportedTarget(let t):
            "convert: '\(t)' is not a supported target; use q8_0, q4_0, q4_1 or q6_k (or tq1_0, tq2_0, i2_s for ternary "
                + "models)."
        case .sameFile(let p):
            "convert: input and output are the same file (\(p)); write to another path."
        case .input(let p, let e):
            "convert: cannot read \(p): \(e)"
        case .tensor(let n, let type, let e):
            "convert: tensor '\(n)' (\(type)) cannot be dequantized: \(e). No output was written."
        case .output(let p, let e):
            "convert: cannot write \(p): \(e). No output was written."
        }
    }
}
