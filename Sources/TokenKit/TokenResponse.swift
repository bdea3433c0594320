import Foundation

/// A token as the gateway would hold it.
public struct AccessToken: Sendable, Hashable {
    /// The secret itself. Never print it: use `masked`.
    public var value: String
    /// `token_type` as sent by the server (may be empty or lower case).
    public var rawTokenType: String
    /// `expires_in` as understood by the gateway (nil = no expiry; may be ≤ 0).
    public var expiresIn: Int?
    public var receivedAt: Date
    /// receivedAt + expires_in; nil when the token never expires.
    public var expiry: Date?
    public var scope: String?

    public init(value: String, rawTokenType: String, expiresIn: Int?, receivedAt: Date, scope: String? = nil) {
        self.value = value; self.rawTokenType = rawTokenType; self.expiresIn = expiresIn
        self.receivedAt = receivedAt; self.scope = scope
        self.expiry = expiresIn.map { receivedAt.addingTimeInterval(TimeInterval($0)) }
    }

    /// The type used in `Authorization`, as Go's `Token.Type()` normalises it.
    public var tokenType: String {
        switch rawTokenType.lowercased() {
        case "", "bearer": return "Bearer"
        case "mac": return "MAC"
        case "basic": return "Basic"
        default: return rawTokenType
        }
    }

    /// The gateway treats a token as expired this long before its expiry (oauth2's `expiryDelta`).
    public static let earlyExpiry: TimeInterval = 10

    /// When the gateway stops using this token: expiry − 10 s. nil = never.
    public var effectiveExpiry: Date? { expiry.map { $0.addingTimeInterval(-Self.earlyExpiry) } }

    /// A token that lives ≤ 10 s (`expires_in` ≤ 10, or negative) is expired by the gateway's
    /// rule the moment it arrives: the gateway still uses it for the call it fetched it for, and
    /// fetches a new one for every backend call. Working, but an IdP request per call.
    public var isPerCall: Bool { expiresIn.map { TimeInterval($0) <= Self.earlyExpiry } ?? false }

    public func isExpired(at now: Date) -> Bool {
        guard let e = effectiveExpiry else { return false }
        return e <= now
    }

    /// First 6 and last 4 characters plus the length: enough to compare, never enough to use.
    public var masked: String { Secret.mask(value) }
}

/// Helpers to keep secrets off screens and logs.
public enum Secret {
    /// `eyJhbG…x9Qw (812 chars)`; short values are fully hidden.
    public static func mask(_ s: String) -> String {
        let n = s.count
        if n == 0 { return "(empty)" }
        if n < 16 { return "*** (\(n) chars)" }
        return "\(s.prefix(6))…\(s.suffix(4)) (\(n) chars)"
    }
    /// A client secret is never shown, not even in part.
    public static let hidden = "***"

    /// Header values that carry credentials (a martian `Authorization: Basic …`, cookies, API keys)
    /// are shown as their scheme plus a mask; others as they are.
    public static func maskHeader(name: String, value: String) -> String {
        let n = name.lowercased()
        let sensitive = n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "set-cookie"
            || n.contains("api-key") || n.contains("apikey") || n.contains("token") || n.contains("secret")
        guard sensitive else { return value }
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, n.hasSuffix("authorization") { return "\(parts[0]) \(mask(String(parts[1])))" }
        return mask(value)
    }
}

/// Parses a token endpoint's answer exactly as Go's oauth2 library does.
public enum TokenResponseParser {
    /// The body read limit of the gateway's library.
    public static let bodyLimit = 1 << 20

    public static func parse(_ r: HTTPResponseData, receivedAt: Date) -> Result<AccessToken, TokenFailure> {
        let contentType = r.headers.first(named: "Content-Type")
        let mediaType = contentType.map { $0.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "" } ?? ""
        let isForm = mediaType == "application/x-www-form-urlencoded" || mediaType == "text/plain"
        var failure = TokenFailure(kind: .httpStatus, message: "", status: r.status, reason: r.reason,
                                   wwwAuthenticate: r.headers.first(named: "WWW-Authenticate"),
                                   contentType: contentType, retryAfter: r.headers.first(named: "Retry-After"),
                                   bodyPreview: preview(r.body))
        let bodyText = String(decoding: r.body, as: UTF8.self)
        let truncNote = r.truncated ? " (body cut at 1 MiB, as the gateway reads it)" : ""

        // RFC 6749 §5.2 fields, read leniently (Go ignores errors while reading them).
        let fields: [String: String]
        if isForm {
            fields = (FormEncoding.parseQuery(bodyText) ?? [:]).compactMapValues { $0.first }
        } else {
            fields = ((try? JSONSerialization.jsonObject(with: Data(r.body), options: [.fragmentsAllowed])) as? [String: Any] ?? [:])
                .compactMapValues { $0 as? String }
        }
        failure.error = fields["error"].flatMap { $0.isEmpty ? nil : $0 }
        failure.errorDescription = fields["error_description"]
        failure.errorURI = fields["error_uri"]

        func retrieveError(kind: TokenFailure.Kind) -> TokenFailure {
            var f = failure
            f.kind = kind
            if let code = f.error {
                var m = "oauth2: \"\(code)\""
                if let d = f.errorDescription, !d.isEmpty { m += " \"\(d)\"" }
                if let u = f.errorURI, !u.isEmpty { m += " \"\(u)\"" }
                f.message = m
            } else {
                f.message = "oauth2: cannot fetch token: \(r.status) \(r.reason)\nResponse: \(bodyText.prefix(512))"
            }
            return f
        }

        guard (200...299).contains(r.status) else { return .failure(retrieveError(kind: .httpStatus)) }

        var token: AccessToken
        if isForm {
            guard let vals = FormEncoding.parseQuery(bodyText) else {
                failure.kind = .malformedResponse
                failure.message = "invalid form-encoded response: malformed escape\(truncNote)"
                return .failure(failure)
            }
            // Go: strconv.Atoi, errors ignored → 0 → no expiry.
            let e = Int(vals["expires_in"]?.first ?? "") ?? 0
            token = AccessToken(value: vals["access_token"]?.first ?? "", rawTokenType: vals["token_type"]?.first ?? "",
                                expiresIn: e == 0 ? nil : e, receivedAt: receivedAt, scope: vals["scope"]?.first)
        } else {
            do {
                let tj = try JSONDecoder().decode(TokenJSON.self, from: Data(r.body))
                let e = tj.expires_in ?? 0
                token = AccessToken(value: tj.access_token ?? "", rawTokenType: tj.token_type ?? "",
                                    expiresIn: e == 0 ? nil : e, receivedAt: receivedAt, scope: tj.scope)
            } catch let e as ExpiresInError {
                failure.kind = .malformedResponse
                failure.message = "oauth2: cannot parse json: \(e.message)\(truncNote)"
                return .failure(failure)
            } catch {
                failure.kind = .malformedResponse
                failure.message = "oauth2: cannot parse json: \(jsonErrorText(error))\(truncNote)"
                return .failure(failure)
            }
        }
        if failure.error != nil { return .failure(retrieveError(kind: .errorField)) }
        if token.value.isEmpty {
            failure.kind = .missingAccessToken
            failure.message = "oauth2: server response missing access_token"
            return .failure(failure)
        }
        return .success(token)
    }

    /// The start of a body for display: at most 512 bytes, invalid UTF-8 replaced.
    public static func preview(_ body: [UInt8], limit: Int = 512) -> String {
        String(decoding: body.prefix(limit), as: UTF8.self)
    }

    private static func jsonErrorText(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: return "invalid JSON"
        case DecodingError.typeMismatch(let t, let ctx):
            let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? "expected a JSON object" : "\(key) is not a \(t == String.self ? "string" : "\(t)")"
        default: return "invalid JSON"
        }
    }
}

struct ExpiresInError: Error { var message: String }

/// Mirrors Go's `tokenJSON`: typed string fields (a number there fails the whole decode, as in Go)
/// and `expires_in` as a json.Number that must be an integer.
private struct TokenJSON: Decodable {
    var access_token: String?
    var token_type: String?
    var scope: String?
    var expires_in: Int?

    enum CodingKeys: String, CodingKey { case access_token, token_type, scope, expires_in }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        access_token = try c.decodeIfPresent(String.self, forKey: .access_token)
        token_type = try c.decodeIfPresent(String.self, forKey: .token_type)
        scope = try? c.decodeIfPresent(String.self, forKey: .scope)
        guard c.contains(.expires_in), try !c.decodeNil(forKey: .expires_in) else { expires_in = nil; return }
        let text: String
        if let s = try? c.decode(String.self, forKey: .expires_in) {
            text = s
        } else if let d = try? c.decode(Decimal.self, forKey: .expires_in) {
            text = "\(d)"
        } else {
            throw ExpiresInError(message: "expires_in is neither a number nor a numeric string")
        }
        // json.Number.Int64(): an integer literal only ("3600", "-5"); fractions and exponents fail.
        guard let v = Int64(text), !text.hasPrefix("+") else {
            throw ExpiresInError(message: "expires_in \"\(text)\" is not an integer")
        }
        expires_in = Int(min(v, Int64(Int32.max)))
    }
}
