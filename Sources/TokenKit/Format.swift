import Foundation

/// Short human formats shared by the CLI and the dashboard.
public enum Format {
    /// `2h05m`, `59m58s`, `9s`, `-3s` – compact, fixed-ish width, sign kept for the past.
    public static func countdown(_ seconds: TimeInterval) -> String {
        let neg = seconds < 0
        var s = Int(abs(seconds).rounded(.down))
        if neg { s = Int(abs(seconds).rounded(.up)) }
        let out: String
        if s >= 86400 { out = "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h" }
        else if s >= 3600 { out = "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        else if s >= 60 { out = "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        else { out = "\(s)s" }
        return neg ? "-" + out : out
    }

    /// `12ms`, `1.53s`.
    public static func latency(_ seconds: TimeInterval) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        return String(format: "%.2fs", seconds)
    }

    /// `2026-11-29 10:00:05Z`.
    public static func timestamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return f.string(from: d)
    }
}
