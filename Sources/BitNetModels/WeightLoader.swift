import GGUF
import Kernels

/// Turns named GGUF tensors into kernel matrices and F32 vectors, checking shapes against the hyper-parameters.
struct WeightLoader {
    let file: GGUFFile

    /// The matrix `name` with `rows` outputs of `cols` inputs (ggml shape `[cols, rows]`).
    func matrix(_ name: String, rows: Int, cols: Int) throws(ModelError) -> WeightMatrix {
        let t = try info(name)
        guard t.shape == [cols, rows] else { throw .tensorShape(name: name, expected: [cols, rows], found: t.shape) }
        do {
            return try WeightMatrix(type: t.type, rows: rows, cols: cols, bytes: file.data(of: t))
        } catch {
            throw .tensorUnusable(name: name, reason: error.description)
        }
    }

    /// The matrix `name` if present.
    func optionalMatrix(_ name: String, rows: Int, cols: Int) throws(ModelError) -> WeightMatrix? {
        file.tensor(named: name) == nil ? nil : try matrix(name, rows: rows, cols: cols)
    }

    /// The vector `name` of `count` elements as F32 (converted when stored as F16/BF16).
    func vector(_ name: String, count: Int) throws(ModelError) -> [Float] {
        let t = try info(name)
        guard t.shape == [count] else { throw .tensorShape(name: name, expected: [count], found: t.shape) }
        var out = [Float](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { dst in
            // The tensor holds `count` elements of its type (checked by the GGUF reader and the shape above).
            Dequantize.row(t.type, file.data(of: t).baseAddress!, into: dst.baseAddress!, count: count)
        }
        guard ok else { throw .tensorUnusable(name: name, reason: "type \(t.type) cannot be read as a vector") }
        return out
    }

    /// The vector `name` if present.
    func optionalVector(_ name: String, count: Int) throws(ModelError) -> [Float]? {
        file.tensor(named: name) == nil ? nil : try vector(name, count: count)
    }

    private func info(_ name: String) throws(ModelError) -> GGUFTensorInfo {
        guard let t = file.tensor(named: name) else { throw .missingTensor(name: name) }
        return t
    }
}
