/// Element type of the key/value cache.
public enum KVCacheType: String, Sendable, Codable, CaseIterable {
    /// IEEE half, as llama.cpp stores its cache by default.
    case f16
    /// Full precision.
    case f32

    var bytes: Int { self == .f16 ? 2 : 4 }
}

/// Keys and values of every layer for positions `0..<length`, written once per token and read by attention.
///
/// Layout per layer: `[capacity, kvWidth]` row-major for K and for V, where `kvWidth = headCountKV × headLength`,
/// so one position of one layer is one contiguous row.
public final class KVCache: @unchecked Sendable {
    // @unchecked Sendable: a cache belongs to one inference session, which serialises its use.

    /// Maximum positions.
    public let capacity: Int
    /// Storage type.
    public let type: KVCacheType
    /// Layers.
    public let layerCount: Int
    /// Elements per position per layer for keys and for values.
    public let keyWidth: Int, valueWidth: Int
    /// Positions currently filled.
    public private(set) var length = 0
    private let keys: UnsafeMutableRawPointer
    private let values: UnsafeMutableRawPointer

    /// Allocates a zeroed cache.
    public init(layers: Int, capacity: Int, keyWidth: Int, valueWidth: Int, type: KVCacheType = .f16) {
        self.layerCount = layers
        self.capacity = capacity
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        self.type = type
        keys = .allocate(byteCount: max(1, layers * capacity * keyWidth * type.bytes), alignment: 64)
        values = .allocate(byteCount: max(1, layers * capacity * valueWidth * type.bytes), alignment: 64)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes held by keys and values together.
    public var byteCount: Int { layerCount * capacity * (keyWidth + valueWidth) * type.bytes }

    /// Forgets every position (the memory is reused).
    public func clear() { length = 0 }

    /// Forgets positions from `newLength` on.
    public func truncate(to newLength: Int) { length = max(0, min(length, newLength)) }

    /// Marks `count` more positions as filled (after a forward pass has stored them).
    public func advance(by count: Int) { length = min(capacity, length + count) }

    /// Stores the key and value rows of `layer` at `position`.
    public func store(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        precondition(layer < layerCount && position < capacity, "KV store outside the cache")
        let kOff = (layer * capacity + position) * keyWidth, vOff = (layer * capacity + position) * valueWidth
        switch type {
        case .f32:
            (keys.assumingMemoryBound(to: Float.self) + kOff).update(from: key, count: keyWidth)
            (values.assumingMemoryBound(to: Float.self) + vOff).update(from: value, count: valueWidth)
        case .f16:
            let k = keys.assumingMemoryBound(to: UInt16.self) + kOff, v = values.assumingMemoryBound(to: UInt16.self) + vOff
            HalfVectorOps.narrow(key, into: k, count: keyWidth)
            HalfVectorOps.narrow(value, into: v, count: valueWidth)
        }
    }

    /// Element `i` (< `count`) of the key row of `layer` at `position` from `offset`, widened to F32, written to
    /// `out[i · step]` (a strided store builds a transposed tile).
    func loadKey(layer: Int, position: Int, offset: Int, count: Int, into out: UnsafeMutablePointer<Float>,
                 step: Int) {
        let base = (layer * capacity + position) * keyWidth + offset
        switch type {
        case .f32:
            let k = keys.assumingMemoryBound(to: Float.self) + base
            for i in 0..<count { out[i * step] = k[i] }
        case .f16:
            HalfVectorOps.widen(keys.assumingMemoryBound(to: UInt16.self) + base, into: out, count: count, step: step)
        }
    }

    /// The value row of `layer` at `position` from `offset`, widened to F32 into `out[0..<count]`.
    func loadValue(layer: Int, position: Int, offset: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let base = (layer * capacity + position) * valueWidth + offset
        switch type {
        case .f32:
            out.update(from: values.assumingMemoryBound(to: Float.self) + base, count: count)
        case .f16:
            HalfVectorOps.widen(values + 2 * base, into: out, count: count)
        }
    }

    /// The F16 key and value rows of `layer` from element `offset` (`keyOffset` / `valueOffset`) at position 0; the
    /// row of position p lies `p · keyWidth` (`p · valueWidth`) elements further.
    @inline(__always)
    func halfRows(layer: Int, keyOffset: Int, valueOffset: Int) -> (keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>) {
        precondition(type == .f16, "halfRows on an F32 cache")
        return (UnsafePointer(keys.assumingMemoryBound(to: UInt16.self)) + layer * capacity * keyWidth + keyOffset,
                UnsafePointer(values.assumingMemoryBound(to: UInt16.self)) + layer * capacity * valueWidth + valueOffset)
    }

    /// The key row of `layer` at `position` from `offset`, for an F32 cache.
    @inline(__always)
    func keyRowF32(layer: Int, position: Int, offset: Int) -> UnsafePointer<Float> {
        precondition(type == .f32, "keyRowF32 on an F16 cache")
        return UnsafePointer(keys.assumingMemoryBound(to: Float.self)) + (layer * capacity + position) * keyWidth + offset
    }

    /// The value row of `layer` at `position` from `offset`, for an F32 cache.
    @inline(__always)
    func valueRowF32(layer: Int, position: Int, offset: Int) -> UnsafePointer<Float> {
        precondition(type == .f32, "valueRowF32 on an F16 cache")
        return UnsafePointer(values.assumingMemoryBound(to: Float.self)) + (layer * capacity + position) * valueWidth + offset
    }
}
