/// IEEE half and bfloat16 conversions with the rounding ggml uses.
public enum HalfConversion {
    /// Rounds `x` to the nearest IEEE half (ties to even) and returns its bits.
    @inlinable public static func f32ToF16(_ x: Float) -> UInt16 {
        #if arch(x86_64) || arch(arm64)
        return Float16(x).bitPattern
        #else
        return f32ToF16Portable(x)
        #endif
    }

    /// Expands IEEE half bits to `Float` exactly.
    @inlinable public static func f16ToF32(_ h: UInt16) -> Float {
        #if arch(x86_64) || arch(arm64)
        return Float(Float16(bitPattern: h))
        #else
        return f16ToF32Portable(h)
        #endif
    }

    /// Rounds `x` to bfloat16 (nearest, ties to even; NaN stays a quiet NaN) and returns its bits.
    @inlinable public static func f32ToBF16(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ (0x7fff &+ ((u >> 16) & 1))) >> 16)
    }

    /// Expands bfloat16 bits to `Float` exactly.
    @inlinable public static func bf16ToF32(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    @usableFromInline static func f16ToF32Portable(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int(h >> 10) & 0x1f
        let man = UInt32(h & 0x3ff)
        if exp == 0 { return Float(bitPattern: sign) + (sign != 0 ? -1 : 1) * Float(man) * 0x1p-24 }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (man << 13)) }
        return Float(bitPattern: sign | UInt32(exp + 112) << 23 | man << 13)
    }

    @usableFromInline static func f32ToF16Portable(_ x: Float) -> UInt16 {
        // Round via the exact half grid: scale into range, then let Float rounding pick the nearest representable.
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        let a = abs(x)
        if a.isNaN { return 0x7e00 }
        if a >= 65520 { return sign | 0x7c00 }
        if a < 0x1p-14 { return sign | UInt16((a * 0x1p24).rounded(.toNearestOrEven)) }
        let e = Int(a.exponent)
        let m = (a / Float(sign: .plus, exponent: e, significand: 1) - 1) * 1024
        var bits = UInt16(e + 15) << 10
        let r = m.rounded(.toNearestOrEven)
        bits = bits &+ UInt16(r)
        return sign | bits
    }
}
