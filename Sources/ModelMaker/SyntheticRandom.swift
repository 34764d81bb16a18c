/// The deterministic random source behind synthetic weights: SplitMix64, with a bell-shaped variate built from
/// integer arithmetic and exact float operations only, so a seed gives the same bytes on every platform (no libm
/// `log`/`cos`, whose last bits differ between C libraries).
public struct SyntheticRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for one tensor: `seed` mixed with the FNV-1a hash of `stream`, so each tensor's values depend
    /// only on the seed and its name, not on the order tensors are made in.
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var mixer = SyntheticRandom(seed: seed ^ h)
        state = mixer.next()
    }

    /// Next 64 random bits (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An approximately standard normal value: the sum of four 16-bit uniforms (Irwin–Hall, n = 4), centred and
    /// scaled to unit variance. Bounded by ±2√3 ≈ ±3.46, which is all the tail random weights need.
    public mutating func gaussian() -> Float {
        let r = next()
        var sum: UInt32 = 0
        for k in 0..<4 { sum += UInt32(truncatingIfNeeded: r >> (16 * k)) & 0xFFFF }
        // sum/65536 is Irwin–Hall(4) with mean 2 and variance 1/3 (up to the 2^-16 grid).
        let centred = Float(Int32(bitPattern: sum) - 2 * 65536 + 2) / 65536
        return centred * 1.7320508  // √3
    }

    /// A uniform value in [0, 1) with 24 bits of precision.
    public mutating func unit() -> Float { Float(next() >> 40) / 16_777_216 }
}
