#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's own memory use, from the kernel.
public enum ProcessMemory {
    /// Peak resident set size so far, in bytes (`getrusage(RUSAGE_SELF).ru_maxrss`: KiB on Linux, bytes on macOS);
    /// 0 when the call fails. Child processes (the reference's `llama-bench`) are not included.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss)
        #endif
    }
}
