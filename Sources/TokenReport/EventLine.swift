import Foundation
import GatewayConfig
import TokenKit

/// One JSON object per line for each finished token fetch: what `tokentop serve` writes to stderr
/// (or `--log-file`) for `journalctl`, `kubectl logs` and log shippers. Server text in it was made
/// safe and its secrets masked when the failure was recorded; JSON escaping keeps every line one
/// line whatever the text holds.
public enum EventLine {
    struct Line: Encodable {
        var time: Date
        var level: String
        var msg: String
        var tokenURL: String
        var clientID: String
        var trigger: String
        var attempt: Int
        var durationMs: Int
        var backends: Int
        var authStyle: String?
        var status: Int?
        var expiresIn: Int?
        var error: String?
        var errorDescription: String?
        var consecutiveFailures: Int?
        enum CodingKeys: String, CodingKey {
            case time, level, msg, trigger, attempt, status, error, backends
            case tokenURL = "token_url", clientID = "client_id", durationMs = "duration_ms", authStyle = "auth_style"
            case expiresIn = "expires_in", errorDescription = "error_description", consecutiveFailures = "consecutive_failures"
        }
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(timestamp(date))
        }
        return e
    }()

    /// RFC 3339 with milliseconds, UTC.
    static func timestamp(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The line for `attempt` of the token with `credentials`, used by `backends` rows.
    public static func finished(_ attempt: Attempt, credentials: ClientCredentials, backends: Int, consecutiveFailures: Int?) -> String {
        let f = attempt.failure
        let line = Line(time: attempt.started.addingTimeInterval(attempt.duration), level: f == nil ? "info" : "warn",
                        msg: f == nil ? "token fetched" : "token fetch failed: \(f!.summary)",
                        tokenURL: credentials.tokenURL, clientID: credentials.clientID, trigger: attempt.trigger.rawValue,
                        attempt: attempt.id, durationMs: Int((attempt.duration * 1000).rounded()), backends: backends,
                        authStyle: attempt.style?.rawValue, status: attempt.status, expiresIn: attempt.expiresIn,
                        error: f?.error, errorDescription: f?.errorDescription,
                        consecutiveFailures: f == nil ? nil : consecutiveFailures)
        return String(decoding: (try? encoder.encode(line)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A line about the process itself (started, listening, stopping).
    public static func note(_ msg: String, level: String = "info", at date: Date = Date(), fields: [String: String] = [:]) -> String {
        var obj: [String: String] = fields
        obj["time"] = timestamp(date); obj["level"] = level; obj["msg"] = msg
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(obj)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
