import Dashboard
import DemoGateway
import Foundation
import GatewayConfig
import Synchronization
import TokenKit

/// Generated configs (scripts/gen-config.py), shared by the in-process benchmarks and tt-bench.
public enum BenchConfigs {
    /// The repository root: this file is `<root>/Benchmarks/Sources/BenchSupport/BenchSupport.swift`.
    public static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `$TOKENTOP_BENCH_CONFIGS`, else `<root>/bench-out/configs` (what scripts/bench.sh uses).
    public static var directory: String {
        ProcessInfo.processInfo.environment["TOKENTOP_BENCH_CONFIGS"]
            ?? repoRoot.appendingPathComponent("bench-out/configs").path
    }

    /// `<directory>/c<n>.json`, a config with `n` backends in the suite's default shape (half
    /// protected, a quarter on shared credentials); generated with scripts/gen-config.py when missing.
    public static func path(backends n: Int) -> String {
        let path = directory + "/c\(n).json"
        if !FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let script = repoRoot.appendingPathComponent("scripts/gen-config.py").path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script, "\(n)", "-o", path]
            do { try p.run(); p.waitUntilExit() } catch { fatalError("cannot run \(script): \(error)") }
            guard p.terminationStatus == 0 else { fatalError("\(script) \(n) failed") }
        }
        return path
    }

    /// Loads a config or stops the benchmark (a generated config always loads).
    public static func load(_ path: String) -> GatewayConfiguration {
        do { return try ConfigLoader.load(path: path) } catch { fatalError("\(path): \(error)") }
    }
}

/// A token endpoint in memory: every request gets a fresh 200 with a JWT-sized token, so models
/// can be filled with real `TokenManager` snapshots without a network.
public struct InstantTokenTransport: HTTPTransport {
    public var lifetime: Int
    public init(lifetime: Int = 3600) { self.lifetime = lifetime }
    public func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        let token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + String(repeating: "x", count: 200) + ".sig"
        let body = #"{"access_token":"\#(token)","token_type":"bearer","expires_in":\#(lifetime)}"#
        return HTTPResponseData(status: 200, reason: "OK", headers: [HTTPHeader("Content-Type", "application/json")],
                                body: Array(body.utf8))
    }
}

/// Wraps a transport and counts the requests that reach it (the POSTs a fetch really sends).
public final class CountingTransport: HTTPTransport {
    public let inner: any HTTPTransport
    private let counter = Atomic<Int>(0)
    public init(_ inner: any HTTPTransport) { self.inner = inner }
    public var count: Int { counter.load(ordering: .relaxed) }
    public func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        counter.add(1, ordering: .relaxed)
        return try await inner.send(request, timeout: timeout, bodyLimit: bodyLimit)
    }
}

public enum BenchModels {
    /// A dashboard model of `config` as it looks once every token is held: real TokenManager
    /// snapshots (fetched through `InstantTokenTransport`) and the event log, at `now`.
    public static func dashboard(_ config: GatewayConfiguration, size: Size, now: Date = Date().addingTimeInterval(5)) async -> DashboardModel {
        var policy = RefreshPolicy()
        policy.maxConcurrent = 64
        let manager = TokenManager(routes: config.routes, fetcher: TokenFetcher(transport: InstantTokenTransport()), policy: policy)
        await manager.fetchAllOnce()
        let context = DashboardContext(file: config.file, gatewayName: config.name, routes: config.routes,
                                       entryForRoute: await manager.routeEntryMap(), policy: policy)
        return DashboardModel(context: context, now: now, size: size, entries: await manager.snapshot(), events: await manager.events())
    }
}

/// Single-flight: `callers` concurrent `refresh(entry:)` calls for one credential.
public enum SingleFlight {
    public struct Result: Sendable {
        /// POSTs the token server received for the credential during the run.
        public var serverPOSTs: Int
        /// Requests tokentop's transport sent.
        public var clientRequests: Int
        /// Callers that got an attempt back (`refresh(entry:)` returned non-nil). The callers that
        /// joined the fetch in flight read the entry's newest attempt when they resume, which can
        /// be before the first caller has recorded it: they then get nil (or an older attempt).
        public var answered: Int
        public var seconds: Double
    }

    /// The demo's `slow` token endpoint (it answers after `DemoGateway.Options.slowDelay`), so every
    /// caller is certainly concurrent with the fetch in flight: on a loaded 2-core machine,
    /// scheduling 1,000 tasks can take longer than a loopback fetch of a fast endpoint.
    public static func route(gateway: DemoGateway) -> Route {
        let s = Scenario.slow
        let c = ClientCredentials(clientID: s.clientID, clientSecret: s.configuredSecret,
                                  tokenURL: gateway.baseURL + s.tokenPath, scopes: s.configScopes)
        return Route(id: 0, endpoint: "/single-flight", endpointMethod: "GET", method: "GET", endpointIndex: 0,
                     backendIndex: 0, hosts: [gateway.baseURL], urlPattern: s.backendPath, credentials: c, path: "endpoints[0].backend[0]")
    }

    public static func run(callers: Int, gateway: DemoGateway, transport: any HTTPTransport) async -> Result {
        let counting = CountingTransport(transport)
        let manager = TokenManager(routes: [route(gateway: gateway)], fetcher: TokenFetcher(transport: counting))
        let before = gateway.tokenRequestCount(clientID: Scenario.slow.clientID)
        let t0 = ContinuousClock.now
        let answered = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<callers { group.addTask { await manager.refresh(entry: 0) != nil } }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        let elapsed = ContinuousClock.now - t0
        let after = gateway.tokenRequestCount(clientID: Scenario.slow.clientID)
        return Result(serverPOSTs: after - before, clientRequests: counting.count, answered: answered,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
