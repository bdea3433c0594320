import Foundation
import Testing

// The config is read once (a pipe, a FIFO, /dev/stdin can only be), with the real binary, on
// FaultEndToEndTests' rig (two DemoGateways).
extension FaultEndToEndTests {
    /// The dashboard lints the bytes it loaded. Before, it opened the path again: on a FIFO that
    /// waits forever for a second writer, so the lint never arrived.
    @Test func dashboardOnAFIFOShowsItsLint() async throws {
        try await withRig { rig in
            let fifo = rig.dir.appendingPathComponent("config.fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let tmux = TmuxDriver()
            defer { tmux.stop() }
            try tmux.start("cat \(rig.config) > \(fifo) & \(TmuxDriver.binary) \(fifo) --timeout 5; echo \"exit=$?\"", width: 160, height: 30)
            // The rig's secrets are written in the file: lint warns about each.
            let s = try await tmux.waitFor("the table and the lint count") {
                row($0, "/ok")?.contains("valid") == true && $0.contains("lint: ")
            }
            #expect(s.split(separator: "\n").first?.contains("warnings") == true, "\(s)")
            try tmux.send(keys: "q")
            _ = try await tmux.waitFor(text: "exit=0")
        }
    }

    /// `tokentop /dev/stdin` with the config typed into the terminal: the loader reads it up to
    /// Ctrl-D, then the keys belong to the dashboard. Before, the background lint opened
    /// /dev/stdin again — the terminal — and took the keys meant for the dashboard.
    @Test func configFromTheTerminalLeavesTheKeysToTheDashboard() async throws {
        try await withRig { rig in
            let text = try String(contentsOfFile: rig.config, encoding: .utf8).replacingOccurrences(of: "\n", with: " ")
            let tmux = TmuxDriver()
            defer { tmux.stop() }
            try tmux.start("\(TmuxDriver.binary) /dev/stdin --timeout 5; echo \"exit=$?\"", width: 160, height: 30)
            try tmux.send(literal: text)
            try tmux.send(keys: "Enter")
            try tmux.send(keys: "C-d")
            try await tmux.waitFor("the table") { row($0, "/ok")?.contains("valid") == true }
            for _ in 0..<3 {
                try tmux.send(keys: "?")
                _ = try await tmux.waitFor(text: "this help", timeout: 5)
                try tmux.send(keys: "Escape")
                try await tmux.waitFor("help closed", timeout: 5) { !$0.contains("this help") }
            }
            try tmux.send(keys: "q")
            _ = try await tmux.waitFor(text: "exit=0")
        }
    }

    /// `tokentop lint` on a pipe, a redirect and a FIFO gives the same findings as on the file.
    @Test func lintReadsPipesAndFIFOs() async throws {
        try await withRig { rig in
            let file = try await cli("lint \(rig.config)")
            #expect(file.status == 0)
            #expect(file.out.contains("[secret-in-file]"), "\(file.out)")
            let findings = file.out.split(separator: "\n").filter { $0.contains("warning [") }.count
            #expect(findings > 0)
            func sameFindings(_ r: (status: Int32, out: String), as name: String, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(r.status == 0, "\(r.out)", sourceLocation: sourceLocation)
                #expect(r.out.contains("\(name): 0 errors, \(findings) warnings"), "\(r.out)", sourceLocation: sourceLocation)
            }
            sameFindings(try await cli("lint /dev/stdin < \(rig.config)"), as: "/dev/stdin")
            sameFindings(try await shell("cat \(rig.config) | '\(TmuxDriver.binary)' lint /dev/stdin 2>&1"), as: "/dev/stdin")
            let fifo = rig.dir.appendingPathComponent("lint.fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            sameFindings(try await shell("cat \(rig.config) > \(fifo) & '\(TmuxDriver.binary)' lint \(fifo) 2>&1"), as: fifo)
        }
    }

    /// Runs a shell command line on a thread of its own (see `cli`).
    func shell(_ line: String) async throws -> (status: Int32, out: String) {
        try await withCheckedThrowingContinuation { cont in
            Thread { cont.resume(with: Result { try run(["sh", "-c", line]) }) }.start()
        }
    }
}
