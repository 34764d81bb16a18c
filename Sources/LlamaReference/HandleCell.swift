/// How many shim handles are alive in this process. Tests read these to prove every handle is freed once.
public enum LiveReferenceHandles {
    private static let counts = Locked<(models: Int, contexts: Int)>((0, 0))

    /// Models loaded and not yet freed.
    public static var models: Int { counts.withLock { $0.models } }
    /// Contexts created and not yet freed.
    public static var contexts: Int { counts.withLock { $0.contexts } }

    static func adjust(_ kind: HandleCell.Kind, by delta: Int) {
        counts.withLock { value in
            switch kind {
            case .model: value.models += delta
            case .context: value.contexts += delta
            }
        }
    }
}

/// Owns one opaque shim handle and arbitrates its use: calls borrow it (shared for models, exclusive for
/// contexts), `close` frees it only when no call is running, and it is freed exactly once — by `close` or by
/// the owner's `deinit`, whichever comes first.
final class HandleCell: @unchecked Sendable {
    // @unchecked: the handle and the borrow counts are only read or written under `state`'s lock; the handle
    // itself is only dereferenced by the shim while a borrow is outstanding, so `close` cannot free it
    // underneath a running call.

    enum Kind: String {
        case model
        case context
    }

    enum Access {
        /// Several calls may run at once (read-only model queries such as tokenize).
        case shared
        /// One call at a time (everything on a context).
        case exclusive
    }

    private struct State {
        var handle: OpaquePointer?
        var activeCalls = 0
        var exclusiveActive = false
    }

    let kind: Kind
    private let state: Locked<State>

    /// Takes ownership of a live `handle` and counts it in `LiveReferenceHandles`.
    init(_ handle: OpaquePointer, kind: Kind) {
        self.kind = kind
        self.state = Locked(State(handle: handle))
        LiveReferenceHandles.adjust(kind, by: 1)
    }

    /// True while a call is borrowing the handle.
    var isBusy: Bool { state.withLock { $0.activeCalls > 0 } }

    /// True once the handle has been freed.
    var isClosed: Bool { state.withLock { $0.handle == nil } }

    /// Runs `body` with the handle borrowed. Throws `contextBusy` if the access conflicts with a running call,
    /// `handleClosed` after `close`.
    func borrow<Result>(
        _ access: Access, _ body: (OpaquePointer) throws(ReferenceError) -> Result
    ) throws(ReferenceError) -> Result {
        let handle = try state.withLock { (state) throws(ReferenceError) -> OpaquePointer in
            guard let handle = state.handle else { throw .handleClosed(handle: kind.rawValue) }
            if state.exclusiveActive || (access == .exclusive && state.activeCalls > 0) { throw .contextBusy }
            state.activeCalls += 1
            if access == .exclusive { state.exclusiveActive = true }
            return handle
        }
        defer {
            state.withLock { state in
                state.activeCalls -= 1
                if access == .exclusive { state.exclusiveActive = false }
            }
        }
        return try body(handle)
    }

    /// Runs `body` with the handle while holding the lock, ignoring borrows: only for calls the shim documents
    /// as safe during another call (requesting an abort). Does nothing after `close`.
    func withHandleIgnoringBorrows(_ body: (OpaquePointer) -> Void) {
        state.withLock { state in
            if let handle = state.handle { body(handle) }
        }
    }

    /// Frees the handle with `free` (which returns nil on success or the reason it refused).
    /// Throws `cleanupFailed` while a call is running or when `free` refuses; a second close is a no-op.
    func close(_ free: (OpaquePointer) -> String?) throws(ReferenceError) {
        try state.withLock { (state) throws(ReferenceError) in
            guard let handle = state.handle else { return }
            if state.activeCalls > 0 {
                throw .cleanupFailed(handle: kind.rawValue, reason: "\(state.activeCalls) call(s) still running")
            }
            if let reason = free(handle) { throw .cleanupFailed(handle: kind.rawValue, reason: reason) }
            state.handle = nil
            LiveReferenceHandles.adjust(kind, by: -1)
        }
    }
}
