import DemoGateway
import Foundation
import Testing

/// The real binary, in a real terminal (tmux), against a real DemoGateway started in this test
/// process — so the tests can read the server's token-request counters.
@Suite(.serialized) struct DashboardEndToEndTests {
    /// Starts the demo server, writes its config, and opens the dashboard on it in tmux.
    func withDashboard(width: Int = 120, height: Int = 40, env: [String: String] = [:], extraArgs: String = "",
                       _ body: (TmuxDriver, DemoGateway, String) async throws -> Void) async throws {
        let demo = try await DemoGateway.start(options: .init(slowDelay: .milliseconds(500)))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("krakend.json").path
        try demo.writeConfig(to: config)
        let tmux = TmuxDriver()
        do {
            try tmux.start("\(TmuxDriver.binary) \(config) --timeout 1 \(extraArgs); echo \"exit=$?\"", width: width, height: height, env: env)
            // All 25 rows are drawn once the first fetches are back.
            try await tmux.waitFor("the table with fetched tokens") { $0.contains("healthy") && $0.contains("✕ failed") }
            try await body(tmux, demo, config)
        } catch {
            tmux.stop(); try? await demo.shutdown(); try? FileManager.default.removeItem(at: dir)
            throw error
        }
        tmux.stop()
        try await demo.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    /// The table row of an endpoint. The ENDPOINT column may cut long paths with `…`, so only
    /// the first 16 characters are matched; the first match wins (rows keep config order).
    func row(_ screen: String, _ endpoint: String) -> String? {
        let key = String(endpoint.prefix(16))
        return screen.split(separator: "\n").map(String.init).first { line in
            guard let r = line.range(of: key) else { return false }
            let next = line[r.upperBound...].first
            return endpoint.count > 16 || next == " " || next == "…" || next == nil
        }
    }

    @Test func everyScenarioShowsItsStateAndErrors() async throws {
        try await withDashboard { tmux, _, _ in
            try await tmux.waitFor("hang to time out") { row($0, "/demo/hang")?.contains("failed") == true }
            let expected: [(String, String)] = [
                ("/demo/healthy", "valid"), ("/demo/no-expiry", "no expiry"), ("/demo/auth0", "valid"),
                ("/demo/wrong-secret", "failed"), ("/demo/empty-403", "failed"), ("/demo/string-expiry", "valid"),
                ("/demo/form-encoded", "valid"), ("/demo/error-200", "failed"), ("/demo/oversized", "failed"),
                ("/demo/garbage", "failed"), ("/demo/negative-expiry", "per call"), ("/demo/rate-limited", "failed"),
                ("/demo/public", "unprotected"), ("/demo/hang", "failed"),
            ]
            // Failed tokens are retried with backoff, so a row may show "fetching" for a moment:
            // wait for each row's state rather than judging one snapshot.
            for (endpoint, state) in expected {
                try await tmux.waitFor("\(endpoint) to be \(state)") { row($0, endpoint)?.contains(state) == true }
            }
            let s = try await tmux.waitFor("error texts") {
                row($0, "/demo/wrong-secret")?.contains("401 invalid_client") == true && row($0, "/demo/rate-limited")?.contains("429") == true
            }
            #expect(row(s, "/demo/wrong-secret")?.contains("401 invalid_client") == true)
            #expect(row(s, "/demo/empty-403")?.contains("403 Forbidden") == true)
            #expect(row(s, "/demo/rate-limited")?.contains("429") == true)
            #expect(row(s, "/demo/healthy")?.contains("×6") == true) // shared by 6 rows
            #expect(s.contains("tokentop demo gateway"))
        }
    }

    @Test func forceRefreshMakesExactlyOneMoreTokenRequest() async throws {
        try await withDashboard { tmux, demo, _ in
            // The first row is /demo/healthy (selected at start).
            try await tmux.waitFor("healthy fetched") { row($0, "/demo/healthy")?.contains("valid") == true }
            let before = demo.tokenRequestCount(clientID: "healthy")
            #expect(before == 1)
            try tmux.send(keys: "r")
            try await tmux.waitFor(text: "refreshed healthy")
            #expect(demo.tokenRequestCount(clientID: "healthy") == before + 1)
        }
    }

    @Test func shortLivedTokenCountsDownAndRefreshesByItself() async throws {
        try await withDashboard { tmux, demo, _ in
            // The table may appear before this row's first fetch is back: at most one so far.
            #expect(demo.tokenRequestCount(clientID: "short-lived") <= 1)
            // 20 s token → refreshed 10 s before expiry, i.e. about 10 s after the first fetch.
            let first = try await tmux.waitFor("a countdown") { row($0, "/demo/short-lived")?.contains("valid") == true || row($0, "/demo/short-lived")?.contains("expiring") == true }
            let c1 = try #require(row(first, "/demo/short-lived"))
            try await tmux.waitFor("the countdown to change") { row($0, "/demo/short-lived").map { $0 != c1 } ?? false }
            try await tmux.waitFor("a second token request", timeout: 25) { _ in demo.tokenRequestCount(clientID: "short-lived") >= 2 }
            try await tmux.waitFor("the refreshed row") { row($0, "/demo/short-lived")?.contains("valid") == true }
        }
    }

    @Test func filterSortHelpDetailAndEventLog() async throws {
        try await withDashboard { tmux, _, _ in
            // The auth0 token takes two POSTs (Basic refused, then body): wait until it is held,
            // so the detail pane below shows the finished exchanges, not "fetching".
            try await tmux.waitFor("auth0 fetched") { row($0, "/demo/auth0")?.contains("valid") == true }
            try tmux.send(keys: "/")
            try tmux.send(literal: "auth0")
            let filtered = try await tmux.waitFor("only the auth0 row") { $0.contains("“auth0”") && $0.contains("/demo/auth0") }
            #expect(!filtered.contains("/demo/wrong-secret"))
            try tmux.send(keys: "Enter")
            try tmux.send(keys: "Enter") // details of the only row
            // Wait for the pane's content, not its title: a capture can land between the title
            // bar's bytes and the rest of the frame.
            let detail = try await tmux.waitFor("the auth0 details") { $0.contains("Details ·") && $0.contains("Credential") }
            #expect(detail.contains("audience"))
            #expect(detail.contains("auth0-secret") == false) // secrets never on screen
            #expect(detail.contains("basic → 401, body → 200"))
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "Escape") // clears the filter
            try await tmux.waitFor("all rows back") { $0.contains("/demo/wrong-secret") }
            try tmux.send(keys: "s")
            try await tmux.waitFor("a sort marker") { $0.contains("▲") || $0.contains("▼") }
            try tmux.send(keys: "?")
            let help = try await tmux.waitFor(text: "this help")
            #expect(help.contains("refresh"))
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "e")
            let events = try await tmux.waitFor("the event log") { $0.contains("initial") && $0.contains("TRIGGER") }
            #expect(events.contains("basic"))
        }
    }

    @Test func resizeReflowsAndTooSmallIsExplained() async throws {
        try await withDashboard { tmux, _, _ in
            let wide = try tmux.capture()
            #expect(wide.contains("REFRESHED"))
            try tmux.resize(width: 80, height: 24)
            let narrow = try await tmux.waitFor("the 80-column layout") { !$0.contains("REFRESHED") && $0.contains("STATE") }
            #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 80 })
            try tmux.resize(width: 40, height: 10)
            try await tmux.waitFor(text: "terminal too small")
            try tmux.resize(width: 120, height: 40)
            try await tmux.waitFor(text: "REFRESHED")
        }
    }

    @Test func quitRestoresTheShell() async throws {
        try await withDashboard { tmux, _, _ in
            try tmux.send(keys: "q")
            try await tmux.waitFor(text: "exit=0")
            try tmux.send(literal: "echo still-$((40+2))")
            try tmux.send(keys: "Enter")
            try await tmux.waitFor(text: "still-42")
        }
    }

    @Test func ctrlCQuitsAndSigtermRestoresTheTerminal() async throws {
        try await withDashboard { tmux, _, _ in
            try tmux.send(keys: "C-c")
            try await tmux.waitFor(text: "exit=0")
        }
        try await withDashboard { tmux, _, _ in
            // SIGTERM to the dashboard: the child of this session's pane shell, nothing else.
            try run(["sh", "-c", "kill -TERM $(pgrep -P $(tmux -L \(tmux.socket) list-panes -F '#{pane_pid}'))"])
            try await tmux.waitFor(text: "exit=143")
            try tmux.send(literal: "echo after-term")
            try tmux.send(keys: "Enter")
            let s = try await tmux.waitFor(text: "after-term\n")
            #expect(!s.contains("STATE  ")) // the dashboard is gone: the alternate screen was left
        }
    }

    @Test func noColorHasNoColourCodes() async throws {
        try await withDashboard(env: ["NO_COLOR": "1"]) { tmux, _, _ in
            let s = try tmux.capture(colors: true)
            #expect(s.contains("valid"))
            let colour = try Regex(#"\e\[[0-9;]*(3[0-7]|38;5;\d+|9[0-7])[;m]"#)
            #expect(s.firstMatch(of: colour) == nil, "colour SGR under NO_COLOR")
        }
        try await withDashboard { tmux, _, _ in
            let s = try tmux.capture(colors: true)
            #expect(s.contains("\u{1b}["), "colours expected without NO_COLOR")
        }
    }

    @Test func unknownTermIsAnErrorMessageNotACrash() async throws {
        let demo = try await DemoGateway.start()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("tt-term-\(UUID().uuidString.prefix(8)).json").path
        try demo.writeConfig(to: config)
        let tmux = TmuxDriver()
        defer { tmux.stop(); unlink(config) }
        try tmux.start("TERM=no-such-terminal \(TmuxDriver.binary) \(config); echo \"exit=$?\"")
        let s = try await tmux.waitFor(text: "exit=")
        #expect(s.contains("no-such-terminal"), "the message names the terminal type: \(s)")
        #expect(!s.contains("exit=0"))
        #expect(!s.contains("Fatal error"))
        try await demo.shutdown()
    }

    @Test func notATerminalPointsToCheck() throws {
        let r = try run(["sh", "-c", "'\(TmuxDriver.binary)' demo 2>&1 </dev/null | cat; exit ${PIPESTATUS:-0}"])
        #expect(r.out.contains("tokentop check"), "\(r.out)")
        #expect(r.out.contains("needs a terminal"))
    }
}
