import Foundation
import Synchronization

/// Persistent worker threads that run a parallel-for over `0..<count`, split into one contiguous range per thread,
/// or (`parallelFor(_:chunk:_:)`) handed out in chunks to whichever thread is free.
///
/// Built for the decode loop, which calls it a few hundred times per token: the caller publishes a job by bumping
/// an atomic generation counter, workers that are spinning pick it up within nanoseconds, workers that have been
/// idle longer sleep on a condition variable and are woken only when they are asleep. The calling thread runs the
/// first range itself, then spins until the others finish. A call with a `ParallelWork` value allocates nothing.
///
/// On macOS before 15 (no `Synchronization.Atomic`) the pool runs everything on the calling thread.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is in `Shared`, whose fields are either atomics or guarded by
    // `condition`, and `job`, which is written only while no job is published (see `Shared`).

    /// Threads that execute a `parallelFor`, including the calling thread.
    public let threadCount: Int
    private let shared: AnyObject?

    /// Physical cores of this machine (distinct core ids in /proc/cpuinfo on Linux), or the logical processor
    /// count where that is unavailable.
    public static var physicalCoreCount: Int {
        HostCPU.current.physicalCores ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// Starts `threadCount − 1` worker threads (values below 1 mean 1). Default: physical cores.
    public init(threadCount: Int = ThreadPool.physicalCoreCount) {
        if #available(macOS 15, *) {
            let count = max(1, threadCount)
            let shared = Shared(workers: count - 1)
            for index in 1..<count {
                let thread = Thread { shared.workerLoop(index: index) }
                thread.name = "bitnet-kernels-\(index)"
                thread.start()
            }
            self.threadCount = count
            self.shared = shared
        } else {
            self.threadCount = 1
            self.shared = nil
        }
    }

    deinit {
        if #available(macOS 15, *), let shared { unsafeDowncast(shared, to: Shared.self).stop() }
    }

    /// The range of `0..<count` that thread `index` of `threads` runs.
    @inline(__always)
    public static func range(_ index: Int, of threads: Int, count: Int) -> Range<Int> {
        (count * index / threads)..<(count * (index + 1) / threads)
    }

    /// Runs `body` over `0..<count` split into `threadCount` contiguous ranges, one per thread (empty ranges are
    /// skipped), and returns when all have finished. `body` must not call `parallelFor` on the same pool.
    ///
    /// Handing a non-escaping closure to other threads costs one small heap block per call (the box Swift's
    /// `withoutActuallyEscaping` checks for escapes); loops that must not allocate (decode) pass a `ParallelWork`
    /// value instead.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        guard threadCount > 1, count > 1 else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in parallelFor(count, ClosureWork(body: body)) }
    }

    /// Runs `body` over `0..<count` in chunks of `chunk` indices handed to whichever thread asks next (an atomic
    /// counter), and returns when all have finished: for work whose pieces are many and whose threads may run at
    /// different speeds (another process on a core, or its SMT sibling, slows one thread; a static split then waits
    /// for the slowest). A thread may run several chunks, one after another; a one-thread pool, or a count of at
    /// most `chunk`, runs `0..<count` as one call. `body` must not call `parallelFor` on the same pool.
    public func parallelFor(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        guard threadCount > 1, count > chunk else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in parallelFor(count, chunk: chunk, ClosureWork(body: body)) }
    }

    /// `parallelFor(_:chunk:_:)` for a `ParallelWork` value (no allocation).
    @inlinable
    public func parallelFor<Work: ParallelWork>(_ count: Int, chunk: Int, _ work: Work) {
        guard count > 0 else { return }
        guard threadCount > 1, count > chunk else { return work.run(0..<count, thread: 0) }
        withUnsafePointer(to: work) { pointer in
            dispatch(count, chunk: max(1, chunk), UnsafeRawPointer(pointer)) { context, range, thread in
                context.assumingMemoryBound(to: Work.self).pointee.run(range, thread: thread)
            }
        }
    }

    /// A closure as `ParallelWork` (a struct field keeps the closure's own representation, where storing it as a
    /// generic value would wrap it in a reabstraction thunk, a second allocation).
    struct ClosureWork: ParallelWork {
        let body: (Range<Int>) -> Void
        func run(_ range: Range<Int>, thread: Int) { body(range) }
    }

    /// Runs `work.run` over `0..<count` like `parallelFor(_:_:)`, without allocating: the workers read `work`
    /// through a pointer to the caller's stack, and the function that calls it captures nothing once the compiler
    /// has specialised this method for `Work` (it is inlinable for that reason).
    @inlinable
    public func parallelFor<Work: ParallelWork>(_ count: Int, _ work: Work) {
        guard count > 0 else { return }
        guard threadCount > 1, count > 1 else { return work.run(0..<count, thread: 0) }
        withUnsafePointer(to: work) { pointer in
            dispatch(count, UnsafeRawPointer(pointer)) { context, range, thread in
                context.assumingMemoryBound(to: Work.self).pointee.run(range, thread: thread)
            }
        }
    }

    /// Publishes one job: `invoke(context, range)` for each thread's range of `0..<count` (with `chunk` > 0: for
    /// chunks of `chunk` indices, taken in turn by whichever thread is free); returns when all ran. `context` must
    /// stay valid until then (the callers pass a pointer to their stack).
    @usableFromInline
    func dispatch(_ count: Int, chunk: Int = 0, _ context: UnsafeRawPointer, _ invoke: @escaping Invoke) {
        guard #available(macOS 15, *), let shared else { return invoke(context, 0..<count, 0) }
        unsafeDowncast(shared, to: Shared.self).run(count: count, threads: threadCount, chunk: chunk,
                                                    context: context, invoke)
    }

    /// A job's entry point: the caller's context pointer, one thread's range and that thread's index.
    @usableFromInline
    typealias Invoke = (UnsafeRawPointer, Range<Int>, Int) -> Void
}

/// A unit of work for `ThreadPool.parallelFor(_:_:)`: a value (usually a struct of pointers and sizes) whose
/// `run` handles one contiguous range of the indices. Unlike a closure it reaches the worker threads without a
/// heap allocation, which is what the decode loop needs.
public protocol ParallelWork {
    /// Handles indices `range` on thread `thread` (0 is the caller, 1..<threadCount the workers; each thread runs
    /// at most one range per call, so `thread` can index per-thread scratch memory). Called concurrently for
    /// disjoint ranges.
    func run(_ range: Range<Int>, thread: Int)
}

@available(macOS 15, *)
private final class Shared: @unchecked Sendable {
    // @unchecked Sendable: `generation`/`pending`/`stopping` are atomics; `sleepers` is guarded by `condition`;
    // `job` is written by the caller only before it bumps `generation` (release) and read by workers only after
    // they observe that bump (acquire), and it is not touched again until `pending` returns to 0 (acquire).
    let generation = Atomic<Int>(0)
    let pending = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    /// The next unclaimed index of a chunked job.
    let next = Atomic<Int>(0)
    let condition = NSCondition()
    var sleepers = 0
    var job: ThreadPool.Invoke?
    var jobContext: UnsafeRawPointer?
    var jobCount = 0, jobThreads = 1, jobChunk = 0
    let workers: Int

    /// Spin iterations before a worker sleeps: long enough to bridge the gap between two matmuls of a token.
    static let spinLimit = 1 << 16

    init(workers: Int) { self.workers = workers }

    /// Runs `work` on `threads` contiguous slices of `0..<count` (slice 0 on the caller, slice i on worker i), or
    /// with `chunk` > 0 on chunks claimed from `next` by every thread until none is left.
    func run(count: Int, threads: Int, chunk: Int, context: UnsafeRawPointer, _ work: @escaping ThreadPool.Invoke) {
        job = work
        jobContext = context
        jobCount = count
        jobThreads = threads
        jobChunk = chunk
        next.store(0, ordering: .relaxed)  // published by the releasing bump of `generation` below
        pending.store(workers, ordering: .relaxed)
        generation.add(1, ordering: .releasing)
        condition.lock()
        if sleepers > 0 { condition.broadcast() }
        condition.unlock()
        perform(0)
        var spins = 0
        while pending.load(ordering: .acquiring) != 0 {
            spins += 1
            if spins < Shared.spinLimit { spinHint() } else { sched_yield() }
        }
        job = nil
        jobContext = nil
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen, spins < Shared.spinLimit {
                spins += 1
                spinHint()
            }
            if generation.load(ordering: .acquiring) == seen {
                condition.lock()
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { condition.wait() }
                sleepers -= 1
                condition.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            perform(index)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Slice `index` of the current job, or chunks of it until none is left (the job's fields are written before
    /// `generation` was bumped, read after observing it).
    @inline(__always) func perform(_ index: Int) {
        guard let job, let jobContext else { return }
        if jobChunk == 0 {
            let range = ThreadPool.range(index, of: jobThreads, count: jobCount)
            if !range.isEmpty { job(jobContext, range, index) }
            return
        }
        while true {
            let start = next.add(jobChunk, ordering: .relaxed).oldValue
            if start >= jobCount { return }
            job(jobContext, start..<min(start + jobChunk, jobCount), index)
        }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        generation.add(1, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Nothing: `_mm_pause` is an external symbol (not an inline function) when imported into Swift, and a call
    /// into the atomic load per iteration is already a light enough spin on the two cores we target.
    @inline(__always) func spinHint() {}
}
