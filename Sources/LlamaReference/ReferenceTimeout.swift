import Dispatch
import Foundation

/// Runs a reference call (load, tokenize, eval) on a worker thread with a time limit.
///
/// What happens to an abandoned worker: a thread running C code cannot be cancelled safely, so on timeout
/// the caller gets `ReferenceError.timeout(after:)` at once while the worker **runs to completion**. Its
/// closure holds strong references to everything it uses (model, context), so nothing it touches is freed
/// under it; those objects are released — and their llama.cpp handles freed — when the worker returns and
/// the caller has dropped its own references. Meanwhile a context it uses stays busy: other calls on it throw
/// `contextBusy` rather than race (`LlamaContext.waitUntilIdle` waits). The context-level wrappers also pass an
/// `onTimeout` that asks llama.cpp to abort, so the worker usually returns within one graph step; the aborted
/// context then needs `reset()`. The worker's own result or error is discarded.
public enum ReferenceTimeout {
    /// The default limit for reference calls (overridden by the CLI's `--timeout`).
    public static let defaultLimit: Duration = .seconds(300)

    /// Runs `operation` on a new thread and waits at most `limit` for it; the calling thread blocks meanwhile.
    ///
    /// - Parameters:
    ///   - onTimeout: called on the caller's thread when the limit passes, before throwing (e.g. to request
    ///     an abort).
    /// - Throws: `timeout(after: limit)`, or whatever `operation` threw.
    public static func run<Value: Sendable>(
        limit: Duration,
        onTimeout: @Sendable () -> Void = {},
        _ operation: @escaping @Sendable () throws(ReferenceError) -> Value
    ) throws(ReferenceError) -> Value {
        let outcome = Outcome<Value>()
        let worker = Thread {
            // `outcome` and everything `operation` captured stay alive until this closure returns.
            do throws(ReferenceError) {
                outcome.finish(.success(try operation()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        worker.name = "bitnet.reference.worker"
        worker.stackSize = 8 << 20  // llama.cpp's loaders use deep stacks; the default secondary stack is small
        worker.start()
        guard let result = outcome.wait(limit: limit) else {
            onTimeout()
            throw .timeout(after: limit)
        }
        return try result.get()
    }
}

/// A one-shot result slot the worker fills and the caller waits on.
private final class Outcome<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is only touched under `lock`; `done` is a semaphore (thread-safe by design).
    private let lock = NSLock()
    private var result: Result<Value, ReferenceError>?
    private let done = DispatchSemaphore(value: 0)

    func finish(_ value: Result<Value, ReferenceError>) {
        lock.lock()
        result = value
        lock.unlock()
        done.signal()
    }

    /// The result, or nil if `limit` passed first.
    func wait(limit: Duration) -> Result<Value, ReferenceError>? {
        let (seconds, attoseconds) = limit.components
        let (whole, overflow) = max(0, seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let nanoseconds = overflow ? Int64.max : whole.addingReportingOverflow(max(0, attoseconds) / 1_000_000_000).partialValue
        let deadline: DispatchTime = overflow ? .distantFuture : .now() + .nanoseconds(Int(clamping: nanoseconds))
        guard done.wait(timeout: deadline) == .success else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return result
    }
}
