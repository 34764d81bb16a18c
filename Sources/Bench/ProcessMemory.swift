import Foundation
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

    /// Peak resident set size of another live process (`VmHWM` in `/proc/<pid>/status`), in bytes; nil when it is
    /// not readable (the process has exited, or not Linux).
    ///
    /// Not `getrusage(RUSAGE_CHILDREN)`: a child started from this process inherits this process's high-water mark
    /// when it execs (the kernel keeps the replaced memory map's peak), so that figure is never below our own.
    public static func peakResidentBytes(ofProcess pid: Int32) -> Int? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:    123456 kB"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
        #else
        return nil
        #endif
    }
}
