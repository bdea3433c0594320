/// The data model of a loaded KrakenD configuration: what tokentop needs to know about every
/// endpoint/backend pair. Pure values; no I/O here.

/// A 1-based position in the source file.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
    public static func < (a: Self, b: Self) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

/// One problem found while reading a config. Errors stop the load; warnings don't.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }
    public var severity: Severity
    /// The config file as the user named it.
    public var file: String
    /// JSON path such as `endpoints[3].backend[0].extra_config["auth/client-credentials"].scopes`;
    /// empty for the document itself.
    public var path: String
    public var location: SourceLocation?
    public var message: String

    public init(_ severity: Severity, file: String, path: String, location: SourceLocation?, message: String) {
        self.severity = severity; self.file = file; self.path = path; self.location = location; self.message = message
    }

    /// `file:line:col: error: endpoints[0].backend: message` – the shape compilers use, so editors
    /// and terminals can jump to it.
    public var description: String {
        var s = file
        if let location { s += ":\(location.line):\(location.column)" }
        s += ": \(severity.rawValue): "
        if !path.isEmpty { s += "\(path): " }
        return s + message
    }
}

/// Thrown when a config cannot be loaded; carries every error found (at least one) and the
/// warnings seen before the load stopped.
public struct ConfigLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// The two spellings of the client-credentials namespace. KrakenD 2.x accepts both in any file;
/// when both are present the new one wins.
public enum CredentialsNamespace: String, Sendable, Hashable, CaseIterable {
    case legacy = "github.com/devopsfaith/krakend-oauth2-clientcredentials"
    case current = "auth/client-credentials"
}

/// The two spellings of the martian namespace (same aliasing rule as above).
public enum MartianNamespace: String, Sendable, Hashable, CaseIterable {
    case legacy = "github.com/devopsfaith/krakend-martian"
    case current = "modifier/martian"
}

/// The client-credentials block of one backend, exactly as written (no trimming: the gateway
/// doesn't trim either, and tokentop must reproduce its quirks).
public struct ClientCredentials: Sendable, Hashable {
    public var clientID: String
    public var clientSecret: String
    public var tokenURL: String
    /// The raw `scopes` string (comma separated, untrimmed), or nil when absent.
    public var scopes: String?
    /// `endpoint_params`: extra form fields; each key may repeat.
    public var endpointParams: [String: [String]]
    /// `is_disabled: true` – the gateway's component is off for this backend.
    public var isDisabled: Bool
    public var namespace: CredentialsNamespace
    /// JSON path of the block, for diagnostics and the detail pane.
    public var path: String
    public var location: SourceLocation?

    public init(clientID: String, clientSecret: String, tokenURL: String, scopes: String?,
                endpointParams: [String: [String]] = [:], isDisabled: Bool = false,
                namespace: CredentialsNamespace = .current, path: String = "", location: SourceLocation? = nil) {
        self.clientID = clientID; self.clientSecret = clientSecret; self.tokenURL = tokenURL
        self.scopes = scopes; self.endpointParams = endpointParams; self.isDisabled = isDisabled
        self.namespace = namespace; self.path = path; self.location = location
    }

    /// The items the gateway puts in `scope`: split on `,` without trimming; empty string → none.
    public var scopeList: [String] {
        guard let scopes, !scopes.isEmpty else { return [] }
        return scopes.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// What makes two backends share a token in tokentop: everything that goes into the request.
    public var identity: CredentialIdentity {
        CredentialIdentity(tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret,
                           scopes: scopes ?? "", endpointParams: endpointParams)
    }
}

/// Hashable key for one token: two routes with equal identities share one TokenManager entry.
public struct CredentialIdentity: Sendable, Hashable {
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String
    public var scopes: String
    public var endpointParams: [String: [String]]
    public init(tokenURL: String, clientID: String, clientSecret: String, scopes: String, endpointParams: [String: [String]]) {
        self.tokenURL = tokenURL; self.clientID = clientID; self.clientSecret = clientSecret
        self.scopes = scopes; self.endpointParams = endpointParams
    }
}

/// A martian `header.Modifier`: sets (replaces) a header.
public struct HeaderModifier: Sendable, Hashable {
    public var name: String
    public var value: String
    /// `request`, `response`, or both (the default when `scope` is omitted).
    public var scopes: [String]
    public var appliesToRequest: Bool { scopes.isEmpty || scopes.contains("request") }
    public init(name: String, value: String, scopes: [String]) { self.name = name; self.value = value; self.scopes = scopes }
}

/// Service discovery kind of a backend.
public enum ServiceDiscovery: String, Sendable, Hashable {
    case `static`, dns, dnsShared = "dns-shared"
}

/// One endpoint/backend pair: a row of the dashboard.
public struct Route: Sendable, Hashable, Identifiable {
    /// Position in the flattened list (0-based), stable for a given file.
    public var id: Int
    public var endpoint: String
    /// The endpoint's method (default GET).
    public var endpointMethod: String
    /// The backend's effective method: its own, else the endpoint's.
    public var method: String
    public var endpointIndex: Int
    public var backendIndex: Int
    /// Hosts after sanitising (or verbatim with `disable_host_sanitize`), root hosts when the
    /// backend has none. For `sd: dns` these are service names, not URLs.
    public var hosts: [String]
    public var urlPattern: String
    public var serviceDiscovery: ServiceDiscovery
    public var disableHostSanitize: Bool
    /// The root's `disable_rest`: endpoint parameters are then any `{name}` of the output
    /// pattern, not only those after a `/` (see `GatewayRules.inputParameters`).
    public var disableREST: Bool
    /// nil when the backend has no client-credentials block (unprotected).
    public var credentials: ClientCredentials?
    /// Martian header modifiers, in the order the gateway applies them.
    public var headerModifiers: [HeaderModifier]
    /// Other martian modifiers, by name (e.g. `body.Modifier`), kept so nothing disappears silently.
    public var otherModifiers: [String]
    /// JSON path of the backend object, e.g. `endpoints[3].backend[0]`.
    public var path: String
    public var location: SourceLocation?
    /// The endpoint's effective timeout (its own `timeout`, else the root one, else KrakenD's
    /// default of 2 s); it bounds the whole backend call including the token fetch, which has no
    /// timeout of its own. nil only for routes built by hand.
    public var timeout: Duration?

    public init(id: Int, endpoint: String, endpointMethod: String, method: String, endpointIndex: Int,
                backendIndex: Int, hosts: [String], urlPattern: String, serviceDiscovery: ServiceDiscovery = .static,
                disableHostSanitize: Bool = false, credentials: ClientCredentials?, headerModifiers: [HeaderModifier] = [],
                otherModifiers: [String] = [], path: String, location: SourceLocation? = nil, timeout: Duration? = nil,
                disableREST: Bool = false) {
        self.id = id; self.endpoint = endpoint; self.endpointMethod = endpointMethod; self.method = method
        self.endpointIndex = endpointIndex; self.backendIndex = backendIndex; self.hosts = hosts
        self.urlPattern = urlPattern; self.serviceDiscovery = serviceDiscovery
        self.disableHostSanitize = disableHostSanitize; self.disableREST = disableREST; self.credentials = credentials
        self.headerModifiers = headerModifiers; self.otherModifiers = otherModifiers
        self.path = path; self.location = location; self.timeout = timeout
    }

    public var isProtected: Bool { credentials != nil }
    public var isDisabled: Bool { credentials?.isDisabled ?? false }
    /// First host + url_pattern, for display.
    public var displayURL: String { (hosts.first ?? "") + urlPattern }
}

/// A loaded configuration.
public struct GatewayConfiguration: Sendable {
    public var file: String
    /// `version` (1, 2 or 3); nil for a fragment.
    public var version: Int?
    public var name: String?
    public var rootHosts: [String]
    public var routes: [Route]
    /// Warnings (errors throw `ConfigLoadError` instead).
    public var diagnostics: [Diagnostic]
    /// True when the file was a single endpoint or an array of endpoints (a docs fragment).
    public var isFragment: Bool
    /// Root `extra_config` has `allow_insecure_connections: true` (the gateway skips TLS checks).
    public var allowInsecureConnections: Bool

    public init(file: String, version: Int?, name: String?, rootHosts: [String], routes: [Route],
                diagnostics: [Diagnostic], isFragment: Bool = false, allowInsecureConnections: Bool = false) {
        self.file = file; self.version = version; self.name = name; self.rootHosts = rootHosts
        self.routes = routes; self.diagnostics = diagnostics; self.isFragment = isFragment
        self.allowInsecureConnections = allowInsecureConnections
    }
}

extension Route {
    /// `GET http://host/path` or `GET dns:service/path`.
    public var backendDescription: String {
        let host: String
        switch serviceDiscovery {
        case .static: host = hosts.first ?? "(no host)"
        case .dns, .dnsShared: host = "\(serviceDiscovery.rawValue):\(hosts.first ?? "?")"
        }
        let more = hosts.count > 1 ? " (+\(hosts.count - 1) hosts)" : ""
        return "\(method.uppercased()) \(host)\(urlPattern)\(more)"
    }
}
