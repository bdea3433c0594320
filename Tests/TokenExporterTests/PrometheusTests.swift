import DemoGateway
import Foundation
import Polling
import TestProcess
import Testing

/// The alert rules as Prometheus's own tool checks them, and `tokentop serve` scraped by a real
/// Prometheus (Debian's `prometheus` package; scripts/install-deps.sh installs it).
@Suite(.serialized) struct PrometheusTests {
    static let rules = repository.appendingPathComponent("deploy/prometheus/tokentop.rules.yml").path
    static let ruleTests = repository.appendingPathComponent("deploy/prometheus/tokentop.rules.test.yml").path

    @Test func alertRulesPassPromtoolCheckAndTheirUnitTests() async throws {
        let check = try await offPool { try spawnAndWait(["promtool", "check", "rules", Self.rules]) }
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 4 rules found"))
        let test = try await offPool { try spawnAndWait(["promtool", "test", "rules", Self.ruleTests]) }
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("SUCCESS"))
    }

    /// A free loopback port (bound, read, released: the caller binds it next).
    static func freePort() throws -> Int {
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

    /// Runs a PromQL instant query and returns (labels, value) per result.
    static func query(_ prom: String, _ q: String) async throws -> [([String: String], Double)] {
        let url = prom + "/api/v1/query?query=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let r = try await httpGet(url)
        guard r.status == 200, let obj = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
              let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
        return result.compactMap { item in
            guard let metric = item["metric"] as? [String: String], let value = item["value"] as? [Any],
                  let text = value.last as? String, let v = Double(text) else { return nil }
            return (metric, v)
        }
    }

    @Test func aRealPrometheusScrapesServeAndTheFailingFetchAlertFires() async throws {
        let (demo, serve, base, _) = try await ServeTests.startServe()
        defer { serve.cleanUp() }
        let target = base.replacingOccurrences(of: "http://", with: "")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The repository's rules with short `for:` durations, so the test sees an alert fire.
        let rules = try String(contentsOfFile: Self.rules, encoding: .utf8)
            .replacingOccurrences(of: "for: 5m", with: "for: 3s").replacingOccurrences(of: "for: 10m", with: "for: 3s")
        try rules.write(toFile: dir.appendingPathComponent("rules.yml").path, atomically: true, encoding: .utf8)
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: [rules.yml]
        scrape_configs:
          - job_name: tokentop
            static_configs:
              - targets: ['\(target)']
        """.write(toFile: dir.appendingPathComponent("prometheus.yml").path, atomically: true, encoding: .utf8)
        let port = try Self.freePort()
        let prom = try BackgroundProcess([
            "prometheus", "--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
            "--web.listen-address=127.0.0.1:\(port)",
        ])
        defer { prom.cleanUp() }
        let api = "http://127.0.0.1:\(port)"

        // Prometheus is up, has scraped tokentop, and the target is healthy.
        try await poll("Prometheus to scrape tokentop", timeout: 60, every: .milliseconds(250), detail: { prom.stderr.suffix(2000).description }) {
            try await Self.query(api, #"up{job="tokentop"}"#).first?.1 == 1
        }
        // Healthy rows: their token is usable by the gateway for most of an hour.
        let left = try await poll("expiry series of healthy tokens", timeout: 30, every: .milliseconds(250)) { () -> [([String: String], Double)]? in
            let r = try await Self.query(api, #"tokentop_token_gateway_expiry_timestamp_seconds{client_id="healthy"} - time()"#)
            return r.isEmpty ? nil : r
        }
        #expect(left.allSatisfy { $0.1 > 3000 && $0.1 <= 3590 }, "\(left)")
        // The wrong-secret row counts failures.
        let failures = try await poll("failures of the wrong-secret row", timeout: 30, every: .milliseconds(250)) { () -> Double? in
            // Until it is counted: a scrape before the first failure says 0.
            let v = try await Self.query(api, #"tokentop_token_fetches_total{client_id="wrong-secret",result="failure"}"#).first?.1
            return v.flatMap { $0 >= 1 ? $0 : nil }
        }
        #expect(failures >= 1)
        // The README's example query: tokens the gateway stops using within 5 minutes. The demo's
        // 20 s and 60 s tokens are among them; the 1 h tokens are not.
        let soon = try await Self.query(api, "tokentop_token_gateway_expiry_timestamp_seconds - time() < 300")
        #expect(soon.contains { $0.0["client_id"] == "short-lived" })
        #expect(!soon.contains { $0.0["client_id"] == "healthy" })

        // The rules loaded, and the failing-fetch alert fires for the wrong-secret row.
        let rulesBody = try await httpGet(api + "/api/v1/rules").body
        for name in ["TokenFetchFailing", "TokenExpiredNotReplaced", "TokenExpiringWithFailedFetch", "TokenNeverExpires"] {
            #expect(rulesBody.contains("\"\(name)\""), "\(name) not loaded")
        }
        let alert = try await poll("TokenFetchFailing to fire for wrong-secret", timeout: 60, every: .milliseconds(500)) { () -> [String: Any]? in
            let body = try await httpGet(api + "/api/v1/alerts").body
            guard let obj = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                  let alerts = (obj["data"] as? [String: Any])?["alerts"] as? [[String: Any]] else { return nil }
            return alerts.first { a in
                let labels = a["labels"] as? [String: String] ?? [:]
                return labels["alertname"] == "TokenFetchFailing" && labels["client_id"] == "wrong-secret" && a["state"] as? String == "firing"
            }
        }
        let annotations = alert["annotations"] as? [String: String] ?? [:]
        #expect(annotations["summary"]?.contains("wrong-secret") == true)
        #expect((alert["labels"] as? [String: String])?["severity"] == "critical")
        // A healthy row never alerts.
        let all = try await httpGet(api + "/api/v1/alerts").body
        #expect(!all.contains("\"client_id\":\"healthy\""))
        // And the never-expiring token gets its warning.
        try await poll("TokenNeverExpires for no-expiry", timeout: 60, every: .milliseconds(500)) {
            let body = try await httpGet(api + "/api/v1/alerts").body
            return body.contains("\"TokenNeverExpires\"") && body.contains("\"client_id\":\"no-expiry\"")
        }
        _ = demo
    }
}
