import Foundation
import TestProcess
import GatewayConfig
import Testing

/// The real binary (`tokentop list -v` and `tokentop lint`) on every hostile file: it exits 0, 1
/// or 2 — never by a signal — and what it prints names the file; for a refused file, every error
/// the loader gives appears on stderr as `file:line:col: error: …`.
@Suite(.serialized) struct BinaryHostileTests {
    /// One run's promises. `expected` is what the in-process load gave (already checked against
    /// the table by the other suites).
    static func checkRuns(path: String, loaded: Loaded, label: String, environment: [String: String] = [:]) async throws {
        let list = try await offPool { try spawn([tokentopBinary, "list", "-v", path], environment: environment) }
        #expect(!list.signalled && [0, 1, 2].contains(list.status),
                "\(label): list ended with \(list.status)\(list.signalled ? " (signal)" : "")\n\(list.stderr.prefix(2000))")
        switch loaded {
        case .failure(let e):
            #expect(list.status == 2, "\(label): list exit \(list.status) for a refused file")
            #expect(list.stderr.contains("tokentop: cannot load \(path): "), "\(label): stderr: \(list.stderr.prefix(1000))")
            for d in e.diagnostics.prefix(20) {
                #expect(list.stderr.contains(d.description.prefix(4000)), "\(label): stderr lacks “\(d.description.prefix(300))”")
            }
        case .config(let c):
            #expect(list.status == 0, "\(label): list exit \(list.status) for a loadable file:\n\(list.stderr.prefix(1000))")
            #expect(list.stdout.contains("\(c.routes.count) backend(s)"), "\(label)")
            for d in c.diagnostics.prefix(20) {
                #expect(list.stderr.contains(d.description.prefix(4000)), "\(label): stderr lacks “\(d.description.prefix(300))”")
            }
        }

        let lint = try await offPool { try spawn([tokentopBinary, "lint", path], environment: environment) }
        #expect(!lint.signalled && [0, 1, 2].contains(lint.status),
                "\(label): lint ended with \(lint.status)\(lint.signalled ? " (signal)" : "")\n\(lint.stderr.prefix(2000))")
        if lint.status == 2 {
            #expect(lint.stderr.contains("tokentop: cannot lint \(path): "), "\(label): lint stderr: \(lint.stderr.prefix(1000))")
            #expect(lint.stderr.contains("\(path):"), "\(label)")
        } else {
            #expect(lint.stdout.contains("\(path): "), "\(label): lint stdout: \(lint.stdout.suffix(500))")
        }
    }

    @Test(arguments: corpus)
    func corpusFile(_ c: CorpusCase) async throws {
        let path = corpusDirectory.appendingPathComponent(c.file).path
        try await Self.checkRuns(path: path, loaded: load(path, environment: corpusEnvironment), label: c.file, environment: corpusEnvironment)
    }

    /// Generated files, judged by their expectation alone (no second load in this process).
    @Test(arguments: generatedCases)
    func generatedFile(_ c: GeneratedCase) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("generated.json").path
        let data = try await offPool { c.make() }
        let written = try await offPool { FileManager.default.createFile(atPath: path, contents: Data(data)) }
        #expect(written)
        let expected = c.expected(data)
        let list = try await offPool { try spawn([tokentopBinary, "list", "-v", path]) }
        #expect(!list.signalled && [0, 1, 2].contains(list.status), "\(c.name): list ended with \(list.status)\n\(list.stderr.prefix(2000))")
        switch expected {
        case .error(let m, let line, let column, let jsonPath):
            #expect(list.status == 2, "\(c.name): list exit \(list.status)")
            let head = "\(path):\(line):\(column): error: " + (jsonPath.map { "\($0): " } ?? "")
            #expect(list.stderr.contains(head) && list.stderr.contains(m), "\(c.name): stderr lacks “\(head)… \(m)”: \(list.stderr.prefix(1000))")
        case .fileError(let m):
            #expect(list.status == 2 && list.stderr.contains("\(path): error: \(m)"), "\(c.name): \(list.stderr.prefix(1000))")
        case .loads(let warnings, let routes):
            #expect(list.status == 0, "\(c.name): list exit \(list.status): \(list.stderr.prefix(1000))")
            #expect(list.stdout.contains("\n\(routes) backend(s)"), "\(c.name)")
            let printed = list.stderr.split(separator: "\n").filter { $0.hasPrefix("\(path):") && $0.contains(": warning: ") }.count
            #expect(printed == warnings, "\(c.name): \(printed) warnings printed, expected \(warnings)")
        }
        guard c.runs != .binaryListOnly else { return }
        let lint = try await offPool { try spawn([tokentopBinary, "lint", path]) }
        #expect(!lint.signalled && [0, 1, 2].contains(lint.status), "\(c.name): lint ended with \(lint.status)\n\(lint.stderr.prefix(2000))")
        #expect(lint.status == 2 ? lint.stderr.contains("tokentop: cannot lint \(path): ") : lint.stdout.contains("\(path): "), "\(c.name)")
    }

    @Test func fileSystemCases() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = dir.appendingPathComponent("loop.json").path
        #expect(symlink(loop, loop) == 0)
        for path in [dir.path, dir.appendingPathComponent("missing.json").path, loop, "/dev/null", "/proc/self/mem"] {
            let loaded = load(path)
            guard case .failure = loaded else { Issue.record("\(path) loaded"); continue }
            try await Self.checkRuns(path: path, loaded: loaded, label: path)
        }
    }

    /// `/dev/zero`: refused after 256 MiB (`lint` falls back to the loader's reader when
    /// Foundation can't read the file). Before the fix both commands read until memory ran out and
    /// died; the 2 GB address-space limit keeps a regression from taking the machine's memory.
    @Test func endlessDevice() async throws {
        for command in ["list", "lint"] {
            let r = try await offPool { try spawn(["sh", "-c", "ulimit -v 2000000 && exec \"$0\" \"$1\" /dev/zero", tokentopBinary, command]) }
            #expect(r.status == 2 && !r.signalled, "\(command): exit \(r.status)\n\(r.stderr.prefix(2000))")
            #expect(r.stderr.contains("/dev/zero: error: file is larger than 256 MiB"), "\(command): \(r.stderr.prefix(500))")
        }
    }

    /// `chmod 000`, through the binary. As root the binary is run as `nobody` (setpriv), for whom
    /// the mode means what it says: the refusal path is exercised either way, never skipped.
    @Test func unreadableFile() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("unreadable.json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{"version": 3, "endpoints": []}"#.utf8)))
        #expect(chmod(path, 0) == 0)
        let asRoot = geteuid() == 0
        if asRoot {
            #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "root needs setpriv to test an unreadable file honestly")
        }
        let prefix = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        for command in ["list", "lint"] {
            let r = try await offPool { try spawn(prefix + [tokentopBinary, command, path]) }
            #expect(r.status == 2 && !r.signalled, "\(command): exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains("\(path): error: cannot read: Permission denied"), "\(command): \(r.stderr)")
        }
    }
}
