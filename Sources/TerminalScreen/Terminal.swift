import Foundation
import Synchronization

/// What the dashboard's UI loop needs from a terminal: its size, a frame drawn, keys read with a
/// timeout, and a way for other threads to wake the wait. Implemented by the curses terminal and
/// by `InMemoryTerminal`, so the same loop runs in tests without tmux (ratatui's `TestBackend`
/// serves the same purpose).
///
/// A terminal is used from one thread (the UI thread) from creation to `stop()`; only its
/// `waker` is used from others.
public protocol Terminal: AnyObject, SendableMetatype {
    associatedtype Waker: TerminalWaking
    /// The current size in cells.
    var size: Size { get }
    /// Shows `screen`; a real terminal writes only the cells that changed since the last frame.
    func draw(_ screen: Screen)
    /// The next key or event, waiting at most `timeoutMs` (0: only what is already there), or nil.
    /// Returns early with nil when `waker.wake()` is called.
    func readKey(timeoutMs: Int) -> Key?
    /// Forget what is on screen: the next `draw` repaints everything (Ctrl-L).
    func invalidate()
    /// True once input has ended for good (the terminal went away): the loop stops.
    var inputClosed: Bool { get }
    /// Wakes a `readKey` wait from any thread, so messages are drawn at once.
    var waker: Waker { get }
    /// Restores the terminal; the last call on it.
    func stop()
}

/// Wakes a terminal's key wait from any thread.
public protocol TerminalWaking: Sendable {
    func wake()
}

/// A terminal in memory: keys are fed by a test, frames are kept to be read back. Thread-safe:
/// the UI loop reads keys and draws on its thread while a test feeds keys and polls frames on
/// another.
public final class InMemoryTerminal: Terminal, TerminalWaking, Sendable {
    private struct State {
        var size: Size
        var keys: [Key] = []
        var woken = false
        var closed = false
        var stopped = false
        var frame: Screen?
        var frames = 0
        var invalidations = 0
    }
    private let state: Mutex<State>
    /// Signalled whenever keys arrive, a wake-up comes or input closes.
    private let condition = NSCondition()

    public init(size: Size) { state = Mutex(State(size: size)) }

    // MARK: Terminal (the UI thread)

    public var size: Size { state.withLock { $0.size } }

    public func draw(_ screen: Screen) {
        state.withLock { $0.frame = screen; $0.frames += 1 }
    }

    public func readKey(timeoutMs: Int) -> Key? {
        let deadline = Date().addingTimeInterval(Double(max(0, timeoutMs)) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let next: Key?? = state.withLock { s in
                if !s.keys.isEmpty { return .some(s.keys.removeFirst()) }
                if s.woken || s.closed { s.woken = false; return .some(nil) }
                return nil
            }
            if let next { return next }
            if timeoutMs <= 0 || !condition.wait(until: deadline) { return nil }
        }
    }

    public func invalidate() { state.withLock { $0.invalidations += 1 } }
    public var inputClosed: Bool { state.withLock { $0.closed && $0.keys.isEmpty } }
    public var waker: InMemoryTerminal { self }
    public func stop() { state.withLock { $0.stopped = true } }

    public func wake() { signal { $0.woken = true } }

    // MARK: The test's side

    /// Queues keys as if typed (all at once, like a paste).
    public func type(_ keys: [Key]) { signal { $0.keys.append(contentsOf: keys) } }
    /// Queues the characters of `text` as keys.
    public func type(_ text: String) { type(text.map { Key.char($0) }) }
    /// Changes the size and queues the resize event, as a terminal does on SIGWINCH.
    public func resize(to size: Size) { signal { $0.size = size; $0.keys.append(.resize(size)) } }
    /// Ends input (the terminal went away).
    public func closeInput() { signal { $0.closed = true } }

    /// The last frame drawn, nil before the first.
    public var lastFrame: Screen? { state.withLock { $0.frame } }
    /// The last frame's text, one line per row ("" before the first frame).
    public var text: String { lastFrame?.text ?? "" }
    /// Frames drawn so far.
    public var frameCount: Int { state.withLock { $0.frames } }
    /// Whether `stop()` was called (the terminal was restored).
    public var isStopped: Bool { state.withLock { $0.stopped } }

    private func signal(_ change: (inout State) -> Void) {
        condition.lock()
        state.withLock { change(&$0) }
        condition.broadcast()
        condition.unlock()
    }
}
