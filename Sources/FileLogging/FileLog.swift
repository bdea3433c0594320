import Foundation
import Logging
import Synchronization
import TokenKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file behind `--log-file`: one line per event, written with write(2) as it happens.
///
/// Why not `FileHandle.write`: it traps on any error, so a full disk (`/dev/full`) or a FIFO whose
/// reader went away ended the whole dashboard (exit 132) over a log line. Here a failed write is
/// reported once through `onFailure` and logging stops; the caller goes on.
///
/// Why write at once, unbuffered: a SIGTERM ends the process without running Swift code, so
/// nothing may wait in a buffer.
///
/// One line per event whatever the message contains: messages carry server text (error
/// descriptions, URLs, header values) that may hold newlines or escape sequences, so each message
/// goes through `SafeText.escape` — a reader of the log (`grep`, `tail -f` in a terminal, a log
/// shipper) never sees one event split in two or a terminal control sequence.
public final class FileLog: Sendable {
    public let path: String
    private let state: Mutex<State>
    private let onFailure: @Sendable (String) -> Void

    private struct State {
        var fd: Int32       // -1 once a write failed: the log is closed for good
        let stamp = ISO8601DateFormatter()
    }

    /// Opens (creating if needed) `path` for appending. A FIFO blocks here until a reader opens it,
    /// as with any writer.
    ///
    /// - Parameter onFailure: called once, with a sentence naming the file and the error, when a
    ///   write fails; later events are dropped. Called on whichever thread logged.
    /// - Throws: `FileLog.OpenError` with the errno text.
    public init(path: String, onFailure: @escaping @Sendable (String) -> Void) throws(OpenError) {
        // A write to a pipe or FIFO whose reader has gone raises SIGPIPE, whose default action
        // ends the process before write(2) can return EPIPE. SwiftNIO ignores it too, but only
        // once its first socket exists, and the log's first line comes before that.
        signal(SIGPIPE, SIG_IGN)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OpenError(message: "cannot open log file \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        self.state = Mutex(State(fd: fd))
        self.onFailure = onFailure
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    public struct OpenError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The line written for one event (without the newline): time, level, the escaped message.
    public static func line(stamp: String, level: Logger.Level, message: String) -> String {
        "\(stamp) \(level) \(SafeText.escape(message))"
    }

    /// Whether the log is still being written (false after the first failed write).
    public var isOpen: Bool { state.withLock { $0.fd >= 0 } }

    /// Appends one event. Under the lock, so lines from concurrent tasks never interleave even
    /// when a write is partial.
    public func write(level: Logger.Level, message: String, at date: Date = Date()) {
        append { s in Self.line(stamp: s.stamp.string(from: date), level: level, message: message) }
    }

    /// Appends `line` as it is, with a newline: for lines that are one line by construction
    /// (the JSON lines of `tokentop serve`, whose encoder escapes every control character).
    public func write(jsonLine line: String) {
        // Kept to one line even if a caller got that wrong: a log line must never split.
        let one = line.contains("\n") ? line.replacingOccurrences(of: "\n", with: "\\n") : line
        append { _ in one }
    }

    private func append(_ makeLine: (State) -> String) {
        let failure: String? = state.withLock { s in
            guard s.fd >= 0 else { return nil }
            let bytes = Array((makeLine(s) + "\n").utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes[done...].withUnsafeBytes { posixWrite(s.fd, $0.baseAddress, $0.count) }
                if n > 0 { done += n; continue }
                if n < 0 && errno == EINTR { continue }
                // n == 0 cannot make progress either; report it like an error.
                let reason = n < 0 ? String(cString: strerror(errno)) : "nothing written"
                close(s.fd)
                s.fd = -1
                return "cannot write the log file \(path): \(reason); logging stopped"
            }
            return nil
        }
        if let failure { onFailure(failure) }
    }

    /// A swift-log `Logger` writing to this file.
    public func logger(label: String = "tokentop", level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { _ in Handler(file: self) }
        logger.logLevel = level
        return logger
    }

    /// The swift-log handler: metadata is kept for the protocol but not written (tokentop logs
    /// whole sentences).
    public struct Handler: LogHandler {
        let file: FileLog
        public var metadata: Logger.Metadata = [:]
        public var logLevel: Logger.Level = .info
        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        public func log(event: LogEvent) {
            self.file.write(level: event.level, message: event.message.description)
        }
    }
}

/// write(2), under a name the `write(level:…)` method does not shadow.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
