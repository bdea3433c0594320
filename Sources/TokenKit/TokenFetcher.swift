import Foundation
import GatewayConfig
import Synchronization

/// One HTTP exchange within a fetch (a fetch makes one or two: Basic, then body).
public struct Exchange: Sendable, Hashable {
    public var style: AuthStyle
    public var started: Date
    public var duration: TimeInterval
    public var status: Int?
    /// nil on success.
    public var failure: TokenFailure?
}

/// The result of one fetch: the token or the failure of the last exchange, plus every exchange.
public struct FetchResult: Sendable {
    public var result: Result<AccessToken, TokenFailure>
    public var exchanges: [Exchange]
    /// The style that worked (nil on failure).
    public var style: AuthStyle?
}

/// Performs one token fetch exactly as the gateway: the remembered style, else Basic and, if that
/// fails for any reason, once more with the credentials in the body.
///
/// The fetcher remembers nothing: the style that worked is the caller's to keep, per token
/// source, as the gateway keeps it in each backend's own `clientcredentials.Config`. (A memory
/// shared by every row with the same token URL and client id let one row's Basic success turn
/// another row, whose server only accepts the body, into a single failing Basic POST.)
public struct TokenFetcher: Sendable {
    public var transport: any HTTPTransport
    public var clock: any TokenClock
    /// Per-request deadline. The gateway has none (a hanging token server hangs it); tokentop must
    /// stay responsive, so this is a documented difference.
    public var timeout: Duration

    public init(transport: any HTTPTransport, clock: any TokenClock = SystemClock(), timeout: Duration = .seconds(10)) {
        self.transport = transport; self.clock = clock; self.timeout = timeout
    }

    /// - Parameter knownStyle: the style this token source learned from an earlier success; with
    ///   one, a failure is not retried in the other style (as in the gateway).
    /// - Returns: the result with every exchange; `style` is the one that worked. Failures come
    ///   back terminal-safe and with the credential's secret masked wherever the server echoed it.
    public func fetch(_ c: ClientCredentials, knownStyle: AuthStyle? = nil) async -> FetchResult {
        var exchanges: [Exchange] = []
        let first = await exchange(c, style: knownStyle ?? .basic, into: &exchanges)
        if case .success = first { return FetchResult(result: first, exchanges: exchanges, style: knownStyle ?? .basic) }
        // A request that could not even be built fails the same way in both styles.
        if knownStyle != nil || exchanges.isEmpty { return FetchResult(result: first, exchanges: exchanges, style: nil) }
        var second = await exchange(c, style: .body, into: &exchanges)
        if case .success = second { return FetchResult(result: second, exchanges: exchanges, style: .body) }
        // The server asked the first request to wait (429/503 with Retry-After) and the second
        // failed otherwise (a timeout, a reset): the wait still stands, so the failure carries it
        // and the next attempt honours it. Seen when a loaded machine timed out the second POST.
        if case .failure(var f) = second, f.retryAfter == nil, case .failure(let earlier) = first, let wait = earlier.retryAfter {
            f.retryAfter = wait
            second = .failure(f)
        }
        return FetchResult(result: second, exchanges: exchanges, style: nil)
    }

    private func exchange(_ c: ClientCredentials, style: AuthStyle, into log: inout [Exchange]) async -> Result<AccessToken, TokenFailure> {
        // Made only for a failure: the common success path pays nothing for it.
        func safe(_ f: TokenFailure) -> TokenFailure { f.made(safeWith: SecretMasker(clientID: c.clientID, clientSecret: c.clientSecret)) }
        let request: HTTPRequestData
        do { request = try TokenRequestBuilder.request(for: c, style: style) } catch { return .failure(safe(error)) }
        let started = clock.now
        let t0 = ContinuousClock.now
        var result: Result<AccessToken, TokenFailure>
        var status: Int?
        do {
            let response = try await transport.send(request, timeout: timeout, bodyLimit: TokenResponseParser.bodyLimit)
            status = response.status
            result = TokenResponseParser.parse(response, receivedAt: clock.now)
        } catch {
            result = .failure(TokenFailure(kind: .transport, message: error.description, transportError: error))
        }
        if case .failure(let f) = result { result = .failure(safe(f)) }
        let elapsed = ContinuousClock.now - t0
        let seconds = elapsed.timeInterval
        var failure: TokenFailure?
        if case .failure(let f) = result { failure = f }
        log.append(Exchange(style: style, started: started, duration: seconds, status: status, failure: failure))
        return result
    }
}
