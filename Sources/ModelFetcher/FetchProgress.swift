import Foundation

/// What a fetch is doing, for progress displays and `--json` NDJSON.
public enum FetchEvent: Sendable {
    /// Work on a model began from `source`.
    case started(model: String, source: String, totalBytes: Int64)
    /// `bytes` of `totalBytes` done in `phase` (`download`, `pip`, `extract`, `verify`).
    case progress(model: String, phase: String, bytes: Int64, totalBytes: Int64)
    /// A transient failure; the next attempt starts after `delaySeconds`.
    case retrying(model: String, attempt: Int, delaySeconds: Double, reason: String)
    /// Informational message (waiting for a lock, resuming at an offset, cached already …).
    case note(model: String, message: String)
    /// The model is in the cache at `path`; `downloaded` is false when it was already there.
    case finished(model: String, path: String, downloaded: Bool)
    /// The model could not be fetched.
    case failed(model: String, message: String)
}

/// Receives fetch events; called from the fetching thread (and the download delegate's queue).
public protocol FetchProgressReporter: Sendable {
    func report(_ event: FetchEvent)
}

/// Chooses the display: NDJSON on stdout for `--json`, a redrawn bar on a terminal, plain lines otherwise.
public func makeProgressReporter(json: Bool) -> any FetchProgressReporter {
    if json { return NDJSONProgressReporter() }
    return isatty(STDERR_FILENO) == 1 ? TerminalProgressReporter(bar: true) : TerminalProgressReporter(bar: false)
}

/// Ignores every event.
public struct SilentProgressReporter: FetchProgressReporter {
    /// Reports nothing.
    public init() {}
    /// Ignores `event`.
    public func report(_ event: FetchEvent) {}
}

/// One JSON object per line on stdout: `{"event":"progress","model":…,"phase":…,"bytes":…,"total_bytes":…}`.
public struct NDJSONProgressReporter: FetchProgressReporter {
    /// One JSON object per line on standard output.
    public init() {}
    /// Prints `event`.
    public func report(_ event: FetchEvent) {
        var fields: [String: Any] = ["time": Date().timeIntervalSince1970]
        switch event {
        case .started(let model, let source, let total):
            fields.merge(["event": "started", "model": model, "source": source, "total_bytes": total]) { $1 }
        case .progress(let model, let phase, let bytes, let total):
            fields.merge(["event": "progress", "model": model, "phase": phase, "bytes": bytes, "total_bytes": total]) { $1 }
        case .retrying(let model, let attempt, let delay, let reason):
            fields.merge(["event": "retrying", "model": model, "attempt": attempt, "delay_s": delay, "reason": reason]) { $1 }
        case .note(let model, let message):
            fields.merge(["event": "note", "model": model, "message": message]) { $1 }
        case .finished(let model, let path, let downloaded):
            fields.merge(["event": "finished", "model": model, "path": path, "downloaded": downloaded]) { $1 }
        case .failed(let model, let message):
            fields.merge(["event": "failed", "model": model, "message": message]) { $1 }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        ProgressOutput.shared.write(String(decoding: data, as: UTF8.self) + "\n", to: .standardOutput)
    }
}

/// Human progress on stderr: a bar redrawn in place (bytes, rate, ETA) on a terminal, or a plain line every few
/// seconds when stderr is a file or pipe.
public final class TerminalProgressReporter: FetchProgressReporter, @unchecked Sendable {
    private let bar: Bool
    private let lock = NSLock()
    // Guarded by `lock`.
    private var phaseStart: (phase: String, time: Date, bytes: Int64)?
    private var lastDraw = Date.distantPast
    private var barVisible = false
    private var finishedPhase: String?

    /// A bar redrawn in place when `bar`, else a plain line every few seconds, on standard error.
    public init(bar: Bool) { self.bar = bar }

    /// Shows `event`.
    public func report(_ event: FetchEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let model, let source, let total):
            line("\(model): fetching \(Self.bytes(total)) from \(source)")
        case .progress(let model, let phase, let bytes, let total):
            progress(model: model, phase: phase, bytes: bytes, total: total)
        case .retrying(let model, let attempt, let delay, let reason):
            line("\(model): \(reason); retry \(attempt) in \(String(format: "%.1f", delay)) s")
        case .note(let model, let message):
            line("\(model): \(message)")
        case .finished(let model, let path, let downloaded):
            line("\(model): \(downloaded ? "verified and cached at" : "cached and verified at") \(path)")
        case .failed(let model, let message):
            line("\(model): FAILED: \(message)")
        }
    }

    private func progress(model: String, phase: String, bytes: Int64, total: Int64) {
        let now = Date()
        if phaseStart?.phase != phase || (finishedPhase == phase && bytes < total) {
            phaseStart = (phase, now, bytes)
            lastDraw = now
            finishedPhase = nil
        }
        let done = bytes >= total
        if done && finishedPhase == phase { return }
        if done { finishedPhase = phase }
        let interval = bar ? 0.1 : 5.0
        // Plain lines: one every 5 s, plus a final one for phases long enough to have shown progress.
        let finalLine = done && (bar || now.timeIntervalSince(phaseStart!.time) >= interval)
        guard finalLine || (!done && now.timeIntervalSince(lastDraw) >= interval) else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(phaseStart!.time), 0.001)
        let rate = Double(bytes - phaseStart!.bytes) / elapsed
        let fraction = total > 0 ? min(1, Double(bytes) / Double(total)) : 0
        let eta = rate > 0 && total > bytes ? Self.duration(Double(total - bytes) / rate) : "--"
        let stats = "\(Self.bytes(bytes))/\(Self.bytes(total)) \(Self.bytes(Int64(rate)))/s ETA \(eta)"
        if bar {
            let width = 28
            let filled = Int(fraction * Double(width))
            let drawn = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let text = "\r\(model) \(phase) [\(drawn)] \(String(format: "%3.0f", fraction * 100))% \(stats)\u{1B}[K"
            ProgressOutput.shared.write(text, to: .standardError)
            barVisible = true
            if done {
                ProgressOutput.shared.write("\n", to: .standardError)
                barVisible = false
            }
        } else {
            line("\(model): \(phase) \(String(format: "%.0f", fraction * 100))% \(stats)")
        }
    }

    private func line(_ text: String) {
        if barVisible {
            ProgressOutput.shared.write("\n", to: .standardError)
            barVisible = false
        }
        ProgressOutput.shared.write("[fetch] \(text)\n", to: .standardError)
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s / 60 % 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

/// Serializes writes to stdout/stderr from several threads.
final class ProgressOutput: @unchecked Sendable {
    static let shared = ProgressOutput()
    private let lock = NSLock()

    enum Stream { case standardOutput, standardError }

    func write(_ text: String, to stream: Stream) {
        lock.lock()
        defer { lock.unlock() }
        let handle = stream == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
        try? handle.write(contentsOf: Data(text.utf8))
    }
}
