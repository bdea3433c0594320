import Foundation
import Testing

// `--log-file` with the real binary, on FaultEndToEndTests' rig (two DemoGateways).
extension FaultEndToEndTests {
    /// `/dev/full`: every write fails with ENOSPC. Before, `FileHandle.write` trapped at the first
    /// log line (exit 132). Now: said once, on the flash line and on stderr after the terminal is
    /// restored, and the dashboard goes on.
    @Test func logFileThatCannotBeWrittenIsReportedAndTheDashboardGoesOn() async throws {
        try await withRig { rig in
            let tmux = try dashboard(rig, args: "--timeout 5 --log-file /dev/full")
            defer { tmux.stop() }
            let problem = "cannot write the log file /dev/full: No space left on device; logging stopped"
            try await tmux.waitFor("the report on the flash line and the table") {
                $0.contains(problem) && row($0, "/ok")?.contains("valid") == true
            }
            // Keys still work.
            try tmux.send(keys: "?")
            _ = try await tmux.waitFor(text: "this help", timeout: 5)
            try tmux.send(keys: "Escape")
            try tmux.send(keys: "q")
            let after = try await tmux.waitFor(text: "exit=0")
            #expect(after.contains("tokentop: " + problem), "\(after)")
            #expect(after.components(separatedBy: problem).count == 2, "reported once:\n\(after)")
        }
    }

    /// A FIFO whose reader reads the first line and leaves: the next write gets EPIPE (SIGPIPE
    /// must not end the process either). A row that keeps failing makes the log lines come.
    @Test func logFIFOWhoseReaderLeavesIsReportedAndTheDashboardGoesOn() async throws {
        try await withRig { rig in
            rig.b.setFault(.html500, path: Rig.faultyPath)
            let fifo = rig.dir.appendingPathComponent("log.fifo").path
            let first = rig.dir.appendingPathComponent("first-line").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let tmux = try dashboard(rig, args: "--timeout 5 --log-file \(fifo)", before: "head -n 1 \(fifo) > \(first) & ")
            defer { tmux.stop() }
            let problem = "cannot write the log file \(fifo): Broken pipe; logging stopped"
            try await tmux.waitFor("the report on the flash line", timeout: 30) { $0.contains(problem) }
            #expect((try? String(contentsOfFile: first, encoding: .utf8))?.contains(" info dashboard started on ") == true,
                    "the log worked until its reader left")
            try await tmux.waitFor("the table going on") { row($0, "/faulty")?.contains("500") == true }
            try tmux.send(keys: "q")
            let after = try await tmux.waitFor(text: "exit=0")
            #expect(after.contains("tokentop: " + problem), "\(after)")
        }
    }
}
