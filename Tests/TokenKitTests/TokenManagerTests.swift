import Foundation
import GatewayConfig
import Synchronization
import Polling
import Testing
@testable import TokenKit

/// A unit-level stand-in for the network: answers from a script and counts requests. The claims
/// that the manager works over real HTTP are in the DemoGateway loopback tests.
final class ScriptedTransport: HTTPTransport {
    let responses: Mutex<[HTTPResponseData]>
    let sent = Mutex<[HTTPRequestData]>([])
    let gate: Mutex<CheckedContinuation<Void, Never>?> = Mutex(nil)
    let delay: Duration
    init(_ responses: [HTTPResponseData], delay: Duration = .zero) { self.responses = Mutex(responses); self.delay = delay }
    func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        sent.withLock { $0.append(request) }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return responses.withLock { r in r.count > 1 ? r.removeFirst() : r[0] }
    }
    var count: Int { sent.withLock { $0.count } }
}

func ok(_ expiresIn: Int?) -> HTTPResponseData {
    let e = expiresIn.map { ",\"expires_in\":\($0)" } ?? ""
    return HTTPResponseData(status: 200, reason: "OK", headers: [HTTPHeader("Content-Type", "application/json")],
                            body: Array("{\"access_token\":\"tok-\(UUID().uuidString)\"\(e)}".utf8))
}
func fail(_ status: Int, _ body: String = #"{"error":"invalid_client"}"#, retryAfter: String? = nil) -> HTTPResponseData {
    HTTPResponseData(status: status, reason: "Err", headers: [HTTPHeader("Content-Type", "application/json")] + (retryAfter.map { [HTTPHeader("Retry-After", $0)] } ?? []),
                     body: Array(body.utf8))
}

func route(_ id: Int, client: String = "c", secret: String = "s", disabled: Bool = false, protected: Bool = true) -> Route {
    Route(id: id, endpoint: "/e\(id)", endpointMethod: "GET", method: "GET", endpointIndex: id, backendIndex: 0,
          hosts: ["http://127.0.0.1:1"], urlPattern: "/b",
          credentials: protected ? ClientCredentials(clientID: client, clientSecret: secret, tokenURL: "http://127.0.0.1:1/token",
                                                      scopes: "a", isDisabled: disabled) : nil,
          path: "endpoints[\(id)].backend[0]")
}

@Suite struct TokenManagerTests {
    @Test func identicalCredentialsShareOneEntry() async {
        let m = TokenManager(routes: [route(0), route(1), route(2, client: "other"), route(3, protected: false), route(4, client: "d", disabled: true)],
                             fetcher: TokenFetcher(transport: ScriptedTransport([ok(60)]), clock: ManualClock()))
        #expect(await m.entryCount == 2)
        #expect(await m.entryID(forRoute: 0) == 0)
        #expect(await m.entryID(forRoute: 1) == 0)
        #expect(await m.entryID(forRoute: 2) == 1)
        #expect(await m.entryID(forRoute: 3) == nil)
        #expect(await m.entryID(forRoute: 4) == nil)
        #expect(await m.snapshot()[0].routeIDs == [0, 1])
    }

    @Test func refreshesProactivelyTenSecondsBeforeExpiry() async {
        let clock = ManualClock()
        let t = ScriptedTransport([ok(60)])
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: t, clock: clock))
        for task in await m.startDue() { _ = await task.value }
        #expect(t.count == 1)
        let s = await m.snapshot()[0]
        #expect(s.state(at: clock.now) == .valid)
        #expect(s.nextRefreshAt == clock.now.addingTimeInterval(50))
        clock.advance(by: 49)
        #expect(await m.startDue().isEmpty)
        #expect(await m.snapshot()[0].state(at: clock.now) == .expiring) // 1 s left < min(60, 6)
        clock.advance(by: 1)
        for task in await m.startDue() { _ = await task.value }
        #expect(t.count == 2)
        #expect(await m.snapshot()[0].attempts.first?.trigger == .scheduled)
    }

    @Test func failuresBackOffExponentiallyWithCap() async {
        let clock = ManualClock()
        let t = ScriptedTransport([fail(500, "<html>")])
        var p = RefreshPolicy(); p.jitter = 0
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: t, clock: clock), policy: p)
        var delays: [TimeInterval] = []
        for _ in 0..<8 {
            await m.refresh(entry: 0, trigger: .retry)
            let s = await m.snapshot()[0]
            delays.append(s.nextRetryAt!.timeIntervalSince(clock.now))
        }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60])
        // Each failing fetch probes both auth styles, like the gateway: two POSTs.
        #expect(t.count == 16)
        #expect(await m.snapshot()[0].state(at: clock.now) == .failed)
        #expect(await m.snapshot()[0].consecutiveFailures == 8)
    }

    @Test func jitterAddsAtMostTwentyPercent() async {
        let clock = ManualClock()
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([fail(500)]), clock: clock), unitRandom: { 1 })
        await m.refresh(entry: 0, trigger: .retry)
        await m.refresh(entry: 0, trigger: .retry)
        #expect(await m.snapshot()[0].nextRetryAt == clock.now.addingTimeInterval(2.4))
    }

    @Test func retryAfterIsHonoured() async {
        let clock = ManualClock()
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([fail(429, #"{"error":"slow_down"}"#, retryAfter: "7")]), clock: clock))
        await m.refresh(entry: 0)
        #expect(await m.snapshot()[0].nextRetryAt == clock.now.addingTimeInterval(7))
    }

    @Test func recoveryResetsBackoffAndSchedulesRefresh() async {
        let clock = ManualClock()
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([fail(500), fail(500), ok(3600)]), clock: clock))
        await m.refresh(entry: 0) // fail (2 POSTs consume both failures)
        await m.refresh(entry: 0)
        let s = await m.snapshot()[0]
        #expect(s.lastFailure == nil)
        #expect(s.consecutiveFailures == 0)
        #expect(s.nextRetryAt == nil)
        #expect(s.state(at: clock.now) == .valid)
        #expect(s.style == .basic) // the second fetch's Basic attempt got the ok
        // Within one fetch: Basic fails, body works → body.
        let m2 = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([fail(401), ok(60)]), clock: clock))
        await m2.refresh(entry: 0)
        #expect(await m2.snapshot()[0].style == .body)
    }

    @Test func singleFlightMakesOnePost() async {
        let t = ScriptedTransport([ok(3600)], delay: .milliseconds(100))
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: t, clock: ManualClock()))
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<200 { g.addTask { await m.refresh(entry: 0) } }
        }
        #expect(t.count == 1)
        #expect(await m.snapshot()[0].attempts.count == 1)
    }

    @Test func historyKeepsTheLastTwentyNewestFirst() async {
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([ok(3600)]), clock: ManualClock()))
        for _ in 0..<25 { await m.refresh(entry: 0) }
        let a = await m.snapshot()[0].attempts
        #expect(a.count == 20)
        #expect(a.first!.id > a.last!.id)
        #expect(await m.events().count == 25)
    }

    @Test func noExpiryIsNeverRefreshedByItself() async {
        let clock = ManualClock()
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([ok(nil)]), clock: clock))
        for task in await m.startDue() { _ = await task.value }
        #expect(await m.snapshot()[0].state(at: clock.now) == .noExpiry)
        #expect(await m.nextDue() == nil)
    }

    @Test func tokensExpiredOnArrivalAreNotHammered() async {
        let clock = ManualClock()
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: ScriptedTransport([ok(5)]), clock: clock))
        await m.refresh(entry: 0)
        let s = await m.snapshot()[0]
        // Not broken: the gateway fetches such a token for every call (item 4 of issue 11).
        #expect(s.state(at: clock.now) == .perCall)
        #expect(s.state(at: clock.now).isHealthy && s.state(at: clock.now).isWarning)
        #expect(s.nextRefreshAt == clock.now.addingTimeInterval(5))
    }

    @Test func refreshAllIsBoundedByConcurrency() async {
        let clock = ManualClock()
        var p = RefreshPolicy(); p.maxConcurrent = 3
        let routes = (0..<10).map { route($0, client: "c\($0)") }
        let m = TokenManager(routes: routes, fetcher: TokenFetcher(transport: ScriptedTransport([ok(3600)]), clock: clock), policy: p)
        // One token URL for all: it may hold all slots but one (kept for other servers).
        #expect(p.serverSlots == 2)
        #expect(await m.startDue().count == 2)
        #expect(await m.snapshot().filter(\.inFlight).count == 2)
    }

    @Test func oneTokenServerLeavesASlotForTheOthers() async {
        let clock = ManualClock()
        var p = RefreshPolicy(); p.maxConcurrent = 3
        var routes = (0..<10).map { route($0, client: "c\($0)") }
        var other = route(10, client: "elsewhere")
        other.credentials?.tokenURL = "http://127.0.0.2:1/token"
        routes.append(other)
        let m = TokenManager(routes: routes, fetcher: TokenFetcher(transport: ScriptedTransport([ok(3600)], delay: .seconds(30)), clock: clock), policy: p)
        // Oldest-due first would pick three of the first server's; its share stops at two and the
        // third slot goes to the other server's token, due at the same instant.
        #expect(await m.startDue().count == 3)
        let inFlight = await m.snapshot().filter(\.inFlight).map(\.credentials.clientID)
        #expect(inFlight.contains("elsewhere"))
        #expect(await m.inFlightCounts().perTokenURL["http://127.0.0.1:1/token"] == 2)
        await m.stop()
    }

    @Test func runLoopFetchesAndRefreshesWithManualClock() async throws {
        let clock = ManualClock()
        let t = ScriptedTransport([ok(30)])
        let m = TokenManager(routes: [route(0)], fetcher: TokenFetcher(transport: t, clock: clock))
        let loop = Task { await m.run() }
        defer { loop.cancel() }
        try await pollUntil { t.count == 1 }
        try await pollUntil { await m.snapshot()[0].token != nil }
        clock.advance(by: 20) // expiry − 10 s
        try await pollUntil { t.count == 2 }
        loop.cancel()
    }
}

/// `poll` (Tests/Polling) with a `Duration` deadline, for these tests' call sites.
func pollUntil(timeout: Duration = .seconds(5), sourceLocation: Testing.SourceLocation = #_sourceLocation,
          _ condition: @Sendable () async -> Bool) async throws {
    try await poll("the condition", timeout: timeout.timeInterval, every: .milliseconds(10), sourceLocation: sourceLocation) {
        await condition()
    }
}
