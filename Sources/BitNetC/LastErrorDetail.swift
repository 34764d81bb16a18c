#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-thread message behind `bitnet_last_error_detail()`: a `strdup`'d C string in a pthread key, freed when
/// it is replaced and when the thread exits.
enum LastErrorDetail {
    /// The key; its destructor frees a thread's string at thread exit.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        // pthread_key_create fails only when the process has used up PTHREAD_KEYS_MAX keys; then `key` stays 0
        // and details are shared through key 0's slot at worst, which is still memory-safe.
        _ = pthread_key_create(&key) { free($0) }
        return key
    }()

    /// The empty string returned when the last call succeeded (a literal: static storage).
    private static let empty: StaticString = "\0"

    /// Replaces this thread's message.
    static func set(_ message: String) {
        free(pthread_getspecific(key))
        _ = pthread_setspecific(key, strdup(message))
    }

    /// Forgets this thread's message (the call in progress succeeded so far).
    static func clear() {
        guard let old = pthread_getspecific(key) else { return }
        free(old)
        _ = pthread_setspecific(key, nil)
    }

    /// This thread's message, or "" — valid until the next `set`/`clear` on this thread.
    static var current: UnsafePointer<CChar> {
        if let p = pthread_getspecific(key) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// Runs one C API call: clears this thread's detail, maps a thrown `CAPIError` to `*err` and the detail, and
/// returns `onError(error)` instead of the body's value when it throws. Nothing thrown gets past this.
func cBoundary<T>(_ err: UnsafeMutablePointer<Int32>?, onError: (CAPIError) -> T,
                  _ body: () throws(CAPIError) -> T) -> T {
    LastErrorDetail.clear()
    do {
        let value = try body()
        err?.pointee = BitNetErrorCode.ok.rawValue
        return value
    } catch {
        err?.pointee = error.code.rawValue
        LastErrorDetail.set(error.description)
        return onError(error)
    }
}

/// `cBoundary` for calls whose result is the error code itself.
func cBoundary(_ body: () throws(CAPIError) -> Void) -> Int32 {
    var code: Int32 = 0
    cBoundary(&code, onError: { _ in () }, body)
    return code
}
