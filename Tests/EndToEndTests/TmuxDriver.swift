import Foundation
import Polling
import TestProcess
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

    /// Pastes `text` as a terminal paste does: tmux writes it to the pane in one go (as fast as
    /// the program reads), unlike `send-keys`, which types key by key.
    func paste(_ text: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tt-paste-\(UUID().uuidString.prefix(8))").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        defer { unlink(file) }
        try tmux(["load-buffer", "-b", "paste", file])
        try tmux(["paste-buffer", "-d", "-b", "paste", "-t", session])
    }

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
        var screen = ""
        return try await poll(what, timeout: timeout, every: .milliseconds(100), sourceLocation: sourceLocation, detail: { screen }) {
            screen = try capture()
            return predicate(screen) ? screen : nil
        }
    }

    @discardableResult  // waiting is the point; the screen is there for those who check more
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

/// Runs a command (see `spawnAndWait`: no inherited sockets, default signal mask) and waits;
/// stderr is dropped.
@discardableResult
func run(_ argv: [String]) throws -> (status: Int32, out: String) {
    let r = try spawnAndWait(argv, keepStderr: false)
    return (r.status, r.stdout)
}
