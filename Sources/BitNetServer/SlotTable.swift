import Foundation

/// What `GET /slots` reports of each slot and `/metrics` sums: its state, the tokens its KV cache holds, and how
/// often a request reused them (the prompt cache).
final class SlotTable: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`.

    /// One slot's record, as `/slots` shows it.
    struct Entry: Encodable, Sendable {
        let id: Int
        var state = "idle"
        /// Tokens in the slot's KV cache (its prompt cache), as of its last request.
        var cached_tokens = 0
        /// Requests the slot has run.
        var requests = 0
        /// Requests that reused at least one cached token.
        var cache_hits = 0
        /// Prompt tokens taken from the cache instead of evaluated, over all requests.
        var reused_tokens = 0
        /// Prompt tokens evaluated, over all requests.
        var evaluated_tokens = 0
    }

    private let lock = NSLock()
    private var entries: [Entry]

    init(count: Int) { entries = (0..<count).map { Entry(id: $0) } }

    /// A request began on `slot`, reusing `reused` cached tokens and evaluating `evaluated`.
    func started(slot: Int, reused: Int, evaluated: Int) {
        update(slot) {
            $0.state = "processing"
            $0.requests += 1
            if reused > 0 { $0.cache_hits += 1 }
            $0.reused_tokens += reused
            $0.evaluated_tokens += evaluated
        }
    }

    /// The request on `slot` ended with `cached` tokens in its cache.
    func finished(slot: Int, cached: Int) {
        update(slot) {
            $0.state = "idle"
            $0.cached_tokens = cached
        }
    }

    /// Every slot's record.
    var snapshot: [Entry] { lock.lock(); defer { lock.unlock() }; return entries }

    private func update(_ slot: Int, _ body: (inout Entry) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard entries.indices.contains(slot) else { return }
        body(&entries[slot])
    }
}
