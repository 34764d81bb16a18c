import Foundation
import GGUF
import Kernels

/// Rewrites a GGUF model with its ternary matrices in another ternary format (TQ1_0, TQ2_0 or I2_S), moving the
/// codes and scales unchanged (`TernaryCodes`), so the weights stay bit-for-bit the same values.
///
/// Converted: every TQ1_0 / TQ2_0 / I2_S tensor, and the F32 / F16 BitNet projections
/// (`blk.N.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down}.weight`, the set bitnet.cpp's converter
/// quantizes), which must then be ternary-valued. Everything else (embeddings, norms, metadata) is copied as is,
/// except `general.file_type`, set to the target's. The output is streamed tensor by tensor through a `.partial`
/// file renamed into place only when complete.
public struct TernaryModelConverter: Sendable {
    /// The format every ternary matrix is written in.
    public var target: GGMLType
    /// Accept rounding a per-tensor F32 scale to F16 when the target is TQ1_0 / TQ2_0.
    public var roundScales: Bool
    /// Relabel a `bitnet-25` file as upstream `bitnet` (nil: keep the architecture). See `retargets`.
    public var architecture: String?

    /// Architecture relabellings `convert` performs: `bitnet-25` → `bitnet` renames the `bitnet-25.*` keys and
    /// drops the unused `output.weight`, giving a file upstream llama.cpp loads. The tensors and the attention
    /// agree; the feed-forward does not (upstream applies SiLU where bitnet-25 applies ReLU²), so the relabelled
    /// file computes a different function — useful for running ternary kernels on the real layout, not for
    /// reproducing the model.
    public static let retargets: [String: String] = ["bitnet-25": "bitnet"]

    /// A converter to `target`, optionally relabelling the architecture as `architecture`.
    /// - Throws: `TernaryConversionError.unsupportedTarget` unless `target` is TQ1_0, TQ2_0 or I2_S.
    public init(target: GGMLType, roundScales: Bool = false, architecture: String? = nil) throws(TernaryConversionError) {
        guard TernaryCodes.formats.contains(target) else {
            throw .unsupportedTarget(target.name, supported: TernaryCodes.formats.map(\.name))
        }
        self.target = target
        self.roundScales = roundScales
        self.architecture = architecture
    }

    /// The target named `name` (`tq2_0`, `I2_S`…).
    /// - Throws: `TernaryConversionError.unsupportedTarget`.
    public static func target(named name: String) throws(TernaryConversionError) -> GGMLType {
        guard let t = TernaryCodes.formats.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .unsupportedTarget(name, supported: TernaryCodes.formats.map(\.name))
        }
        return t
    }

    /// Whether `name` is one of BitNet's ternary projections.
    public static func isProjection(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        let projections: Set<Substring> = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        return parts.count == 4 && parts[0] == "blk" && Int(parts[1]) != nil && projections.contains(parts[2])
            && parts[3] == "weight"
    }

    /// What a conversion did.
    public struct Summary: Sendable, Equatable {
        /// Tensors rewritten in the target format.
        public var converted = 0
        /// Tensors copied unchanged.
        public var copied = 0
        /// Converted tensors whose F32 scale was rounded to F16 (0 unless `roundScales`).
        public var roundedScales = 0
    }

    /// Converts the model at `input` into `output`.
    /// - Throws: `TernaryConversionError`: the input cannot be read, holds no ternary tensor, a tensor cannot be
    ///   converted without loss (naming it and why), or the output cannot be written (no output file is left).
    @discardableResult
    public func convert(input: String, output: String) throws(TernaryConversionError) -> Summary {
        guard URL(fileURLWithPath: input).standardized.path != URL(fileURLWithPath: output).standardized.path else {
            throw .sameFile(input)
        }
        let file: GGUFFile
        do { file = try GGUFFile(path: input) } catch { throw .input(path: input, error) }
        let sources: Set<GGMLType> = [.tq1_0, .tq2_0, .i2_s]
        func converts(_ t: GGUFTensorInfo) -> Bool {
            sources.contains(t.type) || ([.f32, .f16].contains(t.type) && Self.isProjection(t.name))
        }
        guard file.tensors.contains(where: converts) else { throw .nothingToConvert(path: input) }

        let source = file.metadata.architecture ?? ""
        let destination = architecture ?? source
        if destination != source && Self.retargets[source] != destination {
            throw .unsupportedRelabel(from: source, to: destination,
                                      supported: Self.retargets.map { "\($0.key) → \($0.value)" }.sorted())
        }
        var metadata = GGUFMetadata()
        for (k, v) in file.metadata.entries where k != "general.alignment" {
            let key = k.hasPrefix(source + ".") ? destination + k.dropFirst(source.count) : k
            metadata[key] = v
        }
        metadata["general.architecture"] = .string(destination)
        if metadata["general.file_type"] != nil {
            metadata["general.file_type"] = .uint32(SyntheticModel.fileType(for: target))
        }
        let tensors = file.tensors.filter { destination == source || $0.name != "output.weight" }
        let plans = tensors.map {
            GGUFTensorPlan(name: $0.name, type: converts($0) ? target : $0.type, shape: $0.shape)
        }
        let writer: GGUFStreamingWriter
        do { writer = try GGUFStreamingWriter(path: output, metadata: metadata, tensors: plans, alignment: file.alignment) }
        catch { throw .output(path: output, error) }

        var summary = Summary()
        for t in tensors {
            let data = file.data(of: t)
            guard converts(t) else {
                do { try writer.append(data) } catch { throw .output(path: output, error) }
                summary.copied += 1
                continue
            }
            let codes: TernaryCodes, bytes: [UInt8]
            do {
                codes = try TernaryCodes.decode(t.type, data, count: t.elementCount)
                bytes = try codes.encode(as: target, roundScales: roundScales)
            } catch { throw .tensor(name: t.name, from: t.type.name, to: target.name, error) }
            if target != .i2_s && codes.scales.contains(where: { HalfConversion.f16ToF32(HalfConversion.f32ToF16($0)) != $0 }) {
                summary.roundedScales += 1
            }
            do { try writer.append(bytes) } catch { throw .output(path: output, error) }
            summary.converted += 1
        }
        do { try writer.commit() } catch { throw .output(path: output, error) }
        return summary
    }
}

/// Why `bitnet convert` could not produce its output.
public enum TernaryConversionError: Error, Equatable, CustomStringConvertible {
    /// The target is not a ternary format.
    case unsupportedTarget(String, supported: [String])
    /// Input and output are the same file.
    case sameFile(String)
    /// The input file cannot be read as GGUF.
    case input(path: String, GGUFError)
    /// The input has no tensor to convert.
    case nothingToConvert(path: String)
    /// One tensor cannot be converted without loss.
    case tensor(name: String, from: String, to: String, TernaryCodecError)
    /// The output cannot be written.
    case output(path: String, GGUFError)
    /// The architecture cannot be relabelled this way.
    case unsupportedRelabel(from: String, to: String, supported: [String])

    public var description: String {
        switch self {
        case .unsupportedTarget(let t, let ok):
            "convert: '\(t)' is not a ternary format; use one of \(ok.joined(separator: ", "))."
        case .sameFile(let p):
            "convert: input and output are the same file (\(p)); write to another path."
        case .input(let p, let e):
            "convert: cannot read \(p): \(e)"
        case .nothingToConvert(let p):
            "convert: \(p) has no TQ1_0/TQ2_0/I2_S tensor and no F32/F16 BitNet projection (blk.N.attn_q.weight…); "
                + "nothing to convert."
        case .tensor(let n, let from, let to, let e):
            "convert: tensor '\(n)' (\(from)) cannot become \(to) without changing it: \(e). No output was written."
        case .output(let p, let e):
            "convert: cannot write \(p): \(e). No output was written."
        case .unsupportedRelabel(let f, let t, let ok):
            "convert: cannot relabel '\(f)' as '\(t)'; supported: \(ok.joined(separator: ", ")) (or omit --arch)."
        }
    }
}
