import TerminalScreen
import Foundation

/// A decoded (not verified) JSON Web Token, for display. Access tokens are often JWTs, and their
/// claims (audience, scope, exp) explain most "token works here but not there" problems. tokentop
/// has no keys and checks no signature: it only shows what the token says.
public struct JWT: Sendable, Hashable {
    /// A JSON value of a header or claim.
    public enum Value: Sendable, Hashable, Decodable {
        case null
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case string(String)
        case array([Value])
        case object([String: Value])

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            // Order matters: Bool before numbers (JSONDecoder refuses 1 as Bool but the reverse
            // isn't guaranteed everywhere), Int64 before Double to keep integers exact.
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int64.self) { self = .int(i) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([Value].self) { self = .array(a) }
            else { self = .object(try c.decode([String: Value].self)) }
        }

        public var string: String? { if case .string(let s) = self { s } else { nil } }

        /// Seconds since the epoch, for NumericDate claims (integers or fractions).
        public var number: Double? {
            switch self {
            case .int(let i): Double(i)
            case .double(let d): d
            default: nil
            }
        }

        /// For display: strings as they are, everything else as compact JSON.
        public var display: String { string ?? compact }

        /// Compact JSON-ish text (object keys sorted), for one-line display.
        public var compact: String {
            switch self {
            case .null: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            case .array(let a): return "[" + a.map(\.compact).joined(separator: ",") + "]"
            case .object(let o): return "{" + o.keys.sorted().map { Value.string($0).compact + ":" + o[$0]!.compact }.joined(separator: ",") + "}"
            }
        }
    }

    public var header: [String: Value]
    public var claims: [String: Value]
    /// The third part, still base64url (unverified; kept only to show that there is one).
    public var signature: String

    public init(header: [String: Value], claims: [String: Value], signature: String) {
        self.header = header; self.claims = claims; self.signature = signature
    }

    /// Decodes `header.payload.signature` when both header and payload are base64url JSON objects;
    /// nil for opaque tokens, JWE (5 parts) and anything malformed. Never verifies the signature.
    public static func decode(_ token: String) -> JWT? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        guard let h = base64URLDecode(parts[0]), let p = base64URLDecode(parts[1]) else { return nil }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode([String: Value].self, from: h),
              let claims = try? decoder.decode([String: Value].self, from: p) else { return nil }
        return JWT(header: header, claims: claims, signature: String(parts[2]))
    }

    /// RFC 7515 base64url: `-_` instead of `+/`, padding optional.
    static func base64URLDecode(_ s: Substring) -> Data? {
        var b = String(s).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.hasSuffix("=") { b.removeLast() }
        if b.count % 4 == 1 { return nil }
        b += String(repeating: "=", count: (4 - b.count % 4) % 4)
        return Data(base64Encoded: b)
    }

    // MARK: Header

    public var algorithm: String? { header["alg"]?.string }
    public var type: String? { header["typ"]?.string }
    public var keyID: String? { header["kid"]?.string }

    // MARK: Registered and common claims

    public var issuer: String? { claims["iss"]?.string }
    public var subject: String? { claims["sub"]?.string }
    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    public var audience: [String] {
        switch claims["aud"] {
        case .string(let s)?: [s]
        case .array(let a)?: a.map { $0.string ?? $0.compact }
        default: []
        }
    }
    /// `scope` (RFC 8693, space separated) or, as some servers send, `scp` as a string or array.
    public var scope: String? {
        if let s = claims["scope"]?.string { return s }
        switch claims["scp"] {
        case .string(let s)?: return s
        case .array(let a)?: return a.map { $0.string ?? $0.compact }.joined(separator: " ")
        default: return nil
        }
    }
    public var issuedAt: Date? { claims["iat"]?.number.map(Date.init(timeIntervalSince1970:)) }
    public var expiresAt: Date? { claims["exp"]?.number.map(Date.init(timeIntervalSince1970:)) }
    public var notBefore: Date? { claims["nbf"]?.number.map(Date.init(timeIntervalSince1970:)) }

    /// Claims shown on their own lines above; the rest are listed by name.
    static let shownClaims: Set<String> = ["iss", "sub", "aud", "scope", "iat", "exp", "nbf"]

    /// Every other claim, sorted by name (`scp` lands here too when `scope` is present).
    public var otherClaims: [(key: String, value: Value)] {
        claims.filter { k, _ in !Self.shownClaims.contains(k) && !(k == "scp" && claims["scope"] == nil) }
            .sorted { $0.key < $1.key }
            .map { (key: $0.key, value: $0.value) }
    }
}
