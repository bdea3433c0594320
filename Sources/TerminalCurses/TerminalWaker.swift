import CNCurses
import TerminalScreen
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes a `CursesTerminal.readKey` that is waiting for input, from any thread or task.
///
/// Why: the UI thread spends most of its time inside `readKey(timeoutMs:)`. When a token
/// snapshot arrives from the manager's actor, calling `wake()` makes `readKey` return nil at
/// once, so the UI redraws immediately instead of after the timeout. A self-pipe: `wake()`
/// writes one byte (async-signal-safe, never blocks), `readKey` polls it next to stdin.
public final class TerminalWaker: TerminalWaking {
    let readFD: Int32
    let writeFD: Int32

    init() throws(TerminalError) {
        var fds: [Int32] = [-1, -1]
        guard tt_pipe_nonblock(&fds) == 0 else {
            throw TerminalError(.setupFailed("pipe: errno \(errno)"))
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    /// Makes the current (or next) `readKey` return nil promptly. Cheap; wake-ups coalesce.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)   // EAGAIN (pipe full) means a wake-up is already pending
    }

    /// Empties the pipe; returns whether anything was there.
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        while read(readFD, &buffer, buffer.count) > 0 { any = true }
        return any
    }

    deinit {
        close(readFD)
        close(writeFD)
    }
}
