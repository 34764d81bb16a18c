/// y = x · Wᵀ for a batch of `count` activation rows — the one entry point the model code calls.
///
/// Shapes (row-major): `x` is `[count, w.cols]` F32, `y` is `[count, w.rows]` F32; `y[t][r] = Σ_c W[r][c]·x[t][c]`.
/// `count == 1` is decode (matrix × vector); larger counts are prompt prefill (matrix × matrix).
///
/// Activations are converted once per call to the weight's `ActivationFormat` (for batches, the prefill kernel's
/// layout where it has its own; rows converted in parallel when there are several), then the weight rows are split
/// across `pool`'s threads (for batches, tiles of rows claimed one at a time). Results do not depend on the thread
/// count: each output element is one dot product computed by one thread.
public func matmul(
    _ w: WeightMatrix, input x: UnsafePointer<Float>, count: Int, output y: UnsafeMutablePointer<Float>,
    pool: ThreadPool, scratch: KernelScratch
) {
    precondition(count > 0, "matmul needs at least one activation row")
    let kernel = w.kernel(forRow: count - 1, of: count), cols = w.cols, rows = w.rows  // every row's format
    let first = w.kernel(forRow: 0, of: count)
    // The batch path: both ends' kernels have a prefill form (they then share one decoded layout and activation
    // layout, which may differ from the decode kernel's).
    let prefill = count > 1 && first.prefill != nil ? kernel.prefill : nil
    let format = prefill?.activation ?? kernel.activation
    let activationRowBytes = format.rowBytes(cols)
    let activations = convertActivations(x, count: count, cols: cols, format, pool: pool, scratch: scratch)
    let weights = w.data, weightRowBytes = w.rowBytes
    if let prefill, let firstRows = first.prefill?.rows {
        // Decode a tile of weight rows once (≤ 16 KB, L1-resident), then stream every activation row past it.
        // Rows 0..<split run the first row's kernel, split..<count the last's: `kernel(forRow:of:)` changes at most
        // once (repacked Q4_K: gemm for whole groups of 4, then gemv), and those routes share one decoded layout.
        var split = 1
        while split < count, w.kernel(forRow: split, of: count).index == first.index { split += 1 }
        // A few activation rows with a packed tile form: read the stored rows in place (no unpacking).
        let packedTile = count <= prefill.packedTileLimit && split == count ? prefill.packedTile : nil
        let inPlace = prefill.inPlace || packedTile != nil, tileDot = packedTile ?? prefill.tile
        let lastRows = prefill.rows, unpackedRowBytes = inPlace ? weightRowBytes : prefill.rowBytes(cols)
        let tileStride = inPlace ? weightRowBytes : unpackedRowBytes  // bytes between the rows a tile reads
        // A packed tile reads rows where they lie: for a few activation rows nothing bounds its tile but sharing,
        // about 2 claims per thread (each claim first copies the activation rows into the tile's pair layout); for
        // long batches each group of 8 activation rows passes over the tile again, so it stays about 24 KB.
        let packedRows = count <= PrefillKernel.packedTileMaxRows
            ? (rows + 2 * pool.threadCount - 1) / (2 * pool.threadCount) : min(64, 24_576 / max(1, weightRowBytes))
        let tile = packedTile != nil ? (max(16, packedRows) + 3) / 4 * 4
            : prefill.tileRows ?? max(4, min(16, 16_384 / max(1, unpackedRowBytes) / 4 * 4))
        // One tile per claim: a tile is tens of microseconds of work, so the threads share out the tiles as they
        // finish them and neither waits long for the other when one runs slower.
        pool.parallelFor((rows + tile - 1) / tile, chunk: 1) { tiles in
            withUnsafeTemporaryAllocation(byteCount: tile * unpackedRowBytes, alignment: 64) { buffer in
                let unpacked = buffer.baseAddress!
                for i in tiles {
                    let start = i * tile, end = min(start + tile, rows)
                    // Rows start..<end (≤ tile) of w; the buffer holds tile decoded rows (or the rows are read
                    // where they are, when the decoded layout is the stored one).
                    let tileRows: UnsafeRawPointer
                    if inPlace {
                        tileRows = weights + start * weightRowBytes
                    } else {
                        prefill.unpack(weights + start * weightRowBytes, weightRowBytes, cols, end - start, unpacked)
                        tileRows = UnsafeRawPointer(unpacked)
                    }
                    if let tileDot, split == count {
                        // Every activation row t < count against rows start..<end: y[t][start..<end].
                        tileDot(tileRows, tileStride, activations, activationRowBytes, count, cols, y + start, rows,
                                end - start)
                        continue
                    }
                    var t = 0
                    while t < count {
                        let a = activations + t * activationRowBytes, out = y + t * rows + start
                        // Two activation rows per pass where the kernel has that form (one route for all rows).
                        if let pairs = prefill.rowPairs, split == count, t + 1 < count {
                            pairs(tileRows, tileStride, a, a + activationRowBytes, cols, out, out + rows, end - start)
                            t += 2
                            continue
                        }
                        let rowsDot = t < split ? firstRows : lastRows
                        rowsDot(tileRows, tileStride, a, cols, out, end - start)
                        t += 1
                    }
                }
            }
        }
        scaleOutputs(w, y, count: count)
        scratch.record(kernel)
        scratch.record(first)
        return
    }
    // Row tiles keep a few weight rows in L1 while every activation row streams past them.
    pool.parallelFor(rows, RowTiles(w: w, activations: activations, activationRowBytes: activationRowBytes,
                                    count: count, y: y, tile: count == 1 ? rows : 16))
    scaleOutputs(w, y, count: count)
    scratch.record(kernel)
    scratch.record(first)
}

/// `matmul` for two or three matrices that read the same input (a layer's Q, K and V projections; gate and up):
/// `y_i = x · W_iᵀ`, each output exactly as `matmul(W_i, …)` computes it.
///
/// For one activation row (decode), when the matrices take the same activation format and row length, the row is
/// converted once and the rows of all of them are split across the threads as one range: one dispatch instead of
/// one per matrix (with a step's few hundred dispatches, their handoffs are a measurable part of a small model's
/// decode time), and no repeated conversion. Otherwise (batches, or differing formats) each is a plain `matmul`.
public func matmul(
    _ a: (WeightMatrix, UnsafeMutablePointer<Float>), _ b: (WeightMatrix, UnsafeMutablePointer<Float>),
    _ c: (WeightMatrix, UnsafeMutablePointer<Float>)? = nil,
    input x: UnsafePointer<Float>, count: Int, pool: ThreadPool, scratch: KernelScratch
) {
    let format = a.0.kernel(forRow: 0, of: 1).activation, cols = a.0.cols
    func joins(_ m: (WeightMatrix, UnsafeMutablePointer<Float>)) -> Bool {
        m.0.cols == cols && m.0.kernel(forRow: 0, of: 1).activation == format
    }
    guard count == 1, joins(b), c.map(joins) ?? true else {
        matmul(a.0, input: x, count: count, output: a.1, pool: pool, scratch: scratch)
        matmul(b.0, input: x, count: count, output: b.1, pool: pool, scratch: scratch)
        if let c { matmul(c.0, input: x, count: count, output: c.1, pool: pool, scratch: scratch) }
        return
    }
    let rowBytes = format.rowBytes(cols)
    let activations = convertActivations(x, count: 1, cols: cols, format, pool: pool, scratch: scratch)
    func tiles(_ m: (WeightMatrix, UnsafeMutablePointer<Float>)) -> RowTiles {
        RowTiles(w: m.0, activations: activations, activationRowBytes: rowBytes, count: 1, y: m.1, tile: m.0.rows)
    }
    let work = StackedRowTiles(a: tiles(a), b: tiles(b), c: c.map(tiles))
    pool.parallelFor(work.rows, work)
    func finish(_ m: (WeightMatrix, UnsafeMutablePointer<Float>)) {
        scaleOutputs(m.0, m.1, count: 1)
        scratch.record(m.0.kernel(forRow: 0, of: 1))
    }
    finish(a)
    finish(b)
    if let c { finish(c) }
}

/// The rows of two or three matrices stacked into one index range (`a`'s rows first, then `b`'s, then `c`'s); a
/// thread's range is cut at the matrix boundaries and each piece handed to that matrix's `RowTiles`.
struct StackedRowTiles: ParallelWork {
    let a: RowTiles, b: RowTiles, c: RowTiles?
    var rows: Int { a.w.rows + b.w.rows + (c?.w.rows ?? 0) }

    func run(_ range: Range<Int>, thread: Int) {
        /// Runs the part of `range` that falls in `m`'s rows, which start at `offset` in the stacked range.
        func piece(_ m: RowTiles, at offset: Int) {
            let lower = max(range.lowerBound, offset), upper = min(range.upperBound, offset + m.w.rows)
            if lower < upper { m.run((lower - offset)..<(upper - offset), thread: thread) }
        }
        piece(a, at: 0)
        piece(b, at: a.w.rows)
        if let c { piece(c, at: a.w.rows + b.w.rows) }
    }
}

/// `count` F32 rows of `cols` elements in `format`, the layout the kernels read: `x` itself for F32, otherwise
/// converted into `scratch` (rows converted in parallel when there are several).
@inline(__always)
func convertActivations(
    _ x: UnsafePointer<Float>, count: Int, cols: Int, _ format: ActivationFormat, pool: ThreadPool,
    scratch: KernelScratch
) -> UnsafeRawPointer {
    if format == .f32 { return UnsafeRawPointer(x) }
    let rowBytes = format.rowBytes(cols)
    let buffer = scratch.bytes(count * rowBytes)  // count rows of rowBytes each
    // A local function, not a closure value: a stored closure's captures would be boxed on the heap per call.
    func convert(_ t: Int) { quantizeActivationRow(x + t * cols, into: buffer + t * rowBytes, cols, format) }
    if count == 1 { convert(0) } else { pool.parallelFor(count) { tokens in for t in tokens { convert(t) } } }
    return UnsafeRawPointer(buffer)
}

/// I2_S rows carry no scale: the tensor's one scale multiplies every output (`y` holds `count × w.rows` floats).
@inline(__always)
func scaleOutputs(_ w: WeightMatrix, _ y: UnsafeMutablePointer<Float>, count: Int) {
    if let scale = w.tensorScale { for i in 0..<count * w.rows { y[i] *= scale } }
}

/// Converts one F32 row of `cols` elements into `format` at `out` (`format.rowBytes(cols)` bytes).
@inline(__always)
func quantizeActivationRow(
    _ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer, _ cols: Int, _ format: ActivationFormat
) {
    switch format {
    case .f32: out.copyMemory(from: x, byteCount: 4 * cols)
    case .f16: ActivationQuantizer.roundToF16(x, into: out.assumingMemoryBound(to: UInt16.self), count: cols)
    case .bf16: ActivationQuantizer.roundToBF16(x, into: out.assumingMemoryBound(to: UInt16.self), count: cols)
    case .q8_0: ActivationQuantizer.quantizeQ8_0(x, into: out, count: cols)
    case .q8_0Split: ActivationQuantizer.quantizeQ8_0Split(x, into: out, count: cols)
    case .q8_1: ActivationQuantizer.quantizeQ8_1(x, into: out, count: cols)
    case .q8_K: ActivationQuantizer.quantizeQ8_K(x, into: out, count: cols)
    case .i8: ActivationQuantizer.quantizeI8(x, into: out, count: cols)
    }
}

/// `matmul`'s per-thread work on the vec_dot kernels: weight rows in tiles of `tile`, every activation row against
/// each tile (a `ParallelWork` value, so a decode step's matmuls allocate nothing).
struct RowTiles: ParallelWork {
    let w: WeightMatrix
    let activations: UnsafeRawPointer
    let activationRowBytes: Int
    let count: Int
    let y: UnsafeMutablePointer<Float>
    let tile: Int

    func run(_ range: Range<Int>, thread: Int) {
        let weights = w.data, weightRowBytes = w.rowBytes, cols = w.cols, rows = w.rows
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + tile, range.upperBound)
            for t in 0..<count {
                let rowKernel = w.kernel(forRow: t, of: count), dot = rowKernel.dot, rowsDot = rowKernel.rows
                let a = activations + t * activationRowBytes
                let out = y + t * rows
                // start..<end ⊂ 0..<rows and t < count: weight rows start..<end and activation row t are inside
                // their checked buffers, and out[start..<end] inside y's row t.
                if let rowsDot {
                    rowsDot(weights + start * weightRowBytes, weightRowBytes, a, cols, out + start, end - start)
                } else {
                    for r in start..<end { out[r] = dot(weights + r * weightRowBytes, a, cols) }
                }
            }
            start = end
        }
    }
}
