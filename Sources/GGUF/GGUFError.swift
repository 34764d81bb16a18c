/// Everything that can go wrong reading or writing a GGUF file. Each case carries the facts needed to act on it:
/// the file, the byte offset, and what was expected versus found.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badMagic(path: String, found: UInt32)
    case unsupportedVersion(path: String, version: UInt32)
    /// Fewer bytes remain than the structure at `offset` needs.
    case truncated(path: String, offset: Int, what: String, needed: Int, available: Int)
    /// A declared length or count reaches past the end of the file.
    case lengthBeyondFile(path: String, offset: Int, what: String, length: UInt64, available: Int)
    case unknownValueType(path: String, offset: Int, key: String, id: UInt32)
    case nestingTooDeep(path: String, offset: Int, key: String, depth: Int)
    case duplicateKey(path: String, offset: Int, key: String)
    case invalidAlignment(path: String, value: String)
    case invalidDimensions(path: String, offset: Int, tensor: String, nDims: UInt32)
    case dimensionOverflow(path: String, offset: Int, tensor: String, shape: [UInt64])
    case unknownTensorType(path: String, offset: Int, tensor: String, id: UInt32)
    case rowNotBlockAligned(path: String, tensor: String, type: String, rowLength: Int, blockSize: Int)
    case duplicateTensorName(path: String, offset: Int, tensor: String)
    case misalignedTensor(path: String, tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(path: String, tensor: String, start: UInt64, bytes: Int, fileSize: Int)
    case overlappingTensors(path: String, first: String, second: String, firstEnd: UInt64, secondStart: UInt64)
    case missingKey(key: String)
    case keyTypeMismatch(key: String, expected: String, found: String)
    case missingTensor(name: String)
    case invalidTensorData(tensor: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r):
            return "cannot open GGUF file '\(p)': \(r). Check that the path exists and is readable."
        case .badMagic(let p, let f):
            return "'\(p)' is not a GGUF file: offset 0 holds 0x\(String(f, radix: 16)), expected the magic 'GGUF' "
                + "(0x46554747). Point the command at a .gguf model file."
        case .unsupportedVersion(let p, let v):
            return "'\(p)' is GGUF version \(v) at offset 4; this reader supports versions 2 and 3. "
                + "Re-convert the model with a current llama.cpp."
        case .truncated(let p, let o, let w, let n, let a):
            return "'\(p)' is truncated: \(w) at offset \(o) needs \(n) bytes but only \(a) remain. "
                + "The file is incomplete; download it again and verify its checksum."
        case .lengthBeyondFile(let p, let o, let w, let l, let a):
            return "'\(p)' is corrupt: \(w) at offset \(o) declares length \(l), but only \(a) bytes remain. "
                + "Download the file again and verify its checksum."
        case .unknownValueType(let p, let o, let k, let id):
            return "'\(p)' is corrupt: metadata key '\(k)' at offset \(o) has value type \(id); expected 0...12."
        case .nestingTooDeep(let p, let o, let k, let d):
            return "'\(p)': metadata key '\(k)' nests arrays \(d) deep at offset \(o); at most 8 levels are read."
        case .duplicateKey(let p, let o, let k):
            return "'\(p)' is corrupt: metadata key '\(k)' appears a second time at offset \(o); keys must be unique."
        case .invalidAlignment(let p, let v):
            return "'\(p)': general.alignment is \(v); expected a u32 power of two."
        case .invalidDimensions(let p, let o, let t, let n):
            return "'\(p)': tensor '\(t)' at offset \(o) has \(n) dimensions; expected 1...4."
        case .dimensionOverflow(let p, let o, let t, let s):
            return "'\(p)': tensor '\(t)' at offset \(o) has shape \(s), whose element count overflows 63 bits."
        case .unknownTensorType(let p, let o, let t, let id):
            return "'\(p)': tensor '\(t)' (info at offset \(o)) has ggml type id \(id), which this build does not know. "
                + "Known ids: \(GGMLType.allKnown.map { "\($0.rawValue)" }.joined(separator: ","))."
        case .rowNotBlockAligned(let p, let t, let ty, let r, let b):
            return "'\(p)': tensor '\(t)' of type \(ty) has rows of \(r) elements, not a multiple of its block size \(b)."
        case .duplicateTensorName(let p, let o, let t):
            return "'\(p)' is corrupt: tensor name '\(t)' appears a second time at offset \(o); names must be unique."
        case .misalignedTensor(let p, let t, let o, let a):
            return "'\(p)': tensor '\(t)' data offset \(o) is not a multiple of the alignment \(a)."
        case .tensorOutOfBounds(let p, let t, let s, let b, let f):
            return "'\(p)': tensor '\(t)' occupies bytes \(s)..<\(s + UInt64(b)) but the file has \(f) bytes. "
                + "The file is truncated or corrupt; download it again."
        case .overlappingTensors(let p, let a, let b, let ae, let bs):
            return "'\(p)' is corrupt: tensor '\(a)' ends at data offset \(ae) but '\(b)' starts at \(bs); tensors overlap."
        case .missingKey(let k):
            return "metadata key '\(k)' is missing; the model file does not describe what this engine needs."
        case .keyTypeMismatch(let k, let e, let f):
            return "metadata key '\(k)' holds a \(f); expected \(e)."
        case .missingTensor(let n):
            return "tensor '\(n)' is not in the file."
        case .invalidTensorData(let t, let r):
            return "tensor '\(t)': \(r)"
        case .writeFailed(let p, let r):
            return "cannot write '\(p)': \(r). Check free space and permissions; no partial file was left."
        }
    }
}
