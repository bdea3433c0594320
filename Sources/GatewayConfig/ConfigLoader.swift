import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a KrakenD configuration file into a `GatewayConfiguration`.
///
/// Steps: read the bytes → refuse YAML/TOML → render `{{ env "NAME" }}` templates (or refuse a
/// real Go template) → parse JSON with positions → apply KrakenD's loading rules (defaults, host
/// sanitising, namespaces, client-credentials and martian blocks). All problems found are
/// collected; any error makes the load throw `ConfigLoadError` (errors and the warnings seen so
/// far), otherwise warnings end up in `GatewayConfiguration.diagnostics`.
public enum ConfigLoader {
    /// Reads and parses a KrakenD config file. `path` is the path as the user typed it; it is also
    /// the file name used in diagnostics.
    ///
    /// File problems (missing, a directory, unreadable, empty, larger than ``maxFileSize``) are
    /// reported as one error diagnostic without a location, e.g. `cannot read: No such file or directory`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigLoadError) -> GatewayConfiguration {
        try load(bytes: readBytes(path: path), file: path, environment: environment)
    }

    /// The bytes of a config file, read as `load(path:)` reads them: errno named on failure, at
    /// most ``maxFileSize`` bytes, an empty file refused. For callers that parse the file their own
    /// way (lint) but must not read `/dev/zero` forever either.
    public static func readBytes(path: String) throws(ConfigLoadError) -> [UInt8] {
        switch readFile(path) {
        case .success(let b): return b
        case .failure(let message):
            throw ConfigLoadError([Diagnostic(.error, file: path, path: "", location: nil, message: message)])
        }
    }

    /// Parses a config already in memory. `file` names it in diagnostics (and its extension is
    /// used to recognise YAML/TOML). `{{ env "NAME" }}` templates are rendered from `environment`.
    public static func load(bytes: [UInt8], file: String, environment: [String: String] = [:]) throws(ConfigLoadError) -> GatewayConfiguration {
        func fail(_ message: String, at location: SourceLocation? = nil) -> ConfigLoadError {
            ConfigLoadError([Diagnostic(.error, file: file, path: "", location: location, message: message)])
        }
        if bytes.isEmpty { throw fail("file is empty") }
        let lowered = file.lowercased()
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") { throw fail(yamlMessage(file)) }
        if lowered.hasSuffix(".toml") { throw fail(tomlMessage(file)) }

        let parsed: Result<JSONValue, ConfigLoadError> = bytes.withUnsafeBufferPointer { text in
            var tracker = LocationTracker(text: text, map: nil)
            var first = JSONParser.bomLength(text)
            while first < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[first]) { first += 1 }
            guard first < text.count else { return .failure(fail("file is empty (only whitespace)")) }
            switch sniffNonJSON(text, from: first) {
            case .yaml: return .failure(fail(yamlMessage(file), at: tracker.location(original: first)))
            case .toml: return .failure(fail(tomlMessage(file), at: tracker.location(original: first)))
            case .json: break
            }

            do throws(JSONParseError) {
                switch TemplateRenderer.render(text, environment: environment) {
                case .none:
                    return .success(try JSONParser.parse(text))
                case .goTemplate(let offset):
                    // `{{` inside JSON strings (e.g. a response-body template) is plain data: only
                    // a file that is not JSON as written is a template to render first.
                    if let plain = try? JSONParser.parse(text) { return .success(plain) }
                    return .failure(fail("\(file) is a Go template (flexible configuration); render it first, e.g. with "
                                         + "`FC_ENABLE=1 FC_OUT=rendered.json krakend check -c \(file)`, and load the rendered file",
                                         at: tracker.location(original: offset)))
                case .rendered(let rendered, let map, let missing):
                    if !missing.isEmpty {
                        return .failure(ConfigLoadError(missing.map { item in
                            Diagnostic(.error, file: file, path: "", location: tracker.location(original: item.offset),
                                       message: "environment variable \(item.name) is not set (needed by {{ env \"\(item.name)\" }})")
                        }))
                    }
                    return .success(try rendered.withUnsafeBufferPointer { (r) throws(JSONParseError) -> JSONValue in
                        try JSONParser.parse(rendered: r, original: text, map: map)
                    })
                }
            } catch {
                var message = error.message
                // `[server]` on the first line: a TOML file with a .json (or no) extension.
                if text[first] == UInt8(ascii: "["), looksLikeTOMLTable(text, from: first) { message = tomlMessage(file) }
                return .failure(fail(message, at: error.location))
            }
        }
        let root: JSONValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let error): throw error
        }

        var reader = ConfigReader(file: file)
        let configuration = reader.read(root)
        if reader.hasErrors { throw ConfigLoadError(reader.diagnostics) }
        return configuration
    }

    // MARK: - Not JSON

    private static func yamlMessage(_ file: String) -> String {
        "tokentop reads JSON configs; convert YAML first, e.g. `yq -o=json '.' \(file) > krakend.json`"
    }

    private static func tomlMessage(_ file: String) -> String {
        "tokentop reads JSON configs; convert TOML first, e.g. `yq -p=toml -o=json '.' \(file) > krakend.json`"
    }

    private enum Sniffed { case json, yaml, toml }

    /// Recognises content that clearly isn't JSON: a YAML document marker or comment, or a first
    /// line like `version: 3` (YAML) or `version = 3` (TOML). Anything starting with `{`, `[` or
    /// another JSON token is left to the JSON parser.
    private static func sniffNonJSON(_ t: UnsafeBufferPointer<UInt8>, from start: Int) -> Sniffed {
        let c = t[start]
        func hasPrefix(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return start + u.count <= t.count && Array(t[start..<(start + u.count)]) == u
        }
        if hasPrefix("---") || c == UInt8(ascii: "#") { return .yaml }
        guard (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) else { return .json }
        if hasPrefix("true") || hasPrefix("false") || hasPrefix("null") { return .json }
        var i = start
        while i < t.count, isKeyByte(t[i]) { i += 1 }
        while i < t.count, t[i] == 0x20 || t[i] == 0x09 { i += 1 }
        guard i < t.count else { return .json }
        if t[i] == UInt8(ascii: ":") { return .yaml }
        if t[i] == UInt8(ascii: "=") { return .toml }
        return .json
    }

    private static func isKeyByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    /// `[name]` or `[[name]]` alone on the line: a TOML table header.
    private static func looksLikeTOMLTable(_ t: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var i = start
        while i < t.count, t[i] == UInt8(ascii: "[") { i += 1 }
        let nameStart = i
        while i < t.count, isKeyByte(t[i]) { i += 1 }
        guard i > nameStart, i < t.count, t[i] == UInt8(ascii: "]") else { return false }
        while i < t.count, t[i] == UInt8(ascii: "]") { i += 1 }
        while i < t.count, t[i] == 0x20 || t[i] == 0x09 || t[i] == 0x0D { i += 1 }
        return i == t.count || t[i] == 0x0A
    }

    // MARK: - Files

    /// The largest file read (a 100,000-endpoint config is about 25 MB). Without a bound,
    /// `tokentop list /dev/zero` (or /dev/urandom, or a stream) reads until memory runs out and
    /// the process dies.
    public static let maxFileSize = 256 << 20

    private enum ReadResult { case success([UInt8]), failure(String) }

    /// Reads a whole file with POSIX calls, so failures can name the reason (`errno`), which
    /// `FileManager.contents(atPath:)` hides behind a nil.
    private static func readFile(_ path: String) -> ReadResult {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure("cannot read: \(errnoDescription())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure("cannot read: \(errnoDescription())") }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure("is a directory") }
        var bytes: [UInt8] = []
        let expected = max(Int(info.st_size), 0)
        bytes.reserveCapacity(expected + 1)
        var chunk = [UInt8](repeating: 0, count: max(65_536, min(expected + 1, 64 << 20)))
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure("cannot read: \(errnoDescription())")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maxFileSize {
                return .failure("file is larger than \(maxFileSize >> 20) MiB: not a gateway config (a device or an endless stream?)")
            }
        }
        if bytes.isEmpty { return .failure("file is empty") }
        return .success(bytes)
    }

    private static func errnoDescription() -> String {
        String(cString: strerror(errno))
    }
}
