/// Per-token int8 activations for I2_S weights, as Microsoft's bitnet.cpp quantizes them before its ternary matmul.
///
/// Row layout (`ActivationFormat.i8.rowBytes(count)` = count + 8 bytes): `count` int8 quants, then the F32
/// multiplier `s = 127 / max(absmax, 1e-5)` (absmax and the division in double), then the Int32 Σq that the SIMD
/// dot product subtracts to turn unsigned codes into weights. Quants are `round(x·s)` (the product in F32, rounded
/// half away from zero) clamped to −128…127; a dot product divides its integer sum by `s`.
///
/// The formula follows DESIGN.md (per-token absmax) and bitnet.cpp's `quantize_row_i8_s` as we know it; its source
/// is not in this environment, so the rounding details are stated here rather than proven against it.
extension ActivationQuantizer {
    /// Smallest absmax used for the scale, so an all-zero row quantizes to zeros with a finite multiplier.
    public static let i8MinimumAbsMax = 1e-5

    /// Quantizes `count` floats (a multiple of 128) from `x` into one I8 row at `y` (`count + 8` bytes), with the
    /// active kernel level's form (the same bytes as `quantizeI8Portable`).
    public static func quantizeI8(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        RowKernels.active.quantizeI8(x, y, count, 0)
    }

    /// The portable form of `quantizeI8`, its reference.
    public static func quantizeI8Portable(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        var amax = i8MinimumAbsMax
        for j in 0..<count { amax = max(amax, Double(abs(x[j]))) }  // x holds count floats
        let s = Float(127 / amax)
        var sum: Int32 = 0
        for j in 0..<count {
            let q = Int8(min(127, max(-128, (x[j] * s).rounded(.toNearestOrAwayFromZero))))
            y.storeBytes(of: q, toByteOffset: j, as: Int8.self)  // j < count: inside the row's quant bytes
            sum += Int32(q)
        }
        // The trailer: bytes count ..< count + 8 of the count + 8 byte row.
        y.storeBytes(of: s, toByteOffset: count, as: Float.self)
        y.storeBytes(of: sum, toByteOffset: count + 4, as: Int32.self)
    }
}
