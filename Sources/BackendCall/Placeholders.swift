import GatewayConfig

/// One `{name}` in a backend's `url_pattern`, which the operator must give a value for before a
/// test call.
///
/// The gateway fills these at run time from things tokentop cannot know: the path of the caller's
/// request, the response of an earlier backend (sequential proxy) or the caller's JWT. So every
/// kind is asked for, and ``note`` says where the gateway would take the value from.
public struct Placeholder: Sendable, Hashable, CustomStringConvertible {
    /// Where the gateway takes the value from.
    public enum Kind: String, Sendable, Hashable {
        /// `{id}`: a parameter of the endpoint path (`/users/{id}`).
        case path
        /// `{resp0_user.id}`: a field of an earlier backend's response (sequential proxy).
        case response
        /// `{JWT.sub}`: a claim of the caller's JWT (propagated claims).
        case jwt
    }

    /// The text between the braces, exactly as written (`id`, `resp0_user.id`, `JWT.sub`).
    public var name: String
    public var kind: Kind
    /// True when the placeholder sits in the query part of the pattern (after `?`): its value is
    /// query-escaped there, path-escaped otherwise.
    public var inQuery: Bool
    /// One line for people: where the value comes from on the gateway.
    public var note: String

    public init(name: String, kind: Kind, inQuery: Bool, note: String) {
        self.name = name; self.kind = kind; self.inQuery = inQuery; self.note = note
    }

    /// `{name}`.
    public var description: String { "{\(name)}" }

    /// True for placeholders only the running gateway can fill (response fields, JWT claims): the
    /// operator's value is a stand-in.
    public var isRuntimeOnly: Bool { kind != .path }
}

extension BackendCallBuilder {
    /// The placeholders of a route's `url_pattern`, unique, in order of first appearance.
    ///
    /// Recognised as the gateway does (`GatewayRules`, after lura): `{name}` of
    /// `[\w\-\.:/]+` in the pattern; anything else in braces is literal text and is sent as is.
    /// A path placeholder must be a parameter of the endpoint (`/{name}` in its path, any `{name}`
    /// with the root's `disable_rest`), or the gateway refuses the config.
    public static func placeholders(in route: Route) -> [Placeholder] {
        let endpointParams = GatewayRules.inputParameters(route.endpoint, disableREST: route.disableREST)
        var seen = Set<String>()
        var out: [Placeholder] = []
        for found in GatewayRules.outputPlaceholders(route.urlPattern) where seen.insert(found.name).inserted {
            let name = found.name
            let kind: Placeholder.Kind
            let note: String
            if let n = GatewayRules.responseIndex(name) {
                kind = .response
                note = "filled by the gateway at run time from the response of backend \(n) (sequential proxy); give a value to try"
            } else if let claim = GatewayRules.jwtClaim(name) {
                kind = .jwt
                note = "filled by the gateway at run time from the claim '\(claim)' of the caller's JWT; give a value to try"
            } else {
                kind = .path
                note = endpointParams.contains(name)
                    ? "from the endpoint path \(route.endpoint)"
                    : "not a parameter of the endpoint \(route.endpoint): the gateway refuses this config (undefined output param)"
            }
            out.append(Placeholder(name: name, kind: kind, inQuery: found.inQuery, note: note))
        }
        return out
    }
}

/// Percent-encoding of placeholder values (RFC 3986).
///
/// The gateway pastes decoded path parameters into the URL verbatim; an operator typing a value
/// means the value itself, so tokentop escapes it: a `/` or `?` in a value stays inside the value
/// instead of changing the shape of the URL.
public enum URLEscaping {
    private static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    /// A path segment's characters (`pchar` minus `/`, so the value stays one segment).
    private static let pathAllowed = unreserved.union(Array("!$&'()*+,;=:@".utf8))
    /// A query value's characters: `&`, `=`, `+` and `#` are escaped because they would change
    /// the meaning of the query.
    private static let queryAllowed = unreserved.union(Array("!$'()*,;:@/?".utf8))

    /// Escapes a value for a path segment: `a b/c` → `a%20b%2Fc`.
    public static func pathSegment(_ s: String) -> String { escape(s, allowed: pathAllowed) }
    /// Escapes a value for the query part: `a&b c` → `a%26b%20c`.
    public static func queryValue(_ s: String) -> String { escape(s, allowed: queryAllowed) }

    private static func escape(_ s: String, allowed: Set<UInt8>) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if allowed.contains(b) { out.append(b) } else { out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
