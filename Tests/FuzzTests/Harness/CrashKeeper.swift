#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the input being checked in a fixed buffer and, if the process dies of a signal (a Swift
/// trap is SIGILL/SIGTRAP, a bad access SIGSEGV/SIGBUS), writes it to a file from the signal
/// handler with plain `write(2)` before letting the signal kill the process.
public enum CrashKeeper {
    nonisolated(unsafe) static var buffer: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var fd: Int32 = -1
    /// The handlers installed before ours (the Swift runtime's backtracer): restored and re-raised
    /// to, so a crash still prints its backtrace.
    nonisolated(unsafe) static let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    static let capacity = 4 << 20

    public static func install(path: String) {
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        // Opened now: open(2) in a signal handler is allowed, but the path string isn't at hand there.
        // The file is created empty and removed at a clean exit by the caller's script if unused.
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { sig in CrashKeeper.handle(sig) }
        #else
        action.__sigaction_u.__sa_handler = { sig in CrashKeeper.handle(sig) }
        #endif
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] { sigaction(sig, &action, previous + Int(sig)) }
    }

    @inline(__always)
    public static func remember(_ input: [UInt8]) {
        guard let buffer else { return }
        let n = min(input.count, capacity)
        input.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { buffer.update(from: base, count: n) }
        }
        length = n
    }

    static func handle(_ sig: Int32) {
        dump()
        sigaction(sig, previous + Int(sig), nil)
        raise(sig)
    }

    static func dump() {
        guard fd >= 0, let buffer else { return }
        _ = write(fd, buffer, length)
        _ = fsync(fd)
    }
}
