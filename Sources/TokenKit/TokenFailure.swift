/// Why a token fetch failed, with everything the server said that helps an operator.
/// Printing it gives one line; the fields feed the detail pane.
public struct TokenFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Non-2xx status.
        case httpStatus
        /// 2xx with an RFC 6749 `error` field.
        case errorField
        /// The body could not be parsed (bad JSON, fraction in expires_in, bad query string).
        case malformedResponse
        /// 2xx without a usable `access_token`.
        case missingAccessToken
        /// No HTTP response (refused, timeout, DNS, TLS).
        case transport
        /// The request could not be built (e.g. `endpoint_params.scope`).
        case configuration
    }

    public var kind: Kind
    /// The gateway-style message, e.g. `oauth2: "invalid_client" "Bad client credentials"`.
    public var message: String
    public var status: Int?
    public var reason: String?
    /// RFC 6749 §5.2 fields, when the server sent them.
    public var error: String?
    public var errorDescription: String?
    public var errorURI: String?
    public var wwwAuthenticate: String?
    public var contentType: String?
    public var retryAfter: String?
    /// The start of the raw body (at most 512 bytes, decoded leniently).
    public var bodyPreview: String?
    public var transportError: TransportError?

    public init(kind: Kind, message: String, status: Int? = nil, reason: String? = nil, error: String? = nil,
                errorDescription: String? = nil, errorURI: String? = nil, wwwAuthenticate: String? = nil,
                contentType: String? = nil, retryAfter: String? = nil, bodyPreview: String? = nil,
                transportError: TransportError? = nil) {
        self.kind = kind; self.message = message; self.status = status; self.reason = reason; self.error = error
        self.errorDescription = errorDescription; self.errorURI = errorURI; self.wwwAuthenticate = wwwAuthenticate
        self.contentType = contentType; self.retryAfter = retryAfter; self.bodyPreview = bodyPreview
        self.transportError = transportError
    }

    /// One line for tables: `401 invalid_client: Client authentication failed`, `500 Internal Server
    /// Error`, `403 Forbidden (empty body)`, `connection refused by 127.0.0.1:9`.
    public var summary: String {
        guard let status, kind != .transport, kind != .configuration else { return message }
        var s = "\(status)"
        if let error {
            s += " \(error)"
            if let errorDescription, !errorDescription.isEmpty { s += ": \(errorDescription)" }
            return s
        }
        switch kind {
        case .httpStatus:
            if let reason, !reason.isEmpty { s += " \(reason)" }
            if bodyPreview?.isEmpty ?? true { s += " (empty body)" }
        default:
            s += " " + message.replacingPrefix("oauth2: ", with: "")
        }
        return s
    }

    public var description: String { summary }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
