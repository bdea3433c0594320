import Foundation
import NIOCore
import NIOHTTP1

/// Reads whole requests, asks `GatewayCore` what to do, writes the reply.
///
/// Lives on its channel's event loop only (NIO handlers are not Sendable); delayed replies are
/// scheduled on that loop, so nothing ever blocks it.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Bigger request bodies are refused with 413; no client-credentials request comes close.
    static let maxBodySize = 1 << 20

    private let core: GatewayCore
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    /// False once the channel is gone, so a delayed reply scheduled earlier does nothing.
    private var isActive = true

    init(core: GatewayCore) { self.core = core }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        isActive = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            bodyTooLarge = false
            // curl sends `Expect: 100-continue` for bodies over 1 KiB and would otherwise wait a
            // second before sending the body.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(let buffer):
            if body.count + buffer.readableBytes > Self.maxBodySize {
                bodyTooLarge = true
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            let isHead = head.method == .HEAD
            if bodyTooLarge {
                write(Reply.json(413, .object([("error", .string("invalid_request")),
                                               ("error_description", .string("Request body too large"))])),
                      keepAlive: false, isHead: false, context: context)
                return
            }
            let request = RecordedRequest(
                method: head.method.rawValue, uri: head.uri,
                headers: head.headers.map { HeaderField(name: $0.name, value: $0.value) },
                body: body, receivedAt: Date())
            body = []
            switch core.handle(request) {
            case .hang:
                // Keep reading nothing and answering nothing. The pipelining handler holds any
                // further request on this connection back, and when the client gives up the
                // channel closes and this handler goes with it: nothing to clean up.
                break
            case .reply(let reply, nil):
                write(reply, keepAlive: keepAlive, isHead: isHead, context: context)
            case .reply(let reply, let delay?):
                context.eventLoop.assumeIsolated().scheduleTask(in: Self.amount(delay)) {
                    guard self.isActive else { return }
                    self.write(reply, keepAlive: keepAlive, isHead: isHead, context: context)
                }
            case .trickle(let reply, let interval):
                trickle(reply, interval: Self.amount(interval), context: context)
            case .close:
                context.close(promise: nil)
            case .raw(let bytes):
                // Straight to the socket, past the HTTP encoder (see RawOutlet).
                guard let outlet = try? context.pipeline.syncOperations.context(name: RawOutlet.name) else {
                    context.close(promise: nil); return
                }
                let buffer = context.channel.allocator.buffer(bytes: bytes)
                outlet.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    /// (TokenKit's `Duration.wholeNanoseconds`; the demo server does not import the client's modules.)
    static func amount(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The head at once (with the full Content-Length), then one body byte per `interval`; the
    /// connection closes after the last byte. Stops when the client goes away.
    private func trickle(_ reply: Reply, interval: TimeAmount, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers where name.lowercased() != "content-length" { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count))
        headers.replaceOrAdd(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        let body = reply.body
        let loop = context.eventLoop.assumeIsolated()
        func send(_ i: Int) {
            guard isActive else { return }
            guard i < body.count else {
                writeAndFlushPromise(context, .end(nil)).futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                return
            }
            let buffer = context.channel.allocator.buffer(bytes: body[i...i])
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            loop.scheduleTask(in: interval) { send(i + 1) }
        }
        loop.scheduleTask(in: interval) { send(0) }
    }

    private func writeAndFlushPromise(_ context: ChannelHandlerContext, _ part: HTTPServerResponsePart) -> EventLoopPromise<Void> {
        context.writeAndFlushPromise(wrapOutboundOut(part))
    }

    private func write(_ reply: Reply, keepAlive: Bool, isHead: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers where name.lowercased() != "content-length" {
            headers.add(name: name, value: value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status),
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        // A HEAD response announces the body's length but carries none (RFC 9110 §9.3.2).
        if !reply.body.isEmpty, !isHead {
            let buffer = context.channel.allocator.buffer(bytes: reply.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlushPromise(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset connection or a protocol error: nothing useful to answer, just drop it.
        context.close(promise: nil)
    }
}

/// A pass-through placed before the HTTP handlers: bytes written from its context reach the socket
/// (through TLS, when there is TLS) without the HTTP encoder, for the `notHTTP` fault.
final class RawOutlet: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    static let name = "demo-raw-outlet"
}

private extension ChannelHandlerContext {
    func writeAndFlushPromise(_ data: NIOAny) -> EventLoopPromise<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise
    }
}
