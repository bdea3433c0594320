import Foundation
import GatewayConfig

/// `tokentop lint`: what the gateway will get wrong with a config, each finding with its JSON
/// path and line:column, what the gateway will do, and how to fix it. Pure: no network, no
/// environment lookups beyond the dictionary passed in.
///
/// How it works:
/// 1. `{{ env "NAME" }}` actions are neutralised in place (`TemplateNeutralizer`), so a templated
///    file parses with every position unchanged and a secret from the environment is recognised.
/// 2. The JSON tree is walked by `LintWalker`, which applies the rules (see `LintRule`). It works
///    on files the loader refuses, which is where lint is needed most.
/// 3. `ConfigLoader` runs on the same bytes; every diagnostic it reports that no rule already
///    covers (same path and line:column) becomes a `config-error`/`config-warning` finding, so
///    lint never hides a problem `tokentop list` would show.
///
/// A file that isn't a JSON config at all (unreadable, empty, YAML/TOML, another Go template, a
/// syntax error, a bare JSON scalar) throws `ConfigLoadError` with the loader's explanation: there
/// is nothing to lint. Anything else — however broken — yields findings.
public enum ConfigLinter {
    /// Reads and lints the file at `path` (the path as the user typed it, also used as the file
    /// name in findings). `environment` only serves to load `LintResult.configuration`.
    /// A caller that has already read the file must call `lint(file:bytes:…)` with those bytes
    /// instead: a path is not always a file that can be read twice.
    ///   - loaded: The configuration the caller already loaded from this file, if any: lint then
    ///     takes its diagnostics instead of loading the file a second time (for a 10,000-backend
    ///     file that second parse tree, alive beside lint's own, doubled lint's memory peak).
    ///     Only used when the file has no `{{ env }}` action (then the load is environment-free).
    public static func lint(path: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            loaded: GatewayConfiguration? = nil) throws(ConfigLoadError) -> LintResult {
        // Read once, as the loader reads (errno named, size bounded, empty refused), and lint those
        // bytes: reading the path again would fail on a pipe or FIFO (`lint /dev/stdin`, `<(…)`)
        // and see another version of a file being edited.
        let bytes = try ConfigLoader.readBytes(path: path)
        return try lint(file: path, bytes: bytes, environment: environment, loaded: loaded)
    }

    /// Lints a config already in memory. `file` names it in findings (and its extension tells
    /// YAML/TOML apart, as for the loader).
    public static func lint(file: String, bytes: [UInt8], environment: [String: String] = [:],
                            loaded: GatewayConfiguration? = nil) throws(ConfigLoadError) -> LintResult {
        let lowered = file.lowercased()
        let foreign = [".yaml", ".yml", ".toml"].contains { lowered.hasSuffix($0) }
        let (neutral, actions, joinedLines) = TemplateNeutralizer.neutralize(bytes)

        let root: JSONValue
        do throws(JSONParseError) {
            guard !foreign else { throw JSONParseError(message: "not JSON", location: SourceLocation(line: 1, column: 1), offset: 0) }
            root = try JSONParser.parse(neutral)
        } catch {
            // The loader has the better words (empty file, YAML, "render the template first").
            throw loaderFailure { () throws(ConfigLoadError) in _ = try ConfigLoader.load(bytes: bytes, file: file, environment: environment) }
                ?? ConfigLoadError([Diagnostic(.error, file: file, path: "", location: error.location, message: error.message)])
        }

        // A JSON scalar is not a config either: nothing to lint, as for a syntax error.
        if root.objectMembers == nil && root.arrayValue == nil {
            throw loaderFailure { () throws(ConfigLoadError) in _ = try ConfigLoader.load(bytes: neutral, file: file, environment: [:]) }
                ?? ConfigLoadError([Diagnostic(.error, file: file, path: "", location: root.location,
                                               message: "expected an object (a KrakenD config) or an array of endpoints, found \(root.typeName)")])
        }

        var walker = LintWalker(file: file)
        walker.walk(root)
        var findings = walker.findings

        // The loader on the neutralised bytes: its diagnostics don't depend on the environment.
        var configuration: GatewayConfiguration?
        let diagnostics: [Diagnostic]
        if actions == 0, let loaded, loaded.file == file {
            diagnostics = loaded.diagnostics
            configuration = loaded
        } else {
            do {
                let loaded = try ConfigLoader.load(bytes: neutral, file: file, environment: [:])
                diagnostics = loaded.diagnostics
                if actions == 0 { configuration = loaded }
            } catch {
                diagnostics = error.diagnostics
            }
        }
        if actions > 0 {
            // The real values, for callers that use the configuration (nil if a variable is unset).
            configuration = try? ConfigLoader.load(bytes: bytes, file: file, environment: environment)
        }

        let covered = Set(findings.map { Key(path: $0.path, location: $0.location) })
        for d in diagnostics {
            if covered.contains(Key(path: d.path, location: d.location)) { continue }
            // "This is an endpoint fragment": a fact about the file, not a problem for the gateway.
            if walker.isFragment && d.path.isEmpty && d.location == root.location && d.severity == .warning { continue }
            findings.append(loaderFinding(d, routeIDs: routeIDs(forPath: d.path, walker: walker)))
        }

        if joinedLines {
            let remapper = LocationRemapper(neutral: neutral, original: bytes)
            for k in findings.indices { findings[k].location = findings[k].location.map(remapper.original) }
        }

        // Sort with the walk order as the last tie-break, so equal keys keep their rule order.
        findings = findings.enumerated().sorted { a, b in
            if fileOrder(a.element, b.element) { return true }
            if fileOrder(b.element, a.element) { return false }
            return a.offset < b.offset
        }.map(\.element)
        return LintResult(file: file, findings: findings, configuration: configuration, isFragment: walker.isFragment)
    }

    // MARK: - Internals

    private struct Key: Hashable {
        var path: String
        var location: SourceLocation?
    }

    /// Runs a load that is expected to fail and returns its error (nil if it loaded after all).
    private static func loaderFailure(_ load: () throws(ConfigLoadError) -> Void) -> ConfigLoadError? {
        do {
            try load()
            return nil
        } catch {
            return error
        }
    }

    private static func loaderFinding(_ d: Diagnostic, routeIDs: [Int]) -> Finding {
        switch d.severity {
        case .error:
            Finding(rule: .configError, file: d.file, path: d.path, location: d.location, routeIDs: routeIDs, message: d.message,
                    gatewayBehaviour: "Refuses this (it does not start, or fails on this value), or reads it differently from what "
                        + "is written; tokentop cannot load the file either (`tokentop list` exits 2).",
                    fix: "Correct the value as the message says; `krakend check -c FILE` confirms what the gateway accepts.")
        case .warning:
            Finding(rule: .configWarning, file: d.file, path: d.path, location: d.location, routeIDs: routeIDs, message: d.message,
                    gatewayBehaviour: "Starts, but does not do what this part of the file suggests (the message says what it does instead).",
                    fix: "Correct or remove the value as the message says.")
        }
    }

    /// The routes a loader diagnostic concerns, from its path: the backend it is in, else every
    /// backend of the endpoint it is in, else none (root level).
    private static func routeIDs(forPath path: String, walker: LintWalker) -> [Int] {
        func within(_ base: String) -> Bool {
            guard !base.isEmpty, path.hasPrefix(base) else { return false }
            let rest = path.dropFirst(base.count)
            return rest.isEmpty || rest.hasPrefix(".") || rest.hasPrefix("[")
        }
        if let backend = walker.backendRoutes.first(where: { within($0.path) }) { return [backend.id] }
        if let endpoint = walker.endpointRoutes.first(where: { within($0.path) }) { return endpoint.ids }
        return []
    }

    /// File order; findings without a location last; then errors first, then by code and path.
    private static func fileOrder(_ a: Finding, _ b: Finding) -> Bool {
        switch (a.location, b.location) {
        case let (x?, y?) where x != y: return x < y
        case (nil, _?): return false
        case (_?, nil): return true
        default: break
        }
        if a.severity != b.severity { return a.severity < b.severity }
        if a.code != b.code { return a.code < b.code }
        return a.path < b.path
    }
}
