import BitNetRuntime
import Foundation
import Tokenizers

/// One slot: a session (its own KV cache) and the generator over it. Unchecked-Sendable because it is handed to
/// its thread once and used by that thread only.
final class Slot: @unchecked Sendable {
    /// Position in the pool, for logs.
    let index: Int
    /// The slot's generator (session + tokenizer).
    let generator: Generator
    private let engine: Engine
    /// The slot's embedder, made on first use (its own compute threads, sized as the session's).
    private(set) lazy var embedder = Embedder(model: engine.model, metadata: engine.file.metadata,
                                              threads: generator.session.options.threads)

    init(index: Int, generator: Generator, engine: Engine) {
        self.index = index
        self.generator = generator
        self.engine = engine
    }
}

/// N slots, each served by its own thread, and a bounded FIFO of jobs waiting for one.
///
/// Inference is synchronous and CPU-bound, so it runs on these threads and never on an event loop. A job is a
/// closure handed the slot it runs on; `submit` refuses work once `parallel + maxQueue` jobs are admitted.
final class SlotPool: @unchecked Sendable {
    /// A unit of work run on a slot's thread.
    typealias Job = @Sendable (Slot) -> Void

    /// Number of slots.
    let parallel: Int
    /// Jobs allowed to wait beyond the busy slots.
    let maxQueue: Int

    // Guards `waiting`, `busy`, `stopped` and the counters; `wait()` parks idle slot threads.
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var busy = 0
    private var stopped = false

    /// Builds `parallel` sessions over `engine` and starts one thread per slot.
    init(engine: Engine, options: SessionOptions, parallel: Int, maxQueue: Int) {
        self.parallel = parallel
        self.maxQueue = maxQueue
        for i in 0..<parallel {
            let slot = Slot(index: i, generator: Generator(session: engine.makeSession(options), tokenizer: engine.tokenizer),
                            engine: engine)
            let thread = Thread { [self] in self.serve(slot) }
            thread.name = "bitnet-slot-\(i)"
            // The forward pass keeps its scratch on the heap; 8 MiB matches the main thread's default.
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Admits `job`, or returns false when every slot is busy and `maxQueue` jobs already wait.
    func submit(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, busy + waiting.count < parallel + maxQueue else { return false }
        waiting.append(job)
        condition.signal()
        return true
    }

    /// Jobs waiting for a slot.
    var queueDepth: Int { condition.lock(); defer { condition.unlock() }; return waiting.count }

    /// Slots running a job.
    var busySlots: Int { condition.lock(); defer { condition.unlock() }; return busy }

    /// Stops the threads once the queue is drained (jobs whose client is gone stop at their first token).
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func serve(_ slot: Slot) {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopped { condition.wait() }
            if waiting.isEmpty { condition.unlock(); return }
            let job = waiting.removeFirst()
            busy += 1
            condition.unlock()
            job(slot)
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}

/// A flag the HTTP side sets to stop a job (client gone, timeout), read by the slot thread between tokens.
final class RequestControl: @unchecked Sendable {
    /// When the request must end.
    let deadline: Date
    /// The timeout the deadline came from, for the error message.
    let timeoutSeconds: Double
    private let lock = NSLock()
    private var cancelled = false

    init(timeoutSeconds: Double) {
        self.timeoutSeconds = timeoutSeconds
        deadline = Date(timeIntervalSinceNow: timeoutSeconds)
    }

    /// Asks the job to stop at its next token.
    func cancel() { lock.lock(); cancelled = true; lock.unlock() }

    /// Whether the client went away.
    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    /// Whether the deadline passed.
    var isExpired: Bool { Date() >= deadline }
}
