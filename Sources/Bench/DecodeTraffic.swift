import GGUF

/// Bytes a decode step reads from memory, for the `GB/s` and `% of bound` columns: every weight tensor once, plus
/// the KV cache up to the current position.
///
/// Weights: the sum of all tensor bytes in the file except the token embedding, which a step reads one row of; a
/// model with a tied output (no `output.weight`) reads the embedding again as its output matrix, so it counts once
/// in full. Norm vectors and other small tensors are read every step too and are included.
/// KV: each layer reads `headCountKV × (keyLength + valueLength)` cache elements per attended position. Sliding-window
/// layers (gemma3) are counted as if they attended to every position, so for contexts past the window this is an
/// upper bound.
public struct DecodeTraffic: Sendable, Codable, Equatable {
    /// Weight bytes read per decoded token.
    public let weightBytes: Int
    /// KV cache bytes read per attended position (all layers, keys and values).
    public let kvBytesPerPosition: Int

    public init(weightBytes: Int, kvBytesPerPosition: Int) {
        self.weightBytes = weightBytes
        self.kvBytesPerPosition = kvBytesPerPosition
    }

    /// The traffic of `file`'s forward pass with a cache of `kvElementBytes`-byte elements.
    public init(file: GGUFFile, layers: Int, kvHeads: Int, keyLength: Int, valueLength: Int, kvElementBytes: Int) {
        let embedding = file.tensors.first { $0.name == "token_embd.weight" }
        let tied = !file.tensors.contains { $0.name == "output.weight" }
        var bytes = file.tensors.filter { $0.name != "token_embd.weight" }.reduce(0) { $0 + $1.byteCount }
        if let embedding {
            let rows = max(1, embedding.shape.count >= 2 ? embedding.shape[1] : 1)
            bytes += tied ? embedding.byteCount : embedding.byteCount / rows
        }
        weightBytes = bytes
        kvBytesPerPosition = layers * kvHeads * (keyLength + valueLength) * kvElementBytes
    }

    /// Mean number of positions attended per step of the `tgN` test: the prompt token sits at position 0, the N
    /// timed steps at positions 1…N, and the step at position p attends to p + 1 positions.
    public static func meanAttendedPositions(generateTokens n: Int) -> Double { Double(n + 3) / 2 }

    /// Bytes read per decoded token of a `tgN` test, at its mean attended context.
    public func bytesPerToken(generateTokens n: Int) -> Double {
        Double(weightBytes) + Double(kvBytesPerPosition) * Self.meanAttendedPositions(generateTokens: n)
    }
}
