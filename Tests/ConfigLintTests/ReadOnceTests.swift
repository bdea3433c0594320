import Foundation
import Testing
import ConfigLint
import GatewayConfig
#if canImport(Glibc)
import Glibc
#endif

/// A config is read once: lint works on the bytes that were read, so a pipe, a FIFO or
/// `/dev/stdin` can be linted, and the dashboard's background lint describes the file it loaded,
/// not a version saved afterwards.
@Suite struct ReadOnceTests {
    static let withoutScopes = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "x", "token_url": "https://i/t""#)))
    static let withScopes = service(backend: backend(extra: credentials(#""client_id": "gw", "client_secret": "x", "token_url": "https://i/t", "scopes": "a""#)))

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lint-once-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    @Test func lintDescribesTheLoadedBytesNotTheFileAsItIsNow() throws {
        let path = temp("krakend.json")
        defer { unlink(path) }
        try Data(Self.withoutScopes.utf8).write(to: URL(fileURLWithPath: path))
        // What the dashboard does: read once, load those bytes …
        let bytes = try ConfigLoader.readBytes(path: path)
        let loaded = try ConfigLoader.load(bytes: bytes, file: path)
        // … the operator saves a fixed version meanwhile …
        try Data(Self.withScopes.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try ConfigLinter.lint(path: path, environment: [:]).codes.sorted() == ["secret-in-file"])
        // … and the lint of the loaded config still describes what was loaded (its rows, its
        // missing scopes), consistent with the table on screen.
        let result = try ConfigLinter.lint(file: path, bytes: bytes, environment: [:], loaded: loaded)
        #expect(result.codes.sorted() == ["empty-scope", "secret-in-file"])
        #expect(result.file == path)
    }

    @Test func lintReadsAFIFOOnce() async throws {
        let path = temp("fifo.json")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        // The writer on a thread of its own: opening a FIFO blocks until the reader comes.
        let text = Self.withoutScopes
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return }
            _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            close(fd)
        }
        writer.start()
        let result = try ConfigLinter.lint(path: path, environment: [:])
        #expect(result.codes.sorted() == ["empty-scope", "secret-in-file"])
        #expect(result.configuration?.routes.count == 1)
    }
}
