import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file in the cache: one fetch per model at a time, across processes and threads.
///
/// `flock` locks belong to the open file description, so two `CacheLock`s on one path conflict even in one
/// process. The kernel drops the lock when the process dies, so a killed fetch never leaves the cache locked.
public final class CacheLock {
    private var fd: Int32
    /// The lock file's path.
    public let path: String

    /// Blocks until the lock is held, calling `waiting` once if another holder makes it wait.
    public init(path: String, waiting: (() -> Void)? = nil) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FetchError.local(errno: errno, path: path) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return }
        guard errno == EWOULDBLOCK else {
            let code = errno
            close(fd)
            throw FetchError.local(errno: code, path: path)
        }
        waiting?()
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(fd)
                throw FetchError.local(errno: code, path: path)
            }
        }
    }

    /// Releases the lock (also done on deinit).
    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { unlock() }
}
