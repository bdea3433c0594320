import Foundation
import Testing
import ConfigLint
import GatewayConfig

/// Lints an inline config that must be readable; records an issue otherwise.
func lint(_ json: String, file: String = "test.json", environment: [String: String] = [:],
          sourceLocation: Testing.SourceLocation = #_sourceLocation) -> LintResult? {
    do {
        return try ConfigLinter.lint(file: file, bytes: Array(json.utf8), environment: environment)
    } catch {
        Issue.record("unexpected lint failure:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Lints inline bytes that must be refused (exit 2); returns the error or records an issue.
func lintFailure(_ bytes: [UInt8], file: String = "test.json",
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ConfigLoadError? {
    do {
        let result = try ConfigLinter.lint(file: file, bytes: bytes, environment: [:])
        Issue.record("expected a lint failure, got \(result.findings.count) findings", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

extension LintResult {
    func with(_ rule: LintRule) -> [Finding] { findings.filter { $0.rule == rule } }
    var codes: [String] { findings.map(\.code) }
}

/// Where `needle` starts in `text` (1-based line, column in Unicode scalars), computed
/// independently of the parser so tests say "the value `["a"]`" instead of hand-counting.
func position(of needle: String, in text: String, occurrence: Int = 1) -> GatewayConfig.SourceLocation {
    let scalars = Array(text.unicodeScalars)
    let pattern = Array(needle.unicodeScalars)
    var seen = 0
    var line = 1, column = 1
    var i = 0
    while i < scalars.count {
        if i + pattern.count <= scalars.count && Array(scalars[i..<(i + pattern.count)]) == pattern {
            seen += 1
            if seen == occurrence { return GatewayConfig.SourceLocation(line: line, column: column) }
        }
        if scalars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
        i += 1
    }
    return GatewayConfig.SourceLocation(line: -1, column: -1)
}

// MARK: - Config builders

/// A clean client-credentials block body: the secret comes from the environment.
let goodFields = #""client_id": "gw", "client_secret": "{{ env "SECRET" }}", "token_url": "https://idp.example/token", "scopes": "read,write""#

/// `"auth/client-credentials": {fields}`.
func credentials(_ fields: String = goodFields) -> String { #""auth/client-credentials": {"# + fields + "}" }

/// A backend object; `extra` is the body of its extra_config.
func backend(url: String = "/b", host: String = #"["https://api.example"]"#, extra: String? = nil, more: String = "") -> String {
    var s = #"{"url_pattern": "\#(url)", "host": \#(host)"#
    s += more
    if let extra { s += #", "extra_config": {\#(extra)}"# }
    return s + "}"
}

/// A full version-3 config with one endpoint per element of `endpoints` (each an endpoint path
/// and its backends), one per line so positions are easy to find.
func service(_ endpoints: [(path: String, backends: [String])], rootExtra: String = "", endpointExtra: String? = nil) -> String {
    var lines = ["{", #"  "version": 3,\#(rootExtra)"#, #"  "endpoints": ["#]
    for (i, e) in endpoints.enumerated() {
        var endpoint = #"    {"endpoint": "\#(e.path)", "#
        if let endpointExtra { endpoint += #""extra_config": {\#(endpointExtra)}, "# }
        endpoint += #""backend": [\#n      "# + e.backends.joined(separator: ",\n      ") + "\n    ]}"
        lines.append(endpoint + (i == endpoints.count - 1 ? "" : ","))
    }
    lines += ["  ]", "}"]
    return lines.joined(separator: "\n")
}

/// One endpoint `/e` with one backend.
func service(backend b: String, rootExtra: String = "", endpointExtra: String? = nil) -> String {
    service([("/e", [b])], rootExtra: rootExtra, endpointExtra: endpointExtra)
}

/// JSON path of the first backend's credentials block.
let blockPath = #"endpoints[0].backend[0].extra_config["auth/client-credentials"]"#

/// `Tests/Fixtures/configs` (see its README.md), found from this file: the suite reads nothing
/// outside the repository, because a user's clone has nothing beside it. Symlinks are resolved
/// so a private test package linking these sources still finds the folder.
let fixtureConfigs: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/configs")

/// Every fixture config, sorted by name.
func fixtureConfigFiles() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: fixtureConfigs.path).filter { $0.hasSuffix(".json") }.sorted()
}

/// The path of one fixture config.
func fixturePath(_ name: String) -> String { fixtureConfigs.appendingPathComponent(name).path }

/// The text of one fixture config, for positions computed independently of the parser.
func fixtureText(_ name: String) throws -> String { try String(contentsOfFile: fixturePath(name), encoding: .utf8) }
