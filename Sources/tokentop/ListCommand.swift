import ArgumentParser
import Foundation
import GatewayConfig
import TokenKit

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every endpoint/backend pair of a config, protected or not (no network).")

    @OptionGroup var config: ConfigOptions
    @Flag(help: "One JSON document instead of a table.") var json = false

    struct Row: Encodable {
        var id: Int
        var endpoint: String
        var method: String
        var backendMethod: String
        var hosts: [String]
        var urlPattern: String
        var serviceDiscovery: String
        var path: String
        var line: Int?
        var status: String
        var auth: Auth?
        var headerModifiers: [Header]
        var otherModifiers: [String]
        struct Auth: Encodable {
            var namespace: String
            var tokenURL: String
            var clientID: String
            var clientSecret: String
            var scopes: String?
            var endpointParams: [String: [String]]
            var disabled: Bool
        }
        struct Header: Encodable { var name: String; var value: String; var scope: [String] }
    }

    func run() async throws {
        let cfg = try config.load()
        let rows = cfg.routes.map { r in
            Row(id: r.id, endpoint: r.endpoint, method: r.endpointMethod.uppercased(), backendMethod: r.method.uppercased(),
                hosts: r.hosts, urlPattern: r.urlPattern, serviceDiscovery: r.serviceDiscovery.rawValue, path: r.path,
                line: r.location?.line, status: r.credentials == nil ? "unprotected" : (r.isDisabled ? "disabled" : "protected"),
                auth: r.credentials.map { c in
                    Row.Auth(namespace: c.namespace.rawValue, tokenURL: c.tokenURL, clientID: c.clientID,
                             clientSecret: Secret.hidden, scopes: c.scopes,
                             endpointParams: maskedParams(c.endpointParams),
                             disabled: c.isDisabled)
                },
                headerModifiers: r.headerModifiers.map { Row.Header(name: $0.name, value: Secret.maskHeader(name: $0.name, value: $0.value), scope: $0.scopes) },
                otherModifiers: r.otherModifiers)
        }
        if json {
            struct Doc: Encodable { var file: String; var version: Int?; var name: String?; var routes: [Row] }
            print(jsonString(Doc(file: cfg.file, version: cfg.version, name: cfg.name, routes: rows)))
            return
        }
        printTable(["ID", "ENDPOINT", "BACKEND", "AUTH", "MODIFIERS"], cfg.routes.map { r in
            var auth = "unprotected"
            if let c = r.credentials {
                auth = c.isDisabled ? "disabled (is_disabled: true)" : ""
                if !c.isDisabled { auth += "client_id=\(c.clientID) token_url=\(c.tokenURL) scopes=\"\(c.scopes ?? "")\""
                let params = c.endpointParams.keys.sorted().filter { $0 != "client_secret" && $0 != "client_id" }
                if !params.isEmpty { auth += " params=" + params.joined(separator: ",") } }
            }
            var mods = r.headerModifiers.filter(\.appliesToRequest).map { "\($0.name): \(Secret.maskHeader(name: $0.name, value: $0.value))" }
            mods += r.otherModifiers
            return ["\(r.id)", "\(r.endpointMethod.uppercased()) \(r.endpoint)", r.backendDescription, auth,
                    mods.isEmpty ? "-" : mods.joined(separator: "; ")]
        })
        let protected = cfg.routes.filter { $0.isProtected && !$0.isDisabled }.count
        print("\n\(cfg.routes.count) backend(s), \(protected) protected by client credentials")
    }
}

/// endpoint_params with a repeated client_secret (the Auth0 recipe) masked.
func maskedParams(_ p: [String: [String]]) -> [String: [String]] {
    var p = p
    if let v = p["client_secret"] { p["client_secret"] = v.map { _ in Secret.hidden } }
    return p
}
