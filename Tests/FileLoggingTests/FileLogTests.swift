import FileLogging
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `onFailure` was told, collected across threads.
private final class Reports: Sendable {
    let list = Mutex<[String]>([])
    func add(_ s: String) { list.withLock { $0.append(s) } }
    var all: [String] { list.withLock { $0 } }
}

private func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tt-log-\(UUID().uuidString.prefix(8))-\(name)").path
}

@Suite struct FileLogTests {
    @Test func oneLinePerEventWhateverTheMessageContains() throws {
        let path = tempPath("events.log")
        defer { unlink(path) }
        let reports = Reports()
        let log = try FileLog(path: path, onFailure: reports.add)
        let logger = log.logger()
        let messages = [
            "token GET /a failed: 400 invalid_request: line one\nline two\r\nline three",
            "test call → 200: \u{1B}[2J\u{1B}]0;pwned\u{07} body",
            "plain ünïcödé ✓",
            "trailing newline\n",
            "",
        ]
        for m in messages { logger.info("\(m)") }
        logger.warning("C1 \u{9B}31m and NEL\u{85}")

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == messages.count + 2, "\(text)") // + the warning, + the empty piece after the last \n
        #expect(lines.last == "")
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || ($0.value >= 0x7F && $0.value < 0xA0) })
        #expect(lines[0].hasSuffix(" info token GET /a failed: 400 invalid_request: line one\\nline two\\r\\nline three"))
        #expect(lines[1].hasSuffix(" info test call → 200: \\x1B[2J\\x1B]0;pwned\\x07 body"))
        #expect(lines[2].hasSuffix(" info plain ünïcödé ✓"))
        #expect(lines[3].hasSuffix(" info trailing newline\\n"))
        #expect(lines[5].hasSuffix(" warning C1 \\x9B31m and NEL\\x85"))
        #expect(reports.all.isEmpty)
    }

    @Test func appendsToAnExistingFile() throws {
        let path = tempPath("append.log")
        defer { unlink(path) }
        try Data("earlier line\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileLog(path: path, onFailure: { _ in }).write(level: .info, message: "new")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "earlier line" && lines[1].hasSuffix(" info new"))
    }

    @Test func fullDeviceIsReportedOnceAndDoesNotTrap() throws {
        let reports = Reports()
        let log = try FileLog(path: "/dev/full", onFailure: reports.add)
        for i in 0..<5 { log.write(level: .info, message: "event \(i)") }
        #expect(reports.all.count == 1, "\(reports.all)")
        #expect(reports.all.first?.contains("/dev/full") == true)
        #expect(reports.all.first?.contains("No space left on device") == true, "\(reports.all)")
        #expect(!log.isOpen)
    }

    @Test func fifoWhoseReaderLeavesIsReportedOnce() throws {
        let path = tempPath("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        // The reader first (non-blocking), so opening the writer does not wait for one.
        // O_CLOEXEC: a process spawned meanwhile by another test in this process must not inherit the
        // read end, or the FIFO keeps a reader and the writes below succeed (seen once in CI).
        let reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(reader >= 0)
        let reports = Reports()
        let log = try FileLog(path: path, onFailure: reports.add)
        log.write(level: .info, message: "first\nevent")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(reader, &buffer, buffer.count)
        let got = String(decoding: buffer[0..<max(0, n)], as: UTF8.self)
        #expect(got.hasSuffix(" info first\\nevent\n"), "\(got)")
        close(reader)
        // SIGPIPE would end this test process here if the log had not made it harmless.
        log.write(level: .info, message: "nobody reads this")
        log.write(level: .info, message: "nor this")
        #expect(reports.all.count == 1, "\(reports.all)")
        #expect(reports.all.first?.contains("Broken pipe") == true, "\(reports.all)")
        #expect(!log.isOpen)
    }

    @Test func unopenableFileThrowsWithTheReason() {
        #expect(throws: FileLog.OpenError.self) { try FileLog(path: "/nonexistent-dir/x.log", onFailure: { _ in }) }
        do {
            _ = try FileLog(path: "/nonexistent-dir/x.log", onFailure: { _ in })
        } catch {
            #expect(error.description.contains("No such file or directory"))
        }
    }

    @Test func concurrentEventsStayWholeLines() async throws {
        let path = tempPath("concurrent.log")
        defer { unlink(path) }
        let log = try FileLog(path: path, onFailure: { _ in })
        let long = String(repeating: "x", count: 5000)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 { group.addTask { for i in 0..<50 { log.write(level: .info, message: "t\(t) e\(i) \(long)") } } }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 400)
        #expect(lines.allSatisfy { $0.hasSuffix(" " + long) && $0.contains(" info t") })
    }
}
