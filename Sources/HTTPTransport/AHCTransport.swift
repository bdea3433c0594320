import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TokenKit

/// `TokenKit.HTTPTransport` over AsyncHTTPClient: a connect timeout and a deadline on every request
/// (AHC's pool would otherwise retry a refused connection for a long time), and a bounded body read.
public final class AHCTransport: HTTPTransport {
    public let client: HTTPClient
    private let ownsClient: Bool

    /// - Parameters:
    ///   - connectTimeout: TCP connect limit (1–2 s keeps a dead server from stalling a row).
    ///   - followRedirects: Go's client follows up to 10 redirects; the token request does too.
    ///   - retryConnects: AHC's pool retries a failed connect (a refused one included) until the
    ///     connect timeout; false fails at the first refusal, as Go's client does (test calls).
    public init(connectTimeout: Duration = .seconds(2), followRedirects: Bool = true, insecure: Bool = false,
                caFile: String? = nil, retryConnects: Bool = true) throws {
        var config = HTTPClient.Configuration()
        config.timeout.connect = .nanoseconds(connectTimeout.components.seconds * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000)
        config.redirectConfiguration = followRedirects ? .follow(max: 10, allowCycles: false) : .disallow
        config.decompression = .disabled
        config.connectionPool.retryConnectionEstablishment = retryConnects
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure { tls.certificateVerification = .none }
        if let caFile {
            tls.trustRoots = .file(caFile)
        }
        config.tlsConfiguration = tls
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        ownsClient = true
    }

    public func shutdown() async {
        if ownsClient { try? await client.shutdown() }
    }

    public func send(_ request: HTTPRequestData, timeout: Duration, bodyLimit: Int) async throws(TransportError) -> HTTPResponseData {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else {
            throw .invalidURL(request.url)
        }
        var req = HTTPClientRequest(url: request.url)
        req.method = HTTPMethod(rawValue: request.method)
        for h in request.headers { req.headers.add(name: h.name, value: h.value) }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            req.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let hostPort = url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } ?? request.url
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        do {
            let sent = ContinuousClock.now
            let response = try await client.execute(req, deadline: .now() + .nanoseconds(Int64(seconds * 1e9)))
            // `execute` returns as soon as the response head has arrived: that is time to first byte.
            let headAt = sent.duration(to: .now)
            let ttfb = Double(headAt.components.seconds) + Double(headAt.components.attoseconds) / 1e18
            var body: [UInt8] = []
            var truncated = false
            for try await var chunk in response.body {
                let room = bodyLimit - body.count
                if chunk.readableBytes > room {
                    body += chunk.readBytes(length: room) ?? []
                    truncated = true
                    break
                }
                body += chunk.readBytes(length: chunk.readableBytes) ?? []
            }
            return HTTPResponseData(status: Int(response.status.code), reason: response.status.reasonPhrase,
                                    headers: response.headers.map { HTTPHeader($0.name, $0.value) }, body: body, truncated: truncated,
                                    timeToFirstByte: ttfb)
        } catch {
            throw Self.classify(error, hostPort: hostPort, timeout: seconds)
        }
    }

    /// Maps AHC/NIO errors to words an operator understands.
    static func classify(_ error: Error, hostPort: String, timeout: Double) -> TransportError {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .deadlineExceeded(seconds: timeout)
            case .connectTimeout: return .connectTimeout(hostPort)
            case .invalidURL, .emptyHost, .emptyScheme: return .invalidURL(hostPort)
            case .remoteConnectionClosed: return .other("the server closed the connection without answering")
            case .redirectLimitReached: return .other("too many redirects (more than 10)")
            case .redirectCycleDetected: return .other("redirect loop")
            default: break
            }
        }
        if error is CancellationError { return .other("cancelled") }
        let text = String(describing: error)
        if text.contains("connectTimeout") { return .connectTimeout(hostPort) }
        if text.contains("Connection refused") || text.contains("ECONNREFUSED") || text.contains("connectionRefused") { return .connectionRefused(hostPort) }
        if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("getaddrinfo") || text.contains("No address")
            || text.contains("UnknownHost") || text.contains("Name or service not known") { return .hostNotFound(hostPort) }
        if let ssl = error as? NIOSSLError { return .tlsFailure(Self.tlsWords(String(describing: ssl))) }
        if text.contains("certificate") || text.contains("SSL") || text.contains("TLS") { return .tlsFailure(Self.tlsWords(text)) }
        return .other(text)
    }

    static func tlsWords(_ text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") || text.contains("unable to get local issuer") || text.contains("self signed") || text.contains("self-signed") {
            return "certificate not trusted (\(text)); use --ca-file to trust its CA"
        }
        return text
    }
}
