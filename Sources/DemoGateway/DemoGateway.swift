import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An embedded loopback server that plays both sides of a gateway's client-credentials setup:
/// an OAuth 2.0 authorization server (RFC 6749 §4.4) with one token endpoint per ``Scenario``,
/// and the protected backends that accept its tokens (RFC 6750).
///
/// Used by `tokentop demo` (with ``configJSON()`` as the config to show) and by tests that need a
/// real HTTP server to misbehave in a known way.
///
/// Routes:
/// - `POST /oauth/<scenario>/token` — the scenario's token endpoint; `POST /oauth/token` behaves
///   like `healthy` for any registered client (handy for clients added with ``registerClient(id:secret:lifetime:scopes:)``).
/// - `ANY /api/<scenario>[/...]` — protected backend: needs `Authorization: Bearer <token>` with a
///   token this server issued and that has not expired. `/api/scoped` also needs scope `admin`.
/// - `ANY /api/public[/...]` — unprotected backend.
/// - `/redirect/same-host` → 302 to `/api/healthy`; `/redirect/cross-host` → 302 to
///   `http://localhost:PORT/api/public` (another host name for the same server).
///
/// Backends answer with JSON echoing who called and what arrived (Authorization masked).
/// Tokens are JWT-shaped but signed with random bytes: this is a demo, not a security boundary.
/// It listens on 127.0.0.1 only.
public final class DemoGateway: Sendable {
    /// Tunables, mostly so tests don't have to wait for demo-sized delays.
    public struct Options: Sendable {
        /// How long the `slow` scenario waits before answering. Default 3 s.
        public var slowDelay: Duration
        /// Approximate size of the `oversized` response body in bytes. Default 2 MiB, twice the
        /// gateway's 1 MiB read limit.
        public var oversizedBodySize: Int
        /// How many requests of each kind (token, backend) are kept for ``DemoGateway/recordedTokenRequests()``
        /// and ``DemoGateway/recordedBackendRequests()``; older ones are dropped. Default 10 000.
        public var maxRecordedRequests: Int

        public init(slowDelay: Duration = .seconds(3), oversizedBodySize: Int = 2 << 20,
                    maxRecordedRequests: Int = 10_000) {
            self.slowDelay = slowDelay
            self.oversizedBodySize = oversizedBodySize
            self.maxRecordedRequests = maxRecordedRequests
        }
    }

    private let core: GatewayCore
    private let serverChannel: Channel
    /// Accepted connections, so ``shutdown()`` can close them, including ones held by `hang`.
    private let connections: Locked<[ObjectIdentifier: Channel]>

    /// The audience the `auth0` scenario requires (sent by the config in `endpoint_params`).
    public static let auth0Audience = GatewayCore.auth0Audience

    /// The plain token endpoint (behaves like `healthy` for any registered client).
    public static let genericTokenPath = GatewayCore.genericTokenPath

    /// The port the server listens on.
    public let port: Int

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(core: GatewayCore, serverChannel: Channel, connections: Locked<[ObjectIdentifier: Channel]>, port: Int) {
        self.core = core; self.serverChannel = serverChannel; self.connections = connections; self.port = port
    }

    /// Starts a server on 127.0.0.1.
    ///
    /// - Parameters:
    ///   - port: The port to listen on; 0 picks a free one (read it back from ``port``).
    ///   - options: See ``Options``.
    /// - Throws: When the port cannot be bound.
    public static func start(port: Int = 0, options: Options = .init()) async throws -> DemoGateway {
        let core = GatewayCore(options: options)
        let connections = Locked<[ObjectIdentifier: Channel]>([:])
        // The shared NIO event loop group: starting many gateways in tests costs no threads, and
        // there is nothing to shut down but our own channels.
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLock { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(core: core))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            throw DemoGatewayError.noPort
        }
        core.boundPort.withLock { $0 = boundPort }
        return DemoGateway(core: core, serverChannel: channel, connections: connections, port: boundPort)
    }

    /// Stops listening and closes every open connection (a request held by `hang` ends with the
    /// connection closed). Calling it again does nothing.
    public func shutdown() async throws {
        do {
            try await serverChannel.close()
        } catch ChannelError.alreadyClosed {
            // Already shut down.
        }
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            try? await channel.close()
        }
    }

    /// Connections currently open (for tests that check nothing is left behind).
    var openConnectionCount: Int { connections.withLock { $0.count } }

    // MARK: - Config

    /// A KrakenD v3 config (pretty-printed JSON text) with one endpoint per ``Scenario`` at
    /// `/demo/<scenario>` → backend `/api/<scenario>`, plus `/demo/healthy-shared`, `/demo/martian`,
    /// `/demo/users/{id}`, `/demo/public`, `/demo/redirect/cross-host` and
    /// `/demo/redirect/same-host`. Root `host` is [``baseURL``]; key order is fixed.
    public func configJSON() -> String {
        DemoConfig.json(baseURL: baseURL).pretty + "\n"
    }

    /// Writes ``configJSON()`` to a file (atomically, replacing any existing file).
    public func writeConfig(to path: String) throws {
        try Data(configJSON().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    // MARK: - Clients

    /// Registers (or replaces) a client at run time.
    ///
    /// The client can then get tokens from any token endpoint (each applies its scenario's
    /// quirks) — `POST /oauth/token` is the plain one.
    /// - Parameters:
    ///   - lifetime: Token lifetime in seconds (`expires_in`).
    ///   - scopes: Scopes it may be granted; empty means any requested scope is granted.
    public func registerClient(id: String, secret: String, lifetime: Int, scopes: [String] = []) {
        core.state.withLock {
            $0.clients[id] = Client(id: id, secret: secret, lifetime: lifetime, scopes: scopes)
        }
    }

    // MARK: - Counters and records

    /// POST requests received on token endpoints for this client id, including ones that failed.
    /// The client is identified from HTTP Basic first, then the `client_id` body field; requests
    /// naming no registered client count under `""`.
    public func tokenRequestCount(clientID: String) -> Int {
        core.state.withLock { $0.tokenCounts[clientID] ?? 0 }
    }

    /// POST requests received on all token endpoints.
    public func totalTokenRequests() -> Int {
        core.state.withLock { $0.totalTokenRequests }
    }

    /// Every request received under `/oauth/`, in arrival order (any method), raw.
    public func recordedTokenRequests() -> [RecordedRequest] {
        core.state.withLock { $0.tokenRecords }
    }

    /// Every other request (backends, redirects, unknown paths), in arrival order, raw.
    public func recordedBackendRequests() -> [RecordedRequest] {
        core.state.withLock { $0.backendRecords }
    }

    /// Forgets recorded requests and counters (including the `flaky` alternation). Clients and
    /// issued tokens stay.
    public func resetRecords() {
        core.state.withLock {
            $0.tokenRecords = []
            $0.backendRecords = []
            $0.tokenCounts = [:]
            $0.totalTokenRequests = 0
            $0.flakyRequests = 0
        }
    }
}

/// Errors thrown by ``DemoGateway/start(port:options:)``.
public enum DemoGatewayError: Error, Sendable {
    /// The socket was bound but reported no port (should not happen on 127.0.0.1).
    case noPort
}
