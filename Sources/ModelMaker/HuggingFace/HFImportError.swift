import GGUF

/// Why a Hugging Face checkpoint could not be converted. Every case names the file or tensor, says what was
/// found, and what to do; no output file is left behind when one is thrown.
public enum HFImportError: Error, Equatable, CustomStringConvertible {
    /// The directory does not exist or is not a directory.
    case notADirectory(String)
    /// A file the conversion needs is missing.
    case missingFile(path: String, hint: String)
    /// A JSON file is not valid JSON or has the wrong shape.
    case badJSON(path: String, reason: String)
    /// A `.safetensors` file's header or data is inconsistent.
    case badSafetensors(path: String, reason: String)
    /// A tensor's element type is not F32, F16 or BF16 (nor U8 packed ternary weights with their scale).
    case unsupportedDType(tensor: String, dtype: String)
    /// `config.json`'s `quantization_config` names a method other than BitNet's packed ternary weights.
    case unsupportedQuantization(String)
    /// `config.json`'s `architectures` names a model class this converter does not handle.
    case unsupportedArchitecture(String, supported: [String])
    /// A required hyper-parameter is missing from `config.json`.
    case missingHyperParameter(String)
    /// A checkpoint tensor has no GGUF name for this architecture.
    case unmappedTensor(name: String, architecture: String)
    /// A tensor's shape is not what the configuration implies.
    case badShape(tensor: String, shape: [Int], expected: String)
    /// The tokenizer cannot be converted.
    case tokenizer(String)
    /// The requested output type cannot be written for this model.
    case unsupportedTarget(String, reason: String)
    /// Writing the GGUF failed.
    case output(path: String, GGUFError)

    public var description: String {
        switch self {
        case .notADirectory(let p):
            "convert --from-hf: \(p) is not a directory. Give the folder holding config.json and the *.safetensors files."
        case .missingFile(let p, let hint):
            "convert --from-hf: \(p) is missing. \(hint)"
        case .badJSON(let p, let r):
            "convert --from-hf: \(p) cannot be read: \(r)."
        case .badSafetensors(let p, let r):
            "convert --from-hf: \(p) is not a valid safetensors file: \(r). Re-download it (a cut download leaves a short file)."
        case .unsupportedDType(let t, let d):
            "convert --from-hf: tensor '\(t)' is \(d); only F32, F16 and BF16 tensors are read, and U8 only as a "
                + "BitNet checkpoint's packed ternary weights (a matrix with its .weight_scale, quantization_config "
                + "\"bitnet\"). Convert from the model's full-precision weights."
        case .unsupportedQuantization(let m):
            "convert --from-hf: config.json's quantization_config says '\(m)'; only BitNet's packed ternary weights "
                + "('bitnet', as Falcon3-1.58bit and bitnet-b1.58-2B-4T ship) are read, not GPTQ, AWQ, FP8 or other "
                + "quantized checkpoints. Convert from the model's full-precision weights."
        case .unsupportedArchitecture(let a, let ok):
            "convert --from-hf: architecture '\(a)' is not supported (supported: \(ok.joined(separator: ", ")))."
        case .missingHyperParameter(let k):
            "convert --from-hf: config.json has no '\(k)', which this architecture needs."
        case .unmappedTensor(let n, let a):
            "convert --from-hf: tensor '\(n)' has no GGUF name for \(a); the checkpoint is not a plain \(a) model."
        case .badShape(let t, let s, let e):
            "convert --from-hf: tensor '\(t)' has shape \(s), expected \(e) from config.json."
        case .tokenizer(let r):
            "convert --from-hf: tokenizer: \(r)"
        case .unsupportedTarget(let t, let r):
            "convert --from-hf: cannot write \(t): \(r)"
        case .output(let p, let e):
            "convert --from-hf: cannot write \(p): \(e). No output was written."
        }
    }
}
