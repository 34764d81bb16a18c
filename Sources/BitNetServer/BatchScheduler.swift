import BitNetModels
import BitNetRuntime
import Foundation
import Kernels

/// What the handlers need of whatever runs the jobs: `SlotPool` (one thread per slot) or `BatchScheduler`
/// (continuous batching).
protocol JobRunner: Sendable {
    /// Slots.
    var parallel: Int { get }
    /// Jobs allowed to wait beyond the busy slots.
    var maxQueue: Int { get }
    /// Jobs waiting for a slot.
    var queueDepth: Int { get }
    /// Slots running a job.
    var busySlots: Int { get }
    /// Admits a generation, or returns false when the queue is full.
    func submit(_ job: GenerationJob) -> Bool
    /// Admits other work (embeddings) run on a slot's thread, or returns false when the queue is full.
    func submitWork(_ work: @escaping SlotPool.Job) -> Bool
    /// Stops once the queue is drained.
    func shutdown()
}

extension SlotPool: JobRunner {
    func submit(_ job: GenerationJob) -> Bool { submit { slot in job.run(on: slot) } }
    func submitWork(_ work: @escaping Job) -> Bool { submit(work) }
}

/// Continuous batching: `parallel` sessions served by one thread that, each step, evaluates the pending token of
/// every active generation in one batched forward pass (`InferenceSession.decodeBatch`: the weights are read once
/// for all of them), then samples each; waiting requests join as slots free, finished ones leave between steps.
///
/// A joining request takes the free slot whose cache shares the longest prefix with its prompt (ties: the lowest
/// slot), so a repeated system prompt is evaluated once per slot (`cache_prompt`, on by default).
/// A joining request's prompt is evaluated in chunks of at most `batchSize` tokens, one chunk per scheduler
/// iteration between the others' decode steps, so a long prompt delays the running streams by one chunk at a time
/// instead of its whole length (llama-server's chunked prefill, `--batch-size`).
final class BatchScheduler: JobRunner, @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `condition`; sessions and the compute context are used only by
    // the scheduler thread.
    let parallel: Int
    let maxQueue: Int
    /// Prompt tokens a joining request evaluates per iteration.
    let batchSize: Int

    private enum Work {
        case generation(GenerationJob)
        case other(SlotPool.Job)
    }

    private let condition = NSCondition()
    private var waiting: [Work] = []
    private var busy = 0
    private var stopped = false

    private let engine: Engine
    private let sessions: [InferenceSession]
    /// Threads and buffers of the batched passes.
    private let context: ComputeContext
    private let metrics: ServerMetrics
    /// The slot other work runs with (its embedder), on the scheduler thread between steps.
    private let workSlot: Slot

    /// Builds `parallel` sessions over `engine` and starts the scheduler thread.
    init(engine: Engine, options: SessionOptions, parallel: Int, maxQueue: Int, batchSize: Int, metrics: ServerMetrics) {
        self.metrics = metrics
        self.batchSize = batchSize
        self.parallel = parallel
        self.maxQueue = maxQueue
        self.engine = engine
        sessions = (0..<parallel).map { _ in engine.makeSession(options) }
        context = ComputeContext(threads: options.threads)
        workSlot = Slot(index: 0, generator: Generator(session: sessions[0], tokenizer: engine.tokenizer), engine: engine)
        let thread = Thread { [self] in self.loop() }
        thread.name = "bitnet-batch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ job: GenerationJob) -> Bool { admit(.generation(job)) }
    func submitWork(_ work: @escaping SlotPool.Job) -> Bool { admit(.other(work)) }

    var queueDepth: Int { condition.lock(); defer { condition.unlock() }; return waiting.count }
    var busySlots: Int { condition.lock(); defer { condition.unlock() }; return busy }

    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func admit(_ work: Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, busy + waiting.count < parallel + maxQueue else { return false }
        waiting.append(work)
        condition.signal()
        return true
    }

    private func loop() {
        var active: [Int: ActiveGeneration] = [:]  // slot → its generation
        while true {
            // Take what can start: every waiting job while a slot is free, and all other work.
            condition.lock()
            while waiting.isEmpty && active.isEmpty && !stopped { condition.wait() }
            if waiting.isEmpty && active.isEmpty { condition.unlock(); return }
            var joining: [GenerationJob] = [], other: [SlotPool.Job] = []
            var free = parallel - active.count
            var kept: [Work] = []
            for work in waiting {
                switch work {
                case .other(let w): other.append(w)
                case .generation(let job):
                    if free == 0 { kept.append(work) } else { joining.append(job); free -= 1 }
                }
            }
            waiting = kept
            busy = active.count + joining.count
            condition.unlock()

            for work in other { work(workSlot) }
            for job in joining {
                // The prompt cache: the free slot whose cached tokens share the longest prefix with this prompt.
                let ids = job.prompt.tokens(engine.tokenizer)
                let slot = (0..<parallel).filter { active[$0] == nil }.max { a, b in
                    (job.cachePrompt ? sessions[a].commonPrefixLength(with: ids) : 0, b)
                        < (job.cachePrompt ? sessions[b].commonPrefixLength(with: ids) : 0, a)
                }!
                if let generation = job.start(in: sessions[slot], tokenizer: engine.tokenizer, slotIndex: slot, tokens: ids,
                                              deferPrefill: true) {
                    active[slot] = generation
                }
            }
            // One prompt chunk per prefilling request, then one decode step of the others.
            for slot in active.keys.sorted() where active[slot]!.isPrefilling {
                if !active[slot]!.prefill(upTo: batchSize) { active[slot] = nil }
            }
            step(&active)
            condition.lock()
            busy = active.count
            condition.unlock()
        }
    }

    /// One decode step of every active generation: their pending tokens in one batched pass, then a sample each.
    private func step(_ active: inout [Int: ActiveGeneration]) {
        let slots = active.keys.sorted().filter { !active[$0]!.isPrefilling }
        let pending = slots.filter { active[$0]!.steps.pendingToken != nil }
        if !pending.isEmpty {
            let vocab = engine.model.hyperParameters.vocabSize
            do {
                let logits = try InferenceSession.decodeBatch(
                    pending.map { (session: sessions[$0], token: active[$0]!.steps.pendingToken!) },
                    model: engine.model, context: context)
                metrics.batchedStep(rows: pending.count)
                for (row, slot) in pending.enumerated() {
                    active[slot]!.steps.provideLogits(UnsafeBufferPointer(rebasing: logits[(row * vocab)..<((row + 1) * vocab)]))
                }
            } catch {
                // A failed pass leaves the batch's caches unknown: end those generations.
                for slot in pending {
                    active[slot]!.job.fail(ServerError(error))
                    active[slot] = nil
                }
            }
        }
        for slot in slots where !active[slot]!.advance() { active[slot] = nil }
    }
}
