import Foundation
import GatewayConfig

/// What a row shows. Readable words, because the dashboard must work without colour.
public enum TokenState: String, Sendable, Hashable, CaseIterable {
    case notFetched = "not fetched"
    case fetching
    case valid
    case expiring
    case expired
    case failed
    case noExpiry = "no expiry"
    case disabled
    case unprotected

    /// Good enough for `check` to exit 0.
    public var isHealthy: Bool { self == .valid || self == .expiring || self == .noExpiry }
}

/// Why a fetch happened.
public enum RefreshTrigger: String, Sendable, Hashable {
    case initial, scheduled, retry, forced
}

/// One fetch of one token, for the history and the event log.
public struct Attempt: Sendable, Hashable, Identifiable {
    public var id: Int
    public var entryID: Int
    public var trigger: RefreshTrigger
    public var started: Date
    public var duration: TimeInterval
    public var exchanges: [Exchange]
    /// The style that worked; nil on failure.
    public var style: AuthStyle?
    public var failure: TokenFailure?
    /// `expires_in` of the token received, on success.
    public var expiresIn: Int?
    public var succeeded: Bool { failure == nil }
    /// Status of the last HTTP exchange, if any.
    public var status: Int? { exchanges.last?.status }
}

/// Tunables of the manager. Defaults follow the issue and the gateway.
public struct RefreshPolicy: Sendable {
    /// A token is "expiring" when its remaining life is below min(this, 10 % of its lifetime).
    public var expiringWithin: TimeInterval = 60
    public var backoffBase: TimeInterval = 1
    public var backoffCap: TimeInterval = 60
    /// Fraction of random extra delay added to each backoff step (0.2 = up to +20 %).
    public var jitter: Double = 0.2
    /// Never refresh one token more often than this: a token with `expires_in` ≤ 10 is expired on
    /// arrival (the gateway would fetch it on every call); tokentop must not hammer the server.
    public var minimumRefreshInterval: TimeInterval = 5
    /// Fetches in flight at once for scheduled and initial fetches (forced single refreshes bypass it).
    public var maxConcurrent: Int = 16
    /// Attempts kept per token.
    public var historyLimit: Int = 20
    /// Attempts kept in the global event log.
    public var eventLogLimit: Int = 1000
    public init() {}
}

/// A read-only copy of one token entry (one credential identity).
public struct TokenEntrySnapshot: Sendable, Identifiable {
    public var id: Int
    public var credentials: ClientCredentials
    /// Routes sharing this token (identical credentials).
    public var routeIDs: [Int]
    public var token: AccessToken?
    public var style: AuthStyle?
    public var inFlight: Bool
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    /// The failure of the latest attempt; nil once an attempt succeeds.
    public var lastFailure: TokenFailure?
    public var consecutiveFailures: Int
    /// Proactive refresh time (expiry − 10 s); nil for tokens that never expire.
    public var nextRefreshAt: Date?
    /// Backoff retry time after a failure.
    public var nextRetryAt: Date?
    /// Newest first.
    public var attempts: [Attempt]
    public var requestCount: Int

    public func state(at now: Date, policy: RefreshPolicy = RefreshPolicy()) -> TokenState {
        if inFlight { return .fetching }
        if let token {
            guard let eff = token.effectiveExpiry else { return lastFailure == nil ? .noExpiry : .failed }
            if eff <= now { return lastFailure != nil ? .failed : .expired }
            let lifetime = TimeInterval(token.expiresIn ?? 0)
            if eff.timeIntervalSince(now) <= min(policy.expiringWithin, 0.1 * lifetime) { return .expiring }
            return .valid
        }
        if lastFailure != nil { return .failed }
        return .notFetched
    }

    /// The first instant after `now` at which ``state(at:policy:)`` can answer differently
    /// (valid → expiring → expired) with nothing else changing; nil when it can't (no token, no
    /// expiry, or already expired). A new snapshot can change it any time, of course.
    public func nextStateChange(after now: Date, policy: RefreshPolicy = RefreshPolicy()) -> Date? {
        guard !inFlight, let token, let eff = token.effectiveExpiry, eff > now else { return nil }
        let expiring = eff.addingTimeInterval(-min(policy.expiringWithin, 0.1 * TimeInterval(token.expiresIn ?? 0)))
        return expiring > now ? expiring : eff
    }

    /// The next time the manager will fetch this token by itself.
    public var nextFetchAt: Date? {
        switch (nextRefreshAt, nextRetryAt) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        default: return nil
        }
    }
}

/// Changes the manager announces, so a UI can redraw without polling.
public enum TokenEvent: Sendable {
    case started(entryID: Int, trigger: RefreshTrigger)
    case finished(Attempt)
}

/// Holds one token per credential identity and keeps each fresh: fetch, refresh at expiry − 10 s,
/// back off on failure, single-flight, history. All timing comes from the injected clock.
public actor TokenManager {
    private struct Entry {
        var snap: TokenEntrySnapshot
        var inflight: Task<FetchResult, Never>?
        /// Set by "refresh all": fetch at the next chance regardless of schedule.
        var forcedPending = false
        var neverFetched = true
    }

    public nonisolated let policy: RefreshPolicy
    public nonisolated let clock: any TokenClock
    private let fetcher: TokenFetcher
    private var entries: [Entry] = []
    private var entryForRoute: [Int: Int] = [:]
    private var eventLog: [Attempt] = []
    private var nextAttemptID = 0
    private var subscribers: [Int: AsyncStream<TokenEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var wakeTask: Task<Void, Never>?
    /// Returns a number in 0...1 for backoff jitter; injectable so tests are deterministic.
    private let unitRandom: @Sendable () -> Double

    /// - Parameter routes: every route of the config; unprotected and disabled routes get no entry.
    public init(routes: [Route], fetcher: TokenFetcher, policy: RefreshPolicy = RefreshPolicy(),
                unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.fetcher = fetcher
        self.clock = fetcher.clock
        self.policy = policy
        self.unitRandom = unitRandom
        var byIdentity: [CredentialIdentity: Int] = [:]
        for route in routes {
            guard let c = route.credentials, !c.isDisabled else { continue }
            if let i = byIdentity[c.identity] {
                entries[i].snap.routeIDs.append(route.id)
                entryForRoute[route.id] = i
            } else {
                let i = entries.count
                byIdentity[c.identity] = i
                entryForRoute[route.id] = i
                entries.append(Entry(snap: TokenEntrySnapshot(
                    id: i, credentials: c, routeIDs: [route.id], token: nil, style: nil, inFlight: false,
                    lastAttemptAt: nil, lastSuccessAt: nil, lastFailure: nil, consecutiveFailures: 0,
                    nextRefreshAt: nil, nextRetryAt: nil, attempts: [], requestCount: 0)))
            }
        }
    }

    // MARK: Reading

    public func entryID(forRoute routeID: Int) -> Int? { entryForRoute[routeID] }
    public func routeEntryMap() -> [Int: Int] { entryForRoute }
    public var entryCount: Int { entries.count }
    public func snapshot() -> [TokenEntrySnapshot] { entries.map(\.snap) }
    public func snapshot(entry id: Int) -> TokenEntrySnapshot? { entries.indices.contains(id) ? entries[id].snap : nil }
    /// Every attempt of every token, newest first.
    public func events() -> [Attempt] { eventLog.suffix(max(0, policy.eventLogLimit)).reversed() }

    /// A stream of changes; ends when the consumer stops iterating.
    public func subscribe() -> AsyncStream<TokenEvent> {
        let (stream, cont) = AsyncStream<TokenEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = nextSubscriber; nextSubscriber += 1
        subscribers[id] = cont
        cont.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id) } }
        return stream
    }
    private func unsubscribe(_ id: Int) { subscribers[id] = nil }
    private func publish(_ e: TokenEvent) { for c in subscribers.values { c.yield(e) } }

    // MARK: Fetching

    /// Fetches one token now (bypassing backoff). Concurrent calls for one entry share one fetch.
    @discardableResult
    public func refresh(entry id: Int, trigger: RefreshTrigger = .forced) async -> Attempt? {
        guard entries.indices.contains(id) else { return nil }
        if let running = entries[id].inflight {
            _ = await running.value
            return entries[id].snap.attempts.first
        }
        let creds = entries[id].snap.credentials
        let fetcher = self.fetcher
        let task = Task { await fetcher.fetch(creds) }
        entries[id].inflight = task
        entries[id].snap.inFlight = true
        entries[id].forcedPending = false
        let started = clock.now
        publish(.started(entryID: id, trigger: trigger))
        let result = await task.value
        return record(result, entry: id, trigger: trigger, started: started)
    }

    /// Fetches every token once with bounded concurrency and waits for all (used by `check`).
    public func fetchAllOnce() async {
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            let n = entries.count
            let limit = max(1, policy.maxConcurrent)
            while next < min(limit, n) {
                let id = next; next += 1
                group.addTask { await self.refresh(entry: id, trigger: .initial) }
            }
            while await group.next() != nil {
                if next < n { let id = next; next += 1; group.addTask { await self.refresh(entry: id, trigger: .initial) } }
            }
        }
    }

    /// Marks every token for a forced refresh; the scheduler works through them with bounded
    /// concurrency. Returns how many were marked.
    @discardableResult
    public func refreshAll() -> Int {
        for i in entries.indices { entries[i].forcedPending = true }
        wake()
        return entries.count
    }

    /// Starts the fetches that are due now (within the concurrency limit) without waiting for
    /// them. Returns the tasks started, so tests can await them.
    @discardableResult
    public func startDue() -> [Task<Void, Never>] {
        let now = clock.now
        var running = entries.reduce(0) { $0 + ($1.snap.inFlight ? 1 : 0) }
        var due: [(Date, Int, RefreshTrigger)] = []
        for (i, e) in entries.enumerated() where !e.snap.inFlight {
            if e.forcedPending { due.append((.distantPast, i, .forced)) }
            else if e.neverFetched { due.append((.distantPast, i, .initial)) }
            else if let r = e.snap.nextRetryAt, r <= now { due.append((r, i, .retry)) }
            else if let r = e.snap.nextRefreshAt, r <= now { due.append((r, i, .scheduled)) }
        }
        due.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var tasks: [Task<Void, Never>] = []
        for (_, i, trigger) in due where running < policy.maxConcurrent {
            running += 1
            entries[i].neverFetched = false
            // Mark in flight before the task runs, so the next startDue() doesn't pick it again.
            entries[i].snap.inFlight = true
            tasks.append(Task { await self.refresh(entry: i, trigger: trigger) })
        }
        return tasks
    }

    /// The earliest time something is due, or nil when nothing ever will be — or nothing can
    /// start yet because every concurrency slot is taken (a finishing fetch wakes `run()`).
    public func nextDue() -> Date? {
        // With every concurrency slot taken nothing can start before a fetch finishes, and every
        // finish calls wake(). Answering "now" here (for entries waiting for a slot) made run()
        // spin through startDue() on a whole core for the entire initial fetch of a large config.
        let running = entries.reduce(0) { $0 + ($1.snap.inFlight ? 1 : 0) }
        if running >= policy.maxConcurrent { return nil }
        var best: Date?
        for e in entries where !e.snap.inFlight {
            if e.forcedPending || e.neverFetched { return clock.now }
            if let d = e.snap.nextFetchAt, best == nil || d < best! { best = d }
        }
        return best
    }

    /// Runs the schedule until the calling task is cancelled: initial fetches, proactive refresh,
    /// retries. Sleeps until the next due time; any completed fetch or `refreshAll` wakes it.
    public func run() async {
        while !Task.isCancelled {
            startDue()
            let wakeAt = nextDue() ?? clock.now.addingTimeInterval(3600)
            let clock = self.clock
            let sleeper = Task { do { try await clock.sleep(until: wakeAt) } catch {} }
            wakeTask = sleeper
            await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
            wakeTask = nil
        }
    }

    private func wake() { wakeTask?.cancel() }

    private func record(_ r: FetchResult, entry id: Int, trigger: RefreshTrigger, started: Date) -> Attempt {
        let now = clock.now
        var e = entries[id]
        e.inflight = nil
        e.snap.inFlight = false
        e.neverFetched = false
        e.snap.lastAttemptAt = started
        e.snap.requestCount += r.exchanges.count
        let attempt: Attempt
        let duration = r.exchanges.reduce(0) { $0 + $1.duration }
        nextAttemptID += 1
        switch r.result {
        case .success(let token):
            e.snap.token = token
            e.snap.style = r.style
            e.snap.lastSuccessAt = now
            e.snap.lastFailure = nil
            e.snap.consecutiveFailures = 0
            e.snap.nextRetryAt = nil
            e.snap.nextRefreshAt = token.effectiveExpiry.map { max($0, now.addingTimeInterval(policy.minimumRefreshInterval)) }
            attempt = Attempt(id: nextAttemptID, entryID: id, trigger: trigger, started: started, duration: duration,
                              exchanges: r.exchanges, style: r.style, failure: nil, expiresIn: token.expiresIn)
        case .failure(let f):
            e.snap.lastFailure = f
            e.snap.consecutiveFailures += 1
            var delay = min(policy.backoffCap, policy.backoffBase * pow(2, Double(e.snap.consecutiveFailures - 1)))
            delay = min(policy.backoffCap, delay * (1 + max(0, policy.jitter) * unitRandom()))
            // Honour Retry-After (seconds form) from 429/503 answers: asking sooner is pointless.
            if let ra = f.retryAfter.flatMap({ TimeInterval($0.trimmingCharacters(in: .whitespaces)) }), ra > delay {
                delay = min(ra, 3600)
            }
            e.snap.nextRetryAt = now.addingTimeInterval(delay)
            attempt = Attempt(id: nextAttemptID, entryID: id, trigger: trigger, started: started, duration: duration,
                              exchanges: r.exchanges, style: nil, failure: f, expiresIn: nil)
        }
        e.snap.attempts.insert(attempt, at: 0)
        if e.snap.attempts.count > policy.historyLimit { e.snap.attempts.removeLast(e.snap.attempts.count - policy.historyLimit) }
        entries[id] = e
        eventLog.append(attempt)
        // Trimmed in chunks: removeFirst(1) on every fetch past the limit shifted the whole log
        // each time (20 % of the instructions of fetching 3,750 tokens, callgrind). `events()`
        // returns only the newest `eventLogLimit`.
        let limit = max(0, policy.eventLogLimit)
        if eventLog.count > limit + max(1, limit / 4) { eventLog.removeFirst(eventLog.count - limit) }
        publish(.finished(attempt))
        wake()
        return attempt
    }
}
