import ConfigLint
import Foundation
import GatewayConfig
import Testing

/// What loading a hostile file must give. Every file of `Corpus/` has exactly one entry, so a
/// new file without an expectation, or a change in any message or position, fails a test.
enum Expectation: Sendable, CustomStringConvertible {
    /// Refused; the first error contains `message`, sits at `line:column` and, when given, at
    /// JSON path `path`.
    case error(String, line: Int, column: Int, path: String? = nil)
    /// Refused with a message about the whole file (no position: empty, unreadable, YAML by name).
    case fileError(String)
    /// Loaded, with exactly this many warnings (each with a position).
    case loads(warnings: Int, routes: Int)

    var description: String {
        switch self {
        case .error(let m, let l, let c, let p): "error \(l):\(c) \(p ?? "") “\(m)”"
        case .fileError(let m): "file error “\(m)”"
        case .loads(let w, let r): "loads: \(r) routes, \(w) warnings"
        }
    }
}

struct CorpusCase: Sendable, CustomTestStringConvertible {
    var file: String
    var expected: Expectation
    var testDescription: String { file }
    init(_ file: String, _ expected: Expectation) { self.file = file; self.expected = expected }
}

/// Environment for `{{ env "…" }}` templates in the corpus.
let corpusEnvironment = ["TT_HOSTILE_SECRET": "from-the-environment"]

let credentialsPath = #"endpoints[0].backend[0].extra_config["auth/client-credentials"]"#

/// The committed corpus, by category. Positions were checked by hand (and by an independent
/// column count) when the files were written.
let corpus: [CorpusCase] = [
    // Empty and blank
    .init("empty.json", .fileError("file is empty")),
    .init("whitespace-only.json", .fileError("file is empty (only whitespace)")),
    .init("bom-only.json", .fileError("file is empty (only whitespace)")),
    // Truncated
    .init("truncated-object.json", .error("unexpected end of input, expected ',' or '}' after object member", line: 4, column: 56)),
    .init("truncated-string.json", .error("unterminated string", line: 3, column: 11)),
    .init("truncated-after-key.json", .error("unexpected end of input, expected ':' after object key", line: 3, column: 14)),
    // Not quite JSON
    .init("trailing-comma.json", .error("trailing ',' before ']' (JSON does not allow trailing commas)", line: 5, column: 87)),
    .init("comment.json", .error("(JSON does not allow comments)", line: 2, column: 3)),
    .init("single-quotes.json", .error("(JSON strings use double quotes)", line: 2, column: 3)),
    .init("two-documents.json", .error("unexpected '{' after the end of the JSON value", line: 2, column: 1)),
    .init("leading-zero.json", .error("invalid number: leading zeros are not allowed", line: 1, column: 13)),
    .init("number-overflow.json", .error("number 1e999 is out of range", line: 3, column: 14)),
    .init("invalid-escape.json", .error(#"invalid escape '\U' in string"#, line: 3, column: 14)),
    .init("control-char-raw.json", .error("control character U+0009 in string must be escaped", line: 1, column: 28)),
    .init("nul-in-string.json", .error("control character U+0000 in string must be escaped", line: 1, column: 26)),
    .init("crlf-error.json", .error("expected ',' or '}' after object member", line: 4, column: 23)),
    // Wrong types at every level
    .init("root-string.json", .error("expected an object (a KrakenD config) or an array of endpoints, found string", line: 1, column: 1)),
    .init("root-number.json", .error("expected an object (a KrakenD config) or an array of endpoints, found number", line: 3, column: 4)),
    .init("root-null.json", .error("expected an object (a KrakenD config) or an array of endpoints, found null", line: 1, column: 1)),
    .init("version-string.json", .error("expected number, found string", line: 2, column: 14, path: "version")),
    .init("version-missing.json", .error("missing \"version\"", line: 1, column: 1, path: "version")),
    .init("version-99.json", .error("unsupported version: 99 (KrakenD accepts 1, 2, 3)", line: 2, column: 14, path: "version")),
    .init("endpoints-object.json", .error("expected array, found object", line: 3, column: 16, path: "endpoints")),
    .init("endpoint-number.json", .error("expected object, found number", line: 4, column: 5, path: "endpoints[0]")),
    .init("endpoint-path-number.json", .error("expected string, found number", line: 4, column: 18, path: "endpoints[0].endpoint")),
    .init("timeout-words.json", .error(#"invalid duration "3 seconds""#, line: 4, column: 35, path: "endpoints[0].timeout")),
    .init("timeout-object.json", .error("found object", line: 4, column: 35, path: "endpoints[0].timeout")),
    .init("backend-string.json", .error("expected array, found string", line: 4, column: 35, path: "endpoints[0].backend")),
    .init("backend-empty.json", .error("the endpoint has no backends", line: 4, column: 35, path: "endpoints[0].backend")),
    .init("backend-item-array.json", .error("expected object, found array", line: 4, column: 36, path: "endpoints[0].backend[0]")),
    .init("host-number.json", .error("expected string, found number", line: 4, column: 67, path: "endpoints[0].backend[0].host[0]")),
    .init("host-invalid.json", .error("not valid: invalid host (the gateway refuses to start)", line: 4, column: 67, path: "endpoints[0].backend[0].host[0]")),
    .init("url-pattern-bool.json", .error("expected string, found boolean", line: 4, column: 52, path: "endpoints[0].backend[0].url_pattern")),
    .init("extra-config-array.json", .error("expected object, found array", line: 4, column: 74, path: "endpoints[0].backend[0].extra_config")),
    .init("credentials-string.json", .error("expected object, found string", line: 4, column: 129, path: credentialsPath)),

    .init("client-id-number.json", .error("expected string, found number", line: 4, column: 143, path: credentialsPath + ".client_id")),
    .init("client-secret-null.json", .error("expected string, found null", line: 4, column: 166, path: credentialsPath + ".client_secret")),
    .init("scopes-array.json", .error("expected string, found array", line: 4, column: 214, path: credentialsPath + ".scopes")),
    .init("endpoint-params-string.json", .error("expected object, found string", line: 4, column: 223, path: credentialsPath + ".endpoint_params")),
    .init("endpoint-params-value-string.json", .error("expected array of strings, found string", line: 4, column: 236,
                                                      path: credentialsPath + ".endpoint_params.audience")),
    .init("is-disabled-string.json", .error("expected boolean, found string", line: 4, column: 219, path: credentialsPath + ".is_disabled")),
    // Encodings
    .init("bom.json", .loads(warnings: 0, routes: 1)),
    .init("bom-error.json", .error("unexpected '}', expected a JSON value", line: 1, column: 30)),
    .init("invalid-utf8-in-string.json", .error("invalid UTF-8", line: 3, column: 15)),
    .init("invalid-utf8-outside-string.json", .error("invalid UTF-8", line: 3, column: 3)),
    .init("utf16le.json", .error("invalid UTF-8", line: 1, column: 1)),
    .init("overlong-utf8.json", .error("invalid UTF-8", line: 1, column: 25)),
    .init("surrogate-utf8.json", .error("invalid UTF-8", line: 1, column: 25)),
    .init("nul-byte-root.json", .error("unexpected character U+0000, expected a JSON value", line: 1, column: 1)),
    .init("binary-png.json", .error("invalid UTF-8", line: 1, column: 1)),
    .init("gzip.json", .error("unexpected character U+001F, expected a JSON value", line: 1, column: 1)),
    .init("lone-surrogate-escape.json", .loads(warnings: 0, routes: 1)),
    // Other formats and templates
    .init("yaml-in-json.json", .error("convert YAML first", line: 1, column: 1)),
    .init("yaml-document-marker.json", .error("convert YAML first", line: 1, column: 1)),
    .init("toml-in-json.json", .error("convert TOML first", line: 1, column: 2)),
    .init("krakend.yaml", .fileError("convert YAML first")),
    .init("krakend.toml", .fileError("convert TOML first")),
    .init("go-template.json", .error("is a Go template (flexible configuration); render it first", line: 4, column: 5)),
    .init("env-template-unset.json", .error("environment variable TT_HOSTILE_UNSET_SECRET is not set", line: 4, column: 167)),
    .init("env-template-set.json", .loads(warnings: 0, routes: 1)),
    .init("env-template-multiline.json", .loads(warnings: 0, routes: 1)),
    .init("template-in-string.json", .loads(warnings: 0, routes: 1)),
    // Loads with warnings
    .init("duplicate-keys.json", .loads(warnings: 3, routes: 1)),
    .init("martian-wrong-types.json", .loads(warnings: 1, routes: 1)),
    .init("weird-keys.json", .loads(warnings: 2, routes: 1)),
    .init("endpoints-null.json", .loads(warnings: 1, routes: 0)),
    .init("fragment-array.json", .loads(warnings: 1, routes: 1)),
    .init("fragment-endpoint.json", .loads(warnings: 1, routes: 1)),
    // The gateway runs a block without client_secret and token_url (empty strings): one warning each.
    .init("credentials-missing-fields.json", .loads(warnings: 2, routes: 1)),
]

/// Checks one outcome against its expectation; returns a problem or nil.
func mismatch(_ loaded: Loaded, _ expected: Expectation, file: String) -> String? {
    let all = loaded.diagnostics
    for d in all where d.file != file { return "a diagnostic names \(d.file), not \(file): \(d)" }
    switch (loaded, expected) {
    case (.failure(let e), .error(let message, let line, let column, let path)):
        guard let first = e.errors.first else { return "no error diagnostic" }
        if !first.message.contains(message) { return "first error is “\(first.message)”, expected “\(message)”" }
        if first.location != SourceLocation(line: line, column: column) {
            return "first error at \(first.location.map(\.description) ?? "no location"), expected \(line):\(column): \(first)"
        }
        if let path, first.path != path { return "first error at path \(first.path), expected \(path)" }
        if !first.description.hasPrefix("\(file):\(line):\(column): error: ") { return "description lacks file:line:col: \(first)" }
    case (.failure(let e), .fileError(let message)):
        guard let first = e.errors.first else { return "no error diagnostic" }
        if !first.message.contains(message) { return "error is “\(first.message)”, expected “\(message)”" }
        if first.location != nil { return "a file-level error with a location: \(first)" }
        if !first.description.hasPrefix("\(file): error: ") { return "description lacks the file: \(first)" }
    case (.config(let c), .loads(let warnings, let routes)):
        if c.diagnostics.count != warnings { return "\(c.diagnostics.count) warnings, expected \(warnings):\n" + c.diagnostics.map(\.description).joined(separator: "\n") }
        if c.routes.count != routes { return "\(c.routes.count) routes, expected \(routes)" }
        for d in c.diagnostics where d.location == nil || d.severity != .warning { return "a warning without a position, or not a warning: \(d)" }
    case (.config(let c), _):
        return "loaded (\(c.routes.count) routes, \(c.diagnostics.count) warnings), expected \(expected)"
    case (.failure(let e), .loads):
        return "refused, expected to load:\n\(e)"
    }
    return nil
}

@Suite struct HostileCorpusTests {
    @Test func corpusIsBigAndEveryFileHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path).sorted()
        let listed = corpus.map(\.file)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        #expect(Set(files) == Set(listed), "corpus files without expectation: \(Set(files).subtracting(listed)); expectations without file: \(Set(listed).subtracting(files))")
        #expect(files.count >= 30)
    }

    @Test(arguments: corpus)
    func corpusFileGivesItsDiagnostic(_ c: CorpusCase) {
        let path = corpusDirectory.appendingPathComponent(c.file).path
        let loaded = load(path, environment: corpusEnvironment)
        if let problem = mismatch(loaded, c.expected, file: path) { Issue.record("\(c.file): \(problem)") }
    }

    /// lint (in-process) never crashes either; when it refuses a file it says why with the loader's words.
    @Test(arguments: corpus)
    func lintHandlesCorpusFile(_ c: CorpusCase) {
        let path = corpusDirectory.appendingPathComponent(c.file).path
        do {
            let result = try ConfigLinter.lint(path: path, environment: corpusEnvironment)
            for f in result.findings where f.location == nil && !f.path.isEmpty {
                Issue.record("\(c.file): a finding with a path but no position: \(f)")
            }
        } catch {
            #expect(!error.errors.isEmpty, "\(c.file)")
            #expect(error.diagnostics.allSatisfy { $0.file == path }, "\(c.file)")
        }
    }
}

/// Bugs the hostile inputs found, kept as regression tests.
@Suite struct FoundBugTests {
    /// Found by libFuzzer: lint's TemplateNeutralizer turns the line break inside a
    /// `{{ env "X" }}` action in a string into a blank, and lint's positions after it were a line
    /// too high (the loader mapped them right). Lint now maps them back to the file.
    @Test func lintPositionsAfterAMultilineEnvAction() throws {
        let path = corpusDirectory.appendingPathComponent("env-template-multiline.json").path
        let result = try ConfigLinter.lint(path: path, environment: corpusEnvironment)
        let tokenURL = try #require(result.findings.first { $0.path.hasSuffix(".token_url") })
        #expect(tokenURL.location == SourceLocation(line: 3, column: 14))
    }
}
