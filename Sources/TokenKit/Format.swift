import Foundation

/// Short human formats shared by the CLI and the dashboard.
public enum Format {
    /// `2h05m`, `59m58s`, `9s`, `-3s` – compact, fixed-ish width, sign kept for the past.
    public static func countdown(_ seconds: TimeInterval) -> String {
        let neg = seconds < 0
        var s = Int(abs(seconds).rounded(.down))
        if neg { s = Int(abs(seconds).rounded(.up)) }
        let out: String
        // Two digits by hand: Foundation's String(format:) cost ~10k instructions a call, and the
        // dashboard formats every visible row's countdown once a second (callgrind).
        func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s >= 86400 { out = "\(s / 86400)d\(pad2((s % 86400) / 3600))h" }
        else if s >= 3600 { out = "\(s / 3600)h\(pad2((s % 3600) / 60))m" }
        else if s >= 60 { out = "\(s / 60)m\(pad2(s % 60))s" }
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
