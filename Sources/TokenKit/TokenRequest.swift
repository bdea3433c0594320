import Foundation
import GatewayConfig

/// How the client authenticates to the token endpoint (Go oauth2's `AuthStyle`).
public enum AuthStyle: String, Sendable, Hashable, Codable {
    /// HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1). Tried first.
    case basic
    /// `client_id` / `client_secret` as form fields, no Authorization header.
    case body
}

/// The User-Agent Go's HTTP client sends; the gateway's token requests carry it.
public let gatewayUserAgent = "Go-http-client/1.1"

/// Builds the token request byte-for-byte as the gateway's Go library does
/// (`golang.org/x/oauth2/clientcredentials`, see shared/reference/client-credentials.md).
public enum TokenRequestBuilder {
    /// The form values before client authentication is added: `grant_type`, `scope` (always present:
    /// KrakenD splits `scopes` on `,` so an empty value still yields one empty scope) and every
    /// `endpoint_params` key. Fails like the gateway when `endpoint_params` would overwrite a key other
    /// than `grant_type`.
    public static func formValues(for c: ClientCredentials) throws(TokenFailure) -> [String: [String]] {
        // strings.Split("", ",") is [""], so KrakenD always has at least one scope item.
        let scopeItems = (c.scopes ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var v: [String: [String]] = ["grant_type": ["client_credentials"], "scope": [scopeItems.joined(separator: " ")]]
        for key in c.endpointParams.keys.sorted() {
            if v[key] != nil && key != "grant_type" {
                throw TokenFailure(kind: .configuration, message: "oauth2: cannot overwrite parameter \"\(key)\"")
            }
            v[key] = c.endpointParams[key]
        }
        return v
    }

    /// The full request for one auth style.
    public static func request(for c: ClientCredentials, style: AuthStyle) throws(TokenFailure) -> HTTPRequestData {
        // A block without token_url loads as "" (the gateway starts with it); Go's HTTP client
        // then fails every fetch before connecting. Say it in the gateway's words.
        if c.tokenURL.isEmpty {
            throw TokenFailure(kind: .configuration, message: #"Post "": unsupported protocol scheme "" (the block has no token_url)"#)
        }
        var v = try formValues(for: c)
        var headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")]
        switch style {
        case .body:
            // Go uses v.Set: replaces any client_id/client_secret from endpoint_params; skipped when empty.
            if !c.clientID.isEmpty { v["client_id"] = [c.clientID] }
            if !c.clientSecret.isEmpty { v["client_secret"] = [c.clientSecret] }
        case .basic:
            headers.append(HTTPHeader("Authorization", basicAuthorization(clientID: c.clientID, clientSecret: c.clientSecret)))
        }
        headers.append(HTTPHeader("User-Agent", gatewayUserAgent))
        return HTTPRequestData(method: "POST", url: c.tokenURL, headers: headers, body: Array(FormEncoding.encode(v).utf8))
    }

    /// `Basic base64(QueryEscape(id) + ":" + QueryEscape(secret))`.
    public static func basicAuthorization(clientID: String, clientSecret: String) -> String {
        let raw = FormEncoding.escape(clientID) + ":" + FormEncoding.escape(clientSecret)
        return "Basic " + Data(raw.utf8).base64EncodedString()
    }
}
