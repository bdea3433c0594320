import GatewayConfig
import TokenKit

/// A test call as the gateway makes one: the request built first without a token (a missing
/// placeholder value or a bad host needs no token fetch), then the token the gateway would use —
/// the current one while the 10 s rule allows it, else one fetched for this call — then the
/// request with that token, sent. One workflow for `tokentop call` and the dashboard's `t`.
public enum TestCall {
    public enum Outcome: Sendable {
        /// Not sent: the request cannot be built (a placeholder without a value, a bad host …).
        case notSent(BackendCallError)
        /// The token fetch failed; the backend was not called. `draft` is the request without a
        /// token (what would have been sent); `failure` nil when no fetch could be made.
        case tokenFailed(draft: BackendRequestPlan, credentials: ClientCredentials, failure: TokenFailure?)
        /// Sent. `token` is the token attached (nil for an unprotected or disabled backend);
        /// `fetched` when a fetch was made (or joined) for this call, `attempt` that fetch.
        case sent(plan: BackendRequestPlan, result: CallResult, token: AccessToken?, fetched: Bool, attempt: Attempt?)
    }

    /// Makes the call.
    ///
    /// - Parameters:
    ///   - tokens: the token manager holding `route`'s token (the dashboard's own, or one made
    ///     for this call by the CLI).
    ///   - newToken: always fetch a new token first (after the backend rejected the current one;
    ///     `tokentop call` fetches one per call, as a fresh gateway would).
    ///   - caller: sends the request (its transport must not follow redirects: BackendCaller
    ///     stops at one to another host so the token cannot leak).
    public static func run(route: Route, options: CallOptions, tokens: TokenManager, newToken: Bool,
                           caller: BackendCaller) async -> Outcome {
        let draft: BackendRequestPlan
        do throws(BackendCallError) { draft = try BackendCallBuilder.plan(route: route, options: options, token: nil) } catch {
            return .notSent(error)
        }
        var token: AccessToken?
        var attempt: Attempt?
        var fetched = false
        if let creds = route.credentials, !creds.isDisabled {
            guard let entry = await tokens.entryID(forRoute: route.id) else {
                return .tokenFailed(draft: draft, credentials: creds, failure: nil)
            }
            let got = await tokens.token(forCall: entry, forceNew: newToken)
            guard let t = got.token else { return .tokenFailed(draft: draft, credentials: creds, failure: got.failure) }
            token = t
            fetched = got.fetched
            attempt = got.attempt
        }
        let plan: BackendRequestPlan
        do throws(BackendCallError) { plan = try BackendCallBuilder.plan(route: route, options: options, token: token) } catch {
            return .notSent(error)
        }
        return .sent(plan: plan, result: await caller.call(plan), token: token, fetched: fetched, attempt: attempt)
    }
}
