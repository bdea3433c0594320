#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a child process ended and what it wrote.
public struct Spawned: Sendable {
    /// Exit status, or 128 + signal number when a signal ended the process.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when a signal ended the process.
    public var signalled: Bool
}

/// Runs a program with posix_spawn and waits for it with waitpid; stdin is /dev/null, stdout and
/// stderr go to temporary files and come back as text.
///
/// Every test target of the package runs in one process, and that shapes the details:
/// - Foundation's `Process` is avoided: its exit notification can stall inside Swift concurrency's
///   thread pool on Linux.
/// - The child inherits no descriptor above stderr. SwiftNIO opens its sockets without
///   CLOEXEC, so a child (a `tokentop list`, a tmux server that outlives its command) would
///   otherwise hold a DemoGateway's listening socket open after a concurrent test closed it: the
///   port keeps accepting, and the connections are reset when the child exits instead of being
///   refused.
/// - The test runner blocks signals on its threads and a child inherits that mask: a tmux server
///   started from here would then ignore SIGTERM (and `kill-server`) forever. The child gets an
///   empty mask and default handlers.
///
/// - Parameters:
///   - argv: The program (looked up in PATH through /usr/bin/env) and its arguments.
///   - environment: Added to (or replacing in) this process's environment.
///   - nice: Runs the program under `nice -n 15`, for heavy runs that must not starve the
///     timing-sensitive tests beside them.
///   - keepStderr: False sends stderr to /dev/null.
public func spawnAndWait(_ argv: [String], environment: [String: String] = [:], nice: Bool = false,
                         keepStderr: Bool = true) throws -> Spawned {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("tt-spawn-\(UUID().uuidString)").path
    let outPath = base + ".out", errPath = base + ".err"
    defer { unlink(outPath); unlink(errPath) }
    let pid = try spawnChild(argv, environment: environment, nice: nice, stdoutPath: outPath, stderrPath: keepStderr ? errPath : "/dev/null")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "(stdout not UTF-8)"
    let err = keepStderr ? ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "(stderr not UTF-8)") : ""
    let exited = (status & 0x7f) == 0
    return Spawned(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out, stderr: err, signalled: !exited)
}

/// Starts `argv` as ``spawnAndWait(_:environment:nice:keepStderr:)`` does (no inherited
/// descriptors, default signal mask and handlers, stdin /dev/null) with stdout and stderr going
/// to the given files, and returns its pid without waiting.
public func spawnChild(_ argv: [String], environment: [String: String] = [:], nice: Bool = false,
                       stdoutPath: String, stderrPath: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    closeInheritedDescriptors(&actions)

    var attrs = posix_spawnattr_t()
    posix_spawnattr_init(&attrs)
    defer { posix_spawnattr_destroy(&attrs) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attrs, &empty)
    posix_spawnattr_setsigdefault(&attrs, &all)
    posix_spawnattr_setflags(&attrs, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for e in cEnv { free(e) } }
    let full = ["/usr/bin/env"] + (nice ? ["nice", "-n", "15"] : []) + argv
    let cArgs = full.map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }

    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/usr/bin/env", &actions, &attrs, cArgs, cEnv)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    return pid
}

/// A child running in the background (a server under test): stdout and stderr go to files that
/// can be read while it runs.
public final class BackgroundProcess: Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String

    public init(_ argv: [String], environment: [String: String] = [:]) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tt-bg-\(UUID().uuidString)").path
        stdoutPath = base + ".out"
        stderrPath = base + ".err"
        pid = try spawnChild(argv, environment: environment, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends `sig` (SIGTERM by default).
    public func signal(_ sig: Int32 = SIGTERM) { kill(pid, sig) }

    /// Waits for the exit (off the cooperative pool) and returns its status: exit code, or 128 +
    /// signal number.
    public func wait() async throws -> Int32 {
        let pid = self.pid
        return try await offPool {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// Ends the process (SIGKILL) if it still runs, reaps it and removes its output files.
    public func cleanUp() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        unlink(stdoutPath); unlink(stderrPath)
    }
}

/// Makes the child close every descriptor above stderr: glibc's
/// `posix_spawn_file_actions_addclosefrom_np` (2.34+, not visible to Swift's Glibc module, so
/// looked up by name); elsewhere, every descriptor of this process is marked close-on-exec.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        let closeFrom = unsafeBitCast(sym, to: CloseFrom.self)
        if closeFrom(&actions, 3) == 0 { return }
    }
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in fds.compactMap(Int32.init) where fd > 2 {
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// Runs CPU-heavy or blocking work (big loads, waiting for a child process) on a thread of its
/// own at low priority, not on Swift concurrency's cooperative pool: that pool has one thread per
/// core (two here), and blocking both starves every async test running beside this one — their
/// deadlines then expire while they wait to be scheduled.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        let thread = Thread {
            // Linux: the nice value of the calling thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 15)
            continuation.resume(returning: Result { try body() })
        }
        thread.stackSize = 16 << 20
        thread.start()
    }
    return try result.get()
}
