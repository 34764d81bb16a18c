/// Reusable working memory for `matmul` (quantized activations) plus a record of which kernels ran.
///
/// One per calling thread (it is not shared with the pool's workers, which only read what it holds during a call).
/// It grows to the largest request and then stays, so steady-state decode allocates nothing.
public final class KernelScratch {
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0
    private var executed: UInt64 = 0

    public init() {}

    deinit { buffer?.deallocate() }

    /// A buffer of at least `bytes` bytes, 64-byte aligned, valid until the next call.
    public func bytes(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || buffer == nil {
            buffer?.deallocate()
            capacity = max(bytes, 2 * capacity, 4096)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        return buffer!  // non-nil: allocated above or on an earlier call
    }

    /// Notes that `kernel` ran.
    @inline(__always)
    public func record(_ kernel: DotKernel) { executed |= 1 << UInt64(kernel.index) }

    /// Ids of the kernels that have run through this scratch since creation or the last `resetKernelRecord()`,
    /// in `DotKernel.all` order (e.g. `["q8_0×q8_0.avx2", "q4_1×q8_1.avx2"]`).
    public var executedKernelIDs: [String] {
        DotKernel.all.filter { executed & (1 << UInt64($0.index)) != 0 }.map(\.id)
    }

    /// Forgets which kernels have run.
    public func resetKernelRecord() { executed = 0 }
}
