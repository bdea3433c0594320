// tokentop-soak-server: the DemoGateway with N clients whose tokens live a few seconds, for
// scripts/soak.sh. Writes a gateway config with one endpoint per client, serves until the stop
// file appears, then writes every token request it received (client, lifetime, times) and exits.
//
//   tokentop-soak-server --config FILE --stats FILE --stop-file FILE [--clients 200]
//                        [--min-lifetime 5] [--max-lifetime 30]
import DemoGateway
import Foundation

func fail(_ s: String) -> Never { FileHandle.standardError.write(Data(("tokentop-soak-server: " + s + "\n").utf8)); exit(2) }

@main
struct SoakServer {
    static func main() async throws {
        var clients = 200, minLifetime = 5, maxLifetime = 30
        var configPath: String?, statsPath: String?, stopPath: String?
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            guard let v = args.popFirst() else { fail("\(a) needs a value") }
            switch a {
            case "--clients": clients = Int(v) ?? clients
            case "--min-lifetime": minLifetime = Int(v) ?? minLifetime
            case "--max-lifetime": maxLifetime = Int(v) ?? maxLifetime
            case "--config": configPath = v
            case "--stats": statsPath = v
            case "--stop-file": stopPath = v
            default: fail("unknown argument \(a)")
            }
        }
        guard let configPath, let statsPath, let stopPath, clients > 0, minLifetime > 0, maxLifetime >= minLifetime else {
            fail("usage: --config FILE --stats FILE --stop-file FILE [--clients N] [--min-lifetime S] [--max-lifetime S]")
        }

        /// Lifetimes spread evenly over min...max (client i gets min + i mod span): deterministic.
        let span = maxLifetime - minLifetime + 1
        let lifetime = { (i: Int) -> Int in minLifetime + i % span }
        let clientID = { (i: Int) -> String in String(format: "soak-%03d", i) }

        let demo = try await DemoGateway.start(options: .init(maxRecordedRequests: 10_000_000))
        var endpoints: [String] = []
        for i in 0..<clients {
            demo.registerClient(id: clientID(i), secret: "soak-secret-\(i)", lifetime: lifetime(i))
            endpoints.append(#"""
                {"endpoint": "/soak/\#(i)", "backend": [{"url_pattern": "/api/healthy/\#(i)", "extra_config": {"auth/client-credentials": {
                  "client_id": "\#(clientID(i))", "client_secret": "soak-secret-\#(i)", "token_url": "\#(demo.baseURL)\#(DemoGateway.genericTokenPath)"}}}]}
            """#)
        }
        let config = """
        {
          "version": 3,
          "name": "soak: \(clients) credentials, tokens living \(minLifetime)–\(maxLifetime) s",
          "host": ["\(demo.baseURL)"],
          "endpoints": [
        \(endpoints.joined(separator: ",\n"))
          ]
        }

        """
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath), options: .atomic)
        print("soak server on \(demo.baseURL): \(clients) clients, config \(configPath)")

        while !FileManager.default.fileExists(atPath: stopPath) {
            try await Task.sleep(for: .milliseconds(200))
        }

        // Every token request: which client (HTTP Basic, as tokentop sends first), when, and how it ended
        // is in tokentop's log; here only arrival times matter.
        var times: [String: [Double]] = [:]
        for r in demo.recordedTokenRequests() where r.method == "POST" {
            guard let auth = r.header("Authorization"), auth.hasPrefix("Basic "),
                  let data = Data(base64Encoded: String(auth.dropFirst(6))),
                  let id = String(data: data, encoding: .utf8)?.split(separator: ":").first else { continue }
            times[String(id), default: []].append(r.receivedAt.timeIntervalSince1970)
        }
        var out = "# client\tlifetime\trequests\ttimes (unix seconds)\n"
        for i in 0..<clients {
            let id = clientID(i)
            let t = times[id] ?? []
            out += "\(id)\t\(lifetime(i))\t\(demo.tokenRequestCount(clientID: id))\t" + t.map { String(format: "%.3f", $0) }.joined(separator: " ") + "\n"
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: statsPath), options: .atomic)
        try await demo.shutdown()
        print("soak server: \(demo.totalTokenRequests()) token requests, stats in \(statsPath)")
    }
}
