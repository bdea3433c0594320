import Dashboard
import Synchronization
import TerminalScreen
import TokenKit

/// Messages from the token world to the UI thread. The UI thread blocks in the terminal's key
/// wait; `post` wakes it through the terminal's waker so changes show at once, without polling.
public final class Inbox: Sendable {
    private let queue = Mutex<[Msg]>([])
    private let waker = Mutex<(any TerminalWaking)?>(nil)
    public init() {}
    func setWaker(_ w: any TerminalWaking) { waker.withLock { $0 = w } }
    /// Queues a message for the UI thread and wakes it. Callable from any thread.
    public func post(_ m: Msg) {
        queue.withLock { $0.append(m) }
        waker.withLock { $0 }?.wake()
    }
    func drain() -> [Msg] { queue.withLock { q in defer { q.removeAll() }; return q } }
}

/// A task started later, at most once, from any thread (the token schedule, after the first frame).
final class LateTask: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)
    func start(_ body: @escaping @Sendable () async -> Void) { task.withLock { if $0 == nil { $0 = Task { await body() } } } }
    /// Cancels the task and waits for it to end (nothing when it never started).
    func stop() async {
        let t = task.withLock { $0 }
        t?.cancel()
        await t?.value
    }
}

/// The tasks the UI's effects start (refreshes, test calls). Owned here so that quitting cancels
/// them and waits for them before the manager stops and the transports go away under them.
final class EffectTasks: Sendable {
    private struct State { var next = 0; var running: [Int: Task<Void, Never>] = [:]; var closed = false }
    private let state = Mutex(State())

    /// Starts `body` unless the UI has quit.
    func start(_ body: @escaping @Sendable () async -> Void) {
        state.withLock { s in
            guard !s.closed else { return }
            let id = s.next
            s.next += 1
            // The task removes itself when done; it waits for this lock if it finishes first.
            s.running[id] = Task { await body(); self.finished(id) }
        }
    }

    /// Tasks still running.
    var count: Int { state.withLock { $0.running.count } }

    private func finished(_ id: Int) { _ = state.withLock { $0.running.removeValue(forKey: id) } }

    /// Refuses new tasks, cancels the running ones and waits until they have ended.
    func cancelAndWait() async {
        let tasks = state.withLock { s -> [Task<Void, Never>] in s.closed = true; return Array(s.running.values) }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }
}

/// Collapses bursts of token events into one snapshot message: at 10,000 tokens the initial
/// fetch produces 10,000 events, and copying every snapshot for each would be quadratic.
actor SnapshotPump {
    let manager: TokenManager
    let inbox: Inbox
    var scheduled = false
    init(manager: TokenManager, inbox: Inbox) { self.manager = manager; self.inbox = inbox }

    func changed() {
        guard !scheduled else { return }
        scheduled = true
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            await self.publish()
        }
    }
    func publish() async {
        scheduled = false
        let snaps = await manager.snapshot()
        let events = await manager.events()
        inbox.post(.tokens(snaps, events: events))
    }
}
