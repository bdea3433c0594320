import GatewayConfig

/// Walks the raw JSON tree of a config and applies every rule.
///
/// Why the raw tree rather than `GatewayConfiguration`? The loader refuses exactly the files lint
/// matters most for (`scopes` as a list, an invalid host…) and keeps only what it understood; the
/// tree has every value with its location, whatever else is wrong with the file.
///
/// The walk mirrors `ConfigReader` where it decides structure — which value is an endpoint, which
/// is a backend, how routes are numbered, `null` meaning "absent", the last duplicate key winning —
/// so findings point at the rows the dashboard shows. Where the gateway itself differs (a
/// client-credentials field set to `null` is a type error to the gateway's type assertions),
/// the gateway wins.
struct LintWalker {
    let file: String
    private(set) var findings: [Finding] = []
    private(set) var isFragment = false
    /// JSON path of every backend that is a route → its `Route.id`, for mapping loader diagnostics.
    private(set) var backendRoutes: [(path: String, id: Int)] = []
    /// JSON path of every endpoint → the ids of its routes.
    private(set) var endpointRoutes: [(path: String, ids: [Int])] = []

    private var nextRouteID = 0
    private var disableREST = false
    /// Enabled client-credentials blocks by what goes into the token request, in file order.
    private var blocksByIdentity: [CredentialIdentity: [(path: String, location: SourceLocation, routeID: Int, backend: String)]] = [:]
    private var identityOrder: [CredentialIdentity] = []

    init(file: String) { self.file = file }

    // MARK: Structure

    mutating func walk(_ root: JSONValue) {
        switch root.kind {
        case .array(let elements):
            isFragment = true
            for (i, element) in elements.enumerated() { walkEndpoint(element, path: JSONPath.index("", i)) }
        case .object(let members):
            // Same test as the loader: an endpoint object on its own is a docs fragment.
            if root["endpoints"] == nil && root["endpoint"] != nil && root["backend"] != nil {
                isFragment = true
                walkEndpoint(root, path: "")
            } else {
                walkService(root, members: members)
            }
        default:
            break  // the loader reports "expected an object"
        }
        reportDuplicateCredentials()
    }

    private mutating func walkService(_ root: JSONValue, members: [JSONMember]) {
        disableREST = present(root, "disable_rest")?.boolValue ?? false
        // Root hosts are always sanitised (there is no disable_host_sanitize at the root).
        checkHosts(of: root, path: "", routeIDs: [], context: .root)
        checkMisplacedCredentials(in: members, path: "", routeIDs: [], place: "at the root of the config")
        if let extra = present(root, "extra_config"), case .object(let extraMembers) = extra.kind {
            checkMisplacedCredentials(in: extraMembers, path: JSONPath.key("", "extra_config"), routeIDs: [],
                                      place: "in the root extra_config")
        }
        if let endpoints = present(root, "endpoints")?.arrayValue {
            for (i, endpoint) in endpoints.enumerated() {
                walkEndpoint(endpoint, path: JSONPath.index(JSONPath.key("", "endpoints"), i))
            }
        }
    }

    private mutating func walkEndpoint(_ value: JSONValue, path: String) {
        guard case .object(let members) = value.kind else { return }
        let endpointPath = present(value, "endpoint")?.stringValue
        let backendsPath = JSONPath.key(path, "backend")
        // Number the routes first: endpoint-level findings name them.
        var backends: [(value: JSONValue, path: String, id: Int)] = []
        for (b, backend) in (present(value, "backend")?.arrayValue ?? []).enumerated() where backend.objectMembers != nil {
            backends.append((backend, JSONPath.index(backendsPath, b), nextRouteID))
            nextRouteID += 1
        }
        let ids = backends.map(\.id)
        endpointRoutes.append((path, ids))
        backendRoutes += backends.map { ($0.path, $0.id) }

        checkMisplacedCredentials(in: members, path: path, routeIDs: ids, place: "directly on the endpoint")
        if let extra = present(value, "extra_config"), case .object(let extraMembers) = extra.kind {
            checkMisplacedCredentials(in: extraMembers, path: JSONPath.key(path, "extra_config"), routeIDs: ids,
                                      place: "in the endpoint's extra_config")
        }
        let inputs = endpointPath.map { GatewayRules.inputParameters($0, disableREST: disableREST) }
        for backend in backends {
            walkBackend(backend.value, path: backend.path, id: backend.id, endpoint: endpointPath, inputs: inputs)
        }
    }

    private mutating func walkBackend(_ value: JSONValue, path: String, id: Int, endpoint: String?, inputs: Set<String>?) {
        guard case .object(let members) = value.kind else { return }
        checkMisplacedCredentials(in: members, path: path, routeIDs: [id], place: "directly on the backend, outside its extra_config")

        // Host sanitising: skipped for DNS SRV names and with disable_host_sanitize (as the loader).
        let sd = present(value, "sd")?.stringValue ?? ""
        let discovery = ServiceDiscovery(rawValue: sd.isEmpty ? "static" : sd) ?? .static
        let verbatim = present(value, "disable_host_sanitize")?.boolValue ?? false
        if discovery == .static && !verbatim { checkHosts(of: value, path: path, routeIDs: [id], context: .backend) }

        if let endpoint, let inputs, let pattern = present(value, "url_pattern"), let urlPattern = pattern.stringValue {
            checkPlaceholders(urlPattern, at: pattern.location, path: JSONPath.key(path, "url_pattern"), routeID: id,
                              endpoint: endpoint, inputs: inputs)
        }

        guard let extra = present(value, "extra_config"), case .object = extra.kind else { return }
        let extraPath = JSONPath.key(path, "extra_config")
        var protected = false
        if let (block, key) = namespaced(extra, CredentialsNamespace.current.rawValue, CredentialsNamespace.legacy.rawValue) {
            protected = checkCredentials(block, path: JSONPath.key(extraPath, key), routeID: id, backendPath: path)
        }
        if let (block, key) = namespaced(extra, MartianNamespace.current.rawValue, MartianNamespace.legacy.rawValue) {
            checkMartian(block, path: JSONPath.key(extraPath, key), routeID: id, protected: protected)
        }
    }

    // MARK: Rule: credentials-misplaced

    private mutating func checkMisplacedCredentials(in members: [JSONMember], path: String, routeIDs: [Int], place: String) {
        for ns in CredentialsNamespace.allCases {
            guard let member = members.last(where: { $0.key == ns.rawValue }), !member.value.isNull else { continue }
            add(.credentialsMisplaced, path: JSONPath.key(path, ns.rawValue), at: member.value.location, routeIDs: routeIDs,
                message: "client-credentials block \(place); the gateway only reads it in a backend's extra_config",
                gateway: "Ignores the block: no token is fetched, and the backends are called without an Authorization header. "
                    + "(The block authenticates the gateway to a backend; it does not authenticate callers.)",
                fix: "Move the block into `extra_config` of each backend that needs a token: "
                    + "`backend[i].extra_config[\"\(ns.rawValue)\"]`.")
            // Ignored by the gateway, but its secret is in the file all the same.
            if let secret = member.value["client_secret"], let value = secret.stringValue, !value.isEmpty,
               !TemplateNeutralizer.isTemplated(value) {
                secretInFile(path: JSONPath.key(JSONPath.key(path, ns.rawValue), "client_secret"), at: secret.location,
                             routeIDs: routeIDs, what: "client_secret")
            }
        }
    }

    // MARK: Rule: invalid-host

    private enum HostContext { case root, backend }

    private mutating func checkHosts(of object: JSONValue, path: String, routeIDs: [Int], context: HostContext) {
        guard let value = present(object, "host") else { return }
        let hostPath = JSONPath.key(path, "host")
        var hosts: [(String, String, SourceLocation)] = []
        switch value.kind {
        case .string(let s) where !s.isEmpty: hosts = [(s, hostPath, value.location)]
        case .array(let elements):
            for (i, e) in elements.enumerated() {
                if let s = e.stringValue { hosts.append((s, JSONPath.index(hostPath, i), e.location)) }
            }
        default: break  // wrong types are the loader's (config-error)
        }
        for (raw, path, location) in hosts {
            guard case .invalid = HostSanitizer.sanitize(raw) else { continue }
            let host = redacted(raw)
            let escape = context == .backend
                ? " For an IPv6 literal or another form the sanitiser can't read, set `\"disable_host_sanitize\": true` on the backend (the host is then used verbatim)."
                : " Root hosts are always sanitised; hosts that need another form go on the backends, with `\"disable_host_sanitize\": true`."
            add(.invalidHost, path: path, at: location, routeIDs: routeIDs,
                message: "host \"\(host)\" is not valid under the gateway's sanitising rules",
                gateway: "Refuses to start: `host \(host) not valid: invalid host` (it accepts only `(https?://)?name(:port)?/?`: "
                    + "lower-case scheme, no path, a port of 2 to 6 digits).",
                fix: "Write the host as `scheme://name:port`, e.g. `https://api.example.com` or `http://10.0.0.5:8080`, and put any path in `url_pattern`."
                    + escape)
        }
    }

    // MARK: Rule: undefined-placeholder

    private mutating func checkPlaceholders(_ urlPattern: String, at location: SourceLocation, path: String, routeID: Int,
                                            endpoint: String, inputs: Set<String>) {
        var seen = Set<String>()
        for name in GatewayRules.outputPlaceholders(urlPattern).map(\.name) where seen.insert(name).inserted {
            guard !inputs.contains(name), !GatewayRules.isSequentialOrJWT(name) else { continue }
            let defined = inputs.isEmpty ? "it defines none" : "it defines " + inputs.sorted().map { "{\($0)}" }.joined(separator: ", ")
            add(.undefinedPlaceholder, path: path, at: location, routeIDs: [routeID],
                message: "url_pattern uses {\(name)}, which the endpoint path \"\(endpoint)\" does not define (\(defined))",
                gateway: "Refuses to start: `undefined output param '\(name)'!` (a placeholder must come from the endpoint path, "
                    + "from an earlier backend as `{resp0_field}`, or from the caller's JWT as `{JWT.claim}`).",
                fix: "Add `{\(name)}` to the endpoint path (e.g. `\(endpoint.hasSuffix("/") ? endpoint : endpoint + "/"){\(name)}`), "
                    + "or use a placeholder the endpoint defines. Endpoint parameters must follow a `/`.")
        }
    }

    // MARK: Client credentials

    /// Checks one client-credentials block (the one the gateway uses). Returns true when the
    /// backend is protected: a valid object without `is_disabled: true`.
    private mutating func checkCredentials(_ block: JSONValue, path: String, routeID: Int, backendPath: String) -> Bool {
        let ids = [routeID]
        guard case .object(let members) = block.kind else {
            add(.credentialsWrongType, path: path, at: block.location, routeIDs: ids,
                message: "the client-credentials block is \(article(block.typeName)), not an object",
                gateway: "Ignores it (its config getter expects an object): the backend is called without a token.",
                fix: "Write the block as an object: `{\"client_id\": \"…\", \"client_secret\": \"…\", \"token_url\": \"https://…\", \"scopes\": \"a,b\"}`.")
            return false
        }
        // The gateway reads every present field with a Go type assertion, `null` included, and a
        // failed assertion panics at start-up — even when is_disabled is true.
        var typesOK = true
        func field(_ key: String) -> JSONMember? { members.last(where: { $0.key == key }) }
        func string(_ key: String) -> (value: String, location: SourceLocation)?? {
            guard let m = field(key) else { return .some(nil) }
            guard let s = m.value.stringValue else {
                typesOK = false
                wrongType(m.value, path: JSONPath.key(path, key), routeID: routeID, expected: "a string", goType: "string",
                          fix: key == "scopes" ? scopesFix(m.value) : "Write it as a JSON string: `\"\(key)\": \"…\"`.")
                return nil
            }
            return .some((s, m.value.location))
        }

        var disabled = false
        if let m = field("is_disabled") {
            if let b = m.value.boolValue {
                disabled = b
            } else {
                typesOK = false
                wrongType(m.value, path: JSONPath.key(path, "is_disabled"), routeID: routeID, expected: "a boolean", goType: "bool",
                          fix: "Write `\"is_disabled\": true` or `false` (no quotes), or remove the key.")
            }
        }
        let clientID = string("client_id")
        let clientSecret = string("client_secret")
        let tokenURL = string("token_url")
        let scopes = string("scopes")
        let params = checkEndpointParams(field("endpoint_params"), blockPath: path, routeID: routeID, enabled: !disabled,
                                         clientID: clientID??.value, clientSecret: clientSecret??.value, typesOK: &typesOK)

        if disabled, let m = field("is_disabled") {
            add(.credentialsDisabled, path: JSONPath.key(path, "is_disabled"), at: m.keyLocation, routeIDs: ids,
                message: "is_disabled is true: the client-credentials component is off for this backend",
                gateway: "Fetches no token and calls the backend without one. `is_disabled` is honoured by the code but is not "
                    + "in KrakenD's official schema, so `krakend check --lint` and editors flag the key.",
                fix: "If the backend needs no token, remove the whole block; otherwise remove `is_disabled`.")
        }

        // A literal secret is a leak even in a disabled block.
        if case .some(.some(let secret)) = clientSecret, !secret.value.isEmpty, !TemplateNeutralizer.isTemplated(secret.value) {
            secretInFile(path: JSONPath.key(path, "client_secret"), at: secret.location, routeIDs: ids, what: "client_secret")
        }

        guard !disabled else { return false }

        for key in ["client_id", "client_secret", "token_url"] where field(key) == nil {
            missingField(key, clientID: clientID, path: path, block: block, routeID: routeID)
        }

        if case .some(let scopeValue) = scopes { checkScopes(scopeValue, blockPath: path, block: block, routeID: routeID) }

        if case .some(.some(let url)) = tokenURL, !TemplateNeutralizer.isTemplated(url.value),
           let host = GatewaySemantics.plainHTTPHost(url.value), !GatewaySemantics.isLoopback(host) {
            add(.plainHTTPTokenURL, path: JSONPath.key(path, "token_url"), at: url.location, routeIDs: ids,
                message: "token_url uses plain http to \(host.isEmpty ? "an empty host" : "\"\(host)\""), which is not a loopback address",
                gateway: "Sends client_id and client_secret unencrypted (in an `Authorization: Basic` header, and in the form body "
                    + "on the retry) and receives the token unencrypted: anyone on the network path can read both.",
                fix: "Use `https://` for the token endpoint. Plain http is only acceptable to a loopback address "
                    + "(localhost, 127.0.0.0/8, [::1]).")
        }

        // Identical credentials: only comparable when every field has its proper type.
        if typesOK, let params {
            let identity = CredentialIdentity(tokenURL: tokenURL??.value ?? "", clientID: clientID??.value ?? "",
                                              clientSecret: clientSecret??.value ?? "", scopes: scopes??.value ?? "",
                                              endpointParams: params)
            if blocksByIdentity[identity] == nil { identityOrder.append(identity) }
            blocksByIdentity[identity, default: []].append((path, block.location, routeID, backendPath))
        }
        return true
    }

    // MARK: Rule: credentials-missing-field

    /// A field of an enabled block that is absent. The gateway's component reads each field only
    /// when present, so it starts and runs with "" — this says what it then sends. A missing
    /// token_url is an error (no token request can succeed: nothing leaves the gateway); a
    /// missing id or secret is a warning, because some token servers accept it (a public client).
    /// - clientID: The block's client_id as `string(_:)` read it (`.some(nil)` when absent, nil
    ///   when of the wrong type), to show the exact Basic header when it is a literal.
    private mutating func missingField(_ key: String, clientID: (value: String, location: SourceLocation)??,
                                       path: String, block: JSONValue, routeID: Int) {
        let gateway: String, fix: String
        var severity: Finding.Severity?
        switch key {
        case "client_secret":
            // The exact header when the id is a literal (absent = ""); else described.
            let id: String? = switch clientID {
            case .some(.some(let v)): TemplateNeutralizer.isTemplated(v.value) ? nil : v.value
            case .some(.none): ""
            case .none: nil
            }
            let basic: String
            let retry: String
            if let id {
                let escaped = GatewaySemantics.formEncode(id)
                basic = "`Authorization: Basic \(GatewaySemantics.base64(escaped + ":"))` (base64 of `\(escaped):`, the client_id and an empty secret)"
                retry = id.isEmpty ? "neither client_id nor client_secret in the form body" : "`client_id=\(escaped)` in the form body and no client_secret field at all"
            } else {
                basic = "`Authorization: Basic` with base64 of the client_id, a colon and an empty secret"
                retry = "client_id in the form body and no client_secret field at all"
            }
            gateway = "Starts and sends an empty secret: the first token request carries \(basic); if that attempt fails, "
                + "the one retry sends \(retry) (Go's client leaves an empty secret out of the body). A public client can "
                + "work this way; a token server that expects a secret answers `invalid_client`, and every call to this backend fails."
            fix = "For a confidential client, add the secret without writing it in the file: "
                + "`\"client_secret\": \"{{ env \"CLIENT_SECRET\" }}\"`. For a public client nothing is missing; "
                + "`tokentop check` shows whether the token server accepts it without a secret."
        case "client_id":
            gateway = "Starts and sends an empty client id: the first token request carries `Authorization: Basic` with base64 of "
                + "a colon and the secret (an empty id); if that attempt fails, the one retry sends only client_secret in the "
                + "form body, with no client_id field (Go's client leaves an empty id out). Token servers identify the client "
                + "by its id: most answer `invalid_client`, and every call to this backend fails."
            fix = "Add `\"client_id\"` with the id the token server issued for the gateway."
        default:  // token_url
            severity = .error
            gateway = "Starts, but no token request ever leaves the gateway: every fetch POSTs to an empty URL and Go's HTTP "
                + "client fails before connecting (`Post \"\": unsupported protocol scheme \"\"`), once with Basic auth and "
                + "once more with the credentials in the body. Every call to this backend fails with that error."
            fix = "Add `\"token_url\"` with the full URL of the token endpoint, e.g. `\"token_url\": \"https://idp.example.com/oauth2/token\"`."
        }
        add(.credentialsMissingField, severity: severity, path: path, at: block.location, routeIDs: [routeID],
            message: "the client-credentials block has no \"\(key)\"", gateway: gateway, fix: fix)
    }

    /// The fix for a `scopes` that isn't a string: the list's items joined with commas when it
    /// is a list of strings (the usual mistake), a generic example otherwise.
    private func scopesFix(_ value: JSONValue) -> String {
        let items = value.arrayValue?.compactMap(\.stringValue) ?? []
        let example = !items.isEmpty && items.count == value.arrayValue?.count
            ? items.map { $0.trimmingBlanks { $0 == " " } }.joined(separator: ",") : "read,write"
        return "Write the scopes as one comma-separated string: `\"scopes\": \"\(example)\"` (not a list)."
    }

    /// `expected` in words ("a string"); `goType` is what the gateway's type assertion wants.
    private mutating func wrongType(_ value: JSONValue, path: String, routeID: Int, expected: String, goType wanted: String, fix: String) {
        add(.credentialsWrongType, path: path, at: value.location, routeIDs: [routeID],
            message: "expected \(expected), found \(value.typeName)",
            gateway: "Panics at start-up: the client-credentials component reads this field with a Go type assertion "
                + "(`interface conversion: interface {} is \(goType(value)), not \(wanted)`).",
            fix: fix)
    }

    /// The Go dynamic type `encoding/json` gives a value, for the panic message.
    private func goType(_ v: JSONValue) -> String {
        switch v.kind {
        case .null: "nil"
        case .bool: "bool"
        case .number: "float64"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }

    private func article(_ typeName: String) -> String {
        ["array", "object"].contains(typeName) ? "an \(typeName)" : typeName == "null" ? "null" : "a \(typeName)"
    }

    private mutating func secretInFile(path: String, at location: SourceLocation, routeIDs: [Int], what: String) {
        add(.secretInFile, path: path, at: location, routeIDs: routeIDs,
            message: "\(what) is written in the file",
            gateway: "Uses it as written. Anyone who can read the config — the repository, the container image, "
                + "a CI log, a support ticket — has the secret.",
            fix: "Keep the secret out of the file: with flexible configuration (`FC_ENABLE=1`) write "
                + "`\"client_secret\": \"{{ env \"CLIENT_SECRET\" }}\"` and set the variable where the gateway runs "
                + "(tokentop renders `{{ env \"NAME\" }}` too), or inject it from a secret store when the config is built.")
    }

    // MARK: Rules: empty-scope, scope-double-space

    private mutating func checkScopes(_ value: (value: String, location: SourceLocation)?, blockPath: String, block: JSONValue, routeID: Int) {
        guard let value, !value.value.isEmpty else {
            add(.emptyScope, path: JSONPath.key(blockPath, "scopes"), at: value?.location ?? block.location, routeIDs: [routeID],
                message: value == nil ? "the client-credentials block has no \"scopes\"" : "\"scopes\" is empty",
                gateway: "Still sends `scope=` (an empty scope) in every token request. Some servers reject an empty scope "
                    + "(`invalid_scope`, 400); others issue a token with default scopes the backend may not accept.",
                fix: "Set `\"scopes\"` to the comma-separated scopes the backend needs, e.g. `\"scopes\": \"orders:read,orders:write\"`. "
                    + "The gateway has no way to omit `scope=`; if the server needs none, check that it accepts an empty one "
                    + "(`tokentop check`).")
            return
        }
        let scopes = value.value
        guard !TemplateNeutralizer.isTemplated(scopes) else { return }
        let items = scopes.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let spaced = items.contains { $0.first.map(blank) == true || $0.last.map(blank) == true }
        let empty = items.count > 1 && items.contains(where: \.isEmpty)
        guard spaced || empty else { return }
        let sent = "scope=" + GatewaySemantics.formEncode(items.joined(separator: " "))
        let clean = items.map { $0.trimmingBlanks(blank) }.filter { !$0.isEmpty }
        let what = spaced && empty ? "blanks around its commas and empty items" : spaced ? "blanks around its commas" : "empty items"
        add(.scopeDoubleSpace, path: JSONPath.key(blockPath, "scopes"), at: value.location, routeIDs: [routeID],
            message: "\"scopes\" has \(what); the gateway splits on \",\" without trimming",
            gateway: "Sends `\(sent)`: each scope keeps its blanks and is joined with one more space, so the server sees "
                + "an empty or blank-prefixed scope name and may answer `invalid_scope`.",
            fix: "Write `\"scopes\": \"\(clean.joined(separator: ","))\"` — commas only, no spaces.")
    }

    // MARK: endpoint_params

    /// Checks `endpoint_params`; returns the parameters as the gateway reads them (later
    /// duplicates win, `@comment` keys skipped like the loader), or nil when a type is wrong.
    private mutating func checkEndpointParams(_ member: JSONMember?, blockPath: String, routeID: Int, enabled: Bool,
                                              clientID: String?, clientSecret: String?, typesOK: inout Bool) -> [String: [String]]? {
        guard let member else { return [:] }
        let path = JSONPath.key(blockPath, "endpoint_params")
        guard case .object(let members) = member.value.kind else {
            typesOK = false
            wrongType(member.value, path: path, routeID: routeID, expected: "an object", goType: "map[string]interface {}",
                      fix: "Write endpoint_params as an object whose values are lists of strings: "
                          + "`\"endpoint_params\": {\"audience\": [\"https://api.example.com\"]}`.")
            return nil
        }
        var params: [String: [String]] = [:]
        var ok = true
        for m in members where !m.key.hasPrefix("@") {
            let mPath = JSONPath.key(path, m.key)
            guard case .array(let elements) = m.value.kind else {
                ok = false
                wrongType(m.value, path: mPath, routeID: routeID, expected: "a list of strings", goType: "[]interface {}",
                          fix: "Wrap the value in a list: `\"\(m.key)\": [\"…\"]` (each endpoint_params value is a list; "
                              + "several items repeat the form field).")
                continue
            }
            var list: [String] = []
            for (i, e) in elements.enumerated() {
                if let s = e.stringValue { list.append(s); continue }
                ok = false
                wrongType(e, path: JSONPath.index(mPath, i), routeID: routeID, expected: "a string", goType: "string",
                          fix: "Write every item of `\(m.key)` as a JSON string (numbers and booleans in quotes too).")
            }
            params[m.key] = list
        }
        if !ok { typesOK = false }

        // A repeated client_secret (the Auth0 recipe) leaks like the block's own, whatever its type.
        if let m = members.last(where: { $0.key == "client_secret" }) {
            let secretPath = JSONPath.key(path, "client_secret")
            let values = m.value.arrayValue.map { $0.enumerated().map { (JSONPath.index(secretPath, $0.offset), $0.element) } }
                ?? [(secretPath, m.value)]
            for (valuePath, e) in values {
                guard let s = e.stringValue, !s.isEmpty, !TemplateNeutralizer.isTemplated(s) else { continue }
                secretInFile(path: valuePath, at: e.location, routeIDs: [routeID], what: "endpoint_params.client_secret")
            }
        }

        // scope: fails every fetch. Reported even for a disabled block (as a warning), because it
        // breaks the backend the moment the block is enabled.
        if let scope = members.last(where: { $0.key == "scope" }) {
            add(.scopeInEndpointParams, severity: enabled ? .error : .warning, path: JSONPath.key(path, "scope"),
                at: scope.keyLocation, routeIDs: [routeID],
                message: "endpoint_params has \"scope\"" + (enabled ? "" : " (harmless only while is_disabled is true)"),
                gateway: "Fails every token fetch before sending anything: `oauth2: cannot overwrite parameter \"scope\"` — "
                    + "every call to this backend fails.",
                fix: "Remove `scope` from endpoint_params and put the scopes in the block: `\"scopes\": \"a,b\"` (comma-separated).")
        }
        guard enabled else { return ok ? params : nil }

        if let grant = members.last(where: { $0.key == "grant_type" }),
           let values = grant.value.arrayValue?.compactMap(\.stringValue), values != ["client_credentials"] {
            let shown = values.isEmpty ? "an empty grant_type" : "grant_type=\(values.map(GatewaySemantics.formEncode).joined(separator: "&grant_type="))"
            add(.grantTypeInEndpointParams, path: JSONPath.key(path, "grant_type"), at: grant.keyLocation, routeIDs: [routeID],
                message: "endpoint_params sets grant_type, replacing client_credentials",
                gateway: "Sends \(values.isEmpty ? shown : "`\(shown)`") instead of `grant_type=client_credentials` "
                    + "(Go's client lets endpoint_params override it): the request is no longer the client-credentials grant, "
                    + "and most servers answer `unsupported_grant_type` or `invalid_request`.",
                fix: "Remove `grant_type` from endpoint_params; the gateway always sends `grant_type=client_credentials` by itself.")
        }

        let repeated = members.filter { $0.key == "client_id" || $0.key == "client_secret" }
        if let first = repeated.first {
            var differs: [String] = []
            if let v = params["client_id"], let clientID, v != [clientID] { differs.append("client_id") }
            if let v = params["client_secret"], let clientSecret, v != [clientSecret] { differs.append("client_secret") }
            let keys = Set(repeated.map(\.key)).sorted().joined(separator: " and ")
            var gateway = "Sends them twice on the first attempt: in `Authorization: Basic` and in the form body. A server that "
                + "rejects two client-authentication methods in one request fails that attempt; the gateway then retries with the "
                + "credentials in the body only (the block's values replace these), so each cold fetch costs two requests."
            if !differs.isEmpty {
                gateway += " Here the repeated \(differs.joined(separator: " and ")) differs from the block's, so the first request "
                    + "carries two different values."
            }
            add(.credentialsInEndpointParams, severity: differs.isEmpty ? .info : .warning, path: JSONPath.key(path, first.key),
                at: first.keyLocation, routeIDs: [routeID],
                message: "endpoint_params repeats \(keys) (the Auth0 recipe)" + (differs.isEmpty ? "" : " with a different value"),
                gateway: gateway,
                fix: "Usually unnecessary: the gateway already falls back to credentials in the body when Basic fails. Remove "
                    + "them from endpoint_params unless your server needs them there; if you keep them, keep them identical to the "
                    + "block's (and out of the file, like client_secret).")
        }
        return ok ? params : nil
    }

    // MARK: Rule: duplicate-credentials

    private mutating func reportDuplicateCredentials() {
        for identity in identityOrder {
            guard let blocks = blocksByIdentity[identity], blocks.count > 1, let first = blocks.first else { continue }
            let n = blocks.count
            let backends = blocks.map(\.backend)
            let shown = backends.prefix(6).joined(separator: ", ") + (n > 6 ? " and \(n - 6) more" : "")
            add(.duplicateCredentials, path: first.path, at: first.location, routeIDs: blocks.map(\.routeID),
                message: "\(n) backends use identical client credentials (client_id \"\(identity.clientID)\" at "
                    + "\(redacted(identity.tokenURL))): \(shown)",
                gateway: "Builds one token source per backend and never shares tokens: \(n) separate tokens for the same client, "
                    + "fetched and refreshed separately — \(n) times the requests to the identity provider.",
                fix: "Nothing is wrong as such, and KrakenD has no shared token source. If the identity provider rate-limits or "
                    + "bills per token, reduce the backends using these credentials (e.g. merge endpoints that call the same "
                    + "service). tokentop itself fetches one token for all of them (rows show \"shared by \(n)\").")
        }
    }

    /// A URL or host without its user info, which may hold a password (`https://u:pw@h` →
    /// `https://***@h`): findings end up in CI logs.
    private func redacted(_ url: String) -> String {
        let schemeEnd = url.range(of: "://")?.upperBound ?? url.startIndex
        let rest = url[schemeEnd...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd]) + "***@" + rest[rest.index(after: at)...]
    }

    // MARK: Martian

    private mutating func checkMartian(_ block: JSONValue, path: String, routeID: Int, protected: Bool) {
        let valid = checkModifier(block, path: path, routeID: routeID)
        // When martian rejects the block nothing is set, so nothing is overwritten either.
        guard valid, protected else { return }
        findAuthorization(block, path: path, routeID: routeID, appliesToRequest: true)
    }

    /// Checks a value martian parses as one modifier (`parse.FromJSON`): exactly one key. Returns
    /// false when martian would reject it (only the "several keys" case is reported here; other
    /// shapes are the loader's warnings).
    @discardableResult
    private mutating func checkModifier(_ value: JSONValue, path: String, routeID: Int) -> Bool {
        guard case .object(let members) = value.kind else { return false }
        var names: [String] = []
        for m in members where !m.key.hasPrefix("@") && !names.contains(m.key) { names.append(m.key) }
        var valid = names.count == 1
        if names.count > 1 {
            add(.martianSeveralModifiers, path: path, at: value.location, routeIDs: [routeID],
                message: "\(names.count) martian modifiers side by side (\(names.joined(separator: ", "))); martian takes exactly one here",
                gateway: "martian rejects the block (`parse: expected one modifier, received \(names.count)`); the gateway logs it and "
                    + "calls this backend with no martian modifier at all — none of these headers or bodies are applied.",
                fix: "Wrap them in a group, which runs them in order: `{\"fifo.Group\": {\"scope\": [\"request\", \"response\"], "
                    + "\"aggregateErrors\": true, \"modifiers\": [{\"\(names[0])\": {…}}, {\"\(names[1])\": {…}}]}}`.")
        }
        for name in names {
            guard let body = members.last(where: { $0.key == name })?.value, case .object = body.kind else { continue }
            let bodyPath = JSONPath.key(path, name)
            if name == "fifo.Group" || name == "priority.Group", let list = present(body, "modifiers")?.arrayValue {
                for (i, element) in list.enumerated() {
                    let elementPath = JSONPath.index(JSONPath.key(bodyPath, "modifiers"), i)
                    if name == "fifo.Group" {
                        if !checkModifier(element, path: elementPath, routeID: routeID) { valid = false }
                    } else if let inner = present(element, "modifier") {
                        if !checkModifier(inner, path: JSONPath.key(elementPath, "modifier"), routeID: routeID) { valid = false }
                    }
                }
            } else if name.hasSuffix("Filter") {
                for key in ["modifier", "else"] {
                    if let inner = present(body, key), !checkModifier(inner, path: JSONPath.key(bodyPath, key), routeID: routeID) {
                        valid = false
                    }
                }
            }
        }
        return valid
    }

    /// Every `header.Modifier` setting `Authorization` that applies to the request, at any depth.
    private mutating func findAuthorization(_ value: JSONValue, path: String, routeID: Int, appliesToRequest: Bool) {
        switch value.kind {
        case .object(let members):
            var applies = appliesToRequest
            // An enclosing modifier's `scope` without "request" keeps everything inside off the request.
            if let scope = present(value, "scope")?.arrayValue, !scope.contains(where: { $0.stringValue == "request" }) { applies = false }
            for m in members where !m.key.hasPrefix("@") {
                let memberPath = JSONPath.key(path, m.key)
                if m.key == "header.Modifier", let name = present(m.value, "name")?.stringValue,
                   name.lowercased() == "authorization" {
                    var own = applies
                    if let scope = present(m.value, "scope")?.arrayValue, !scope.contains(where: { $0.stringValue == "request" }) { own = false }
                    if own {
                        add(.martianAuthorizationOverwritten, path: memberPath, at: m.value.location, routeIDs: [routeID],
                            message: "martian sets \(name) on a backend protected by client credentials",
                            gateway: "Applies the martian header, then attaches the token as `Authorization: Bearer …`, which "
                                + "overwrites it: the backend never receives this value.",
                            fix: "Remove this header.Modifier (the backend gets the client-credentials token). If the backend needs "
                                + "this header instead, remove the client-credentials block; to send both, put the other credential "
                                + "in a header of another name.")
                    }
                }
                findAuthorization(m.value, path: memberPath, routeID: routeID, appliesToRequest: applies)
            }
        case .array(let elements):
            for (i, e) in elements.enumerated() {
                findAuthorization(e, path: JSONPath.index(path, i), routeID: routeID, appliesToRequest: appliesToRequest)
            }
        default:
            break
        }
    }

    // MARK: Helpers

    /// The member value for `key`, with `null` meaning absent (as the gateway's config decoder).
    private func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    /// The block under the current or legacy spelling of a namespace; the current one wins when
    /// both are present (KrakenD's alias rule; the loader warns about the other).
    private func namespaced(_ extra: JSONValue, _ current: String, _ legacy: String) -> (JSONValue, String)? {
        if let v = present(extra, current) { return (v, current) }
        if let v = present(extra, legacy) { return (v, legacy) }
        return nil
    }

    private mutating func add(_ rule: LintRule, severity: Finding.Severity? = nil, path: String, at location: SourceLocation?,
                              routeIDs: [Int], message: String, gateway: String, fix: String) {
        findings.append(Finding(rule: rule, severity: severity, file: file, path: path, location: location, routeIDs: routeIDs,
                                message: message, gatewayBehaviour: gateway, fix: fix))
    }
}

private extension String {
    func trimmingBlanks(_ isBlank: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let c = s.first, isBlank(c) { s.removeFirst() }
        while let c = s.last, isBlank(c) { s.removeLast() }
        return String(s)
    }
}
