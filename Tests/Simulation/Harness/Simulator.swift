import Foundation
import GatewayConfig
import Synchronization
import TokenKit

/// Drives the real `TokenManager` through one seeded history: a manual clock, the simulated
/// network of `SimTransport`, servers that change behaviour, operators acting at random moments.
/// After every step it checks the manager's invariants (see `TokenManager`'s doc comment).
///
/// Each step: deliver the answers due now → wait until every fetch is either parked in the
/// network or recorded ("settled") → check → start operator actions, settle → `startDue()`,
/// settle → check → move the clock to the next thing that happens.
public struct Simulator {
    public struct Report: Sendable {
        public var seed: UInt64
        public var violations: [String] = []
        public var steps = 0
        public var requests = 0
        public var attempts = 0
        public var simulatedSeconds: Double = 0
        /// Per credential that failed after a success: automatic requests in the first 60 s of the
        /// failure, and the most in any later minute (the budget: ≤ 7 and ≤ 2).
        public var worstFirstMinute = 0
        public var worstLaterMinute = 0
        public var summary: String = ""
        public var worstCase = ""
    }

    let seed: UInt64
    var rng: SimRandom
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    var duration: TimeInterval
    var policy = RefreshPolicy()
    var credentials: [SimCredential] = []
    var routes: [Route] = []
    let timeout: Duration = .seconds(10)
    var operatorActions = true
    /// Successful attempts per entry with their start times (filled by `run()`).
    public var successes: [Int: [Date]] = [:]

    public init(seed: UInt64, minutes: ClosedRange<Int> = 5...30) {
        self.seed = seed
        rng = SimRandom(seed: seed)
        duration = TimeInterval(rng.int(minutes) * 60)
        policy.maxConcurrent = rng.int(1...4)
        policy.historyLimit = 3
        policy.eventLogLimit = 1_000_000
        let rows = rng.int(1...4)
        for i in 0..<rows {
            var c = ClientCredentials(clientID: "client-\(i)", clientSecret: "secret-\(i)-\(rng.int(1000...9999))",
                                      tokenURL: "http://127.0.0.1:9/token\(i % 2)", scopes: "a",
                                      endpointParams: ["sim_row": ["\(i)"]])
            var accepts: AcceptedStyle = rng.pick([(0.6, .any), (0.2, .basicOnly), (0.2, .bodyOnly)])
            // Twins: the same token URL and client id as the row before, other secret and server
            // (the auth-style memory must stay per row, as in the gateway).
            if i > 0, rng.chance(0.35) {
                c.clientID = credentials[i - 1].credentials.clientID
                c.tokenURL = credentials[i - 1].credentials.tokenURL
                accepts = credentials[i - 1].accepts == .bodyOnly ? .any : .bodyOnly
            }
            var phases: [(Date, ServerBehaviour)] = [(start, Self.behaviour(&rng))]
            var t = 0.0
            while true {
                t += rng.exponential(mean: 8 * 60)
                if t >= duration { break }
                phases.append((start.addingTimeInterval(t.rounded()), Self.behaviour(&rng)))
            }
            credentials.append(SimCredential(index: i, credentials: c, accepts: accepts, phases: phases))
            // One to three routes per credential: routes with the same credentials share a token.
            for _ in 0..<rng.int(1...3) {
                let id = routes.count
                routes.append(Route(id: id, endpoint: "/e\(id)", endpointMethod: "GET", method: "GET", endpointIndex: id,
                                    backendIndex: 0, hosts: ["http://127.0.0.1:9"], urlPattern: "/b", credentials: c,
                                    path: "endpoints[\(id)].backend[0]"))
            }
        }
    }

    /// A fixed scenario instead of a random one: one credential (and route) per behaviour list
    /// (phases `every` seconds apart), no operator actions unless `operators`.
    public init(seed: UInt64, fixed: [[ServerBehaviour]], every: TimeInterval = 600, minutes: Int, maxConcurrent: Int, operators: Bool = false,
         tokenURL: (Int) -> String = { _ in "http://127.0.0.1:9/token" }) {
        self.seed = seed
        rng = SimRandom(seed: seed)
        duration = TimeInterval(minutes * 60)
        policy.maxConcurrent = maxConcurrent
        policy.historyLimit = 3
        policy.eventLogLimit = 1_000_000
        operatorActions = operators
        for (i, behaviours) in fixed.enumerated() {
            let c = ClientCredentials(clientID: "client-\(i)", clientSecret: "secret-\(i)", tokenURL: tokenURL(i),
                                      scopes: "a", endpointParams: ["sim_row": ["\(i)"]])
            let phases = behaviours.enumerated().map { (start.addingTimeInterval(Double($0.offset) * every), $0.element) }
            credentials.append(SimCredential(index: i, credentials: c, accepts: .any, phases: phases))
            routes.append(Route(id: i, endpoint: "/e\(i)", endpointMethod: "GET", method: "GET", endpointIndex: i,
                                backendIndex: 0, hosts: ["http://127.0.0.1:9"], urlPattern: "/b", credentials: c,
                                path: "endpoints[\(i)].backend[0]"))
        }
    }

    static func behaviour(_ rng: inout SimRandom) -> ServerBehaviour {
        let lifetime: ServerBehaviour.ExpiresIn = rng.pick([
            (0.08, .absent), (0.04, .number(0)), (0.05, .number(rng.int(1...10))), (0.02, .number(-5)),
            (0.40, .number(rng.int(30...900))), (0.22, .number(rng.int(3600...7200))), (0.10, .string(rng.int(60...600))),
            (0.04, .fraction),
        ])
        return rng.pick([
            (0.40, .healthy(expiresIn: lifetime, latency: 0...300)),
            (0.08, .healthy(expiresIn: lifetime, latency: 2000...12000)),
            (0.10, .status500), (0.08, .status503(retryAfter: rng.int(1...120))), (0.08, .invalidClient401),
            (0.06, .malformed), (0.10, .refused), (0.10, .hang),
        ])
    }

    enum Op: Sendable { case refresh(Int), refreshAll, call(Int, forceNew: Bool) }

    /// What an operator action got back, for the joiner invariant.
    struct OpResult: Sendable {
        var entry: Int?
        var launchedAt: Date
        var attempt: Attempt?
        var token: AccessToken?
        var fetched: Bool
        var forceNew: Bool
    }

    final class Outstanding: Sendable {
        let done = Atomic(false)
        let result = Mutex<OpResult?>(nil)
        let entry: Int?
        /// The newest attempt recorded when the action was launched.
        let watermark: Int
        let isCall: Bool
        init(entry: Int?, watermark: Int, isCall: Bool) { self.entry = entry; self.watermark = watermark; self.isCall = isCall }
    }

    public mutating func run() async -> Report {
        var report = Report(seed: seed)
        let clock = ManualClock(now: start)
        let transport = SimTransport(clock: clock, credentials: credentials, seed: seed)
        // Jitter from (entry, failure count): the same whichever of two simultaneous failures
        // records first.
        let jitterSeed = seed ^ 0xA5A5
        let manager = TokenManager(routes: routes, fetcher: TokenFetcher(transport: transport, clock: clock, timeout: timeout),
                                   policy: policy, jitter: { entry, n in
                                       var r = SimRandom(seed: jitterSeed &+ UInt64(entry) &* 1_000_003 &+ UInt64(n) &* 7_919)
                                       return r.unit()
                                   })
        let entryCount = await manager.entryCount
        // Entry → credential index (entries are made in route order, one per identity).
        var credentialOfEntry: [Int] = []
        for e in 0..<entryCount {
            let snap = await manager.snapshot(entry: e)!
            credentialOfEntry.append(Int(snap.credentials.endpointParams["sim_row"]![0])!)
        }
        var checker = InvariantChecker(policy: policy, credentials: credentials, credentialOfEntry: credentialOfEntry)
        var nextOpAt = operatorActions ? start.addingTimeInterval(rng.exponential(mean: 150)) : .distantFuture
        var outstanding: [Outstanding] = []
        let end = start.addingTimeInterval(duration)

        func fail(_ s: String) { report.violations.append("t+\(Int(clock.now.timeIntervalSince(start))) s: \(s)") }

        /// Waits until every running fetch is parked in the network or recorded, and every operator
        /// action either waits on a running fetch or is done. Real-time bound: 10 s.
        func settle() async -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            var spins = 0
            while ContinuousClock.now < deadline {
                let counts = await manager.inFlightCounts()
                let parked = transport.pendingCount
                var opsSettled = true
                if counts.total == parked {
                    for o in outstanding where !o.done.load(ordering: .acquiring) {
                        guard let e = o.entry, await manager.snapshot(entry: e)?.inFlight == true else { opsSettled = false; break }
                    }
                    if opsSettled { return true }
                }
                spins += 1
                if spins > 2_000 { try? await Task.sleep(for: .microseconds(100)) } else { await Task.yield() }
            }
            return false
        }

        let trace = ProcessInfo.processInfo.environment["TOKENTOP_SIM_TRACE"] != nil
        while report.violations.isEmpty {
            report.steps += 1
            if trace { print("seed \(seed) step \(report.steps) t+\(clock.now.timeIntervalSince(start)) pending \(transport.pendingCount)") }
            transport.deliver(upTo: clock.now)
            guard await settle() else { fail("the manager did not settle (a fetch neither parked nor recorded)"); break }
            await checker.observe(manager: manager, transport: transport, now: clock.now, ops: &outstanding)
            // Operator actions due now.
            if operatorActions, nextOpAt <= clock.now {
                nextOpAt = clock.now.addingTimeInterval(max(1, rng.exponential(mean: 150)).rounded())
                let op: Op = entryCount == 0 ? .refreshAll : rng.pick([
                    (0.45, .refresh(rng.int(0...(entryCount - 1)))), (0.10, .refreshAll),
                    (0.45, .call(rng.int(0...(entryCount - 1)), forceNew: rng.chance(0.3))),
                ])
                let launched = clock.now
                switch op {
                case .refreshAll:
                    await manager.refreshAll()
                    checker.noteRefreshAll(at: launched)
                case .refresh(let e):
                    let o = Outstanding(entry: e, watermark: checker.watermark, isCall: false)
                    outstanding.append(o)
                    checker.noteOperator(entry: e, at: launched)
                    // Started (or joined) on the actor now, awaited in the background: the
                    // action reaches the manager at this instant, whatever the pool does.
                    let task = await manager.beginRefresh(entry: e)
                    Task {
                        let a = await task?.value.attempt
                        o.result.withLock { $0 = OpResult(entry: e, launchedAt: launched, attempt: a, token: nil, fetched: true, forceNew: true) }
                        o.done.store(true, ordering: .releasing)
                    }
                case .call(let e, let forceNew):
                    let o = Outstanding(entry: e, watermark: checker.watermark, isCall: true)
                    outstanding.append(o)
                    checker.noteOperator(entry: e, at: launched)
                    let start = await manager.beginTokenForCall(e, forceNew: forceNew)
                    Task {
                        var r = OpResult(entry: e, launchedAt: launched, attempt: nil, token: nil, fetched: false, forceNew: forceNew)
                        switch start {
                        case .current(let t): r.token = t
                        case .unavailable: break
                        case .fetching(let task):
                            let outcome = await task.value
                            r.fetched = true; r.attempt = outcome.attempt; r.token = outcome.token
                        }
                        o.result.withLock { $0 = r }
                        o.done.store(true, ordering: .releasing)
                    }
                }
                guard await settle() else { fail("the manager did not settle after an operator action"); break }
            }
            let startedNow = await manager.startDue().count
            guard await settle() else { fail("the manager did not settle after startDue"); break }
            await checker.afterStartDue(manager: manager, now: clock.now, started: startedNow)
            await checker.observe(manager: manager, transport: transport, now: clock.now, ops: &outstanding)
            report.violations += checker.violations.map { "t+\(Int(clock.now.timeIntervalSince(start))) s: \($0)" }
            report.violations += transport.violations
            if !report.violations.isEmpty { break }
            // The next thing that happens.
            var next = [nextOpAt, end]
            if let a = transport.nextAnswerAt { next.append(a) }
            if let d = await manager.nextDue() { next.append(d) }
            for c in credentials { for p in c.phases where p.at > clock.now { next.append(p.at); break } }
            let to = max(clock.now, next.min()!)
            if to >= end { break }
            clock.advance(by: to.timeIntervalSince(clock.now))
            checker.time(clock.now)
        }

        if trace { print("seed \(seed): stopping") }
        // The end: stop the manager; nothing may reach the network afterwards.
        transport.close()
        let stopping = Task { await manager.stop() }
        await stopping.value
        transport.failAll()
        let after = transport.seen.count
        for _ in 0..<5 {
            clock.advance(by: 3600)
            _ = await manager.startDue()
            if await manager.refresh(entry: 0) != nil { report.violations.append("refresh() fetched after stop()") }
            await manager.refreshAll()
            _ = await manager.startDue()
        }
        if transport.seen.count != after { report.violations.append("\(transport.seen.count - after) request(s) after stop()") }
        report.violations += transport.violations.filter { !report.violations.contains($0) }
        report.requests = transport.seen.count
        for a in await manager.events() where a.succeeded { successes[a.entryID, default: []].append(a.started) }
        report.attempts = await manager.events().count
        report.simulatedSeconds = duration
        let budget = checker.budget(transport: transport)
        report.worstFirstMinute = budget.first
        report.worstLaterMinute = budget.later
        report.worstCase = budget.worst
        report.summary = "seed \(seed): \(credentials.count) credentials, \(routes.count) routes, maxConcurrent \(policy.maxConcurrent), "
            + "\(Int(duration / 60)) min, \(report.steps) steps, \(report.requests) requests"
        return report
    }
}
