import Foundation
import GGUF
import Synchronization

/// The checks behind `bitnet_check_health`.
enum HealthCheck {
    /// The file behind `file`'s mapping is still at least as long as the mapping (a shorter file would make
    /// reads of the missing pages fault), and the mapping's first and last bytes can be read.
    static func mapping(of file: GGUFFile) throws(CAPIError) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw CAPIError(.fileNotFound, "the model file \(file.path) is gone; the mapping may fault when read")
        }
        let bytes = file.storage.buffer
        guard size >= bytes.count else {
            throw CAPIError(.invalidModel, "the model file \(file.path) shrank from \(bytes.count) to \(size) bytes "
                + "while mapped; reload it")
        }
        // The file covers the whole mapping (checked above), so both reads are in bounds of mapped pages.
        guard !bytes.isEmpty else { return }
        var sink = bytes[0]
        sink &+= bytes[bytes.count - 1]
        withExtendedLifetime(sink) {}
    }

    /// The inference is not in a failed state and every worker thread of its pool runs its share of a probe
    /// `parallelFor` within `timeout` seconds. The probe takes the inference's lock, so it waits for a token in
    /// progress on another thread; a pool that never answers is reported, not waited on forever.
    static func workers(of inference: InferenceObject, timeout: Double = 10) throws(CAPIError) {
        let outcome = Mutex<WorkerProbe?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let probe = inference.stream.withLock { $0.probeWorkers() }
            outcome.withLock { $0 = probe }
            finished.signal()
        }
        guard finished.wait(timeout: .now() + timeout) == .success, let probe = outcome.withLock({ $0 }) else {
            throw CAPIError(.internal, "an inference's worker threads did not answer within \(Int(timeout)) s")
        }
        if probe.failed { throw CAPIError(.inferenceFailed, "an inference of this context failed earlier; free it") }
        guard probe.ranges == probe.threads else {
            throw CAPIError(.internal, "an inference's pool ran \(probe.ranges) of \(probe.threads) probe ranges")
        }
    }
}

/// What `TokenStream.probeWorkers` found.
struct WorkerProbe: Sendable {
    var failed: Bool
    /// Ranges the probe ran, and the pool's threads (one range each).
    var ranges: Int, threads: Int
}
