import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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
/// Faults for tests: ``setFault(_:path:)`` makes one path misbehave (hang, trickle, HTML 500, 429,
/// 10 MiB body, redirect loop, not HTTP, …) until cleared; ``pause()``/``resume()`` make the whole
/// server go away (connection refused) and come back on the same port; ``Options/tls`` serves
/// HTTPS with a given certificate (test certificates live in `Tests/Fixtures/tls`).
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
        /// Serve HTTPS with this certificate and key instead of plain HTTP. Default nil.
        public var tls: TLSFiles?
        /// Pause between the body bytes of ``Fault/trickle``. Default 1 s.
        public var trickleInterval: Duration
        /// Body size of ``Fault/hugeBody`` in bytes. Default 10 MiB.
        public var hugeBodySize: Int

        public init(slowDelay: Duration = .seconds(3), oversizedBodySize: Int = 2 << 20,
                    maxRecordedRequests: Int = 10_000, tls: TLSFiles? = nil, trickleInterval: Duration = .seconds(1),
                    hugeBodySize: Int = 10 << 20) {
            self.slowDelay = slowDelay
            self.oversizedBodySize = oversizedBodySize
            self.maxRecordedRequests = maxRecordedRequests
            self.tls = tls
            self.trickleInterval = trickleInterval
            self.hugeBodySize = hugeBodySize
        }
    }

    /// PEM files for an HTTPS listener (see `Tests/Fixtures/tls`: test-only certificates).
    public struct TLSFiles: Sendable, Hashable {
        /// The server certificate (optionally followed by intermediates), PEM.
        public var certificateChain: String
        /// Its private key, PEM.
        public var privateKey: String
        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain; self.privateKey = privateKey
        }
    }

    private let core: GatewayCore
    /// The listening socket; nil while paused.
    private let serverChannel: Locked<Channel?>
    /// Accepted connections, so ``shutdown()`` can close them, including ones held by `hang`.
    private let connections: Locked<[ObjectIdentifier: Channel]>
    /// Binds a listening socket on a port (the same bootstrap for start and resume).
    private let bind: @Sendable (Int) async throws -> Channel

    /// The audience the `auth0` scenario requires (sent by the config in `endpoint_params`).
    public static let auth0Audience = GatewayCore.auth0Audience

    /// The plain token endpoint (behaves like `healthy` for any registered client).
    public static let genericTokenPath = GatewayCore.genericTokenPath

    /// The port the server listens on.
    public let port: Int

    /// `http://127.0.0.1:PORT` (`https://` with ``Options/tls``).
    public var baseURL: String { core.baseURL }

    /// The TLS context new connections get (swapped by ``resume(tls:)``); nil for plain HTTP.
    private let sslContext: Locked<NIOSSLContext?>
    /// While paused: a socket bound to the port but not listening, so connections are refused
    /// and no other socket of the machine (another test's server, an outgoing connection's
    /// ephemeral port) can take the port before ``resume()``. Without it, a busy test run hands
    /// the freed port to another server within seconds.
    private let portReservation = Locked<Int32?>(nil)

    private init(core: GatewayCore, serverChannel: Channel, connections: Locked<[ObjectIdentifier: Channel]>, port: Int,
                 bind: @escaping @Sendable (Int) async throws -> Channel, sslContext: Locked<NIOSSLContext?>) {
        self.core = core; self.serverChannel = Locked(serverChannel); self.connections = connections; self.port = port
        self.bind = bind; self.sslContext = sslContext
    }

    static let reusePort = ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT))

    /// The event loops of every demo server in this process (never shut down, like NIO's singleton).
    static let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))

    /// Starts a server on 127.0.0.1.
    ///
    /// - Parameters:
    ///   - port: The port to listen on; 0 picks a free one (read it back from ``port``).
    ///   - options: See ``Options``.
    /// - Throws: When the port cannot be bound (a port just released is retried for 2 s), or the
    ///   TLS files cannot be read.
    public static func start(port: Int = 0, options: Options = .init()) async throws -> DemoGateway {
        let core = GatewayCore(options: options)
        let connections = Locked<[ObjectIdentifier: Channel]>([:])
        let sslContext = Locked<NIOSSLContext?>(try options.tls.map(Self.sslContext))
        // One event loop group shared by every gateway of the process: starting many gateways in
        // tests costs no threads, and there is nothing to shut down but our own channels. Not
        // NIO's singleton: AsyncHTTPClient runs on that one, and a server busy with TLS
        // handshakes or a 10 MiB body must not stall the timers of the client it is testing.
        @Sendable func makeBootstrap() -> ServerBootstrap {
            ServerBootstrap(group: Self.serverGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLock { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    if let context = sslContext.withLock({ $0 }) {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.addHandler(RawOutlet(), name: RawOutlet.name)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(core: core))
                }
            }
        }
        let bind: @Sendable (Int) async throws -> Channel = { port in
            // A port released a moment ago (pause/resume, or a restart on the old port) can be
            // refused briefly; SO_REUSEADDR covers TIME_WAIT, this covers the rest.
            let deadline = ContinuousClock.now + .seconds(2)
            while true {
                do {
                    // SO_REUSEPORT lets pause()'s port reservation bind beside the listener (see
                    // `portReservation`). Set before bind only for a port asked for by number (resume
                    // binds beside the reservation); after bind for port 0, because Linux may give a
                    // port-0 bind with SO_REUSEPORT a port another such socket already listens on.
                    let bootstrap = makeBootstrap()
                    if port != 0 { _ = bootstrap.serverChannelOption(Self.reusePort, value: 1) }
                    let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
                    if port == 0 { try await channel.setOption(Self.reusePort, value: 1) }
                    return channel
                } catch {
                    guard port != 0, ContinuousClock.now < deadline else { throw error }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let channel = try await bind(port)
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            throw DemoGatewayError.noPort
        }
        core.boundPort.withLock { $0 = boundPort }
        return DemoGateway(core: core, serverChannel: channel, connections: connections, port: boundPort, bind: bind,
                           sslContext: sslContext)
    }

    static func sslContext(_ files: TLSFiles) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem)
        return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    }

    /// Stops listening and closes every open connection (a request held by `hang` ends with the
    /// connection closed). Calling it again does nothing.
    public func shutdown() async throws {
        try await pause()
        releasePort()
    }

    /// The server goes away: stops listening (new connections are refused) and closes every open
    /// connection, but keeps its port, clients, issued tokens, counters and faults for ``resume()``.
    /// Calling it again does nothing.
    public func pause() async throws {
        let listener = serverChannel.withLock { c -> Channel? in defer { c = nil }; return c }
        if let listener {
            // Hold the port before letting go of it (see `portReservation`).
            reservePort()
            do {
                try await listener.close()
            } catch ChannelError.alreadyClosed {
                // Already closed.
            }
        }
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            try? await channel.close()
        }
        if listener != nil { await waitUntilRefused() }
    }

    /// Returns once a connection to the port is refused (at most 5 s).
    ///
    /// Why: closing the listener closes this process's descriptor only. NIO's sockets are not
    /// close-on-exec, so a child that another test is spawning at that moment (between
    /// posix_spawn's clone and its close-the-rest before exec) holds a copy, and the socket keeps
    /// listening until the child lets go: a client connecting then was accepted into the queue
    /// and reset ("connection reset by peer" instead of refused, seen once on a loaded machine).
    private func waitUntilRefused() async {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if !Self.accepts(port: port) { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted now (loopback: no waiting).
    private static func accepts(port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// The server comes back on the same port after ``pause()``, with its state. Does nothing
    /// when it is listening already.
    /// - Throws: When the port cannot be bound again within 2 s (another process took it).
    ///
    /// - Parameter tls: A new certificate for a TLS server (e.g. the operator replaced an
    ///   untrusted one); nil keeps the current one. Ignored for a plain HTTP server.
    public func resume(tls: TLSFiles? = nil) async throws {
        guard serverChannel.withLock({ $0 == nil }) else { return }
        if let tls, sslContext.withLock({ $0 != nil }) {
            let context = try Self.sslContext(tls)
            sslContext.withLock { $0 = context }
        }
        // The listener binds beside the reservation (both SO_REUSEPORT), then the reservation
        // goes: the port is never free in between.
        let channel = try await bind(port)
        serverChannel.withLock { $0 = channel }
        releasePort()
    }

    deinit { releasePort() }

    private func reservePort() {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return }
        // SO_REUSEPORT (the listener has it too) lets this socket bind the port while the listener
        // still holds it, so the port is never free; no SO_REUSEADDR, so nobody else can share
        // it. Bound but not listening: connections to the port are refused. Ephemeral port
        // selection (autobind, outgoing connections) skips ports bound like this.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Should not fail (see above); if it does, pause() still refuses connections, it just
        // cannot keep other sockets off the port.
        guard rc == 0 else { close(fd); return }
        let old = portReservation.withLock { r -> Int32? in defer { r = fd }; return r }
        if let old { close(old) }
    }

    private func releasePort() {
        if let fd = portReservation.withLock({ r -> Int32? in defer { r = nil }; return r }) { close(fd) }
    }

    /// True between ``pause()`` and ``resume()`` (and after ``shutdown()``).
    public var isPaused: Bool { serverChannel.withLock { $0 == nil } }

    // MARK: - Faults

    /// Makes requests to `path` (exact path, query ignored) misbehave as `fault`; nil restores
    /// the normal behaviour. Takes effect for the next request.
    public func setFault(_ fault: Fault?, path: String) {
        core.state.withLock { $0.faults[path] = fault }
    }

    /// Restores the normal behaviour of every path.
    public func clearFaults() {
        core.state.withLock { $0.faults = [:] }
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
