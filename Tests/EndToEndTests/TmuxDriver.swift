import Foundation
import Testing

/// Drives the real `tokentop` binary inside a detached tmux session: type with `send-keys`, read the
/// screen with `capture-pane`. Each driver has its own tmux server socket (`-L`), so tests never
/// touch the user's tmux and can run side by side.
final class TmuxDriver: @unchecked Sendable {
    let socket: String
    let session = "tt"
    private(set) var started = false

    init() {
        socket = "tokentop-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
    }

    /// Path of the built binary, next to the test bundle (`.build/<triple>/debug/tokentop`).
    static var binary: String {
        let env = ProcessInfo.processInfo.environment
        if let b = env["TOKENTOP_BINARY"] { return b }
        // #filePath → <repo>/Tests/EndToEndTests/TmuxDriver.swift
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.appendingPathComponent(".build/debug/tokentop").path
    }

    @discardableResult
    func tmux(_ args: [String], output: Bool = false) throws -> (status: Int32, out: String) {
        try run(["tmux", "-L", socket] + args)
    }

    /// Starts a shell in a `width`×`height` session and runs `command` in it, so that after the
    /// program exits the shell is still there to prove the terminal is usable.
    func start(_ command: String, width: Int = 120, height: Int = 40, env: [String: String] = [:]) throws {
        var envArgs: [String] = []
        for (k, v) in env { envArgs += ["-e", "\(k)=\(v)"] }
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)"] + envArgs + ["sh"])
        try tmux(["set-option", "-t", session, "status", "off"])
        // Esc must arrive as Esc at once, not after tmux's 500 ms escape-time.
        try tmux(["set-option", "-s", "escape-time", "10"])
        started = true
        try send(literal: command)
        try send(keys: "Enter")
    }

    func send(keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }
    func send(literal: String) throws { try tmux(["send-keys", "-t", session, "-l", literal]) }

    /// The visible screen as text.
    func capture(colors: Bool = false) throws -> String {
        try tmux(["capture-pane", "-t", session, "-p"] + (colors ? ["-e"] : []), output: true).out
    }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen until `predicate` holds; fails the test with the last screen otherwise.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation,
                 _ predicate: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if predicate(screen) { return screen }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out after \(timeout)s waiting for \(what); screen was:\n\(screen)", sourceLocation: sourceLocation)
        throw TimeoutError()
    }

    func waitFor(text: String, timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try await waitFor("\"\(text)\"", timeout: timeout, sourceLocation: sourceLocation) { $0.contains(text) }
    }

    func stop() {
        if started { _ = try? tmux(["kill-server"]) }
        started = false
    }

    deinit { stop() }

    struct TimeoutError: Error {}
}

/// Runs a command with posix_spawn and waits with waitpid. Foundation's `Process` is avoided on
/// purpose: its exit notification can stall inside Swift concurrency's thread pool on Linux, and
/// the tmux server forked by `new-session` would inherit an output pipe and hold it open. Output
/// goes to a temporary file instead.
@discardableResult
func run(_ argv: [String]) throws -> (status: Int32, out: String) {
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("tt-run-\(UUID().uuidString)").path
    defer { unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // Nothing else: SwiftNIO opens its sockets without CLOEXEC, and a tmux server started here
    // lives on with every descriptor it inherited — the listening socket of a DemoGateway that a
    // concurrent test then "shuts down" would keep accepting connections inside tmux.
    closeInheritedDescriptors(&actions)
    let cArgs = (["/usr/bin/env"] + argv).map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    // The test runner blocks signals on its threads and a spawned child inherits that mask: a
    // tmux server started from here would then ignore SIGTERM (and `kill-server`) forever.
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
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/usr/bin/env", &actions, &attrs, cArgs, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), out)
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
