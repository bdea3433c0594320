import Foundation
import TestProcess
import GatewayConfig
import Testing

/// Hostile files too big to commit, made at test time: 100,000 endpoints, huge strings and keys,
/// nesting at and past the parser's limit, 100,000 duplicate keys, a 100,000-endpoint line.
struct GeneratedCase: Sendable, CustomTestStringConvertible {
    enum Runs: Sendable { case both, binaryOnly, binaryListOnly }
    var name: String
    var make: @Sendable () -> [UInt8]
    /// Expectation given the bytes (some positions depend on the generated length).
    var expected: @Sendable ([UInt8]) -> Expectation
    /// The 100,000-endpoint files are loaded only by the binary (niced, see `spawn`), which runs
    /// the same loader: loading them in the test process too would cost seconds of CPU taken from
    /// the timing-sensitive tests running beside it.
    var runs: Runs = .both
    var testDescription: String { name }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// One compact endpoint with client credentials.
private func endpointJSON(_ i: Int, path: String? = nil) -> String {
    #"{"endpoint":\#(path ?? "\"/e\(i)\""),"backend":[{"url_pattern":"/b/\#(i)","host":["http://h\#(i % 10):8080"],"#
        + #""extra_config":{"auth/client-credentials":{"client_id":"c\#(i)","client_secret":"s\#(i)","token_url":"http://idp/token","scopes":"a,b"}}}]}"#
}

private let sixteenMiB = 16 << 20
private let depthPrefix = #"{"version": 3, "endpoints": [], "@deep": "#

let generatedCases: [GeneratedCase] = [
    GeneratedCase(name: "100,000 endpoints", make: {
        bytes(#"{"version":3,"endpoints":["# + (0..<100_000).map { endpointJSON($0) }.joined(separator: ",") + "]}")
    }, expected: { _ in .loads(warnings: 0, routes: 100_000) }, runs: .binaryOnly),
    GeneratedCase(name: "100,000 endpoints on one line, a wrong type in the last", make: {
        bytes(#"{"version":3,"endpoints":["# + (0..<99_999).map { endpointJSON($0) }.joined(separator: ",") + ","
              + endpointJSON(99_999, path: "5") + "]}")
    }, expected: { b in
        // The `5` after the last `"endpoint":`; the file is ASCII, so its column is its offset + 1.
        let marker = Array(#"{"endpoint":5"#.utf8)
        var at = b.count - marker.count
        while at >= 0 && Array(b[at..<(at + marker.count)]) != marker { at -= 1 }
        return .error("expected string, found number", line: 1, column: at + marker.count, path: "endpoints[99999].endpoint")
    }, runs: .binaryListOnly),
    GeneratedCase(name: "16 MiB client secret", make: {
        bytes(#"{"version":3,"endpoints":[{"endpoint":"/a","backend":[{"url_pattern":"/x","host":"http://h","extra_config":{"auth/client-credentials":{"client_id":"c","client_secret":""#
              + String(repeating: "S", count: sixteenMiB) + #"","token_url":"http://idp/token"}}}]}]}"#)
    }, expected: { _ in .loads(warnings: 0, routes: 1) }),
    GeneratedCase(name: "16 MiB unterminated string", make: {
        bytes("{\n  \"version\": 3,\n  \"name\": \"" + String(repeating: "x", count: sixteenMiB))
    }, expected: { _ in .error("unterminated string", line: 3, column: 11) }),
    GeneratedCase(name: "1 MiB unknown key", make: {
        bytes(#"{"version":3,"endpoints":[{"endpoint":"/a","backend":[{"url_pattern":"/x","host":"http://h","extra_config":{"auth/client-credentials":{"client_id":"c","client_secret":"s","token_url":"t",""#
              + String(repeating: "k", count: 1 << 20) + #"":1}}}]}]}"#)
    }, expected: { _ in .loads(warnings: 1, routes: 1) }),
    GeneratedCase(name: "100,000 'é' then a wrong type (columns count characters)", make: {
        bytes(#"{"version": 3, "name": ""# + String(repeating: "é", count: 100_000) + #"", "endpoints": 5}"#)
    }, expected: { _ in .error("expected array, found number", line: 1, column: 24 + 100_000 + 17, path: "endpoints") }),
    GeneratedCase(name: "nesting of exactly 512 levels", make: {
        bytes(depthPrefix + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}")
    }, expected: { _ in .loads(warnings: 1, routes: 0) }),
    GeneratedCase(name: "nesting of 513 levels", make: {
        bytes(depthPrefix + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}")
    }, expected: { _ in .error("nesting deeper than 512 levels", line: 1, column: depthPrefix.count + 512) }),
    GeneratedCase(name: "100,000 open brackets", make: {
        bytes(String(repeating: "[", count: 100_000))
    }, expected: { _ in .error("nesting deeper than 512 levels", line: 1, column: 513) }),
    GeneratedCase(name: "100,000 nested objects, one per line", make: {
        bytes(String(repeating: "{\"a\":\n", count: 100_000))
    }, expected: { _ in .error("nesting deeper than 512 levels", line: 513, column: 1) }),
    GeneratedCase(name: "100,000 duplicate keys", make: {
        bytes(#"{"version": 3, "endpoints": [], "# + String(repeating: #""k": 1, "#, count: 100_000) + #""last": 0}"#)
    }, expected: { _ in .loads(warnings: 100_000, routes: 0) }),
    GeneratedCase(name: "100,000 backends in one endpoint", make: {
        bytes(#"{"version":3,"host":["http://h"],"endpoints":[{"endpoint":"/fan","backend":["#
              + (0..<100_000).map { #"{"url_pattern":"/b/\#($0)"}"# }.joined(separator: ",") + "]}]}")
    }, expected: { _ in .loads(warnings: 0, routes: 100_000) }),
]

@Suite(.serialized) struct GeneratedHostileTests {
    @Test(arguments: generatedCases.filter { $0.runs == .both })
    func generatedFileGivesItsDiagnostic(_ c: GeneratedCase) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("generated.json").path
        let (problem, size, seconds) = try await offPool { () -> (String?, Int, Double) in
            let data = c.make()
            guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return ("cannot write \(path)", 0, 0) }
            let started = Date()
            let loaded = load(path)
            let seconds = Date().timeIntervalSince(started)
            return (mismatch(loaded, c.expected(data), file: path), data.count, seconds)
        }
        if let problem { Issue.record("\(c.name): \(problem)") }
        print("hostile generated “\(c.name)”: \(size) bytes loaded in \(String(format: "%.2f", seconds)) s")
    }
}

/// Files that can't be committed: a directory, a missing file, an unreadable one, a symlink
/// loop, a device, a file whose read fails.
@Suite(.serialized) struct FileSystemHostileTests {
    @Test func directory() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mismatch(load(dir.path), .fileError("is a directory"), file: dir.path) == nil)
    }

    @Test func missingFile() throws {
        let path = "/nonexistent-\(UUID().uuidString)/krakend.json"
        #expect(mismatch(load(path), .fileError("cannot read: No such file or directory"), file: path) == nil)
    }

    @Test func symlinkLoop() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("loop.json").path
        #expect(symlink(path, path) == 0)
        #expect(mismatch(load(path), .fileError("cannot read: Too many levels of symbolic links"), file: path) == nil)
    }

    @Test func deviceWithNothingInIt() {
        #expect(mismatch(load("/dev/null"), .fileError("file is empty"), file: "/dev/null") == nil)
    }

    /// An endless file: the loader stops at 256 MiB instead of reading until memory runs out
    /// (it used to: `tokentop list /dev/zero` died of an allocation failure).
    @Test func endlessDevice() async throws {
        let expected = Expectation.fileError("file is larger than 256 MiB: not a gateway config")
        let problem = try await offPool { mismatch(load("/dev/zero"), expected, file: "/dev/zero") }
        #expect(problem == nil)
    }

    /// open(2) succeeds, read(2) fails (EIO at offset 0 of a process's own memory file).
    @Test func readFailsAfterOpen() {
        #expect(mismatch(load("/proc/self/mem"), .fileError("cannot read: Input/output error"), file: "/proc/self/mem") == nil)
    }

    /// `chmod 000`. Root reads any file whatever its mode, so as root the file loads — that is
    /// the documented behaviour (permissions don't bind root), asserted as such; the refusal is
    /// then exercised through the binary run as `nobody` (see `BinaryHostileTests`).
    @Test func unreadableFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("unreadable.json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{"version": 3, "endpoints": []}"#.utf8)))
        #expect(chmod(path, 0) == 0)
        if geteuid() == 0 {
            #expect(mismatch(load(path), .loads(warnings: 1, routes: 0), file: path) == nil, "root reads a mode-000 file")
        } else {
            #expect(mismatch(load(path), .fileError("cannot read: Permission denied"), file: path) == nil)
        }
    }
}
