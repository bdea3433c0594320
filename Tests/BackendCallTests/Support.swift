import BackendCall
import DemoGateway
import Foundation
import GatewayConfig
import AsyncHTTPTransport
import Synchronization
import Testing
import TokenKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running demo gateway, its config, a redirect-free backend transport and a token transport.
struct DemoEnvironment {
    var demo: DemoGateway
    var config: GatewayConfiguration
    /// For backend calls: follows no redirects, as BackendCaller requires.
    var backend: AHCTransport
    /// For token requests (follows redirects like Go's oauth2).
    var tokens: AHCTransport

    func route(_ endpoint: String) throws -> Route {
        try #require(config.routes.first { $0.endpoint == endpoint }, "no route \(endpoint)")
    }

    /// A fresh token for the route, fetched as the gateway would.
    func token(for route: Route) async throws -> AccessToken {
        let c = try #require(route.credentials)
        let r = await TokenFetcher(transport: tokens, timeout: .seconds(5)).fetch(c)
        switch r.result {
        case .success(let t): return t
        case .failure(let f): Issue.record("token fetch failed: \(f.message)"); throw f
        }
    }

    func caller(timeout: Duration = .seconds(5)) -> BackendCaller {
        BackendCaller(transport: backend, timeout: timeout)
    }

    /// Backend requests recorded by the demo, except token requests.
    var received: [RecordedRequest] { demo.recordedBackendRequests() }
}

func withDemo(_ body: (DemoEnvironment) async throws -> Void) async throws {
    let demo = try await DemoGateway.start()
    let backend = try AHCTransport(connectTimeout: .seconds(1), followRedirects: false, retryConnects: false)
    let tokens = try AHCTransport(connectTimeout: .seconds(1))
    do {
        let cfg = try ConfigLoader.load(bytes: Array(demo.configJSON().utf8), file: "demo.json")
        try await body(DemoEnvironment(demo: demo, config: cfg, backend: backend, tokens: tokens))
    } catch {
        await backend.shutdown(); await tokens.shutdown(); try? await demo.shutdown()
        throw error
    }
    await backend.shutdown(); await tokens.shutdown()
    try await demo.shutdown()
}

/// A route built by hand, for patterns the demo config does not have.
func makeRoute(endpoint: String = "/test", method: String = "GET", hosts: [String], urlPattern: String,
               sd: ServiceDiscovery = .static, credentials: ClientCredentials? = nil,
               modifiers: [HeaderModifier] = [], other: [String] = []) -> Route {
    Route(id: 0, endpoint: endpoint, endpointMethod: method, method: method, endpointIndex: 0, backendIndex: 0,
          hosts: hosts, urlPattern: urlPattern, serviceDiscovery: sd, credentials: credentials,
          headerModifiers: modifiers, otherModifiers: other, path: "endpoints[0].backend[0]")
}

/// An `AccessToken` the demo never issued.
func bogusToken() -> AccessToken {
    AccessToken(value: "bogus-" + String(repeating: "x", count: 40), rawTokenType: "bearer", expiresIn: 3600, receivedAt: Date())
}

/// A TCP socket on 127.0.0.1 that listens but never accepts: connections complete in the
/// kernel's backlog, requests are never read, no answer ever comes. The timeout case.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        fd = try openBoundSocket()
        guard listen(fd, 16) == 0 else { close(fd); throw SocketError.failed("listen") }
        port = try boundPort(fd)
    }

    func stop() { close(fd) }
}

/// A port on 127.0.0.1 that nothing listens on: bound once to get a free number, then closed.
func refusedPort() throws -> Int {
    let fd = try openBoundSocket()
    defer { close(fd) }
    return try boundPort(fd)
}

enum SocketError: Error { case failed(String) }

private func openBoundSocket() throws -> Int32 {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw SocketError.failed("socket") }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { close(fd); throw SocketError.failed("bind") }
    return fd
}

private func boundPort(_ fd: Int32) throws -> Int {
    var addr = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard rc == 0 else { throw SocketError.failed("getsockname") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A transport that answers from a script and records what it was sent: redirect rules and
/// limits without a server.
final class ScriptedTransport: HTTPTransport {
    private let script: Mutex<[Result<HTTPResponseData, TransportError>]>
    private let log = Mutex<[HTTPRequestData]>([])

    init(_ script: [Result<HTTPResponseData, TransportError>]) { self.script = Mutex(script) }

    var sent: [HTTPRequestData] { log.withLock { $0 } }

    func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        log.withLock { $0.append(request) }
        let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else { throw .other("script exhausted") }
        return try next.get()
    }

    static func redirect(_ status: Int, to location: String) -> Result<HTTPResponseData, TransportError> {
        .success(HTTPResponseData(status: status, reason: "Redirect", headers: [HTTPHeader("Location", location)], body: []))
    }

    static func ok(_ body: String = "{}") -> Result<HTTPResponseData, TransportError> {
        .success(HTTPResponseData(status: 200, reason: "OK", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8)))
    }
}
