import Foundation
import Testing
@testable import GatewayConfig

/// Loads an inline config; returns the configuration or records an issue.
func loadConfig(_ json: String, file: String = "test.json", environment: [String: String] = [:],
                sourceLocation: Testing.SourceLocation = #_sourceLocation) -> GatewayConfiguration? {
    do {
        return try ConfigLoader.load(bytes: Array(json.utf8), file: file, environment: environment)
    } catch {
        Issue.record("unexpected load failure:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Loads an inline config that must fail; returns the error or records an issue.
func loadFailure(_ json: String, file: String = "test.json", environment: [String: String] = [:],
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ConfigLoadError? {
    loadBytesFailure(Array(json.utf8), file: file, environment: environment, sourceLocation: sourceLocation)
}

func loadBytesFailure(_ bytes: [UInt8], file: String = "test.json", environment: [String: String] = [:],
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ConfigLoadError? {
    do {
        let config = try ConfigLoader.load(bytes: bytes, file: file, environment: environment)
        Issue.record("expected a load failure, got \(config.routes.count) routes", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Where `needle` starts in `text` (1-based line, column in Unicode scalars), computed
/// independently of the parser so tests can point at "the `[` after scopes" without hand-counting.
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

func loc(_ line: Int, _ column: Int) -> GatewayConfig.SourceLocation { .init(line: line, column: column) }

/// A minimal full config around one backend object (written as JSON text).
func config(backend: String, endpointExtra: String? = nil, rootExtra: String = "") -> String {
    """
    {
      "version": 3,\(rootExtra)
      "endpoints": [
        {
          "endpoint": "/e",\(endpointExtra.map { "\n      \"extra_config\": \($0)," } ?? "")
          "backend": [
            \(backend)
          ]
        }
      ]
    }
    """
}

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
