import DemoGateway
import Foundation
import Polling
import TestProcess
import Testing

/// The repository root, from this file.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `tokentop` (`.build/debug/tokentop`), or `TOKENTOP_BINARY`.
var tokentopBinary: String {
    ProcessInfo.processInfo.environment["TOKENTOP_BINARY"] ?? repository.appendingPathComponent(".build/debug/tokentop").path
}

/// A GET over loopback with URLSession-free plain sockets would be overkill: curl is everywhere
/// tokentop's tests run (and AHC would need an event loop per test). Status and body.
func httpGet(_ url: String, method: String = "GET", timeout: Int = 10) async throws -> (status: Int, body: String) {
    let r = try await offPool {
        try spawnAndWait(["curl", "-s", "-X", method, "--max-time", "\(timeout)", "-w", "\n%{http_code}", url])
    }
    var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.popLast() ?? "") ?? 0
    return (status, lines.joined(separator: "\n"))
}

/// `tokentop serve` as a user runs it: the built binary, on the demo gateway's config, over loopback.
@Suite(.serialized) struct ServeTests {
    /// Starts the demo gateway and `tokentop serve` on a free port; returns both and the base URL.
    static func startServe(extraArgs: [String] = []) async throws -> (DemoGateway, BackgroundProcess, String, String) {
        let demo = try await DemoGateway.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("krakend.json").path
        try demo.writeConfig(to: config)
        // --timeout 3: the demo's `hang` row must not hold readiness for 10 s.
        let serve = try BackgroundProcess([tokentopBinary, "serve", config, "--listen", "127.0.0.1:0", "--timeout", "3"] + extraArgs)
        // The JSON lines go to stderr, or to --log-file when given.
        let logFile = extraArgs.firstIndex(of: "--log-file").map { extraArgs[$0 + 1] }
        let log = { logFile.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" } ?? serve.stderr }
        let address = try await poll("serve to log its address", timeout: 30, detail: { serve.stderr }) { () -> String? in
            guard let line = log().split(separator: "\n").first(where: { $0.contains("\"serving token health\"") }),
                  let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let listen = obj["listen"] as? String, let port = listen.split(separator: ":").last else { return nil }
            return "http://127.0.0.1:\(port)"
        }
        return (demo, serve, address, config)
    }

    @Test func servesMetricsThatPromtoolAcceptsAndThatTellHealthyFromFailingRows() async throws {
        let (demo, serve, base, _) = try await Self.startServe()
        defer { serve.cleanUp() }
        let ready = try await poll("readyz to answer 200", timeout: 30, detail: { serve.stderr }) { () -> String? in
            let r = try await httpGet(base + "/readyz"); return r.status == 200 ? r.body : nil
        }
        #expect(ready.hasPrefix("ready"))

        let metrics = try await httpGet(base + "/metrics")
        #expect(metrics.status == 200)
        let body = metrics.body + "\n"
        // The text format, as Prometheus's own tool reads it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tt-metrics-\(UUID().uuidString).txt").path
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        defer { unlink(file) }
        let check = try await offPool { try spawnAndWait(["sh", "-c", "promtool check metrics < '\(file)'"]) }
        #expect(check.status == 0, "promtool check metrics: \(check.stdout)\(check.stderr)")

        let samples = parseSamples(body)
        let now = Date().timeIntervalSince1970
        // A healthy row: its gateway expiry is ahead (1 h tokens), 10 s before its expiry, and no failures.
        let healthy = #"client_id="healthy""#
        let gw = try #require(samples.first { $0.name == "tokentop_token_gateway_expiry_timestamp_seconds" && $0.labels.contains(healthy) })
        let exp = try #require(samples.first { $0.name == "tokentop_token_expiry_timestamp_seconds" && $0.labels.contains(healthy) })
        #expect(gw.value > now + 3000)
        #expect(abs(exp.value - gw.value - 10) < 0.01)
        #expect(samples.contains { $0.name == "tokentop_token_state" && $0.labels.contains(healthy) && $0.labels.contains(#"state="valid""#) && $0.value == 1 })
        // The wrong-secret row: failures counted, no token, state failed, a next attempt planned.
        let wrong = #"client_id="wrong-secret""#
        let failures = try #require(samples.first { $0.name == "tokentop_token_fetches_total" && $0.labels.contains(wrong) && $0.labels.contains(#"result="failure""#) })
        #expect(failures.value >= 1)
        #expect(!samples.contains { $0.name == "tokentop_token_expiry_timestamp_seconds" && $0.labels.contains(wrong) })
        #expect(samples.contains { $0.name == "tokentop_token_state" && $0.labels.contains(wrong) && $0.labels.contains(#"state="failed""#) && $0.value == 1 })
        #expect(samples.contains { $0.name == "tokentop_token_consecutive_failures" && $0.labels.contains(wrong) && $0.value >= 1 })
        // One state is 1 per row, the others 0.
        let stateRows = Dictionary(grouping: samples.filter { $0.name == "tokentop_token_state" }) { s in
            s.labels.replacingOccurrences(of: #",state="[a-z_]+""#, with: "", options: .regularExpression)
        }
        #expect(stateRows.count == 24)  // the demo's protected backends
        for (row, series) in stateRows { #expect(series.map(\.value).reduce(0, +) == 1, "\(row)") }
        // A token that never expires has no expiry series (not +Inf) and says so in its state.
        #expect(!samples.contains { $0.name == "tokentop_token_expiry_timestamp_seconds" && $0.labels.contains(#"client_id="no-expiry""#) })
        #expect(samples.contains { $0.name == "tokentop_token_state" && $0.labels.contains(#"client_id="no-expiry""#) && $0.labels.contains(#"state="no_expiry""#) && $0.value == 1 })
        #expect(samples.contains { $0.name == "tokentop_config_info" && $0.labels.contains(#"name="tokentop demo gateway""#) })
        #expect(samples.contains { $0.name == "tokentop_ready" && $0.value == 1 }, "\(body.split(separator: "\n").filter { $0.contains("ready") })")
        #expect(samples.contains { $0.name == "process_resident_memory_bytes" && $0.value > 1_000_000 })
        #expect(samples.contains { $0.name == "tokentop_token_fetch_duration_seconds_count" })
        try await poll("lint counts to appear", timeout: 20) {
            try await httpGet(base + "/metrics").body.contains("tokentop_lint_findings{severity=\"warning\"}")
        }
        // Never a secret, never a token.
        for scenario in Scenario.allCases { #expect(!body.contains(scenario.configuredSecret), "\(scenario)") }
        #expect(!body.contains("eyJ"))
        _ = demo
    }

    @Test func apiTokensIsCheckJSONAndOtherPathsAndMethodsAreRefused() async throws {
        let (demo, serve, base, _) = try await Self.startServe()
        defer { serve.cleanUp() }
        let health = try await httpGet(base + "/healthz")
        #expect(health.status == 200)
        try await poll("readyz 200", timeout: 30) { try await httpGet(base + "/readyz").status == 200 }

        let tokens = try await httpGet(base + "/api/tokens")
        #expect(tokens.status == 200)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(tokens.body.utf8)) as? [String: Any])
        let routes = try #require(doc["routes"] as? [[String: Any]])
        #expect(routes.count == 25)
        #expect(doc["ok"] as? Bool == false)  // the demo has failing rows on purpose
        let wrong = try #require(routes.first { $0["clientID"] as? String == "wrong-secret" })
        #expect(wrong["state"] as? String == "failed")
        let error = try #require(wrong["error"] as? [String: Any])
        #expect(error["status"] as? Int == 401)
        #expect(error["error"] as? String == "invalid_client")
        let healthy = try #require(routes.first { $0["clientID"] as? String == "healthy" })
        #expect(healthy["state"] as? String == "valid")
        #expect((healthy["token"] as? String)?.contains("…") == true)  // masked

        #expect(try await httpGet(base + "/nope").status == 404)
        #expect(try await httpGet(base + "/metrics", method: "POST").status == 405)
        #expect(try await httpGet(base + "/metrics", method: "DELETE").status == 405)
        _ = demo
    }

    @Test func sigtermDrainsAndExitsZeroAndEveryLogLineIsJSON() async throws {
        let (demo, serve, base, _) = try await Self.startServe()
        defer { serve.cleanUp() }
        try await poll("readyz 200", timeout: 30) { try await httpGet(base + "/readyz").status == 200 }
        serve.signal(SIGTERM)
        let status = try await serve.wait()
        #expect(status == 0, "\(serve.stderr)")
        let lines = serve.stderr.split(separator: "\n")
        #expect(lines.count >= 25)
        var fetched = 0
        for line in lines {
            let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(obj != nil, "not a JSON line: \(line)")
            if obj?["msg"] as? String == "token fetched" { fetched += 1 }
        }
        #expect(fetched >= 10)
        #expect(lines.last?.contains("\"stopped\"") == true)
        #expect(serve.stderr.contains("\"stopping on SIGTERM\""))
        // A failure's line carries the server's error, and never the configured secret.
        #expect(lines.contains { $0.contains("\"client_id\":\"wrong-secret\"") && $0.contains("\"error\":\"invalid_client\"") })
        #expect(!serve.stderr.contains("wrong-secret-typo"))
        // The port is closed after the exit.
        #expect(try await httpGet(base + "/healthz", timeout: 2).status == 0)
        _ = demo
    }

    @Test func logFileGetsTheJSONLinesInsteadOfStderr() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tt-serve-log-\(UUID().uuidString).jsonl").path
        defer { unlink(log) }
        let (demo, serve, base, _) = try await Self.startServe(extraArgs: ["--log-file", log])
        defer { serve.cleanUp() }
        try await poll("readyz 200", timeout: 30) { try await httpGet(base + "/readyz").status == 200 }
        serve.signal(SIGTERM)
        #expect(try await serve.wait() == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 25)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(lines.contains { $0.contains("\"token fetched\"") })
        #expect(!serve.stderr.contains("token fetched"))
        _ = demo
    }

    @Test func listeningBeyondLoopbackIsSaidAndABadAddressIsAUsageError() async throws {
        let bad = try await offPool { try spawnAndWait([tokentopBinary, "serve", "x.json", "--listen", "nonsense"]) }
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--listen: not an address to listen on: nonsense"))

        let (demo, serve, _, _) = try await Self.startServe(extraArgs: ["--listen", "0.0.0.0:0"])
        defer { serve.cleanUp() }
        try await poll("the warning about listening beyond loopback", timeout: 20, detail: { serve.stderr }) {
            serve.stderr.contains("not only on loopback")
        }
        _ = demo
    }
}

/// One sample line of the text format: name, the label text (between the braces) and value.
struct Sample { var name: String; var labels: String; var value: Double }

func parseSamples(_ body: String) -> [Sample] {
    body.split(separator: "\n").compactMap { line -> Sample? in
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { return nil }
        let head = line[..<space]
        let value = Double(line[line.index(after: space)...].replacingOccurrences(of: "+Inf", with: "inf")) ?? .nan
        if let brace = head.firstIndex(of: "{") {
            return Sample(name: String(head[..<brace]), labels: String(head[head.index(after: brace)...].dropLast()), value: value)
        }
        return Sample(name: String(head), labels: "", value: value)
    }
}
