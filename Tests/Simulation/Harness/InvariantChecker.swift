import Foundation
import GatewayConfig
import TokenKit

/// The invariants of the token manager, checked by the simulator after every step. Each
/// violation is a sentence that says what was expected and what happened.
struct InvariantChecker {
    let policy: RefreshPolicy
    let credentials: [SimCredential]
    let credentialOfEntry: [Int]
    var violations: [String] = []

    private struct Seen {
        var attempt: Attempt
        var recordedAt: Date
        var failuresAfter: Int
        var retryAfter: TimeInterval?
        var nextRefreshAt: Date?
    }
    private var lastID = 0
    private var last: [Int: Seen] = [:]
    private var learned: [Int: AuthStyle] = [:]
    private var failures: [Int: Int] = [:]
    /// Every attempt, for the request budget.
    private var history: [Int: [(started: Date, automatic: Bool, ok: Bool, requests: Int, late: Bool)]] = [:]
    private var idsByEntry: [Int: [Int]] = [:]
    private var now = Date.distantPast
    let trace = ProcessInfo.processInfo.environment["TOKENTOP_SIM_TRACE"] != nil

    init(policy: RefreshPolicy, credentials: [SimCredential], credentialOfEntry: [Int]) {
        self.policy = policy; self.credentials = credentials; self.credentialOfEntry = credentialOfEntry
    }

    mutating func time(_ t: Date) { now = t }
    mutating func noteRefreshAll(at t: Date) {}
    mutating func noteOperator(entry: Int, at t: Date) {}

    private func phaseStart(_ c: SimCredential, at t: Date) -> Date {
        var s = c.phases[0].at
        for p in c.phases where p.at <= t { s = p.at }
        return s
    }

    /// Reads what the manager recorded since the last look, and checks it.
    mutating func observe(manager: TokenManager, transport: SimTransport, now: Date, ops: inout [Simulator.Outstanding]) async {
        self.now = now
        let new = await manager.events(after: lastID)
        for a in new {
            lastID = a.id
            if trace {
                print("  attempt #\(a.id) entry \(a.entryID) \(a.trigger) started t+\(a.started.timeIntervalSince(credentials[0].phases[0].at)) recorded t+\(now.timeIntervalSince(credentials[0].phases[0].at)) \(a.exchanges.map(\.style)) \(a.failure?.summary ?? "ok \(a.expiresIn.map(String.init) ?? "-")")")
            }
            let e = a.entryID
            let automatic = a.trigger == .scheduled || a.trigger == .retry || a.trigger == .initial
            var late = false
            // Backoff and schedule: an automatic fetch never starts before the schedule allows.
            if automatic, let prev = last[e] {
                if prev.attempt.failure != nil {
                    var minDelay = min(policy.backoffCap, policy.backoffBase * pow(2, Double(prev.failuresAfter - 1)))
                    if let ra = prev.retryAfter, ra > minDelay { minDelay = min(ra, policy.retryAfterCap) }
                    let earliest = prev.recordedAt.addingTimeInterval(minDelay)
                    var maxDelay = min(policy.backoffCap, minDelay * (1 + policy.jitter))
                    if let ra = prev.retryAfter { maxDelay = max(maxDelay, min(ra, policy.retryAfterCap)) }
                    late = a.started > prev.recordedAt.addingTimeInterval(maxDelay + 1e-6)
                    if a.started < earliest.addingTimeInterval(-1e-6) {
                        violations.append("entry \(e): automatic \(a.trigger) fetch \(fmt(a.started.timeIntervalSince(prev.recordedAt))) after a failure (#\(prev.failuresAfter)); backoff allows it only after \(fmt(minDelay))")
                    }
                } else if let refresh = prev.nextRefreshAt {
                    if a.started < refresh.addingTimeInterval(-1e-6) {
                        violations.append("entry \(e): automatic fetch at \(fmt(a.started.timeIntervalSince(prev.recordedAt))) after a success, before its refresh time (\(fmt(refresh.timeIntervalSince(prev.recordedAt))))")
                    }
                } else {
                    violations.append("entry \(e): automatic \(a.trigger) fetch of a token that never expires")
                }
            }
            // Auth style: this entry's own memory decides, never another entry's.
            let expected = learned[e] ?? .basic
            if let first = a.exchanges.first, first.style != expected {
                violations.append("entry \(e): fetch began with \(first.style), but this entry learned \(learned[e].map { "\($0)" } ?? "nothing") (→ \(expected))")
            }
            if learned[e] != nil && a.exchanges.count > 1 {
                violations.append("entry \(e): fell back to a second style although its style is known")
            }
            if a.succeeded, let s = a.style { learned[e] = s }
            failures[e] = a.succeeded ? 0 : (failures[e] ?? 0) + 1
            let ra = a.failure?.retryAfter.flatMap { RetryAfter.seconds($0, now: now) }
            // The token arrived now (the clock stands still while a step settles).
            var nextRefresh: Date?
            if a.succeeded, let ei = a.expiresIn {
                let eff = now.addingTimeInterval(TimeInterval(ei) - AccessToken.earlyExpiry)
                nextRefresh = max(eff, now.addingTimeInterval(policy.minimumRefreshInterval))
            }
            last[e] = Seen(attempt: a, recordedAt: now, failuresAfter: failures[e]!, retryAfter: ra, nextRefreshAt: nextRefresh)
            // When the server works, a fetch works: an attempt made wholly within a phase in which
            // its server answers tokens promptly succeeds (so after a recovery the next retry,
            // started on time by the check after startDue, replaces the token).
            let c = credentials[credentialOfEntry[e]]
            if phaseStart(c, at: a.started) == phaseStart(c, at: now), case .healthy(_, let latency) = c.behaviour(at: now),
               c.behaviour(at: now).isHealthy, latency.upperBound < 1000, !a.succeeded, a.failure?.message != "cancelled" {
                violations.append("entry \(e): a fetch failed while its server answered tokens: \(a.failure?.summary ?? "")")
            }
            idsByEntry[e, default: []].append(a.id)
            history[e, default: []].append((a.started, automatic, a.succeeded, a.exchanges.count, late))
        }

        // Operator actions that finished: each got the outcome of the fetch it started or joined.
        var keep: [Simulator.Outstanding] = []
        for o in ops {
            guard o.done.load(ordering: .acquiring), let r = o.result.withLock({ $0 }) else { keep.append(o); continue }
            checkOperator(r, watermark: o.watermark, isCall: o.isCall)
        }
        ops = keep

        // State, counts, recovery.
        let snaps = await manager.snapshot()
        for s in snaps {
            let st = s.state(at: now, policy: policy)
            if s.inFlight {
                if st != .fetching { violations.append("entry \(s.id): in flight but shown \(st)") }
            } else if let t = s.token {
                let allowed: Set<TokenState>
                if t.effectiveExpiry == nil { allowed = [.noExpiry, .failed] }
                else if t.isPerCall { allowed = [.perCall, .failed] }
                else if t.effectiveExpiry! <= now { allowed = [.expired, .failed] }
                else { allowed = [.valid, .expiring] }
                if !allowed.contains(st) { violations.append("entry \(s.id): token \(t.expiresIn.map { "expires_in \($0)" } ?? "without expiry") shown \(st) at t−eff \(t.effectiveExpiry.map { fmt(now.timeIntervalSince($0)) } ?? "-")") }
            } else if st != (s.lastFailure == nil ? .notFetched : .failed) {
                violations.append("entry \(s.id): no token, shown \(st)")
            }
            if s.consecutiveFailures != (failures[s.id] ?? 0) {
                violations.append("entry \(s.id): \(s.consecutiveFailures) consecutive failures recorded, \(failures[s.id] ?? 0) attempts failed in a row")
            }
            // The requests the network saw are the exchanges the manager recorded.
            let seenByNetwork = transport.answered(credentialOfEntry[s.id])
            let gap = seenByNetwork - s.requestCount
            if gap < 0 || gap > (s.inFlight ? 1 : 0) {
                violations.append("entry \(s.id): the network answered \(seenByNetwork) requests, the manager recorded \(s.requestCount) exchanges")
            }
        }
    }

    /// The newest attempt seen: operator actions launched now compare against it.
    var watermark: Int { lastID }

    private mutating func checkOperator(_ r: Simulator.OpResult, watermark: Int, isCall: Bool) {
        guard let e = r.entry else { return }
        if !r.fetched {
            // A test call that used the current token: the gateway's rule must allow it.
            guard let t = r.token else { violations.append("entry \(e): a test call got neither a token nor a fetch"); return }
            if t.isExpired(at: r.launchedAt) { violations.append("entry \(e): a test call got a token expired by the 10 s rule") }
            return
        }
        guard let a = r.attempt else { violations.append("entry \(e): an operator action got no attempt back"); return }
        // It must be the first attempt of this entry recorded after the action was launched:
        // the fetch it started, or the one it joined — never an older one.
        guard a.entryID == e, a.id > watermark else {
            violations.append("entry \(e): an operator action launched at attempt #\(watermark) got attempt #\(a.id), recorded before it")
            return
        }
        if let f = idsByEntry[e]?.first(where: { $0 > watermark }), f != a.id {
            violations.append("entry \(e): an operator action got attempt #\(a.id), but the first fetch it could join was #\(f)")
        }
        if a.started > r.launchedAt { violations.append("entry \(e): the attempt an action got started after the action") }
        // The gateway uses the token it fetched for the call it fetched it for, even one ≤ 10 s.
        if isCall && a.succeeded && r.token == nil {
            violations.append("entry \(e): a test call's fetch succeeded but the call got no token")
        }
        if isCall && !a.succeeded && r.token != nil {
            violations.append("entry \(e): a test call's fetch failed but the call got a token")
        }
    }

    /// Right after `startDue()`: whatever is due and not started is waiting for a slot.
    mutating func afterStartDue(manager: TokenManager, now: Date, started: Int) async {
        let counts = await manager.inFlightCounts()
        if counts.retries > policy.retrySlots { violations.append("\(counts.retries) retries in flight, more than the \(policy.retrySlots) retry slots") }
        for (url, n) in counts.perTokenURL where n > policy.serverSlots && counts.total - n > 0 {
            // Over the share only through operator actions, which bypass the limits.
            _ = url
        }
        for s in await manager.snapshot() where !s.inFlight {
            guard let due = s.nextFetchAt, due <= now else { continue }
            let failing = s.consecutiveFailures > 0
            let full = counts.total >= max(1, policy.maxConcurrent)
                || counts.perTokenURL[s.credentials.tokenURL, default: 0] >= policy.serverSlots
            if failing {
                if !full && counts.retries < policy.retrySlots {
                    violations.append("entry \(s.id): retry due \(fmt(now.timeIntervalSince(due))) ago not started with free slots (\(counts))")
                }
            } else if !full {
                violations.append("entry \(s.id): healthy refresh due \(fmt(now.timeIntervalSince(due))) ago not started (\(counts))")
            }
        }
    }

    /// Automatic requests per credential after a success turned into failures: the most in the
    /// first 60 s of the failure, and the most in any later 60 s window of the same failure.
    func budget(transport: SimTransport) -> (first: Int, later: Int, worst: String) {
        var first = 0, later = 0, worst = ""
        for (e, h) in history {
            var i = 1
            while i < h.count {
                guard h[i - 1].ok, !h[i].ok else { i += 1; continue }
                let t0 = h[i].started
                var j = i
                var streak: [(Date, Int)] = []
                var onTime = true
                while j < h.count, !h[j].ok {
                    if h[j].automatic { streak.append((h[j].started, h[j].requests)); onTime = onTime && !h[j].late }
                    j += 1
                }
                // The per-minute budget holds for a credential whose retries start when due; one
                // whose retries waited for a slot (others' hangs) has its steps compressed later.
                guard onTime else { i = j; continue }
                let inFirst = streak.filter { $0.0 < t0.addingTimeInterval(60) }.reduce(0) { $0 + $1.1 }
                first = max(first, inFirst)
                let rest = streak.filter { $0.0 >= t0.addingTimeInterval(60) }
                for (k, x) in rest.enumerated() {
                    let n = rest[k...].prefix { $0.0 < x.0.addingTimeInterval(60) }.reduce(0) { $0 + $1.1 }
                    if n > later { worst = "entry \(e): \(n) requests from \(x.0.timeIntervalSince1970 - 1_800_000_000) (streak from \(t0.timeIntervalSince1970 - 1_800_000_000))" }
                    later = max(later, n)
                }
                i = j
            }
        }
        return (first, later, worst)
    }

    private func fmt(_ s: TimeInterval) -> String { String(format: "%.1f s", s) }
}
