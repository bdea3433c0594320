import AsyncHTTPTransport
import DemoGateway
import Foundation
import GatewayConfig
import Polling
import Testing
import TokenExporter
import TokenKit
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client, to send what no HTTP library would (oversized heads, trickled bytes) and to
/// hold connections open without a request.
final class RawClient {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }

    func send(_ s: String) { _ = Array(s.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// What arrived within the receive timeout; `closed` once the server closed the connection.
    func read() -> (text: String, closed: Bool) {
        var buf = [UInt8](repeating: 0, count: 65536)
        var got: [UInt8] = []
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n > 0 { got += buf[..<n]; continue }
            return (String(decoding: got, as: UTF8.self), n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        }
    }
}

/// The server's limits, over real loopback sockets: a scraper that misbehaves is cut off and
/// costs nothing else.
@Suite struct ServerLimitsTests {
    static func server(_ limits: HTTPServerLimits) async throws -> ExporterHTTPServer {
        try await ExporterHTTPServer.start(host: "127.0.0.1", port: 0, limits: limits) { r in
            .text(200, "path \(r.path)")
        }
    }

    @Test func anOversizedRequestGets413AndTooManyHeaders431() async throws {
        let server = try await Self.server(HTTPServerLimits())
        let port = server.localAddress.port!
        let big = try RawClient(port: port)
        big.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: \(String(repeating: "a", count: 20_000))\r\n\r\n")
        var seen = ""
        try await poll("413 and a close", detail: { seen }) {
            let r = big.read(); seen += r.text
            return seen.hasPrefix("HTTP/1.1 413") && r.closed
        }

        let many = try RawClient(port: port)
        many.send("GET /metrics HTTP/1.1\r\nHost: x\r\n" + (0..<70).map { "X-H\($0): v\r\n" }.joined() + "\r\n")
        seen = ""
        try await poll("431", detail: { seen }) { seen += many.read().text; return seen.hasPrefix("HTTP/1.1 431") }

        let fine = try RawClient(port: port)
        fine.send("GET /x?y=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        seen = ""
        try await poll("200", detail: { seen }) { seen += fine.read().text; return seen.hasSuffix("path /x\n") }
        #expect(seen.hasPrefix("HTTP/1.1 200"))
        await server.shutdown()
    }

    @Test func connectionsBeyondTheLimitAreClosedOnAccept() async throws {
        var limits = HTTPServerLimits()
        limits.maxConnections = 3
        limits.requestTimeout = .seconds(60)  // not what is tested here: long, so a loaded machine keeps them open
        let server = try await Self.server(limits)
        let port = server.localAddress.port!
        var idle = try (0..<3).map { _ in try RawClient(port: port) }
        try await poll("three connections open") { server.openConnections == 3 }
        let fourth = try RawClient(port: port)
        try await poll("the fourth connection closed on accept") { fourth.read().closed }
        #expect(server.openConnections == 3)
        // One leaves: its slot comes back.
        idle.removeLast()
        try await poll("a slot free") { server.openConnections == 2 }
        let next = try RawClient(port: port)
        next.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        var seen = ""
        try await poll("an answer once a slot is free", detail: { seen }) { seen += next.read().text; return seen.contains("path /healthz") }
        _ = idle
        await server.shutdown()
    }

    @Test func clientsThatTrickleOrIdleAreClosedAfterTheRequestTimeout() async throws {
        var limits = HTTPServerLimits()
        limits.requestTimeout = .milliseconds(500)
        let server = try await Self.server(limits)
        let port = server.localAddress.port!
        let trickling = try RawClient(port: port)
        trickling.send("GET /metrics HTTP/1.1\r\nHost:")  // half a request, then nothing (slowloris)
        let silent = try RawClient(port: port)           // connects, sends nothing
        try await poll("both closed by the server", timeout: 15) { trickling.read().closed && silent.read().closed }
        try await poll("their slots free") { server.openConnections == 0 }
        await server.shutdown()
    }

    /// A shutdown (SIGTERM in serve) answers the request in progress before it closes, and
    /// accepts nothing new.
    @Test func shutdownAnswersTheRequestInProgress() async throws {
        // The handler holds the request until the test lets it go, after the shutdown has begun.
        let (started, startedCont) = AsyncStream<Void>.makeStream()
        let (release, releaseCont) = AsyncStream<Void>.makeStream()
        let server = try await ExporterHTTPServer.start(host: "127.0.0.1", port: 0) { r in
            startedCont.yield()
            for await _ in release { break }
            return .text(200, "slow \(r.path)")
        }
        let port = server.localAddress.port!
        let client = try RawClient(port: port)
        client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        for await _ in started { break }
        let stopping = Task { await server.shutdown(grace: .seconds(30)) }
        // The listener is closed first: new connections are refused while the request is held.
        try await poll("new connections refused") { (try? RawClient(port: port)) == nil }
        releaseCont.yield()
        var seen = ""
        try await poll("the answer despite the shutdown", detail: { seen }) {
            let r = client.read(); seen += r.text
            return seen.contains("slow /slow") && r.closed
        }
        #expect(seen.hasPrefix("HTTP/1.1 200"))
        #expect(seen.lowercased().contains("connection: close"))
        await stopping.value
    }

    /// The exporter only reads the manager: with every connection slot held by clients that never
    /// finish a request, the token manager goes on fetching, and the next scrape counts it.
    @Test func clientsHoldingEverySlotDoNotStallTheTokenManager() async throws {
        let demo = try await DemoGateway.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tt-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("krakend.json").path
        try demo.writeConfig(to: path)
        let cfg = try ConfigLoader.load(path: path)
        let routes = cfg.routes.filter { $0.credentials?.clientID == Scenario.healthy.clientID }
        let transport = try AHCTransport(retryConnects: false)
        let manager = TokenManager(routes: routes, fetcher: TokenFetcher(transport: transport, timeout: .seconds(5)))
        let exporter = await MetricsExporter.start(manager: manager, config: cfg, lint: nil)
        var limits = HTTPServerLimits()
        limits.maxConnections = 2
        limits.requestTimeout = .seconds(30)
        let server = try await exporter.serve(host: "127.0.0.1", port: 0, limits: limits)
        let port = server.localAddress.port!
        let hogs = try (0..<2).map { _ in try RawClient(port: port) }
        for h in hogs { h.send("GET /metrics HTTP/1.1\r\n") }
        try await poll("both slots held") { server.openConnections == 2 }

        let first = await manager.refresh(entry: 0, trigger: .forced)
        let second = await manager.refresh(entry: 0, trigger: .forced)
        #expect(first?.succeeded == true)
        #expect(second?.succeeded == true)

        hogs.forEach { _ = $0 }
        await server.shutdown(grace: .milliseconds(10))
        let again = try await exporter.serve(host: "127.0.0.1", port: 0)
        // The exporter counts from the manager's event stream, which it reads on its own time.
        let url = "http://127.0.0.1:\(again.localAddress.port!)/metrics"
        try await poll("both fetches counted") {
            let success = parseSamples(try await httpGet(url).body).first {
                $0.name == "tokentop_token_fetches_total" && $0.labels.contains(#"result="success""#)
            }
            return success?.value == 2
        }
        await again.shutdown()
        await manager.stop()
        await exporter.stop()
        await transport.shutdown()
        try await demo.shutdown()
    }
}
