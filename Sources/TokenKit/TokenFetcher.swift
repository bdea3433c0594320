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

/// Remembers which auth style worked per (token_url, client_id), like Go oauth2's style cache.
/// Failures are not remembered, so every failing fetch probes both styles again.
public final class AuthStyleCache: Sendable {
    private struct Key: Hashable { var url: String; var id: String }
    private let map = Mutex<[Key: AuthStyle]>([:])
    public init() {}
    public func style(tokenURL: String, clientID: String) -> AuthStyle? {
        map.withLock { $0[Key(url: tokenURL, id: clientID)] }
    }
    public func set(_ style: AuthStyle, tokenURL: String, clientID: String) {
        map.withLock { $0[Key(url: tokenURL, id: clientID)] = style }
    }
}

/// Performs one token fetch exactly as the gateway: the remembered style, else Basic and, if that
/// fails for any reason, once more with the credentials in the body.
public struct TokenFetcher: Sendable {
    public var transport: any HTTPTransport
    public var clock: any TokenClock
    public var styleCache: AuthStyleCache
    /// Per-request deadline. The gateway has none (a hanging token server hangs it); tokentop must
    /// stay responsive, so this is a documented difference.
    public var timeout: Duration

    public init(transport: any HTTPTransport, clock: any TokenClock = SystemClock(), styleCache: AuthStyleCache = AuthStyleCache(),
                timeout: Duration = .seconds(10)) {
        self.transport = transport; self.clock = clock; self.styleCache = styleCache; self.timeout = timeout
    }

    public func fetch(_ c: ClientCredentials) async -> FetchResult {
        let known = styleCache.style(tokenURL: c.tokenURL, clientID: c.clientID)
        var exchanges: [Exchange] = []
        let first = await exchange(c, style: known ?? .basic, into: &exchanges)
        if case .success = first {
            if known == nil { styleCache.set(.basic, tokenURL: c.tokenURL, clientID: c.clientID) }
            return FetchResult(result: first, exchanges: exchanges, style: known ?? .basic)
        }
        // A request that could not even be built fails the same way in both styles.
        if known != nil || exchanges.isEmpty { return FetchResult(result: first, exchanges: exchanges, style: nil) }
        let second = await exchange(c, style: .body, into: &exchanges)
        if case .success = second {
            styleCache.set(.body, tokenURL: c.tokenURL, clientID: c.clientID)
            return FetchResult(result: second, exchanges: exchanges, style: .body)
        }
        return FetchResult(result: second, exchanges: exchanges, style: nil)
    }

    private func exchange(_ c: ClientCredentials, style: AuthStyle, into log: inout [Exchange]) async -> Result<AccessToken, TokenFailure> {
        let request: HTTPRequestData
        do { request = try TokenRequestBuilder.request(for: c, style: style) } catch { return .failure(error) }
        let started = clock.now
        let t0 = ContinuousClock.now
        let result: Result<AccessToken, TokenFailure>
        var status: Int?
        do {
            let response = try await transport.send(request, timeout: timeout, bodyLimit: TokenResponseParser.bodyLimit)
            status = response.status
            result = TokenResponseParser.parse(response, receivedAt: clock.now)
        } catch {
            result = .failure(TokenFailure(kind: .transport, message: error.description, transportError: error))
        }
        let elapsed = ContinuousClock.now - t0
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var failure: TokenFailure?
        if case .failure(let f) = result { failure = f }
        log.append(Exchange(style: style, started: started, duration: seconds, status: status, failure: failure))
        return result
    }
}
