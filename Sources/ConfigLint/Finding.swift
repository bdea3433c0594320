import GatewayConfig

/// Every kind of finding `tokentop lint` reports. The raw value is the stable kebab-case code
/// shown in brackets (`error [empty-scope] …`) and in `--json`; scripts and docs rely on it, so a
/// code is never renamed once released.
public enum LintRule: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A client-credentials block on an endpoint, at the root, or directly on a backend object
    /// (outside its `extra_config`): the gateway never reads it there.
    case credentialsMisplaced = "credentials-misplaced"
    /// `scopes` missing or empty: the gateway still sends `scope=`.
    case emptyScope = "empty-scope"
    /// Blanks around the commas of `scopes` (or empty items): the gateway sends `scope=a++b`.
    case scopeDoubleSpace = "scope-double-space"
    /// `endpoint_params.scope`: every token fetch fails inside the gateway.
    case scopeInEndpointParams = "scope-in-endpoint-params"
    /// `endpoint_params.grant_type`: replaces `client_credentials`.
    case grantTypeInEndpointParams = "grant-type-in-endpoint-params"
    /// A field of the block with a JSON type the gateway's type assertions reject (it panics at
    /// start-up), or a block that is not an object (ignored).
    case credentialsWrongType = "credentials-wrong-type"
    /// `client_id`, `client_secret` or `token_url` missing from an enabled block: the gateway runs
    /// with an empty value. A warning; an error for `token_url` (every fetch fails).
    case credentialsMissingField = "credentials-missing-field"
    /// `token_url` over plain `http://` to a host that is not loopback.
    case plainHTTPTokenURL = "plain-http-token-url"
    /// A literal `client_secret` (in the block or in `endpoint_params`).
    case secretInFile = "secret-in-file"
    /// Several backends with identical credentials: one token source each.
    case duplicateCredentials = "duplicate-credentials"
    /// A martian `header.Modifier` setting `Authorization` on a protected backend.
    case martianAuthorizationOverwritten = "martian-authorization-overwritten"
    /// More than one modifier where martian expects exactly one (no `fifo.Group`).
    case martianSeveralModifiers = "martian-several-modifiers"
    /// A host the gateway's sanitiser refuses.
    case invalidHost = "invalid-host"
    /// A `{placeholder}` in `url_pattern` that the endpoint path does not define.
    case undefinedPlaceholder = "undefined-placeholder"
    /// `is_disabled: true` on a client-credentials block.
    case credentialsDisabled = "credentials-disabled"
    /// `client_id`/`client_secret` repeated in `endpoint_params` (the Auth0 recipe).
    case credentialsInEndpointParams = "credentials-in-endpoint-params"
    /// Any other error the config loader reports (the gateway refuses or misreads the value).
    case configError = "config-error"
    /// Any other warning the config loader reports.
    case configWarning = "config-warning"

    /// The stable code, e.g. `empty-scope`.
    public var code: String { rawValue }
    public var description: String { rawValue }

    /// The severity findings of this rule usually have. A rule may raise it for a worse case
    /// (`credentials-in-endpoint-params` is a note, but a warning when the repeated values differ
    /// from the block's; `credentials-missing-field` a warning, but an error for `token_url`);
    /// the finding's own `severity` is authoritative.
    public var defaultSeverity: Finding.Severity {
        switch self {
        case .credentialsMisplaced, .scopeInEndpointParams, .credentialsWrongType,
             .plainHTTPTokenURL, .invalidHost, .undefinedPlaceholder, .configError:
            .error
        case .emptyScope, .scopeDoubleSpace, .grantTypeInEndpointParams, .secretInFile, .credentialsMissingField,
             .martianAuthorizationOverwritten, .martianSeveralModifiers, .credentialsDisabled, .configWarning:
            .warning
        case .duplicateCredentials, .credentialsInEndpointParams:
            .info
        }
    }

    /// One line saying what the rule looks for (for `--help`-like listings and the docs).
    public var title: String {
        switch self {
        case .credentialsMisplaced: "client-credentials block outside a backend's extra_config"
        case .emptyScope: "scopes missing or empty"
        case .scopeDoubleSpace: "blanks or empty items in scopes"
        case .scopeInEndpointParams: "scope in endpoint_params"
        case .grantTypeInEndpointParams: "grant_type in endpoint_params"
        case .credentialsWrongType: "client-credentials field of the wrong JSON type"
        case .credentialsMissingField: "client_id, client_secret or token_url missing"
        case .plainHTTPTokenURL: "token_url over plain http to a non-loopback host"
        case .secretInFile: "client_secret written in the file"
        case .duplicateCredentials: "identical credentials on several backends"
        case .martianAuthorizationOverwritten: "martian Authorization header on a protected backend"
        case .martianSeveralModifiers: "several martian modifiers without fifo.Group"
        case .invalidHost: "host invalid under the gateway's sanitising rules"
        case .undefinedPlaceholder: "url_pattern placeholder the endpoint does not define"
        case .credentialsDisabled: "is_disabled: true"
        case .credentialsInEndpointParams: "client_id/client_secret repeated in endpoint_params"
        case .configError: "other config error"
        case .configWarning: "other config warning"
        }
    }
}

/// One thing the gateway will get wrong (or do surprisingly) with a config.
///
/// A finding never contains a secret: it says "client_secret is written in the file", never the
/// value, because lint output ends up in CI logs and issue trackers.
public struct Finding: Sendable, Hashable, CustomStringConvertible {
    /// `error`: the gateway refuses to start, panics, fails every token fetch, or leaks the
    /// secret — `tokentop lint` exits 1. `warning`: it runs but not as the file suggests.
    /// `info` ("note"): worth knowing, nothing to fix necessarily.
    public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable {
        case error, warning, info

        /// Errors sort first: `.error < .warning < .info`, so `min()` is the worst.
        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
        private var rank: Int {
            switch self {
            case .error: 0
            case .warning: 1
            case .info: 2
            }
        }
        /// The word used in human output: `error`, `warning`, `note` (compiler style).
        public var label: String { self == .info ? "note" : rawValue }
    }

    public var rule: LintRule
    public var severity: Severity
    /// The config file as the user named it.
    public var file: String
    /// JSON path such as `endpoints[3].backend[0].extra_config["auth/client-credentials"].scopes`
    /// (same syntax as the loader's diagnostics); empty for the document itself.
    public var path: String
    public var location: SourceLocation?
    /// The dashboard rows (`Route.id`) the finding concerns; empty for root-level findings.
    /// IDs are computed exactly as `ConfigLoader` numbers routes, so they match a configuration
    /// loaded separately from the same file.
    public var routeIDs: [Int]
    /// What is wrong, in one sentence.
    public var message: String
    /// What the gateway will do with it.
    public var gatewayBehaviour: String
    /// How to fix it.
    public var fix: String

    /// The stable code of the rule, e.g. `empty-scope`.
    public var code: String { rule.rawValue }

    public init(rule: LintRule, severity: Severity? = nil, file: String, path: String, location: SourceLocation?,
                routeIDs: [Int], message: String, gatewayBehaviour: String, fix: String) {
        self.rule = rule; self.severity = severity ?? rule.defaultSeverity; self.file = file; self.path = path
        self.location = location; self.routeIDs = routeIDs; self.message = message
        self.gatewayBehaviour = gatewayBehaviour; self.fix = fix
    }

    /// `file:line:col: error [code] path: message` – the compiler shape, so editors and
    /// terminals can jump to it.
    public var description: String {
        var s = file
        if let location { s += ":\(location.line):\(location.column)" }
        s += ": \(severity.label) [\(code)] "
        if !path.isEmpty { s += "\(path): " }
        return s + message
    }
}

/// The outcome of linting one file.
public struct LintResult: Sendable {
    public var file: String
    /// Every finding, in file order (then by severity and code).
    public var findings: [Finding]
    /// The configuration as `ConfigLoader` loads it (with the environment given to the linter),
    /// or nil when the loader refuses the file — lint still works then, from the JSON tree.
    public var configuration: GatewayConfiguration?
    /// True when the file is an endpoint (or a list of endpoints) rather than a full config.
    public var isFragment: Bool

    public init(file: String, findings: [Finding], configuration: GatewayConfiguration?, isFragment: Bool) {
        self.file = file; self.findings = findings; self.configuration = configuration; self.isFragment = isFragment
    }

    public var errorCount: Int { findings.count(where: { $0.severity == .error }) }
    public var warningCount: Int { findings.count(where: { $0.severity == .warning }) }
    public var infoCount: Int { findings.count(where: { $0.severity == .info }) }
    /// `tokentop lint` exits 1 exactly when this is true.
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    /// Findings grouped by dashboard row (a finding about several rows appears under each).
    public var findingsByRoute: [Int: [Finding]] {
        var map: [Int: [Finding]] = [:]
        for f in findings { for id in f.routeIDs { map[id, default: []].append(f) } }
        return map
    }

    /// The findings that concern route `id` (a dashboard row).
    public func findings(forRoute id: Int) -> [Finding] { findings.filter { $0.routeIDs.contains(id) } }

    /// Findings about no particular row (root-level), for a header or a banner.
    public var globalFindings: [Finding] { findings.filter { $0.routeIDs.isEmpty } }

    /// The worst severity among the findings of route `id`, for a row marker; nil when clean.
    public func worstSeverity(forRoute id: Int) -> Finding.Severity? { findings(forRoute: id).map(\.severity).min() }

    /// `2 errors, 1 warning, 3 notes`.
    public var summary: String {
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return [count(errorCount, "error"), count(warningCount, "warning"), count(infoCount, "note")].joined(separator: ", ")
    }
}
