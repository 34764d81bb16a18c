import Foundation

/// Which positions' logits an eval returns.
public enum LogitsSelection: Sendable {
    /// One row per evaluated token.
    case all
    /// Only the last token's row (what generation needs).
    case last
}

/// Logits from one eval: `rows` rows of `vocabularySize` floats, row-major.
public struct ReferenceLogits: Sendable, Equatable {
    /// Number of rows (evaluated positions that produced output).
    public let rows: Int
    /// Length of each row.
    public let vocabularySize: Int
    /// `rows * vocabularySize` values; row `r` starts at `r * vocabularySize`.
    public let values: [Float]

    /// The logits of row `index` (0-based among the returned rows).
    public func row(_ index: Int) -> ArraySlice<Float> {
        values[(index * vocabularySize)..<((index + 1) * vocabularySize)]
    }
}

/// A llama.cpp inference context (KV cache, threads) over a `LlamaModel`, which it keeps alive.
///
/// One call at a time: a second concurrent call throws `contextBusy` instead of racing. Positions accumulate
/// across `eval` calls until `reset()`. The handle is freed exactly once, by `close()` or `deinit`.
public final class LlamaContext: @unchecked Sendable {
    // @unchecked: the stored properties are immutable; every use of the handle goes through `cell`, which
    // admits one call at a time and refuses to free the handle while a call runs. Sendable is needed so a
    // timeout worker can hold the context alive after the caller gives up on it.

    /// The model this context evaluates (kept alive by the context).
    public let model: LlamaModel
    /// Number of positions (n_ctx).
    public let contextLength: Int
    /// Threads llama.cpp uses for eval.
    public let threads: Int
    /// Seed recorded for samplers; greedy decoding does not use it.
    public let seed: UInt32
    /// The arithmetic llama.cpp was configured with.
    public let precision: ReferencePrecision

    let cell: HandleCell
    private var symbols: ShimSymbols { model.library.symbols }

    /// Creates a context of `contextLength` positions on `threads` threads (default: all active cores).
    /// `precision` picks llama.cpp's default arithmetic or its most precise one (see `ReferencePrecision`).
    ///
    /// - Throws: `contextCreationFailed` (usually memory), `handleClosed` if the model was closed.
    public init(model: LlamaModel, contextLength: Int = 512, threads: Int? = nil, seed: UInt32 = 0,
                precision: ReferencePrecision = .default) throws(ReferenceError)
    {
        guard contextLength > 0, contextLength <= Int(UInt32.max) else {
            throw .invalidArgument(reason: "context length \(contextLength) must be positive")
        }
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let symbols = model.library.symbols
        let created = try model.cell.borrow(.shared) { (modelHandle) throws(ReferenceError) -> OpaquePointer in
            var handle: OpaquePointer?
            let status = symbols.contextNew(modelHandle, UInt32(contextLength), Int32(threadCount), seed,
                                            precision.shimFlags, &handle)
            guard status == ShimStatus.ok.rawValue, let handle else {
                throw .contextCreationFailed(nCtx: UInt32(contextLength), reason: model.library.lastError())
            }
            return handle
        }
        self.model = model
        self.threads = threadCount
        self.seed = seed
        self.precision = precision
        self.contextLength = Int(symbols.contextNCtx(created))
        self.cell = HandleCell(created, kind: .context)
    }

    deinit {
        try? cell.close { handle in
            // No call can be running: each holds a reference to self.
            symbols.contextFree(handle) == ShimStatus.ok.rawValue ? nil : model.library.lastError()
        }
    }

    /// Frees the llama.cpp context now instead of at `deinit`. Later calls throw `handleClosed`.
    ///
    /// - Throws: `cleanupFailed` while a call (for example an abandoned timeout worker) is running.
    public func close() throws(ReferenceError) {
        try cell.close { handle in
            symbols.contextFree(handle) == ShimStatus.ok.rawValue ? nil : model.library.lastError()
        }
    }

    /// Positions evaluated so far (where the next token goes); 0 while another call is running.
    public var evaluatedPositions: Int {
        (try? cell.borrow(.exclusive) { Int(symbols.contextNPast($0)) }) ?? 0
    }

    /// True while a call is running on this context (possibly a worker abandoned by a timeout).
    public var isBusy: Bool { cell.isBusy }

    /// Waits until no call is running, polling every millisecond; returns false if `limit` passes first.
    public func waitUntilIdle(limit: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while cell.isBusy {
            if clock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return true
    }

    /// Asks a running eval or greedy call to stop at its next check point (it then fails with `evalFailed`
    /// and the context needs `reset()`). Safe from any thread; does nothing when idle.
    public func requestAbort() {
        cell.withHandleIgnoringBorrows { symbols.contextRequestAbort($0) }
    }

    /// Forgets every evaluated position (clears the KV cache) so the context can be reused.
    ///
    /// - Throws: `contextBusy` while a call runs.
    public func reset() throws(ReferenceError) {
        try cell.borrow(.exclusive) { (handle) throws(ReferenceError) in
            let status = symbols.contextReset(handle)
            guard status == ShimStatus.ok.rawValue else { throw error(for: status, handle: handle, adding: 0) }
        }
    }

    /// Evaluates `tokens` after the positions already evaluated and returns their logits.
    ///
    /// - Throws: `contextOverflow` when the positions would exceed `contextLength` (nothing is evaluated),
    ///   `invalidArgument` for tokens outside the vocabulary, `evalFailed`, `contextBusy`.
    public func eval(_ tokens: [Int32], logits selection: LogitsSelection = .last) throws(ReferenceError)
        -> ReferenceLogits
    {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw .invalidArgument(reason: "eval needs between 1 and Int32.max tokens, got \(tokens.count)")
        }
        let vocabularySize = model.vocabularySize
        let rows = selection == .all ? tokens.count : 1
        let (count, overflow) = rows.multipliedReportingOverflow(by: vocabularySize)
        guard !overflow else { throw .outOfMemory(reason: "\(rows) rows of \(vocabularySize) logits") }
        return try cell.borrow(.exclusive) { (handle) throws(ReferenceError) -> ReferenceLogits in
            var writtenRows: Int32 = 0
            var status = ShimStatus.ok.rawValue
            // Uninitialised on purpose: zeroing rows * vocabularySize floats (100 MB for 512 positions) would
            // delay the shim call, and with it the point from which a timeout's abort request takes effect.
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                status = tokens.withUnsafeBufferPointer { ids in
                    // `out` holds rows * vocabularySize floats, the capacity passed alongside it; on success the
                    // shim has written every one of them.
                    symbols.eval(handle, ids.baseAddress, Int32(ids.count), selection == .all ? 1 : 0,
                                 out.baseAddress, Int64(count), &writtenRows)
                }
                initialized = status == ShimStatus.ok.rawValue ? count : 0
            }
            guard status == ShimStatus.ok.rawValue else {
                throw error(for: status, handle: handle, adding: tokens.count)
            }
            return ReferenceLogits(rows: Int(writtenRows), vocabularySize: vocabularySize, values: values)
        }
    }

    /// Evaluates `prompt`, then appends the arg-max token `steps` times (lowest id on ties).
    ///
    /// - Parameter stopAtEndOfGeneration: stop after an end-of-generation token instead of running all steps.
    /// - Returns: the generated tokens (not including the prompt).
    /// - Throws: `contextOverflow` when prompt and steps do not fit (nothing is evaluated), `evalFailed`, ...
    public func greedy(prompt: [Int32], steps: Int, stopAtEndOfGeneration: Bool = false) throws(ReferenceError)
        -> [Int32]
    {
        guard !prompt.isEmpty, prompt.count < Int(Int32.max), steps >= 0, steps < Int(Int32.max) else {
            throw .invalidArgument(reason: "greedy needs a non-empty prompt and a non-negative step count")
        }
        return try cell.borrow(.exclusive) { (handle) throws(ReferenceError) -> [Int32] in
            var generated = [Int32](repeating: 0, count: steps)
            var count: Int32 = 0
            let status = prompt.withUnsafeBufferPointer { ids in
                generated.withUnsafeMutableBufferPointer { out in
                    // `out` holds `steps` entries; the shim writes at most `steps`.
                    symbols.greedy(handle, ids.baseAddress, Int32(ids.count), Int32(steps),
                                   stopAtEndOfGeneration ? 1 : 0, out.baseAddress, &count)
                }
            }
            guard status == ShimStatus.ok.rawValue else {
                throw error(for: status, handle: handle, adding: prompt.count + max(steps - 1, 0))
            }
            return Array(generated.prefix(Int(count)))
        }
    }

    /// `eval` with a time limit. On timeout the worker is asked to abort, keeps this context alive until it
    /// returns, and leaves the context busy until then (calls throw `contextBusy`; `waitUntilIdle` waits for
    /// it). A worker that had not started yet does not start; one that had finished is unaffected; one that is
    /// running stops at llama.cpp's next check point (or, if the request lands in the instant before the
    /// shim call begins, runs to completion). After an aborted eval, `reset()` before reuse.
    public func eval(_ tokens: [Int32], logits selection: LogitsSelection = .last, timeout: Duration)
        throws(ReferenceError) -> ReferenceLogits
    {
        try withAbortingTimeout(timeout) { () throws(ReferenceError) in try self.eval(tokens, logits: selection) }
    }

    /// `greedy` with a time limit; on timeout behaves like `eval(_:logits:timeout:)`.
    public func greedy(prompt: [Int32], steps: Int, stopAtEndOfGeneration: Bool = false, timeout: Duration)
        throws(ReferenceError) -> [Int32]
    {
        try withAbortingTimeout(timeout) { () throws(ReferenceError) in
            try self.greedy(prompt: prompt, steps: steps, stopAtEndOfGeneration: stopAtEndOfGeneration)
        }
    }

    private func withAbortingTimeout<Value: Sendable>(
        _ limit: Duration, _ call: @escaping @Sendable () throws(ReferenceError) -> Value
    ) throws(ReferenceError) -> Value {
        let timedOut = Locked(false)
        return try ReferenceTimeout.run(
            limit: limit,
            onTimeout: { [self] in
                timedOut.withLock { $0 = true }
                requestAbort()
            },
            { () throws(ReferenceError) -> Value in
                if timedOut.withLock({ $0 }) { throw .timeout(after: limit) }  // the caller already gave up
                return try call()
            })
    }

    /// Maps a failed shim status to a typed error; `adding` is how many positions the call needed.
    private func error(for status: Int32, handle: OpaquePointer, adding: Int) -> ReferenceError {
        let reason = model.library.lastError()
        switch ShimStatus(rawValue: status) {
        case .contextOverflow:
            let past = Int(symbols.contextNPast(handle))
            return .contextOverflow(tokens: past + adding, nCtx: contextLength)
        case .invalidArgument: return .invalidArgument(reason: reason)
        case .outOfMemory: return .outOfMemory(reason: reason)
        case .busy: return .contextBusy
        default: return .evalFailed(reason: reason.isEmpty ? "status \(status)" : reason)
        }
    }
}

/// Which of llama.cpp's CPU configurations a context uses.
public enum ReferencePrecision: String, Sendable, Codable {
    /// llama.cpp's defaults, as llama-cli runs: flash attention (auto → on for CPU) with an F16 key/value cache,
    /// whose attention sums are accumulated in F16.
    case `default`
    /// Flash attention off and an F32 key/value cache: llama.cpp's most precise CPU path, for logit comparisons.
    /// (Its single-token decode then takes a different matmul path from its batched prefill, so greedy runs in this
    /// mode are not bit-consistent with prefill on llama.cpp's own side.)
    case precise

    var shimFlags: UInt32 { self == .precise ? 1 : 0 }
}
