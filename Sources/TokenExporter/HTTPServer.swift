import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the exporter's routes see it: only what they need.
public struct ExporterRequest: Sendable {
    public var method: String
    /// The path without the query.
    public var path: String
    public var query: String?
}

/// A whole response: status, content type, body.
public struct ExporterResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var extraHeaders: [(String, String)] = []

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8], extraHeaders: [(String, String)] = []) {
        self.status = status; self.contentType = contentType; self.body = body; self.extraHeaders = extraHeaders
    }
    public static func text(_ status: Int, _ s: String) -> Self { .init(status: status, body: Array((s + "\n").utf8)) }
}

/// What one client may cost the server. A scrape is a small GET: anything bigger, slower or more
/// numerous is refused, so a broken or hostile client cannot take memory, connections or the
/// event loop from Prometheus (and never from the token manager, which runs elsewhere).
public struct HTTPServerLimits: Sendable {
    /// Connections open at once; more are closed on accept.
    public var maxConnections = 64
    /// Bytes of one request (request line, headers and body): more gets 413 and a close.
    public var maxRequestBytes = 16 * 1024
    /// Header lines of one request: more gets 431.
    public var maxHeaderCount = 64
    /// A request must arrive whole within this time of the connection being ready for it (opened,
    /// or its previous response sent): a client that trickles bytes (slowloris) or idles is closed.
    public var requestTimeout: TimeAmount = .seconds(15)
    public init() {}
}

/// A small HTTP/1.1 server (SwiftNIO) for `/metrics` and friends: GET and HEAD only, whole
/// responses, keep-alive, the limits of ``HTTPServerLimits``, and a drain on shutdown.
public final class ExporterHTTPServer: Sendable {
    public typealias Handler = @Sendable (ExporterRequest) async -> ExporterResponse

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state: ServerState
    /// The address the server listens on (with the port the system chose for port 0).
    public let localAddress: SocketAddress

    /// Binds `host:port` and starts serving. Throws when the address cannot be bound.
    public static func start(host: String, port: Int, limits: HTTPServerLimits = .init(), handler: @escaping Handler) async throws -> ExporterHTTPServer {
        // One thread: a scrape is rendered by the handler (off the loop); the loop only moves bytes.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = ServerState(limits: limits)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard state.admit(channel) else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in state.remove(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    let budget = RequestBudget()
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteLimiter(budget: budget, limit: limits.maxRequestBytes))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(RequestHandler(budget: budget, limits: limits, state: state, handler: handler))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            guard let address = channel.localAddress else { throw ExporterError.cannotListen("\(host):\(port)", "no local address") }
            return ExporterHTTPServer(group: group, channel: channel, state: state, localAddress: address)
        } catch let e as ExporterError {
            try? await group.shutdownGracefully()
            throw e
        } catch {
            try? await group.shutdownGracefully()
            throw ExporterError.cannotListen("\(host):\(port)", "\(error)")
        }
    }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, state: ServerState, localAddress: SocketAddress) {
        self.group = group; self.channel = channel; self.state = state; self.localAddress = localAddress
    }

    /// `127.0.0.1:9464`, `[::1]:9464`: the address as a user would type it (port 0 resolved).
    public var listenAddress: String {
        let ip = localAddress.ipAddress ?? "?"
        return (ip.contains(":") ? "[\(ip)]" : ip) + ":\(localAddress.port ?? 0)"
    }

    /// Connections open now (for tests of the limits).
    public var openConnections: Int { state.count }

    /// Stops accepting, lets requests in progress get their responses (at most `grace`), closes
    /// every connection and stops the event loop.
    public func shutdown(grace: Duration = .seconds(5)) async {
        // Draining first: a response finishing between the two must already say `connection: close`.
        state.drain()
        try? await channel.close()
        let deadline = ContinuousClock.now + grace
        while state.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        state.closeAll()
        try? await group.shutdownGracefully()
    }
}

/// Why the exporter could not start.
public enum ExporterError: Error, CustomStringConvertible, Sendable {
    case cannotListen(String, String)
    case badAddress(String)
    public var description: String {
        switch self {
        case .cannotListen(let a, let why): "cannot listen on \(a): \(why)"
        case .badAddress(let a): "not an address to listen on: \(a) (expected HOST:PORT, [IPv6]:PORT or :PORT)"
        }
    }
}

/// The open connections, for the connection limit and the drain.
final class ServerState: Sendable {
    private struct Inner {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var draining = false
    }
    private let inner = NIOLockedValueBox(Inner())
    let limits: HTTPServerLimits
    init(limits: HTTPServerLimits) { self.limits = limits }

    func admit(_ c: any Channel) -> Bool {
        inner.withLockedValue { s in
            guard !s.draining, s.channels.count < limits.maxConnections else { return false }
            s.channels[ObjectIdentifier(c)] = c
            return true
        }
    }
    func remove(_ c: any Channel) { inner.withLockedValue { _ = $0.channels.removeValue(forKey: ObjectIdentifier(c)) } }
    var count: Int { inner.withLockedValue { $0.channels.count } }
    var draining: Bool { inner.withLockedValue { $0.draining } }

    /// From now on every response closes its connection; idle connections are told so by their
    /// handler (it closes them unless a request is in progress).
    func drain() {
        let channels = inner.withLockedValue { s in s.draining = true; return Array(s.channels.values) }
        for c in channels { c.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
    }
    func closeAll() {
        let channels = inner.withLockedValue { Array($0.channels.values) }
        for c in channels { c.close(promise: nil) }
    }
}

struct DrainEvent {}

/// Bytes of the current request, shared by ``ByteLimiter`` (which counts them before the HTTP
/// decoder) and ``RequestHandler`` (which resets the count when a request is complete). Both live
/// on the channel's event loop.
final class RequestBudget {
    var bytes = 0
}

/// Counts request bytes before they are decoded: a request bigger than `limit` is answered 413 and
/// the connection closed, without the decoder buffering it.
final class ByteLimiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let budget: RequestBudget
    private let limit: Int
    private var refused = false
    init(budget: RequestBudget, limit: Int) { self.budget = budget; self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let buf = unwrapInboundIn(data)
        budget.bytes += buf.readableBytes
        if budget.bytes > limit {
            refused = true
            let reply = "HTTP/1.1 413 Content Too Large\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: 22\r\n\r\nrequest is too large.\n"
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: reply))).whenComplete { _ in
                bound.value.close(promise: nil)
            }
            return
        }
        context.fireChannelRead(data)
    }
}

/// Reads whole requests, asks the handler (off the event loop), writes whole responses.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let budget: RequestBudget
    private let limits: HTTPServerLimits
    private let state: ServerState
    private let handler: ExporterHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var busy = false
    private var timeout: Scheduled<Void>?

    init(budget: RequestBudget, limits: HTTPServerLimits, state: ServerState, handler: @escaping ExporterHTTPServer.Handler) {
        self.budget = budget; self.limits = limits; self.state = state; self.handler = handler
    }

    func handlerAdded(context: ChannelHandlerContext) { armTimeout(context) }
    func handlerRemoved(context: ChannelHandlerContext) { timeout?.cancel(); timeout = nil }

    /// The next request must be complete within `requestTimeout`.
    private func armTimeout(_ context: ChannelHandlerContext) {
        timeout?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: limits.requestTimeout) { bound.value.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            if !busy && head == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body:
            break  // counted by ByteLimiter; no route reads a body
        case .end:
            guard let h = head else { return }
            head = nil
            budget.bytes = 0
            timeout?.cancel(); timeout = nil
            let keepAlive = h.isKeepAlive && !state.draining
            if h.headers.count > limits.maxHeaderCount {
                write(.text(431, "too many header fields (at most \(limits.maxHeaderCount))."), head: h, keepAlive: false, context: context)
                return
            }
            guard h.method == .GET || h.method == .HEAD else {
                write(.init(status: 405, body: Array("only GET and HEAD.\n".utf8), extraHeaders: [("allow", "GET, HEAD")]),
                      head: h, keepAlive: keepAlive, context: context)
                return
            }
            let uri = h.uri
            let (path, query) = uri.firstIndex(of: "?").map { (String(uri[..<$0]), String(uri[uri.index(after: $0)...])) } ?? (uri, nil)
            let request = ExporterRequest(method: h.method.rawValue, path: path, query: query)
            busy = true
            let handler = self.handler
            let promise = context.eventLoop.makePromise(of: ExporterResponse.self)
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let (me, ctx) = bound.value
                me.busy = false
                me.write(response, head: h, keepAlive: keepAlive && !me.state.draining, context: ctx)
            }
        }
    }

    private func write(_ r: ExporterResponse, head h: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: r.contentType)
        headers.add(name: "content-length", value: "\(r.body.count)")
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        for (k, v) in r.extraHeaders { headers.add(name: k, value: v) }
        let status = HTTPResponseStatus(statusCode: r.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
        if h.method != .HEAD && !r.body.isEmpty {
            var buf = context.channel.allocator.buffer(capacity: r.body.count)
            buf.writeBytes(r.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if keepAlive {
            armTimeout(context)
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

/// `127.0.0.1:9464`, `[::1]:9464`, `:9464` (all interfaces), `0.0.0.0:9464`.
public func parseListenAddress(_ s: String) throws(ExporterError) -> (host: String, port: Int) {
    let host: Substring
    let port: Substring
    if s.hasPrefix("[") {
        guard let close = s.firstIndex(of: "]"), s[s.index(after: close)...].hasPrefix(":") else { throw .badAddress(s) }
        host = s[s.index(after: s.startIndex)..<close]
        port = s[s.index(close, offsetBy: 2)...]
    } else {
        guard let colon = s.lastIndex(of: ":"), !s[..<colon].contains(":") else { throw .badAddress(s) }
        host = s[..<colon].isEmpty ? "0.0.0.0" : s[..<colon]
        port = s[s.index(after: colon)...]
    }
    guard let p = Int(port), (0...65535).contains(p), !host.isEmpty else { throw .badAddress(s) }
    return (String(host), p)
}

/// Whether `host` only accepts connections from this machine.
public func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
}
