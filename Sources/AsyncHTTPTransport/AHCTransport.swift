import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
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
    ///   - insecure: skip certificate verification (the config's `allow_insecure_connections`).
    ///   - caFile: a PEM file of CA certificates trusted in addition to the system's (`--ca-file`).
    ///   - connectionsPerHost: connections open at once to one host. AHC's default is 8; with more
    ///     fetches in flight to one token server, the rest waited for a connection and failed with
    ///     "getConnectionFromPoolTimeout" (8 of 16 against a server answering in 5 s). The gateway
    ///     has no such limit: give it the fetch concurrency.
    /// - Throws: ``TransportSetupError`` when `caFile` cannot be read or holds no certificate.
    public init(connectTimeout: Duration = .seconds(2), followRedirects: Bool = true, insecure: Bool = false,
                caFile: String? = nil, retryConnects: Bool = true, connectionsPerHost: Int = 8) throws {
        var config = HTTPClient.Configuration()
        config.timeout.connect = .nanoseconds(connectTimeout.wholeNanoseconds)
        config.redirectConfiguration = followRedirects ? .follow(max: 10, allowCycles: false) : .disallow
        config.decompression = .disabled
        config.connectionPool.retryConnectionEstablishment = retryConnects
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, connectionsPerHost)
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure { tls.certificateVerification = .none }
        if let caFile {
            // In addition to the system's roots: one --ca-file serves every row of a config,
            // and public token servers in the same config must keep working.
            tls.additionalTrustRoots = [.certificates(try Self.loadCertificates(caFile))]
        }
        config.tlsConfiguration = tls
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        ownsClient = true
    }

    /// The certificates of a PEM file, or a ``TransportSetupError`` saying why not.
    public static func loadCertificates(_ path: String) throws(TransportSetupError) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TransportSetupError(message: "cannot read the CA file \(path)")
        }
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMFile(path) } catch {
            throw TransportSetupError(message: "\(path) is not a PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else {
            throw TransportSetupError(message: "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return certificates
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
        let seconds = timeout.timeInterval
        let sent = ContinuousClock.now
        let deadline = sent + timeout
        let response: HTTPClientResponse
        do {
            response = try await client.execute(req, deadline: .now() + .nanoseconds(Int64(seconds * 1e9)))
        } catch {
            throw Self.classify(error, hostPort: hostPort, timeout: seconds)
        }
        // `execute` returns as soon as the response head has arrived: that is time to first byte.
        let headAt = sent.duration(to: .now)
        let ttfb = headAt.timeInterval
        let status = "\(response.status.code) \(response.status.reasonPhrase)"
        let length = response.headers.first(name: "Content-Length").flatMap { Int($0) }
        // AHC's deadline covers only the head; a server that trickles its body (one byte a
        // second) would hold the request for ever. The rest of the deadline bounds the body.
        let counter = ByteCounter()
        let body: [UInt8]
        let truncated: Bool
        do {
            // The body deadline is a NIO scheduled task, not a Task.sleep racing the read: on
            // Linux a cancelled Task.sleep still leaves its dispatch timer to fire at the
            // deadline, so every request left a wake-up behind it (1,000 of them 10 s after the
            // initial fetch of 1,000 tokens). A cancelled NIO task is simply gone.
            let reader = Task { () async throws -> ([UInt8], Bool) in
                var body: [UInt8] = []
                for try await var chunk in response.body {
                    let room = bodyLimit - body.count
                    if chunk.readableBytes > room {
                        // Stop reading: leaving the loop cancels the rest of the download.
                        body += chunk.readBytes(length: room) ?? []
                        return (body, true)
                    }
                    body += chunk.readBytes(length: chunk.readableBytes) ?? []
                    counter.set(body.count)
                }
                return (body, false)
            }
            let left = ContinuousClock.now.duration(to: deadline)
            let nanos = max(0, left.wholeNanoseconds)
            let expired = ByteCounter()
            let timer = client.eventLoopGroup.next().scheduleTask(in: .nanoseconds(nanos)) {
                expired.set(1)
                reader.cancel()
            }
            let read: ([UInt8], Bool)?
            do {
                read = try await withTaskCancellationHandler { try await reader.value } onCancel: { reader.cancel() }
                timer.cancel()
            } catch {
                timer.cancel()
                // Cut off by the deadline: say so (below); anything else is the transport's error.
                guard expired.value == 1 else { throw error }
                read = nil
            }
            guard let read else {
                let of = length.map { " of \($0)" } ?? ""
                throw TransportError.other("answer cut off by the \(formatSecondsText(seconds)) timeout: \(status), \(counter.value)\(of) "
                                           + "body bytes received (the server sends very slowly)")
            }
            (body, truncated) = read
        } catch let e as TransportError {
            throw e
        } catch {
            if let e = error as? HTTPClientError, e == .remoteConnectionClosed {
                throw .other("the server closed the connection in the middle of the answer (\(status), \(counter.value) body bytes received)")
            }
            throw Self.classify(error, hostPort: hostPort, timeout: seconds)
        }
        return HTTPResponseData(status: Int(response.status.code), reason: response.status.reasonPhrase,
                                headers: response.headers.map { HTTPHeader($0.name, $0.value) }, body: body, truncated: truncated,
                                timeToFirstByte: ttfb)
    }

    /// Maps AHC/NIO errors to words an operator understands. Checked against real failures in
    /// Tests/FaultTests (ClassificationTests prints the raw errors with `TOKENTOP_PRINT_RAW=1`).
    static func classify(_ error: Error, hostPort: String, timeout: Double) -> TransportError {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .deadlineExceeded(seconds: timeout)
            case .connectTimeout: return .connectTimeout(hostPort)
            case .tlsHandshakeTimeout: return .tlsFailure("TLS handshake with \(hostPort) timed out")
            case .invalidURL, .emptyHost, .emptyScheme: return .invalidURL(hostPort)
            case .remoteConnectionClosed: return .other("the server closed the connection without answering")
            case .redirectLimitReached: return .other("too many redirects (more than 10)")
            case .redirectCycleDetected:
                return .other("redirect loop: the server keeps redirecting to URLs it already redirected from")
            case .cancelled: return .other("cancelled")
            case .getConnectionFromPoolTimeout:
                return .other("no connection to \(hostPort) became free in time (too many requests in flight to one host)")
            default:
                // Every other AHC error has a stable case name; say it in words, not as a type dump.
                return .other("HTTP client error talking to \(hostPort): \(String(describing: e))")
            }
        }
        if error is CancellationError { return .other("cancelled") }
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname || e == .serverHostnameImpossibleToMatch {
            return .tlsFailure("the certificate is not valid for \(hostPort) (it names another host)")
        }
        let text = String(describing: error)
        if text.contains("connectTimeout") { return .connectTimeout(hostPort) }
        if text.contains("Connection refused") || text.contains("ECONNREFUSED") || text.contains("connectionRefused") { return .connectionRefused(hostPort) }
        if text.contains("Connection reset by peer") || text.contains("ECONNRESET") || text.contains("connectionReset") {
            return .other("the server reset the connection (it went away or crashed, or an http:// URL for a TLS port?)")
        }
        if text.contains("I/O on closed channel") || text.contains("ioOnClosedChannel") {
            return .other("the server closed the connection without answering")
        }
        if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("getaddrinfo") || text.contains("No address")
            || text.contains("UnknownHost") || text.contains("Name or service not known") { return .hostNotFound(hostPort) }
        if error is NIOSSLError || error is BoringSSLError || text.contains("certificate") || text.contains("SSL") || text.contains("TLS") {
            return .tlsFailure(Self.tlsWords(text))
        }
        if error is HTTPParserError {
            return .other("the answer is not HTTP (\(text)): is this the right host and port?")
        }
        return .other(text)
    }

    static func tlsWords(_ text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") || text.contains("unable to get local issuer")
            || text.contains("self signed") || text.contains("self-signed") {
            return "certificate not trusted (self-signed, expired or from an unknown CA); to trust its CA use --ca-file PATH"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("HTTP_REQUEST")
            || text.contains("eofDuringHandshake") || text.contains("EOF during handshake") {
            return "the server does not speak TLS (an https:// URL for a plain HTTP server?): \(text)"
        }
        return text
    }
}

/// A transport could not be set up (e.g. a bad `--ca-file`).
public struct TransportSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Body bytes read so far, readable from outside the reading task (for the timeout message).
private final class ByteCounter: Sendable {
    private let count = Mutex(0)
    func set(_ n: Int) { count.withLock { $0 = n } }
    var value: Int { count.withLock { $0 } }
}

/// `10 s`, `0.8 s`: tenths at most (a redirect hop gets what is left of the deadline).
func formatSecondsText(_ s: Double) -> String {
    let tenths = (s * 10).rounded() / 10
    return tenths == tenths.rounded() ? "\(Int(tenths)) s" : "\(tenths) s"
}
