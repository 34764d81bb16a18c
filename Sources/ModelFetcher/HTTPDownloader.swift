import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads one URL into a `.partial` file, resuming with HTTP Range from whatever the file already holds.
///
/// Transient failures (connection resets, 5xx, 408/429, stalls) are retried with exponential backoff; the count
/// resets whenever an attempt made progress, so a flaky link that keeps delivering bytes is never abandoned.
/// 404, 401/403 and local disk errors are final. Redirects are followed by URLSession.
public struct HTTPDownloader: Sendable {
    /// Consecutive attempts without progress before giving up.
    public var maxAttempts = 6
    /// First retry delay in seconds; doubles per consecutive failure up to `maxBackoff`.
    public var initialBackoff = 0.5
    /// Longest retry delay in seconds.
    public var maxBackoff = 15.0
    /// Seconds without a byte before an attempt is abandoned (and retried).
    public var stallTimeout = 30.0

    /// The defaults above.
    public init() {}

    /// Fills `partial` with the `expectedSize` bytes at `url`. `progress` gets the file's length so far.
    func download(url: URL, to partial: String, expectedSize: Int64, progress: @escaping @Sendable (Int64) -> Void,
                  retrying: (Int, Double, String) -> Void, note: (String) -> Void) throws {
        var failures = 0
        while true {
            let before = Self.fileSize(partial)
            if before > expectedSize { try Self.truncate(partial, to: 0) }
            let offset = Self.fileSize(partial)
            if offset == expectedSize { return }
            if offset > 0 { note("resuming at byte \(offset) of \(expectedSize)") }
            let outcome = try attempt(url: url, partial: partial, offset: offset, expectedSize: expectedSize,
                                      progress: progress)
            switch outcome {
            case .complete:
                return
            case .transient(let reason):
                failures = Self.fileSize(partial) > offset ? 1 : failures + 1
                guard failures < maxAttempts else {
                    throw FetchError.retriesExhausted(url: url.absoluteString, attempts: failures, lastError: reason)
                }
                let delay = min(initialBackoff * pow(2, Double(failures - 1)), maxBackoff)
                retrying(failures, delay, reason)
                Thread.sleep(forTimeInterval: delay)
            }
        }
    }

    enum AttemptOutcome { case complete, transient(String) }

    private func attempt(url: URL, partial: String, offset: Int64, expectedSize: Int64,
                         progress: @escaping @Sendable (Int64) -> Void) throws -> AttemptOutcome {
        if !FileManager.default.fileExists(atPath: partial) {
            guard FileManager.default.createFile(atPath: partial, contents: nil) else {
                throw FetchError.local(errno: errno, path: partial)
            }
        }
        guard let handle = FileHandle(forWritingAtPath: partial) else { throw FetchError.local(errno: errno, path: partial) }
        defer { try? handle.close() }
        do { try handle.seek(toOffset: UInt64(offset)) } catch { throw FetchError.local(error, path: partial) }

        var request = URLRequest(url: url)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        let delegate = DownloadDelegate(handle: handle, path: partial, url: url, offset: offset,
                                        expectedSize: expectedSize, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = stallTimeout + 5
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        let task = session.dataTask(with: request)
        delegate.task = task
        let watchdog = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        let tick = max(0.05, min(1.0, stallTimeout / 4))
        watchdog.schedule(deadline: .now() + tick, repeating: tick)
        watchdog.setEventHandler { [stallTimeout] in delegate.checkStall(timeout: stallTimeout) }
        watchdog.resume()
        task.resume()
        delegate.done.wait()
        watchdog.cancel()
        session.finishTasksAndInvalidate()
        return try delegate.outcome()
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func truncate(_ path: String, to size: Int64) throws {
        guard Foundation.truncate(path, off_t(size)) == 0 || errno == ENOENT else {
            throw FetchError.local(errno: errno, path: path)
        }
    }
}

/// Writes a data task's body into the partial file and decides what the response means.
private final class DownloadDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var task: URLSessionDataTask?
    private let handle: FileHandle
    private let path: String
    private let url: URL
    private let offset: Int64
    private let expectedSize: Int64
    private let progress: @Sendable (Int64) -> Void
    private let lock = NSLock()
    // Guarded by `lock`.
    private var written: Int64
    private var lastData = Date()
    private var result: Result<HTTPDownloader.AttemptOutcome, FetchError>?

    init(handle: FileHandle, path: String, url: URL, offset: Int64, expectedSize: Int64,
         progress: @escaping @Sendable (Int64) -> Void) {
        self.handle = handle
        self.path = path
        self.url = url
        self.offset = offset
        self.expectedSize = expectedSize
        self.progress = progress
        written = offset
    }

    /// The attempt's result once `done` was signalled.
    func outcome() throws -> HTTPDownloader.AttemptOutcome {
        lock.lock()
        defer { lock.unlock() }
        switch result {
        case .success(let o): return o
        case .failure(let e): throw e
        case nil: return .transient("the connection ended without a result")
        }
    }

    /// Records the first decision only; later ones (e.g. the cancellation error it causes) are ignored.
    private func decide(_ r: Result<HTTPDownloader.AttemptOutcome, FetchError>, cancel: Bool) {
        lock.lock()
        if result == nil { result = r }
        lock.unlock()
        if cancel { task?.cancel() }
    }

    func checkStall(timeout: Double) {
        lock.lock()
        let stalled = result == nil && Date().timeIntervalSince(lastData) > timeout
        lock.unlock()
        if stalled { decide(.success(.transient("no data for \(Int(timeout)) s")), cancel: true) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            completionHandler(.allow)
            return
        }
        let u = url.absoluteString
        switch http.statusCode {
        case 200:
            if offset > 0 {
                // The server ignored Range: start the file over.
                do {
                    try handle.truncate(atOffset: 0)
                } catch {
                    decide(.failure(FetchError.local(error, path: path)), cancel: false)
                    completionHandler(.cancel)
                    return
                }
                lock.lock()
                written = 0
                lock.unlock()
            }
            completionHandler(.allow)
        case 206:
            let range = http.value(forHTTPHeaderField: "Content-Range") ?? ""
            if Self.rangeStart(range) == offset {
                completionHandler(.allow)
            } else {
                try? handle.truncate(atOffset: 0)
                decide(.success(.transient("server answered Range \(offset) with '\(range)'; starting over")), cancel: false)
                completionHandler(.cancel)
            }
        case 416:
            if offset != expectedSize { try? handle.truncate(atOffset: 0) }
            decide(.success(offset == expectedSize ? .complete : .transient("HTTP 416 at byte \(offset)")), cancel: false)
            completionHandler(.cancel)
        case 404, 410:
            decide(.failure(.notFound(url: u)), cancel: false)
            completionHandler(.cancel)
        case 401, 403:
            decide(.failure(.forbidden(url: u, status: http.statusCode)), cancel: false)
            completionHandler(.cancel)
        case 408, 425, 429, 500...599:
            decide(.success(.transient("HTTP \(http.statusCode)")), cancel: false)
            completionHandler(.cancel)
        default:
            decide(.failure(.httpStatus(url: u, status: http.statusCode)), cancel: false)
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let decided = result != nil
        let total = written + Int64(data.count)
        lock.unlock()
        if decided { return }
        guard total <= expectedSize else {
            decide(.failure(.sizeMismatch(model: url.lastPathComponent, expected: expectedSize, got: total,
                                          source: url.absoluteString)), cancel: true)
            return
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            decide(.failure(FetchError.local(error, path: path)), cancel: true)
            return
        }
        lock.lock()
        written = total
        lastData = Date()
        lock.unlock()
        progress(total)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error {
            decide(.success(.transient((error as NSError).localizedDescription)), cancel: false)
        } else {
            lock.lock()
            let complete = written == expectedSize
            let got = written
            lock.unlock()
            decide(.success(complete ? .complete : .transient("connection closed at byte \(got) of \(expectedSize)")),
                   cancel: false)
        }
        done.signal()
    }

    /// The first byte of `bytes START-END/TOTAL`.
    static func rangeStart(_ header: String) -> Int64? {
        guard let rest = header.split(separator: " ").last, let dash = rest.firstIndex(of: "-") else { return nil }
        return Int64(rest[..<dash])
    }
}
