import DemoGateway
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Polling
import Testing
import TokenKit

/// Test-only TLS files (see Tests/Fixtures/tls/README.md).
enum TLSFixture {
    static var directory: URL {
        // #filePath → <repo>/Tests/FaultTests/Support.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tls")
    }
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static var caFile: String { path("ca.pem") }
    /// Signed by the test CA: trusted with `caFile`.
    static var trusted: DemoGateway.TLSFiles { .init(certificateChain: path("server.pem"), privateKey: path("server.key")) }
    /// Self-signed: trusted by nobody.
    static var selfSigned: DemoGateway.TLSFiles { .init(certificateChain: path("selfsigned.pem"), privateKey: path("selfsigned.key")) }
}

/// Backoff fast enough for tests, without jitter, so the growth is exact: 0.1, 0.2, 0.4, 0.5 s.
func fastPolicy() -> RefreshPolicy {
    var p = RefreshPolicy()
    p.backoffBase = 0.1
    p.backoffCap = 0.5
    p.jitter = 0
    return p
}

/// Two servers and one token manager: a healthy token on server A, and a token on server B whose
/// token endpoint (`/oauth/token`, client `faulty`) gets the fault. Separate servers, so pausing
/// B leaves A alone: "other rows are unaffected" is then a real check.
struct FaultRig {
    static let faultyClient = "faulty"
    static let faultySecret = "faulty-secret"

    var healthyServer: DemoGateway
    var faultyServer: DemoGateway
    var transport: AHCTransport
    var manager: TokenManager
    var routes: [Route]
    /// Entry ids in the manager.
    var healthy: Int
    var faulty: Int

    /// Token endpoint path on B that faults are set on.
    static let tokenPath = DemoGateway.genericTokenPath

    static func credentials(for server: DemoGateway) -> ClientCredentials {
        ClientCredentials(clientID: faultyClient, clientSecret: faultySecret, tokenURL: server.baseURL + tokenPath, scopes: "read")
    }

    static func route(id: Int, endpoint: String, host: String, credentials: ClientCredentials) -> Route {
        Route(id: id, endpoint: endpoint, endpointMethod: "GET", method: "GET", endpointIndex: id, backendIndex: 0,
              hosts: [host], urlPattern: "/api/public", serviceDiscovery: .static, credentials: credentials,
              headerModifiers: [], otherModifiers: [], path: "endpoints[\(id)].backend[0]")
    }
}

/// Builds a rig, runs `body`, tears everything down (also when `body` throws). Token requests get
/// 5 s by default: at 2 s a machine loaded by a parallel build turned 429s and non-HTTP answers
/// into timeouts now and then; the tests about slowness pass 2 s.
func withRig(faultyOptions: DemoGateway.Options = .init(), timeout: Duration = .seconds(5),
             connectTimeout: Duration = .seconds(3), caFile: String? = nil, insecure: Bool = false,
             policy: RefreshPolicy = fastPolicy(),
             _ body: (FaultRig) async throws -> Void) async throws {
    let a = try await DemoGateway.start()
    let b = try await DemoGateway.start(options: faultyOptions)
    b.registerClient(id: FaultRig.faultyClient, secret: FaultRig.faultySecret, lifetime: 3600)
    // As `NetworkOptions.tokenTransport(for:)` makes it: no connect retries inside AHC.
    let transport = try AHCTransport(connectTimeout: connectTimeout, insecure: insecure, caFile: caFile, retryConnects: false)
    let routes = [
        FaultRig.route(id: 0, endpoint: "/healthy", host: a.baseURL, credentials: ClientCredentials(
            clientID: Scenario.healthy.clientID, clientSecret: Scenario.healthy.clientSecret,
            tokenURL: a.baseURL + Scenario.healthy.tokenPath, scopes: "read")),
        FaultRig.route(id: 1, endpoint: "/faulty", host: b.baseURL, credentials: FaultRig.credentials(for: b)),
    ]
    let manager = TokenManager(routes: routes, fetcher: TokenFetcher(transport: transport, timeout: timeout), policy: policy)
    let rig = FaultRig(healthyServer: a, faultyServer: b, transport: transport, manager: manager, routes: routes,
                       healthy: try #require(await manager.entryID(forRoute: 0)), faulty: try #require(await manager.entryID(forRoute: 1)))
    do {
        try await body(rig)
    } catch {
        await transport.shutdown(); try? await a.shutdown(); try? await b.shutdown()
        throw error
    }
    await transport.shutdown()
    try await a.shutdown()
    try await b.shutdown()
}

/// `poll` (Tests/Polling) under the name these tests read well with.
func waitUntil(_ what: String, timeout: TimeInterval = 10, sourceLocation: Testing.SourceLocation = #_sourceLocation,
               _ condition: () async throws -> Bool) async throws {
    try await poll(what, timeout: timeout, sourceLocation: sourceLocation, condition)
}

extension TokenManager {
    func entry(_ id: Int) async throws -> TokenEntrySnapshot {
        try #require(snapshot(entry: id))
    }
}

/// Watches a manager's events and notes, for each failed attempt of one entry, the backoff the
/// manager chose (`nextRetryAt` minus the manager's `now` when it recorded the failure). That
/// instant is not visible, only bracketed: after the end of the attempt's exchanges, before the
/// event arrives here. So each delay is known as a range, `lower...upper`, however busy the
/// machine is.
actor BackoffRecorder {
    /// `nextRetryAt` − event arrival: never more than the real delay.
    private(set) var lowers: [TimeInterval] = []
    /// `nextRetryAt` − end of the exchanges: never less than the real delay.
    private(set) var delays: [TimeInterval] = []
    private(set) var summaries: [String] = []
    private var task: Task<Void, Never>?

    func start(_ manager: TokenManager, entry: Int) async {
        let events = await manager.subscribe()
        task = Task {
            for await e in events {
                guard case .finished(let a) = e, a.entryID == entry, let f = a.failure else { continue }
                let arrived = Date()
                let snap = await manager.snapshot(entry: entry)
                guard let next = snap?.nextRetryAt else { continue }
                self.note(lower: next.timeIntervalSince(arrived), upper: next.timeIntervalSince(a.started.addingTimeInterval(a.duration)), f.summary)
            }
        }
    }

    private func note(lower: TimeInterval, upper: TimeInterval, _ summary: String) {
        lowers.append(lower); delays.append(upper); summaries.append(summary)
    }

    func stop() { task?.cancel() }
}
