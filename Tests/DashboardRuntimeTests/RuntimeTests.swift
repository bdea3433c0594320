import BackendCall
import ConfigLint
import Dashboard
@testable import DashboardRuntime
import DemoGateway
import Foundation
import Polling
import GatewayConfig
import AsyncHTTPTransport
import Synchronization
import TerminalScreen
import Testing
import TokenKit

/// The dashboard's real runtime — UI loop on its own thread, token manager, test calls over
/// loopback HTTP to DemoGateway — on an in-memory terminal: keys in, frames out, no tmux. What only
/// a real terminal shows (curses setup and restore, signals, colours, `NO_COLOR`, `$TERM`) stays in
/// the end-to-end tests.
@Suite struct RuntimeTests {
    /// One running dashboard on the demo gateway's config.
    final class Rig: Sendable {
        let demo: DemoGateway
        let terminal: InMemoryTerminal
        let runtime: DashboardRuntime
        let clock: any TokenClock
        private let tokenTransport: AHCTransport
        private let backendTransport: AHCTransport
        private let finished = Finished()
        final class Finished: Sendable { let result = Mutex<Result<Void, any Error>?>(nil) }

        /// Token servers besides `demo` (shut down with it).
        let others: [DemoGateway]

        /// The dashboard on the demo gateway's own config.
        /// - Parameter tokenTimeout: the token requests' deadline (`--timeout`). 5 s: at 1 s, a
        ///   machine loaded by a parallel build failed healthy loopback fetches now and then.
        convenience init(size: Size = Size(width: 120, height: 40), clock: any TokenClock = SystemClock(),
                         demoOptions: DemoGateway.Options = .init(slowDelay: .milliseconds(500)), tokenTimeout: Duration = .seconds(5),
                         lint: Bool = false) async throws {
            let demo = try await DemoGateway.start(options: demoOptions)
            try await self.init(demo: demo, others: [], config: demo.configJSON(), size: size, clock: clock, tokenTimeout: tokenTimeout, lint: lint)
        }

        /// The dashboard on `config` (JSON), whose token servers are `demo` and `others`.
        init(demo: DemoGateway, others: [DemoGateway], config json: String, size: Size = Size(width: 120, height: 40),
             clock: any TokenClock = SystemClock(), tokenTimeout: Duration = .seconds(5), lint: Bool = false) async throws {
            self.demo = demo
            self.others = others
            let bytes = Array(json.utf8)
            let config = try ConfigLoader.load(bytes: bytes, file: "demo.json")
            // As the executable makes it: a connection per fetch slot (AHC's default pool of 8 made
            // fetches wait for a connection and fail while the hanging row held some).
            tokenTransport = try AHCTransport(retryConnects: false, connectionsPerHost: RefreshPolicy().maxConcurrent)
            backendTransport = try AHCTransport(connectTimeout: .seconds(2), followRedirects: false, retryConnects: false)
            self.clock = clock
            let lintOnce: @Sendable () -> [Finding] = {
                (try? ConfigLinter.lint(file: "demo.json", bytes: bytes, environment: [:], loaded: config))?.findings ?? []
            }
            let linter = lint ? lintOnce : nil
            runtime = await DashboardRuntime.make(config: config, fetcher: TokenFetcher(transport: tokenTransport, clock: clock, timeout: tokenTimeout),
                                                  backendTransport: backendTransport, callTimeout: .seconds(60),
                                                  lint: linter)
            let terminal = InMemoryTerminal(size: size)
            self.terminal = terminal
            let runtime = self.runtime
            Task { [finished] in
                let r = await runtime.run { terminal }
                finished.result.withLock { $0 = r }
            }
        }

        var hasFinished: Bool { finished.result.withLock { $0 != nil } }

        /// Polls the screen until `condition` holds (every 20 ms, up to `timeout` seconds) and
        /// returns that screen; fails with the last screen otherwise.
        @discardableResult
        func waitFor(_ what: String, timeout: Double = 15, sourceLocation: Testing.SourceLocation = #_sourceLocation,
                     _ condition: (String) -> Bool) async throws -> String {
            try await poll(what, timeout: timeout, sourceLocation: sourceLocation, detail: { self.terminal.text }) {
                let s = terminal.text
                return condition(s) ? s : nil
            }
        }

        /// The table line of `endpoint` (as the end-to-end tests find it).
        func row(_ screen: String, _ endpoint: String) -> String? {
            let key = String(endpoint.prefix(16))
            return screen.split(separator: "\n").map(String.init).first { line in
                guard let r = line.range(of: key) else { return false }
                let next = line[r.upperBound...].first
                return endpoint.count > 16 || next == " " || next == "…" || next == nil
            }
        }

        /// Waits for the first fetches (the table with a failed row).
        func waitForTable() async throws {
            try await waitFor("the table with fetched tokens") { $0.contains("healthy") && $0.contains("✕ failed") }
        }

        /// `q`, then waits until the runtime has returned; shuts everything down.
        func quit() async throws {
            terminal.type("q")
            try await waitUntilFinished()
            await tokenTransport.shutdown()
            await backendTransport.shutdown()
            try await demo.shutdown()
            for o in others { try await o.shutdown() }
        }

        func waitUntilFinished(timeout: Double = 10) async throws {
            try await poll("the runtime to return", timeout: timeout) { hasFinished }
            #expect(terminal.isStopped, "the terminal was not restored")
        }
    }

    @Test func everyScenarioShowsItsStateAndErrors() async throws {
        // 2 s, so the hanging row fails soon; a healthy row that misses it is retried.
        let rig = try await Rig(tokenTimeout: .seconds(2))
        try await rig.waitFor("hang to time out") { rig.row($0, "/demo/hang")?.contains("failed") == true }
        let expected: [(String, String)] = [
            ("/demo/healthy", "valid"), ("/demo/no-expiry", "no expiry"), ("/demo/auth0", "valid"),
            ("/demo/wrong-secret", "failed"), ("/demo/empty-403", "failed"), ("/demo/string-expiry", "valid"),
            ("/demo/form-encoded", "valid"), ("/demo/error-200", "failed"), ("/demo/oversized", "failed"),
            ("/demo/garbage", "failed"), ("/demo/negative-expiry", "per call"), ("/demo/rate-limited", "failed"),
            ("/demo/public", "unprotected"), ("/demo/hang", "failed"),
        ]
        // Failed tokens are retried with backoff, so a row may show "fetching" for a moment.
        for (endpoint, state) in expected {
            try await rig.waitFor("\(endpoint) to be \(state)") { rig.row($0, endpoint)?.contains(state) == true }
        }
        // Each error on its row (a retry in flight shows "fetching" for a moment).
        for (endpoint, error) in [("/demo/wrong-secret", "401 invalid_client"), ("/demo/rate-limited", "429"), ("/demo/empty-403", "403 Forbidden")] {
            try await rig.waitFor("\(endpoint): \(error)") { rig.row($0, endpoint)?.contains(error) == true }
        }
        let s = rig.terminal.text
        #expect(rig.row(s, "/demo/healthy")?.contains("×6") == true)  // shared by 6 rows
        #expect(s.contains("tokentop demo gateway"))
        try await rig.quit()
    }

    @Test func forceRefreshMakesExactlyOneMoreTokenRequest() async throws {
        let rig = try await Rig()
        try await rig.waitFor("healthy fetched") { rig.row($0, "/demo/healthy")?.contains("valid") == true }
        let before = rig.demo.tokenRequestCount(clientID: "healthy")
        #expect(before == 1)
        rig.terminal.type("r")
        try await rig.waitFor("the flash") { $0.contains("refreshed healthy") }
        #expect(rig.demo.tokenRequestCount(clientID: "healthy") == before + 1)
        try await rig.quit()
    }

    /// Countdowns and the token schedule follow the clock the runtime is given: with a manual
    /// clock the test moves time, and nothing depends on how fast this machine is.
    @Test func countdownsAndRefreshesFollowTheClock() async throws {
        let clock = ManualClock()
        let rig = try await Rig(clock: clock)
        // 3600 s token, shown by the gateway's rule: 10 s earlier.
        try await rig.waitFor("healthy at 59m50s, short-lived at 10s") {
            rig.row($0, "/demo/healthy")?.contains("59m50s") == true && rig.row($0, "/demo/short-lived")?.contains("10s") == true
        }
        #expect(rig.demo.tokenRequestCount(clientID: "short-lived") == 1)
        // The 20 s token is due 10 s before its expiry.
        clock.advance(by: 15)
        rig.terminal.wake()
        try await rig.waitFor("the countdown to move 15 s") { rig.row($0, "/demo/healthy")?.contains("59m35s") == true }
        try await rig.waitFor("short-lived refreshed by the schedule") { _ in rig.demo.tokenRequestCount(clientID: "short-lived") == 2 }
        clock.advance(by: 600)
        rig.terminal.wake()
        try await rig.waitFor("ten minutes later") { rig.row($0, "/demo/healthy")?.contains("49m35s") == true }
        #expect(rig.demo.tokenRequestCount(clientID: "healthy") == 1)
        try await rig.quit()
    }

    @Test func filterDetailSortHelpAndEventLog() async throws {
        let rig = try await Rig()
        try await rig.waitFor("auth0 fetched") { rig.row($0, "/demo/auth0")?.contains("valid") == true }
        rig.terminal.type("/auth0")
        let filtered = try await rig.waitFor("only the auth0 row") { $0.contains("“auth0”") && $0.contains("/demo/auth0") }
        #expect(!filtered.contains("/demo/wrong-secret"))
        rig.terminal.type([.enter, .enter])  // keep the filter, then details of the only row
        let detail = try await rig.waitFor("the auth0 details") { $0.contains("Details ·") && $0.contains("Credential") }
        #expect(detail.contains("audience"))
        #expect(!detail.contains("auth0-secret"))  // secrets never on screen
        #expect(detail.contains("basic → 401, body → 200"))
        rig.terminal.type([.escape, .escape])  // closes the pane, clears the filter
        try await rig.waitFor("all rows back") { $0.contains("/demo/wrong-secret") }
        rig.terminal.type("s")
        try await rig.waitFor("a sort marker") { $0.contains("▲") || $0.contains("▼") }
        rig.terminal.type("?")
        let help = try await rig.waitFor("help") { $0.contains("this help") }
        #expect(help.contains("refresh"))
        rig.terminal.type([.escape])
        rig.terminal.type("e")
        let events = try await rig.waitFor("the event log") { $0.contains("initial") && $0.contains("TRIGGER") }
        #expect(events.contains("basic"))
        rig.terminal.type([.escape])  // q, like Esc, closes a pane first
        try await rig.waitFor("the table") { $0.contains("REFRESHED") }
        try await rig.quit()
    }

    @Test func resizeReflowsAndTooSmallIsExplained() async throws {
        let rig = try await Rig()
        try await rig.waitForTable()
        #expect(rig.terminal.text.contains("REFRESHED"))
        rig.terminal.resize(to: Size(width: 80, height: 24))
        let narrow = try await rig.waitFor("the 80-column layout") { !$0.contains("REFRESHED") && $0.contains("STATE") }
        #expect(rig.terminal.lastFrame?.size == Size(width: 80, height: 24))
        #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 80 })
        rig.terminal.resize(to: Size(width: 40, height: 10))
        try await rig.waitFor("the too-small notice") { $0.contains("terminal too small") }
        rig.terminal.resize(to: Size(width: 120, height: 40))
        try await rig.waitFor("the wide layout again") { $0.contains("REFRESHED") }
        try await rig.quit()
    }

    @Test func testCallShowsTheResponseAndTheBackendGetsTheToken() async throws {
        let rig = try await Rig()
        try await rig.waitFor("healthy fetched") { rig.row($0, "/demo/healthy")?.contains("valid") == true }
        rig.terminal.type("t")
        let pane = try await rig.waitFor("the 200 response") { $0.contains("✓ 200 OK") && $0.contains("\"backend\": \"healthy\"") }
        #expect(pane.contains("Test call · GET /demo/healthy"))
        #expect(pane.contains("Authorization: Bearer eyJ"), "the request's token, masked")
        let call = try #require(rig.demo.recordedBackendRequests().last { $0.path == "/api/healthy" })
        let token = String(try #require(call.header("Authorization")).dropFirst("Bearer ".count))
        #expect(!token.isEmpty && !pane.contains(token), "the token in full is never on screen")
        rig.terminal.type([.escape])
        try await rig.waitFor("the CALL column") { $0.contains("CALL") && rig.row($0, "/demo/healthy")?.contains("200 OK") == true }
        try await rig.quit()
    }

    @Test func aRejectedTokenIsReplacedOnceAndTheCallMadeAgain() async throws {
        let rig = try await Rig()
        rig.terminal.type("/scoped")
        rig.terminal.type([.enter])
        try await rig.waitFor("scoped fetched") { rig.row($0, "/demo/scoped")?.contains("valid") == true }
        rig.terminal.type("t")
        try await rig.waitFor("the 403") { $0.contains("✕ 403 Forbidden") && $0.contains("This backend requires scope 'admin'") }
        let before = rig.demo.tokenRequestCount(clientID: "scoped")
        rig.terminal.type("r")
        let again = try await rig.waitFor("the second answer") { $0.contains("First answer  403 Forbidden (insufficient_scope)") && $0.contains("✕ 403 Forbidden") }
        #expect(again.contains("fetched for this call"))
        #expect(rig.demo.tokenRequestCount(clientID: "scoped") == before + 1)
        rig.terminal.type([.ctrl("c")])  // quits from any pane
        try await rig.waitUntilFinished()
        try await rig.quit()
    }

    /// Filters the table down to one endpoint and waits until it is the only row.
    func only(_ rig: Rig, _ endpoint: String) async throws {
        rig.terminal.type("/" + endpoint)
        rig.terminal.type([.enter])
        try await rig.waitFor("\(endpoint) alone") { $0.contains("filter “\(endpoint)” 1/") }
    }

    @Test func placeholdersArePromptedAndRememberedAndUnprotectedBackendsCallable() async throws {
        let rig = try await Rig()
        try await only(rig, "users")
        rig.terminal.type("t")
        try await rig.waitFor("the prompt with the placeholder's note") { $0.contains("›{id}") && $0.contains("from the endpoint path /demo/users/{id}") }
        rig.terminal.type("42")
        try await rig.waitFor("the preview") { $0.contains("/api/healthy/users/42") }
        rig.terminal.type([.enter])
        try await rig.waitFor("the echoed path") { $0.contains("✓ 200 OK") && $0.contains("\"path\": \"/api/healthy/users/42\"") }
        // t in the pane: the prompt again, prefilled with 42.
        rig.terminal.type("t")
        try await rig.waitFor("the prefilled prompt") { $0.contains("›{id}") && $0.contains("/api/healthy/users/42") }
        rig.terminal.type([.escape, .escape, .escape])  // the prompt, the pane, the filter
        try await rig.waitFor("all rows back") { $0.contains("/demo/wrong-secret") }
        try await only(rig, "public")
        rig.terminal.type("t")
        let pub = try await rig.waitFor("the public answer") { $0.contains("✓ 200 OK") && $0.contains("\"backend\": \"public\"") }
        #expect(pub.contains("none (unprotected backend)"))
        rig.terminal.type([.ctrl("c")])
        try await rig.waitUntilFinished()
        try await rig.quit()
    }

    @Test func lintFindingsShowInHeaderRowsDetailAndLintView() async throws {
        let rig = try await Rig(lint: true)
        // The demo config writes its (fake) secrets in the file: a warning on every protected row.
        let table = try await rig.waitFor("the lint count") { $0.contains("lint:") && $0.contains("warnings") }
        #expect(rig.row(table, "/demo/healthy")?.hasPrefix("⚠") == true)
        #expect(rig.row(table, "/demo/public")?.hasPrefix("⚠") == false)
        rig.terminal.type([.enter])
        try await rig.waitFor("the detail pane") { $0.contains("see below") }
        rig.terminal.type("G")
        let detail = try await rig.waitFor("the findings") { $0.contains("[secret-in-file]") && $0.contains("fix") }
        #expect(detail.contains("client_secret at "), "the finding's path and line:column")
        rig.terminal.type([.escape])
        rig.terminal.type("L")
        let all = try await rig.waitFor("the lint view") { $0.contains("About endpoints and backends") }
        #expect(all.contains("[duplicate-credentials]"))
        rig.terminal.type([.ctrl("c")])
        try await rig.waitUntilFinished()
        try await rig.quit()
    }

    /// Quitting while a test call waits on a backend that never answers: the runtime cancels the
    /// call and returns at once (not after the 60 s call timeout), the terminal is restored, and
    /// the token manager is stopped — nothing runs once `run` has returned.
    @Test func quitEndsEffectsInFlightAndStopsTheManager() async throws {
        let rig = try await Rig()
        try await rig.waitFor("healthy fetched") { rig.row($0, "/demo/healthy")?.contains("valid") == true }
        rig.demo.setFault(.hang, path: "/api/healthy")
        rig.terminal.type("t")
        try await rig.waitFor("the call under way") { $0.contains("Test call · GET /demo/healthy") }
        try await rig.waitFor("the backend to have the request") { _ in rig.demo.recordedBackendRequests().contains { $0.path == "/api/healthy" } }
        rig.terminal.type([.escape])  // the call goes on in the background
        try await rig.quit()
        let tokenRequests = rig.demo.totalTokenRequests()
        #expect(await rig.runtime.manager.refresh(entry: 0, trigger: .forced) == nil, "a stopped manager fetches nothing")
        #expect(rig.demo.totalTokenRequests() == tokenRequests)
    }

    @Test func inputThatEndsEndsTheDashboard() async throws {
        let rig = try await Rig()
        try await rig.waitForTable()
        rig.terminal.closeInput()
        try await rig.waitUntilFinished()
        try await rig.quit()
    }
}

/// How a test call's result becomes the pane's report (`DashboardCaller.report`): outcomes, the
/// hops of a redirect, masked headers, the body preview.
@Suite struct CallReportMappingTests {
    let spec = CallSpec(callID: 7, routeID: 3)
    let request = HTTPRequestData(method: "GET", url: "http://a/x", headers: [HTTPHeader("Authorization", "Bearer eyJhbGciOi.secret.sig")], body: [])

    func result(_ outcome: CallResult.Outcome, status: Int? = 200, hops: [BackendCall.Hop] = [], failure: TransportError? = nil,
                headers: [HTTPHeader] = [], body: String = "") -> CallResult {
        CallResult(request: request, outcome: outcome, status: status, reason: status.map { _ in "OK" }, headers: headers,
                   body: Array(body.utf8), truncated: false, bodyLimit: 1 << 20, latency: 0.25, timeToFirstByte: 0.1, hops: hops,
                   tokenMasked: "eyJhbG…sig", failure: failure, notes: ["a note"])
    }

    func hop(_ url: String, status: Int?, location: String?) -> BackendCall.Hop {
        BackendCall.Hop(method: "GET", url: url, requestHeaders: [], sentAuthorization: true, status: status, reason: nil,
                       location: location, latency: 0.1, timeToFirstByte: nil)
    }

    @Test func aResponseKeepsStatusBodyAndMaskedHeaders() {
        let r = DashboardCaller.report(spec, result(.response, headers: [HTTPHeader("Set-Cookie", "session=abcdef123456"), HTTPHeader("Content-Type", "application/json")],
                                                    body: #"{"a": 1}"#), tokenFetched: true)
        #expect(r.callID == 7 && r.routeID == 3 && r.outcome == .response && r.status == 200)
        #expect(r.tokenFetched && r.tokenMasked == "eyJhbG…sig")
        #expect(r.bodyKind == "json" && r.bodyText.contains("\"a\""))
        #expect(r.headers.first { $0.name == "Set-Cookie" }?.value != "session=abcdef123456", "cookies are masked")
        #expect(r.notes == ["a note"] && r.error == nil)
    }

    @Test func redirectsAndFailuresMapToTheirOutcomes() {
        let cross = DashboardCaller.report(spec, result(.crossHostRedirect(location: "http://b/y"), status: 302,
                                                        hops: [hop("http://a/x", status: 302, location: "http://b/y"), hop("http://b/y", status: nil, location: nil)]),
                                           tokenFetched: false)
        #expect(cross.outcome == .redirectNotFollowed(location: "http://b/y"))
        #expect(cross.hops == ["302 GET http://a/x → http://b/y"])
        #expect(DashboardCaller.report(spec, result(.tooManyRedirects(limit: 5), status: 302), tokenFetched: false).outcome == .tooManyRedirects)
        let refused = DashboardCaller.report(spec, result(.transportFailure, status: nil, failure: .connectionRefused("a:80")), tokenFetched: false)
        #expect(refused.outcome == .noResponse && refused.error == "connection refused by a:80")
    }
}

/// Faults on screen, in process: two token servers, A always healthy, B with the faults (or
/// gone). Rows: `/ok` → A's healthy client; `/faulty` → B's `/oauth/token` (client `faulty`);
/// `/second` → B's `/oauth/healthy/token` (client `healthy`). The keys keep working meanwhile,
/// and every row recovers by itself once B is fixed.
@Suite struct RuntimeFaultTests {
    static let faultyPath = "/oauth/token"
    static let secondPath = "/oauth/healthy/token"

    static func config(a: DemoGateway, b: DemoGateway) -> String {
        func endpoint(_ path: String, host: String, id: String, secret: String, tokenURL: String) -> String {
            """
                {"endpoint": "\(path)", "backend": [{"host": ["\(host)"], "url_pattern": "/api/public",
                  "extra_config": {"auth/client-credentials": {"client_id": "\(id)", "client_secret": "\(secret)",
                    "token_url": "\(tokenURL)", "scopes": "read"}}}]}
            """
        }
        return """
        {"version": 3, "name": "fault rig", "endpoints": [
        \(endpoint("/ok", host: a.baseURL, id: "healthy", secret: "healthy-secret", tokenURL: a.baseURL + "/oauth/healthy/token")),
        \(endpoint("/faulty", host: b.baseURL, id: "faulty", secret: "faulty-secret", tokenURL: b.baseURL + faultyPath)),
        \(endpoint("/second", host: b.baseURL, id: "healthy", secret: "healthy-secret", tokenURL: b.baseURL + secondPath))
        ]}
        """
    }

    /// A and B started; `prepare` breaks B before the dashboard starts.
    func rig(tokenTimeout: Duration = .seconds(5), _ prepare: (DemoGateway) async throws -> Void) async throws -> (RuntimeTests.Rig, DemoGateway) {
        let a = try await DemoGateway.start()
        let b = try await DemoGateway.start()
        b.registerClient(id: "faulty", secret: "faulty-secret", lifetime: 3600)
        try await prepare(b)
        let rig = try await RuntimeTests.Rig(demo: a, others: [b], config: Self.config(a: a, b: b), size: Size(width: 160, height: 30),
                                             tokenTimeout: tokenTimeout)
        return (rig, b)
    }

    func helpStillOpens(_ rig: RuntimeTests.Rig) async throws {
        rig.terminal.type("?")
        try await rig.waitFor("help", timeout: 3) { $0.contains("this help") }
        rig.terminal.type([.escape])
        try await rig.waitFor("help closed", timeout: 3) { !$0.contains("this help") }
    }

    @Test func hangingAndTricklingRowsDoNotBlockKeysAndRecover() async throws {
        let (rig, b) = try await rig(tokenTimeout: .seconds(4)) { b in
            b.setFault(.hang, path: Self.faultyPath)
            b.setFault(.trickle, path: Self.secondPath)
        }
        // The healthy row is valid while both faulty ones are still fetching, and keys work.
        try await rig.waitFor("/ok valid, the others fetching") {
            rig.row($0, "/ok")?.contains("valid") == true && rig.row($0, "/faulty")?.contains("fetching") == true
                && rig.row($0, "/second")?.contains("fetching") == true
        }
        try await helpStillOpens(rig)
        let failed = try await rig.waitFor("both errors", timeout: 20) {
            rig.row($0, "/faulty")?.contains("no answer within 4 s (timeout)") == true
                && rig.row($0, "/second")?.contains("answer cut off by the 4 s timeout") == true
        }
        #expect(rig.row(failed, "/ok")?.contains("valid") == true)
        #expect(rig.demo.tokenRequestCount(clientID: "healthy") == 1)  // never retried
        b.clearFaults()
        try await rig.waitFor("recovery without a key press", timeout: 30) {
            rig.row($0, "/faulty")?.contains("valid") == true && rig.row($0, "/second")?.contains("valid") == true
        }
        try await rig.quit()
    }

    @Test func serverGoesAwayAndComesBackRecoversOnScreen() async throws {
        let (rig, b) = try await rig { try await $0.pause() }
        let s = try await rig.waitFor("refused rows", timeout: 20) {
            rig.row($0, "/faulty")?.contains("connection refused by 127.0.0.1:\(b.port)") == true
                && rig.row($0, "/ok")?.contains("valid") == true
        }
        #expect(rig.row(s, "/faulty")?.contains("failed") == true)
        try await helpStillOpens(rig)
        try await b.resume()
        try await rig.waitFor("both B rows valid again, without a key press", timeout: 40) {
            rig.row($0, "/faulty")?.contains("valid") == true && rig.row($0, "/second")?.contains("valid") == true
        }
        #expect(rig.demo.tokenRequestCount(clientID: "healthy") == 1)
        try await rig.quit()
    }

    @Test func rateLimitedRowShowsRetryAfterAndTheNextRetry() async throws {
        let (rig, b) = try await rig { $0.setFault(.rateLimited(retryAfter: 30), path: Self.faultyPath) }
        try await rig.waitFor("the 429", timeout: 20) { rig.row($0, "/faulty")?.contains("429 slow_down") == true }
        rig.terminal.type([.char("j"), .enter])  // rows keep config order: /ok, /faulty, /second
        let detail = try await rig.waitFor("the detail pane", timeout: 5) { $0.contains("Retry-After") && $0.contains("next retry") }
        // Honoured: the next retry is about 30 s away, not the 1 s of the first backoff step.
        let line = try #require(detail.split(separator: "\n").first { $0.contains("next retry") })
        #expect(line.contains("in 2") || line.contains("in 30s"), "\(line)")
        #expect(b.tokenRequestCount(clientID: "faulty") == 2)  // one fetch: Basic, then body
        rig.terminal.type([.ctrl("c")])
        try await rig.waitUntilFinished()
        try await rig.quit()
    }

    @Test func notHTTPAnswerIsAnErrorValueAndTheDashboardKeepsRunning() async throws {
        let (rig, _) = try await rig { $0.setFault(.notHTTP, path: Self.faultyPath) }
        try await rig.waitFor("the not-HTTP error", timeout: 20) { rig.row($0, "/faulty")?.contains("the answer is not HTTP") == true }
        try await helpStillOpens(rig)
        try await rig.quit()
    }
}
