import Foundation
import Synchronization

/// Wall-clock time, injectable so expiry, refresh and backoff logic test without sleeping.
/// Wall time (not monotonic) because expiries are shown to people as times of day.
public protocol TokenClock: Sendable {
    var now: Date { get }
    /// Returns at `deadline` (or throws CancellationError when the task is cancelled).
    func sleep(until deadline: Date) async throws
}

public struct SystemClock: TokenClock {
    public init() {}
    public var now: Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let d = deadline.timeIntervalSinceNow
        if d > 0 { try await Task.sleep(for: .milliseconds(Int64((d * 1000).rounded(.up)))) }
    }
}

/// A clock that moves only when told to. Sleepers wake when `advance` passes their deadline.
public final class ManualClock: TokenClock {
    private struct State {
        var now: Date
        var sleepers: [(id: Int, deadline: Date, cont: CheckedContinuation<Void, Error>)] = []
        var nextID = 0
    }
    private let state: Mutex<State>

    public init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) { state = Mutex(State(now: now)) }

    public var now: Date { state.withLock { $0.now } }

    public func advance(by seconds: TimeInterval) {
        let ready: [CheckedContinuation<Void, Error>] = state.withLock { s in
            s.now = s.now.addingTimeInterval(seconds)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.map(\.cont)
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for c in ready { c.resume() }
    }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { s -> Int in s.nextID += 1; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
                let resumeNow: Bool = state.withLock { s in
                    if s.now >= deadline || Task.isCancelled { return true }
                    s.sleepers.append((id, deadline, cont)); return false
                }
                if resumeNow { cont.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, Error>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i).cont
            }
            c?.resume(throwing: CancellationError())
        }
    }
}
