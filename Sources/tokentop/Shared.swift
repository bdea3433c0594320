import ArgumentParser
import Foundation
import GatewayConfig
import TokenKit

/// `FILE` positional or `-c FILE`, like `krakend run -c`.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: "The gateway's JSON config file.")
    var configOption: String?

    @Argument(help: "The gateway's JSON config file (same as -c).")
    var configArgument: String?

    @Flag(name: .shortAndLong, help: "Print details (warnings, the full error text).")
    var verbose = false

    func path() throws -> String {
        switch (configOption, configArgument) {
        case let (a?, b?) where a != b: throw ValidationError("two different config files given: \(a) and \(b)")
        case let (a?, _): return a
        case let (nil, b?): return b
        default: throw ValidationError("no config file: pass it as an argument or with -c FILE")
        }
    }

    /// Loads the config or exits 2 with the diagnostics on stderr.
    func load() throws -> GatewayConfiguration {
        let file = try path()
        do {
            let config = try ConfigLoader.load(path: file)
            if verbose { for d in config.diagnostics { stderr("\(d)") } }
            else if !config.diagnostics.isEmpty {
                stderr("\(config.diagnostics.count) warning(s) in \(file); run with -v to see them")
            }
            if config.allowInsecureConnections { stderr(insecureWarning(file: file)) }
            return config
        } catch {
            for d in error.diagnostics where verbose || d.severity == .error { stderr("\(d)") }
            let n = error.errors.count
            stderr("tokentop: cannot load \(file): \(n) error\(n == 1 ? "" : "s")")
            throw ExitCode(2)
        }
    }
}

/// Said on stderr whenever a config with `allow_insecure_connections: true` is loaded: tokentop
/// then skips certificate checks as the gateway does, and nobody should miss that.
func insecureWarning(file: String) -> String {
    "tokentop: warning: allow_insecure_connections is true in \(file): TLS certificates of token servers "
        + "and backends are NOT verified (as on the gateway); --ca-file is the safe alternative"
}

func stderr(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Prints rows as left-aligned columns separated by two spaces (like kubectl): nothing is cut,
/// so shell users can `grep` and `awk` the output.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        var out = ""
        for (i, c) in cells.enumerated() {
            if i == cells.count - 1 { out += c } else { out += c.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }
        }
        return out
    }
    print(line(header))
    for r in rows { print(line(r)) }
}

func jsonString<T: Encodable>(_ value: T) -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    e.dateEncodingStrategy = .iso8601
    return String(decoding: (try? e.encode(value)) ?? Data("null".utf8), as: UTF8.self)
}

extension Route {
    /// `GET http://host/path` or `GET dns:service/path`.
    var backendDescription: String {
        let host: String
        switch serviceDiscovery {
        case .static: host = hosts.first ?? "(no host)"
        case .dns, .dnsShared: host = "\(serviceDiscovery.rawValue):\(hosts.first ?? "?")"
        }
        let more = hosts.count > 1 ? " (+\(hosts.count - 1) hosts)" : ""
        return "\(method.uppercased()) \(host)\(urlPattern)\(more)"
    }
}
