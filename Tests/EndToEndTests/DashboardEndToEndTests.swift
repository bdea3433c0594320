import DemoGateway
import Foundation
import Polling
import TestProcess
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

    /// `--metrics`: the endpoints of `tokentop serve`, read from the dashboard's own token manager
    /// while it runs, and gone when it quits.
    @Test func dashboardServesMetricsWhileItRuns() async throws {
        let port = try freeLoopbackPort()
        try await withDashboard(extraArgs: "--metrics 127.0.0.1:\(port)") { tmux, _, _ in
            let url = "http://127.0.0.1:\(port)/metrics"
            let body = try await poll("the dashboard's /metrics with the wrong-secret failure", timeout: 20) { () -> String? in
                let r = try spawnAndWait(["curl", "-s", "--max-time", "5", url])
                let failures = r.stdout.split(separator: "\n").first {
                    $0.hasPrefix("tokentop_token_fetches_total") && $0.contains(#"client_id="wrong-secret""#) && $0.contains(#"result="failure""#)
                }
                return failures.map { !$0.hasSuffix(" 0") } == true ? r.stdout : nil
            }
            #expect(body.contains(#"tokentop_token_state{endpoint="/demo/healthy""#))
            try tmux.send(keys: "q")
            _ = try await tmux.waitFor(text: "exit=0")
            try await poll("the port closed after quitting") {
                try spawnAndWait(["curl", "-s", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}", url]).stdout == "000"
            }
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

/// A free loopback port (bound, read, released: the caller binds it next).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 ? getsockname(fd, $0, &len) : -1 }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
