/// KrakenD's loading rules, applied to a parsed JSON tree (see shared/reference/krakend-config.md).
///
/// Principles:
/// - Never trap on input: every value is type-checked before use; a wrong type is an error
///   diagnostic `expected X, found Y` at the value's path and location.
/// - Keep going after an error, so one run reports every problem.
/// - Where the gateway's behaviour is surprising, follow the gateway (host sanitising, methods
///   upper-cased, `null` meaning "absent" in the main config) and say so in a warning.

/// JSON paths in diagnostics: `endpoints[3].backend[0].extra_config["auth/client-credentials"].scopes`.
/// Identifier-like keys use `.key`, anything else `["key"]`, which keeps paths copy-pasteable
/// into `jq`.
public enum JSONPath {
    /// `base.key` or `base["key"]`.
    public static func key(_ base: String, _ key: String) -> String {
        if isIdentifier(key) {
            if base.isEmpty { return key }
            var s = base
            s.reserveCapacity(base.utf8.count + key.utf8.count + 1)
            s += "."
            s += key
            return s
        }
        var escaped = key
        if key.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            escaped = ""
            for ch in key.unicodeScalars {
                switch ch {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                default: escaped.unicodeScalars.append(ch)
                }
            }
        }
        var s = base
        s.reserveCapacity(base.utf8.count + escaped.utf8.count + 4)
        s += "[\""
        s += escaped
        s += "\"]"
        return s
    }

    /// `base[i]`.
    public static func index(_ base: String, _ i: Int) -> String { base + "[\(i)]" }

    private static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return key.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
        }
    }
}

/// An object being read, with its path.
struct ObjectView {
    let members: [JSONMember]
    let path: String
    let location: SourceLocation

    /// The value for `key` (last duplicate wins), including an explicit `null`.
    func raw(_ key: String) -> JSONValue? {
        let count = key.utf8.count
        var i = members.count
        while i > 0 {
            i -= 1
            // Length first: most keys differ in length, and that test is O(1).
            if members[i].key.utf8.count == count && members[i].key == key { return members[i].value }
        }
        return nil
    }

    /// The value for `key`, treating `null` as absent — how the gateway's config decoder
    /// (mapstructure) sees it.
    subscript(_ key: String) -> JSONValue? {
        guard let v = raw(key), !v.isNull else { return nil }
        return v
    }

    func path(_ key: String) -> String { JSONPath.key(path, key) }
}

struct ConfigReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var hasErrors = false
    /// The root's `disable_rest`, copied into every route.
    private var disableREST = false

    init(file: String) { self.file = file }

    /// KrakenD's default endpoint timeout when neither the endpoint nor the root sets one.
    static let defaultTimeout: Duration = .seconds(2)

    // MARK: Diagnostics

    mutating func error(_ path: String, _ location: SourceLocation?, _ message: String) {
        hasErrors = true
        diagnostics.append(Diagnostic(.error, file: file, path: path, location: location, message: message))
    }

    mutating func warning(_ path: String, _ location: SourceLocation?, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file: file, path: path, location: location, message: message))
    }

    mutating func typeError(_ path: String, _ value: JSONValue, expected: String) {
        error(path, value.location, "expected \(expected), found \(value.typeName)")
    }

    // MARK: Typed access

    /// `value` as an object (error otherwise); warns about duplicate keys.
    mutating func object(_ value: JSONValue, _ path: String) -> ObjectView? {
        guard case .object(let members) = value.kind else {
            typeError(path, value, expected: "object")
            return nil
        }
        let view = ObjectView(members: members, path: path, location: value.location)
        warnDuplicates(view)
        return view
    }

    mutating func warnDuplicates(_ view: ObjectView) {
        let members = view.members
        guard members.count > 1 else { return }
        func report(_ m: JSONMember) {
            if m.key.hasPrefix("@") { return }  // repeated "@comment" keys are fine
            warning(view.path(m.key), m.keyLocation, "duplicate key \"\(m.key)\"; the later one wins (as in the gateway)")
        }
        if members.count <= 12 {
            // Small objects (almost all of them): quadratic compare beats hashing.
            for i in 1..<members.count {
                let key = members[i].key
                let count = key.utf8.count
                if members[0..<i].contains(where: { $0.key.utf8.count == count && $0.key == key }) { report(members[i]) }
            }
        } else {
            var seen = Set<String>()
            for m in members where !seen.insert(m.key).inserted { report(m) }
        }
    }

    /// An optional string field (`null` = absent).
    mutating func string(_ o: ObjectView, _ key: String) -> String? {
        guard let v = o[key] else { return nil }
        guard case .string(let s) = v.kind else { typeError(o.path(key), v, expected: "string"); return nil }
        return s
    }

    /// A required string field.
    mutating func requiredString(_ o: ObjectView, _ key: String) -> String? {
        guard o[key] != nil else {
            error(o.path, o.location, "missing required field \"\(key)\"")
            return nil
        }
        return string(o, key)
    }

    mutating func bool(_ o: ObjectView, _ key: String) -> Bool? {
        guard let v = o[key] else { return nil }
        guard case .bool(let b) = v.kind else { typeError(o.path(key), v, expected: "boolean"); return nil }
        return b
    }

    /// A list of strings where a single string counts as a one-element list (the gateway's
    /// decoder is weakly typed). Each element comes with its path and location.
    mutating func stringList(_ o: ObjectView, _ key: String) -> [(value: String, path: String, location: SourceLocation)] {
        guard let v = o[key] else { return [] }
        let path = o.path(key)
        switch v.kind {
        case .string(let s):
            return s.isEmpty ? [] : [(s, path, v.location)]
        case .array(let elements):
            var out: [(value: String, path: String, location: SourceLocation)] = []
            for (i, e) in elements.enumerated() {
                guard case .string(let s) = e.kind else {
                    typeError(JSONPath.index(path, i), e, expected: "string")
                    continue
                }
                out.append((s, JSONPath.index(path, i), e.location))
            }
            return out
        default:
            typeError(path, v, expected: "string or array of strings")
            return []
        }
    }

    /// A duration: a Go duration string or a number of nanoseconds.
    mutating func duration(_ o: ObjectView, _ key: String) -> Duration? {
        guard let v = o[key] else { return nil }
        switch v.kind {
        case .string(let s):
            guard let d = GoDuration.parse(s) else {
                error(o.path(key), v.location, "invalid duration \"\(s)\" (Go syntax such as \"3s\", \"1500ms\" or \"1m30s\")")
                return nil
            }
            return d
        case .number(let n):
            guard let d = GoDuration.fromNanoseconds(n) else {
                error(o.path(key), v.location, "duration \(n) ns is out of range")
                return nil
            }
            return d
        default:
            typeError(o.path(key), v, expected: "duration (string such as \"3s\", or number of nanoseconds)")
            return nil
        }
    }

    // MARK: Root

    mutating func read(_ root: JSONValue) -> GatewayConfiguration {
        switch root.kind {
        case .array(let elements):
            warning("", root.location, "this is an endpoint fragment, not a full config")
            var routes: [Route] = []
            for (i, element) in elements.enumerated() {
                readEndpoint(element, index: i, path: JSONPath.index("", i), rootHosts: [], rootTimeout: nil, into: &routes)
            }
            return GatewayConfiguration(file: file, version: nil, name: nil, rootHosts: [], routes: routes,
                                        diagnostics: diagnostics, isFragment: true)
        case .object(let members):
            let view = ObjectView(members: members, path: "", location: root.location)
            if view.raw("endpoints") == nil && view.raw("endpoint") != nil && view.raw("backend") != nil {
                warning("", root.location, "this is an endpoint fragment, not a full config")
                var routes: [Route] = []
                readEndpoint(root, index: 0, path: "", rootHosts: [], rootTimeout: nil, into: &routes)
                return GatewayConfiguration(file: file, version: nil, name: nil, rootHosts: [], routes: routes,
                                            diagnostics: diagnostics, isFragment: true)
            }
            return readService(view)
        default:
            error("", root.location, "expected an object (a KrakenD config) or an array of endpoints, found \(root.typeName)")
            return GatewayConfiguration(file: file, version: nil, name: nil, rootHosts: [], routes: [], diagnostics: diagnostics)
        }
    }

    mutating func readService(_ root: ObjectView) -> GatewayConfiguration {
        warnDuplicates(root)
        let version = readVersion(root)
        let name = string(root, "name")

        var rootHosts: [String] = []
        for host in stringList(root, "host") {
            if let h = sanitize(host.value, path: host.path, location: host.location) { rootHosts.append(h) }
        }
        let rootTimeout = duration(root, "timeout")
        disableREST = bool(root, "disable_rest") ?? false

        // KrakenD 2.x has `allow_insecure_connections` at the root; some files put it in the
        // root extra_config. Either counts.
        var insecure = bool(root, "allow_insecure_connections") ?? false
        if let extraValue = root["extra_config"], let extra = object(extraValue, root.path("extra_config")) {
            if bool(extra, "allow_insecure_connections") == true { insecure = true }
            warnMisplacedCredentials(extra)
        }

        var routes: [Route] = []
        if let endpointsValue = root["endpoints"] {
            let path = root.path("endpoints")
            if case .array(let endpoints) = endpointsValue.kind {
                // Most endpoints have one backend: no doubling copies of a 10,000-route array.
                routes.reserveCapacity(endpoints.count)
                for (i, e) in endpoints.enumerated() {
                    readEndpoint(e, index: i, path: JSONPath.index(path, i), rootHosts: rootHosts, rootTimeout: rootTimeout, into: &routes)
                }
                if endpoints.isEmpty { warning(path, endpointsValue.location, "the config has no endpoints") }
            } else {
                typeError(path, endpointsValue, expected: "array")
            }
        } else {
            warning("", root.location, "the config has no endpoints")
        }
        return GatewayConfiguration(file: file, version: version, name: name, rootHosts: rootHosts, routes: routes,
                                    diagnostics: diagnostics, isFragment: false, allowInsecureConnections: insecure)
    }

    mutating func readVersion(_ root: ObjectView) -> Int? {
        guard let v = root["version"] else {
            error("version", root.location, "missing \"version\": KrakenD refuses a config without it (use 3 for KrakenD 2.x, 2 for 1.x)")
            return nil
        }
        guard case .number(let n) = v.kind else {
            typeError("version", v, expected: "number")
            return nil
        }
        let text = n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        guard n == n.rounded(), n >= 1, n <= 3 else {
            error("version", v.location, "unsupported version: \(text) (KrakenD accepts 1, 2, 3)")
            return nil
        }
        return Int(n)
    }

    /// Client credentials outside a backend are ignored by the gateway: the classic mistake.
    mutating func warnMisplacedCredentials(_ extra: ObjectView) {
        for ns in CredentialsNamespace.allCases where extra[ns.rawValue] != nil {
            let path = extra.path(ns.rawValue)
            let location = extra.raw(ns.rawValue)?.location
            warning(path, location, "the gateway ignores client credentials here; move it into the backend's extra_config")
        }
    }

    // MARK: Endpoints and backends

    mutating func readEndpoint(_ value: JSONValue, index: Int, path: String, rootHosts: [String], rootTimeout: Duration?,
                               into routes: inout [Route]) {
        guard let endpoint = object(value, path) else { return }
        let endpointPath = requiredString(endpoint, "endpoint") ?? ""
        // lura upper-cases methods (strings.ToTitle) and defaults to GET.
        let rawMethod = string(endpoint, "method") ?? ""
        let method = rawMethod.isEmpty ? "GET" : rawMethod.uppercased()
        let timeout = duration(endpoint, "timeout") ?? rootTimeout ?? Self.defaultTimeout

        if let extraValue = endpoint["extra_config"], let extra = object(extraValue, endpoint.path("extra_config")) {
            warnMisplacedCredentials(extra)
        }

        guard let backendsValue = endpoint["backend"] else {
            error(endpoint.path, endpoint.location, "missing required field \"backend\" (the gateway refuses an endpoint without backends)")
            return
        }
        let backendsPath = endpoint.path("backend")
        guard case .array(let backends) = backendsValue.kind else {
            typeError(backendsPath, backendsValue, expected: "array")
            return
        }
        if backends.isEmpty {
            error(backendsPath, backendsValue.location, "the endpoint has no backends (the gateway refuses to start)")
        }
        let context = EndpointContext(index: index, path: endpointPath, method: method, timeout: timeout, rootHosts: rootHosts)
        for (b, backendValue) in backends.enumerated() {
            if let route = readBackend(backendValue, backendIndex: b, path: JSONPath.index(backendsPath, b),
                                       endpoint: context, id: routes.count) {
                routes.append(route)
            }
        }
    }

    struct EndpointContext {
        var index: Int
        var path: String
        var method: String
        var timeout: Duration
        var rootHosts: [String]
    }

    mutating func readBackend(_ value: JSONValue, backendIndex: Int, path: String, endpoint: EndpointContext, id: Int) -> Route? {
        guard let backend = object(value, path) else { return nil }
        let urlPattern = requiredString(backend, "url_pattern") ?? ""
        let rawMethod = string(backend, "method") ?? ""
        let method = rawMethod.isEmpty ? endpoint.method : rawMethod.uppercased()
        let disableSanitize = bool(backend, "disable_host_sanitize") ?? false

        var discovery = ServiceDiscovery.static
        if let sd = string(backend, "sd"), !sd.isEmpty {
            if let known = ServiceDiscovery(rawValue: sd) {
                discovery = known
            } else {
                warning(backend.path("sd"), backend["sd"]?.location,
                        "unknown service discovery \"\(sd)\"; the gateway falls back to static hosts")
            }
        }

        let declared = stringList(backend, "host")
        var hosts: [String] = []
        if declared.isEmpty {
            hosts = endpoint.rootHosts
        } else if discovery != .static || disableSanitize {
            // DNS SRV hosts are service names, and disable_host_sanitize means "verbatim".
            hosts = declared.map(\.value)
        } else {
            for host in declared {
                if let h = sanitize(host.value, path: host.path, location: host.location) { hosts.append(h) }
            }
        }

        var credentials: ClientCredentials?
        var headerModifiers: [HeaderModifier] = []
        var otherModifiers: [String] = []
        if let extraValue = backend["extra_config"], let extra = object(extraValue, backend.path("extra_config")) {
            credentials = readCredentials(extra)
            (headerModifiers, otherModifiers) = readMartian(extra)
        }

        return Route(id: id, endpoint: endpoint.path, endpointMethod: endpoint.method, method: method,
                     endpointIndex: endpoint.index, backendIndex: backendIndex, hosts: hosts, urlPattern: urlPattern,
                     serviceDiscovery: discovery, disableHostSanitize: disableSanitize, credentials: credentials,
                     headerModifiers: headerModifiers, otherModifiers: otherModifiers, path: path,
                     location: value.location, timeout: endpoint.timeout, disableREST: disableREST)
    }

    /// Sanitises one host like lura; nil (and an error) when the gateway would refuse to start.
    mutating func sanitize(_ host: String, path: String, location: SourceLocation) -> String? {
        switch HostSanitizer.sanitize(host) {
        case .valid(let clean, let ignored):
            if ignored {
                warning(path, location, "the gateway reads host \"\(host)\" as \"\(clean)\" (it drops characters it cannot match)")
            }
            return clean
        case .invalid:
            error(path, location, "host \"\(host)\" not valid: invalid host (the gateway refuses to start)")
            return nil
        }
    }

    // MARK: Namespaces

    /// The block under the current or legacy spelling of a namespace; the current one wins when
    /// both are present, like KrakenD's alias table (with a warning on the loser).
    mutating func namespaced(_ extra: ObjectView, current: String, legacy: String) -> (value: JSONValue, key: String)? {
        let new = extra[current]
        let old = extra[legacy]
        if new != nil, let old {
            warning(extra.path(legacy), old.location,
                    "both \"\(current)\" and \"\(legacy)\" are present; the gateway uses \"\(current)\" and ignores this one")
        }
        if let new { return (new, current) }
        if let old { return (old, legacy) }
        return nil
    }

    // MARK: Client credentials

    static func isCredentialKey(_ key: String) -> Bool {
        switch key {
        case "client_id", "client_secret", "token_url", "scopes", "endpoint_params", "is_disabled": true
        default: false
        }
    }

    /// Reads the block exactly as the gateway's `configGetter` does: it type-asserts every present
    /// field (a wrong type panics the gateway → error here), even when `is_disabled` is true, and
    /// leaves an absent field empty (→ a warning here, see `gatewayField`).
    mutating func readCredentials(_ extra: ObjectView) -> ClientCredentials? {
        guard let (value, key) = namespaced(extra, current: CredentialsNamespace.current.rawValue,
                                            legacy: CredentialsNamespace.legacy.rawValue),
              let namespace = CredentialsNamespace(rawValue: key),
              let block = object(value, extra.path(key)) else { return nil }

        func strict<T>(_ field: String, _ expected: String, _ extract: (JSONValue) -> T?) -> T?? {
            guard let v = block.raw(field) else { return .some(nil) }  // absent
            guard let t = extract(v) else { typeError(block.path(field), v, expected: expected); return nil }
            return .some(t)
        }
        let isDisabled = (strict("is_disabled", "boolean") { $0.boolValue } ?? nil) ?? false
        // The schema requires these three, but the component reads each one only when present and
        // runs with "" otherwise — the gateway starts and serves the backend (a public client with
        // no secret works that way). So a missing one loads as "" with a warning saying what the
        // gateway sends (lint's credentials-missing-field explains it in full); only a present
        // value of the wrong type is an error, because the type assertion panics the gateway.
        func gatewayField(_ field: String, missing: String) -> String {
            switch strict(field, "string", { $0.stringValue }) {
            case .some(.some(let s)): return s
            case .some(.none):
                if !isDisabled { warning(block.path, block.location, "missing \"\(field)\": " + missing) }
                return ""
            case .none: return ""  // wrong type, already reported
            }
        }
        let clientID = gatewayField("client_id", missing:
            #"the gateway sends an empty client id (Basic auth ":client_secret", then the body without client_id)"#)
        let clientSecret = gatewayField("client_secret", missing:
            #"the gateway sends an empty secret (Basic auth "client_id:", then the body without client_secret)"#)
        let tokenURL = gatewayField("token_url", missing:
            #"the gateway posts every token request to an empty URL and each fails (Post "": unsupported protocol scheme "")"#)
        let scopes = strict("scopes", "string") { $0.stringValue } ?? nil

        var params: [String: [String]] = [:]
        if let paramsValue = block.raw("endpoint_params") {
            let paramsPath = block.path("endpoint_params")
            if case .object(let members) = paramsValue.kind {
                let view = ObjectView(members: members, path: paramsPath, location: paramsValue.location)
                warnDuplicates(view)
                for member in members where !member.key.hasPrefix("@") {
                    let memberPath = view.path(member.key)
                    guard case .array(let elements) = member.value.kind else {
                        typeError(memberPath, member.value, expected: "array of strings")
                        continue
                    }
                    var list: [String] = []
                    for (i, e) in elements.enumerated() {
                        if case .string(let s) = e.kind { list.append(s) } else {
                            typeError(JSONPath.index(memberPath, i), e, expected: "string")
                        }
                    }
                    params[member.key] = list  // duplicates: the later one wins
                }
                if params["scope"] != nil, let scopeMember = members.last(where: { $0.key == "scope" }) {
                    warning(view.path("scope"), scopeMember.keyLocation,
                            "every token fetch fails: oauth2: cannot overwrite parameter \"scope\" (use \"scopes\" in the block instead)")
                }
            } else {
                typeError(paramsPath, paramsValue, expected: "object")
            }
        }

        for member in block.members where !member.key.hasPrefix("@") && !Self.isCredentialKey(member.key) {
            var message = "unknown key \"\(member.key)\"; the gateway ignores it"
            if member.key == "scope" { message += " (did you mean \"scopes\"?)" }
            warning(block.path(member.key), member.keyLocation, message)
        }

        return ClientCredentials(clientID: clientID, clientSecret: clientSecret, tokenURL: tokenURL, scopes: scopes, endpointParams: params,
                                 isDisabled: isDisabled, namespace: namespace, path: block.path, location: block.location)
    }

    // MARK: Martian

    /// Martian modifiers of a backend. martian parses its JSON itself, and when that fails
    /// krakend-martian logs the error and runs the backend **without** any modifier — the gateway
    /// still starts. So problems here are warnings, and a failed block yields no modifiers.
    mutating func readMartian(_ extra: ObjectView) -> ([HeaderModifier], [String]) {
        guard let (value, key) = namespaced(extra, current: MartianNamespace.current.rawValue,
                                            legacy: MartianNamespace.legacy.rawValue) else { return ([], []) }
        var headers: [HeaderModifier] = []
        var others: [String] = []
        guard readModifier(value, path: extra.path(key), groupScope: nil, headers: &headers, others: &others) else {
            return ([], [])
        }
        return (headers, others)
    }

    /// A martian `scope` as a bit set (this runs for every modifier of a large file; no hashing).
    struct Scope: OptionSet {
        let rawValue: UInt8
        static let request = Scope(rawValue: 1)
        static let response = Scope(rawValue: 2)
        static let both: Scope = [.request, .response]

        init(rawValue: UInt8) { self.rawValue = rawValue }
        init(_ names: [String]) {
            self = []
            for name in names { if name == "request" { insert(.request) } else if name == "response" { insert(.response) } }
        }
        var names: [String] { (contains(.request) ? ["request"] : []) + (contains(.response) ? ["response"] : []) }
    }

    private mutating func martianProblem(_ path: String, _ location: SourceLocation, _ problem: String) {
        warning(path, location, "\(problem); martian rejects this, so the gateway applies no martian modifier to this backend")
    }

    /// One `{"name": {...}}` modifier object. Returns false when martian would fail to parse it.
    private mutating func readModifier(_ value: JSONValue, path: String, groupScope: Scope?,
                                       headers: inout [HeaderModifier], others: inout [String]) -> Bool {
        guard case .object(let members) = value.kind else {
            martianProblem(path, value.location, "expected object, found \(value.typeName)")
            return false
        }
        var names: [String] = []
        for m in members where !m.key.hasPrefix("@") && !names.contains(m.key) { names.append(m.key) }
        guard names.count == 1, let name = names.first,
              let body = members.last(where: { $0.key == name })?.value else {
            martianProblem(path, value.location, names.isEmpty ? "no modifier here"
                           : "expected exactly one modifier here, found \(names.count) (\(names.joined(separator: ", ")))")
            return false
        }
        let bodyPath = JSONPath.key(path, name)
        switch name {
        case "header.Modifier":
            guard case .object(let fields) = body.kind else {
                martianProblem(bodyPath, body.location, "expected object, found \(body.typeName)")
                return false
            }
            let view = ObjectView(members: fields, path: bodyPath, location: body.location)
            guard let headerName = martianString(view, "name"), let headerValue = martianString(view, "value"),
                  let scope = martianScope(view) else { return false }
            guard let headerName else {
                warning(bodyPath, body.location, "header.Modifier without \"name\"; it sets no usable header")
                others.append("header.Modifier (missing name)")
                return true
            }
            let own = scope.map(Scope.init) ?? .both
            let effective = own.intersection(groupScope ?? .both)
            if effective.isEmpty {
                others.append("header.Modifier \(headerName) (never applied: out of scope)")
            } else if effective == .both {
                headers.append(HeaderModifier(name: headerName, value: headerValue ?? "", scopes: scope ?? []))
            } else {
                headers.append(HeaderModifier(name: headerName, value: headerValue ?? "",
                                              scopes: effective.names))
            }
            return true
        case "fifo.Group":
            guard case .object(let fields) = body.kind else {
                martianProblem(bodyPath, body.location, "expected object, found \(body.typeName)")
                return false
            }
            let view = ObjectView(members: fields, path: bodyPath, location: body.location)
            guard let scope = martianScope(view) else { return false }
            let own = scope.map(Scope.init) ?? .both
            let effective = own.intersection(groupScope ?? .both)
            guard let list = view["modifiers"] else { return true }
            guard case .array(let modifiers) = list.kind else {
                martianProblem(view.path("modifiers"), list.location, "expected array, found \(list.typeName)")
                return false
            }
            for (i, m) in modifiers.enumerated() {
                guard readModifier(m, path: JSONPath.index(view.path("modifiers"), i), groupScope: effective,
                                   headers: &headers, others: &others) else { return false }
            }
            return true
        default:
            // Filters, body modifiers, priority groups…: recorded by name, never flattened — a
            // header.Modifier inside a filter only applies when the filter matches.
            others.append(name)
            return true
        }
    }

    /// A string field of a martian modifier: `.some(nil)` when absent, nil (after a warning) when
    /// of the wrong type.
    private mutating func martianString(_ view: ObjectView, _ key: String) -> String?? {
        guard let v = view[key] else { return .some(nil) }
        guard case .string(let s) = v.kind else {
            martianProblem(view.path(key), v.location, "expected string, found \(v.typeName)")
            return nil
        }
        return .some(s)
    }

    /// `scope`: `.some(nil)` when absent (both), the list when valid, nil (after a warning) when not.
    private mutating func martianScope(_ view: ObjectView) -> [String]?? {
        guard let v = view["scope"] else { return .some(nil) }
        let path = view.path("scope")
        guard case .array(let elements) = v.kind else {
            martianProblem(path, v.location, "expected array, found \(v.typeName)")
            return nil
        }
        var scopes: [String] = []
        for (i, e) in elements.enumerated() {
            guard case .string(let s) = e.kind, s == "request" || s == "response" else {
                martianProblem(JSONPath.index(path, i), e.location,
                               e.stringValue.map { "\"\($0)\" is not a valid scope (request or response)" } ?? "expected string, found \(e.typeName)")
                return nil
            }
            scopes.append(s)
        }
        return .some(scopes)
    }
}
