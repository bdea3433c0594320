import Foundation
import GatewayConfig

/// What a row shows. Readable words, because the dashboard must work without colour.
public enum TokenState: String, Sendable, Hashable, CaseIterable {
    case notFetched = "not fetched"
    case fetching
    case valid
    case expiring
    /// The token lives ≤ 10 s: expired by the gateway's 10 s rule on arrival, so the gateway
    /// fetches a new one for every backend call (works, at the cost of latency and IdP load).
    case perCall = "per call"
    case expired
    case failed
    case noExpiry = "no expiry"
    case disabled
    case unprotected

    /// The gateway can call the backend with this token state: `check` exits 0.
    public var isHealthy: Bool { self == .valid || self == .expiring || self == .noExpiry || self == .perCall }
    /// Works, but an operator should know: `check --strict` fails on these.
    public var isWarning: Bool { self == .perCall }
}

/// Why a fetch happened.
public enum RefreshTrigger: String, Sendable, Hashable {
    /// `call`: a test call needed a token (none usable by the gateway's rule, or a new one asked for).
    case initial, scheduled, retry, forced, call
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
    /// The share of `maxConcurrent` that retries of failing tokens may hold at once. The rest is
    /// kept for healthy tokens, so token servers that hang can never delay a healthy refresh.
    public var retryShare: Double = 0.75
    /// Slots retries may take: at least 1, and at least one slot left for healthy tokens when
    /// there are two or more. Failing tokens together can never hold every slot: hanging fetches
    /// keep a slot for the whole timeout, and before this cap 16 of them stopped every other
    /// refresh.
    public var retrySlots: Int {
        let n = max(1, maxConcurrent)
        guard n > 1 else { return 1 }
        return min(n - 1, max(1, Int((Double(n) * retryShare).rounded(.down))))
    }
    /// The share of `maxConcurrent` the fetches to any one token URL may hold at once, so one
    /// token server that hangs (before any of its fetches has failed) leaves slots for the others.
    /// High, because most configs use one token server for everything: 14 of 16 by default.
    public var serverShare: Double = 0.875
    /// Slots the fetches to one token URL may take: at least 1, and at least one left for others.
    public var serverSlots: Int {
        let n = max(1, maxConcurrent)
        guard n > 1 else { return 1 }
        return min(n - 1, max(1, Int((Double(n) * serverShare).rounded(.down))))
    }
    /// Longest wait a `Retry-After` can impose (a server asking for a day is not obeyed blindly).
    public var retryAfterCap: TimeInterval = 3600
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
            if token.isPerCall { return lastFailure == nil ? .perCall : .failed }
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

    /// The next time the manager will fetch this token by itself: while the latest attempt
    /// failed, only the backoff time counts (a refresh time in the past must not make a failing
    /// token due: that was a retry loop of ~850 requests a second); otherwise the refresh time.
    public var nextFetchAt: Date? {
        consecutiveFailures > 0 ? nextRetryAt : nextRefreshAt
    }
}

/// Changes the manager announces, so a UI can redraw without polling.
public enum TokenEvent: Sendable {
    case started(entryID: Int, trigger: RefreshTrigger)
    case finished(Attempt)
}

/// What one fetch produced: the attempt as recorded, and the token it received (if any). Every
/// caller that started or joined the fetch gets this same value, after it was recorded.
public struct FetchOutcome: Sendable {
    public var attempt: Attempt
    /// The token of this fetch, also when it lives ≤ 10 s (the gateway uses it for the call it
    /// fetched it for).
    public var token: AccessToken?
}

/// Holds one token per credential identity and keeps each fresh: fetch, refresh at expiry − 10 s,
/// back off on failure, single-flight, history. All timing comes from the injected clock.
///
/// The schedule's rules, which the simulation in `Tests/TokenKitTests/Simulation` checks after
/// every step:
/// - after any failed fetch (whatever started it) the next *automatic* fetch of that token is at
///   its backoff time; only an operator's action (``refresh(entry:trigger:)``, ``refreshAll()``,
///   ``token(forCall:forceNew:)``) fetches earlier, once per action;
/// - due tokens start oldest-due first; retries of failing tokens hold at most
///   ``RefreshPolicy/retrySlots`` of the concurrency and the fetches to any one token URL at most
///   ``RefreshPolicy/serverSlots``, so hanging servers never hold up the refresh of a healthy
///   token elsewhere;
/// - one fetch per token at a time; whoever asks while it runs joins it and gets its outcome;
/// - the auth style learned by a token's fetches is that token's alone (the gateway keeps it in
///   each backend's own `clientcredentials.Config`).
public actor TokenManager {
    private struct Entry {
        var snap: TokenEntrySnapshot
        var inflight: Task<FetchOutcome, Never>?
        /// The running fetch is a retry of a failing token (counts against `retrySlots`).
        var inflightIsRetry = false
        /// Set by "refresh all": fetch at the next chance regardless of schedule.
        var forcedPending = false
        var neverFetched = true
        /// The backoff delay before jitter chosen after the latest failure (0 after a success).
        var lastBackoff: TimeInterval = 0
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
    private var running = 0
    private var runningRetries = 0
    private var runningPerURL: [String: Int] = [:]
    private var stopped = false
    /// Returns a number in 0...1 for backoff jitter, given the entry and its failure count;
    /// injectable so tests are deterministic (also when two fetches fail at the same instant and
    /// record in either order).
    private let jitterSource: @Sendable (_ entry: Int, _ failures: Int) -> Double

    /// - Parameter routes: every route of the config; unprotected and disabled routes get no entry.
    public init(routes: [Route], fetcher: TokenFetcher, policy: RefreshPolicy = RefreshPolicy(),
                unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.init(routes: routes, fetcher: fetcher, policy: policy, jitter: { _, _ in unitRandom() })
    }

    /// - Parameter jitter: a number in 0...1 for the backoff jitter of an entry's n-th failure.
    public init(routes: [Route], fetcher: TokenFetcher, policy: RefreshPolicy = RefreshPolicy(),
                jitter: @escaping @Sendable (_ entry: Int, _ failures: Int) -> Double) {
        self.fetcher = fetcher
        self.clock = fetcher.clock
        self.policy = policy
        self.jitterSource = jitter
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
    /// The attempts recorded after attempt `id` (ids grow by one per attempt), oldest first:
    /// for readers that follow the log without copying all of it each time.
    public func events(after id: Int) -> [Attempt] {
        var i = eventLog.endIndex
        while i > eventLog.startIndex, eventLog[i - 1].id > id { i -= 1 }
        return Array(eventLog[i...])
    }
    /// Fetches in flight now: all, retries of failing tokens, and per token URL.
    public func inFlightCounts() -> InFlightCounts { InFlightCounts(total: running, retries: runningRetries, perTokenURL: runningPerURL) }

    /// A stream of changes; ends when the consumer stops iterating.
    /// - Parameter unbounded: keep every event until it is read. A UI only redraws on events and
    ///   can lose old ones (the default keeps the newest 1,024); a consumer that counts them (the
    ///   metrics of `tokentop serve`) must not, or a first round of thousands of fetches would be
    ///   undercounted.
    public func subscribe(unbounded: Bool = false) -> AsyncStream<TokenEvent> {
        let (stream, cont) = AsyncStream<TokenEvent>.makeStream(bufferingPolicy: unbounded ? .unbounded : .bufferingNewest(1024))
        let id = nextSubscriber; nextSubscriber += 1
        subscribers[id] = cont
        cont.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id) } }
        return stream
    }
    private func unsubscribe(_ id: Int) { subscribers[id] = nil }
    private func publish(_ e: TokenEvent) { for c in subscribers.values { c.yield(e) } }

    // MARK: Fetching

    /// Fetches one token now, bypassing backoff (an operator's `r`: one fetch per call). A call
    /// while a fetch of this token runs joins that fetch and returns its attempt, once recorded.
    /// nil for an unknown entry or after ``stop()``.
    @discardableResult
    public func refresh(entry id: Int, trigger: RefreshTrigger = .forced) async -> Attempt? {
        guard let task = beginRefresh(entry: id, trigger: trigger) else { return nil }
        return await task.value.attempt
    }

    /// The synchronous half of ``refresh(entry:trigger:)``: starts the fetch (or finds the one
    /// running) and returns its task, whose value is the recorded outcome. Whoever holds the task
    /// owns the wait (and can cancel its own wait without stopping the fetch for others).
    public func beginRefresh(entry id: Int, trigger: RefreshTrigger = .forced) -> Task<FetchOutcome, Never>? {
        startOrJoin(id, trigger: trigger)
    }

    /// The token a test call of this entry's backend uses, as the gateway picks it: the current
    /// token while the gateway's 10 s rule still allows it, else the token of a fetch made now (or
    /// of the fetch already running), even one that lives ≤ 10 s — the gateway uses the token it
    /// fetched for the call it fetched it for. `forceNew` always fetches (after a backend rejected
    /// the token). A fetch made here counts as an operator action: it bypasses backoff, once.
    public func token(forCall id: Int, forceNew: Bool = false) async -> TokenForCall {
        switch beginTokenForCall(id, forceNew: forceNew) {
        case .current(let t): return TokenForCall(token: t, fetched: false, attempt: nil, failure: nil)
        case .unavailable: return TokenForCall(token: nil, fetched: false, attempt: nil, failure: nil)
        case .fetching(let task):
            let outcome = await task.value
            return TokenForCall(token: outcome.token, fetched: true, attempt: outcome.attempt, failure: outcome.attempt.failure)
        }
    }

    /// How a test call gets its token; the synchronous half of ``token(forCall:forceNew:)``.
    public enum CallToken: Sendable {
        /// The current token: the gateway's 10 s rule still allows it.
        case current(AccessToken)
        /// A fetch started (or joined) for the call.
        case fetching(Task<FetchOutcome, Never>)
        /// Unknown entry, or the manager stopped.
        case unavailable
    }

    public func beginTokenForCall(_ id: Int, forceNew: Bool = false) -> CallToken {
        guard entries.indices.contains(id), !stopped else { return .unavailable }
        if !forceNew, entries[id].inflight == nil, let t = entries[id].snap.token, !t.isExpired(at: clock.now) { return .current(t) }
        return startOrJoin(id, trigger: .call).map { .fetching($0) } ?? .unavailable
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
        guard !stopped else { return 0 }
        for i in entries.indices { entries[i].forcedPending = true }
        wake()
        return entries.count
    }

    /// When the schedule wants this entry fetched next, and why; nil when never by itself.
    private func due(_ e: Entry) -> (at: Date, trigger: RefreshTrigger)? {
        if e.forcedPending { return (.distantPast, .forced) }
        if e.neverFetched { return (.distantPast, .initial) }
        // A failing token is due at its backoff time and at nothing else: its refresh time has
        // passed long ago, and taking that as due was the retry loop.
        if e.snap.consecutiveFailures > 0 { return e.snap.nextRetryAt.map { ($0, .retry) } }
        return e.snap.nextRefreshAt.map { ($0, .scheduled) }
    }

    /// Starts the fetches that are due now (within the concurrency limits) without waiting for
    /// them: oldest-due first, retries within their share. Returns the tasks started, so tests
    /// can await them.
    @discardableResult
    public func startDue() -> [Task<FetchOutcome, Never>] {
        guard !stopped else { return [] }
        let now = clock.now
        var ready: [(Date, Int, RefreshTrigger)] = []
        for (i, e) in entries.enumerated() where e.inflight == nil {
            if let d = due(e), d.at <= now { ready.append((d.at, i, d.trigger)) }
        }
        ready.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var tasks: [Task<FetchOutcome, Never>] = []
        let limit = max(1, policy.maxConcurrent)
        for (_, i, trigger) in ready {
            if running >= limit { break }
            if trigger == .retry && runningRetries >= policy.retrySlots { continue }
            if runningPerURL[entries[i].snap.credentials.tokenURL, default: 0] >= policy.serverSlots { continue }
            if let t = startOrJoin(i, trigger: trigger) { tasks.append(t) }
        }
        return tasks
    }

    /// The earliest time something can start, or nil when nothing ever will by itself — or
    /// nothing can start before a running fetch finishes (every finish wakes `run()`).
    public func nextDue() -> Date? {
        // With every slot taken nothing can start before a fetch finishes. Answering "now" for
        // entries waiting for a slot made run() spin through startDue() on a whole core.
        if running >= max(1, policy.maxConcurrent) { return nil }
        let retriesBlocked = runningRetries >= policy.retrySlots
        var best: Date?
        for e in entries where e.inflight == nil {
            guard let d = due(e) else { continue }
            if d.trigger == .retry && retriesBlocked { continue }
            if runningPerURL[e.snap.credentials.tokenURL, default: 0] >= policy.serverSlots { continue }
            if best == nil || d.at < best! { best = d.at }
        }
        return best
    }

    /// Runs the schedule until the calling task is cancelled or ``stop()`` is called: initial
    /// fetches, proactive refresh, retries. Sleeps until the next due time; any completed fetch
    /// or `refreshAll` wakes it.
    public func run() async {
        while !Task.isCancelled && !stopped {
            startDue()
            let wakeAt = nextDue() ?? clock.now.addingTimeInterval(3600)
            let clock = self.clock
            let sleeper = Task { do { try await clock.sleep(until: wakeAt) } catch {} }
            wakeTask = sleeper
            await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
            wakeTask = nil
        }
    }

    /// Stops for good: `run()` returns, nothing new starts, fetches in flight are cancelled and
    /// awaited (their callers get a "cancelled" attempt). Call before shutting the transport down.
    public func stop() async {
        stopped = true
        wake()
        let tasks = entries.compactMap(\.inflight)
        for t in tasks { t.cancel() }
        for t in tasks { _ = await t.value }
    }

    private func wake() { wakeTask?.cancel() }

    /// The running fetch of this entry, or a new one. The task records its result on the actor
    /// before it returns, so every awaiting caller sees the recorded attempt.
    private func startOrJoin(_ id: Int, trigger: RefreshTrigger) -> Task<FetchOutcome, Never>? {
        guard entries.indices.contains(id) else { return nil }
        if let running = entries[id].inflight { return running }
        guard !stopped else { return nil }
        let creds = entries[id].snap.credentials
        let style = entries[id].snap.style
        let fetcher = self.fetcher
        let started = clock.now
        let isRetry = trigger == .retry
        let task = Task { () -> FetchOutcome in
            let result = await fetcher.fetch(creds, knownStyle: style)
            return self.record(result, entry: id, trigger: trigger, started: started)
        }
        entries[id].inflight = task
        entries[id].inflightIsRetry = isRetry
        entries[id].snap.inFlight = true
        entries[id].forcedPending = false
        entries[id].neverFetched = false
        running += 1
        if isRetry { runningRetries += 1 }
        runningPerURL[creds.tokenURL, default: 0] += 1
        publish(.started(entryID: id, trigger: trigger))
        return task
    }

    private func record(_ r: FetchResult, entry id: Int, trigger: RefreshTrigger, started: Date) -> FetchOutcome {
        let now = clock.now
        var e = entries[id]
        running -= 1
        if e.inflightIsRetry { runningRetries -= 1 }
        let url = e.snap.credentials.tokenURL
        if let n = runningPerURL[url], n > 1 { runningPerURL[url] = n - 1 } else { runningPerURL[url] = nil }
        e.inflight = nil
        e.inflightIsRetry = false
        e.snap.inFlight = false
        e.neverFetched = false
        e.snap.lastAttemptAt = started
        e.snap.requestCount += r.exchanges.count
        let attempt: Attempt
        var token: AccessToken?
        let duration = r.exchanges.reduce(0) { $0 + $1.duration }
        nextAttemptID += 1
        switch r.result {
        case .success(let t):
            token = t
            e.snap.token = t
            // The style is this token's own memory (the gateway keeps it per backend).
            e.snap.style = r.style
            e.snap.lastSuccessAt = now
            e.snap.lastFailure = nil
            e.snap.consecutiveFailures = 0
            e.snap.nextRetryAt = nil
            e.lastBackoff = 0
            e.snap.nextRefreshAt = t.effectiveExpiry.map { max($0, now.addingTimeInterval(policy.minimumRefreshInterval)) }
            attempt = Attempt(id: nextAttemptID, entryID: id, trigger: trigger, started: started, duration: duration,
                              exchanges: r.exchanges, style: r.style, failure: nil, expiresIn: t.expiresIn)
        case .failure(let f):
            e.snap.lastFailure = f
            e.snap.consecutiveFailures += 1
            let b = backoff(failures: e.snap.consecutiveFailures, previous: e.lastBackoff, failure: f, now: now,
                            random: jitterSource(id, e.snap.consecutiveFailures))
            e.lastBackoff = b.nominal
            e.snap.nextRetryAt = now.addingTimeInterval(b.delay)
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
        return FetchOutcome(attempt: attempt, token: token)
    }

    /// base·2^(n−1) — and never less than twice the previous delay — capped, plus up to `jitter`
    /// of it, within the cap; a longer `Retry-After` (seconds or an HTTP date, RFC 9110
    /// §10.2.3) wins, up to `retryAfterCap`. "Twice the previous delay" matters after a long
    /// `Retry-After` (or a long wait for a slot): going back to 2 s, 4 s, 8 s then would put the
    /// early, short steps of the backoff into a later minute.
    private func backoff(failures n: Int, previous: TimeInterval, failure f: TokenFailure, now: Date,
                         random: Double) -> (delay: TimeInterval, nominal: TimeInterval) {
        var nominal = min(policy.backoffCap, max(policy.backoffBase * pow(2, Double(min(n, 62) - 1)), n > 1 ? 2 * previous : 0))
        var delay = min(policy.backoffCap, nominal * (1 + max(0, policy.jitter) * min(1, max(0, random))))
        if let ra = f.retryAfter.flatMap({ RetryAfter.seconds($0, now: now) }), ra > delay {
            delay = min(ra, policy.retryAfterCap)
            nominal = delay
        }
        return (delay, nominal)
    }
}

/// Fetches in flight, as the schedule counts them against its limits.
public struct InFlightCounts: Sendable, CustomStringConvertible {
    public var total: Int
    /// Retries of failing tokens (limited to ``RefreshPolicy/retrySlots``).
    public var retries: Int
    /// Per token URL (each limited to ``RefreshPolicy/serverSlots``).
    public var perTokenURL: [String: Int]
    public var description: String { "\(total) in flight, \(retries) retries, per token URL \(perTokenURL.sorted { $0.key < $1.key })" }
}

/// What ``TokenManager/token(forCall:forceNew:)`` found for a test call.
public struct TokenForCall: Sendable {
    /// The token to send; nil when there is none (`failure` says why when a fetch failed).
    public var token: AccessToken?
    /// A fetch was made (or joined) for this call.
    public var fetched: Bool
    public var attempt: Attempt?
    public var failure: TokenFailure?
}

/// `Retry-After` as a number of seconds from `now`: delay-seconds or an HTTP date.
public enum RetryAfter {
    public static func seconds(_ value: String, now: Date) -> TimeInterval? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let s = Int(v), s >= 0 { return TimeInterval(s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let d = f.date(from: v) else { return nil }
        return max(0, d.timeIntervalSince(now))
    }
}
