import Foundation
import Testing

/// Thrown by `poll` after it recorded the timeout as an issue.
public struct PollTimeout: Error {}

/// The one way tests wait: asks `probe` every `interval` until it gives a value, and returns it.
/// After `timeout` seconds it records an issue — "timed out after … waiting for `what`", with
/// `detail()` of the last state (a screen, a count) — and throws `PollTimeout`. Tests wait for
/// conditions with a deadline, never for fixed times.
@discardableResult
public func poll<T>(_ what: String, timeout: TimeInterval = 10, every interval: Duration = .milliseconds(20),
                    sourceLocation: SourceLocation = #_sourceLocation, detail: () -> String = { "" },
                    _ probe: () async throws -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if let value = try await probe() { return value }
        if Date() >= deadline { break }
        try await Task.sleep(for: interval)
    }
    let more = detail()
    Issue.record("timed out after \(timeout) s waiting for \(what)\(more.isEmpty ? "" : "; last state:\n\(more)")",
                 sourceLocation: sourceLocation)
    throw PollTimeout()
}

/// `poll` for a condition. It takes `detail` too: without it, a Bool condition given with
/// `detail:` resolved to the generic `poll` with `T == Bool`, where `false` is a value, and
/// returned at once without waiting.
public func poll(_ what: String, timeout: TimeInterval = 10, every interval: Duration = .milliseconds(20),
                 sourceLocation: SourceLocation = #_sourceLocation, detail: () -> String = { "" },
                 _ condition: () async throws -> Bool) async throws {
    try await poll(what, timeout: timeout, every: interval, sourceLocation: sourceLocation, detail: detail) { try await condition() ? () : nil }
}
