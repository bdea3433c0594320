/// Durations as the gateway reads them.
///
/// KrakenD decodes duration fields (`timeout`, `cache_ttl`, …) with Go: a string goes through
/// `time.ParseDuration` (`"3s"`, `"1500ms"`, `"1h30m"`, `"1.5h"`, `"-2s"`, `"0"`), a number is a
/// count of **nanoseconds** (so `"timeout": 10` in an old v1 file is 10 ns, not 10 s).
public enum GoDuration {
    /// Parses a Go duration string; nil when Go's `time.ParseDuration` would fail.
    /// Units: `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h` (no `d`: Go has none).
    public static func parse(_ text: String) -> Duration? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> Duration? {
        let n = b.count
        var i = 0
        var negative = false
        if i < n && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        if n - i == 1 && b[i] == UInt8(ascii: "0") { return .zero }
        guard i < n else { return nil }

        let limit = UInt64(1) << 63  // Go allows exactly 1<<63 only for the negative minimum
        var total: UInt64 = 0
        func isDigit(_ k: Int) -> Bool { k < n && b[k] >= UInt8(ascii: "0") && b[k] <= UInt8(ascii: "9") }
        while i < n {
            guard b[i] == UInt8(ascii: ".") || isDigit(i) else { return nil }
            var whole: UInt64 = 0
            let wholeStart = i
            while isDigit(i) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - UInt8(ascii: "0")))
                guard !o1, !o2, a <= limit else { return nil }
                whole = a
                i += 1
            }
            let hadWhole = i > wholeStart
            var fraction: UInt64 = 0
            var scale: Double = 1
            var hadFraction = false
            if i < n && b[i] == UInt8(ascii: ".") {
                i += 1
                let fractionStart = i
                while isDigit(i) {
                    // Like Go: once more digits would overflow, the rest are dropped.
                    if fraction < (UInt64.max - 9) / 10 && scale < 1e18 {
                        fraction = fraction * 10 + UInt64(b[i] - UInt8(ascii: "0"))
                        scale *= 10
                    }
                    i += 1
                }
                hadFraction = i > fractionStart
            }
            guard hadWhole || hadFraction else { return nil }
            let unitStart = i
            while i < n && b[i] != UInt8(ascii: ".") && !isDigit(i) { i += 1 }
            guard i > unitStart, let unit = unitNanoseconds(UnsafeBufferPointer(rebasing: b[unitStart..<i])) else { return nil }
            let (v, o) = whole.multipliedReportingOverflow(by: unit)
            guard !o, v <= limit else { return nil }
            var value = v
            if fraction > 0 {
                let extra = UInt64(Double(fraction) * (Double(unit) / scale))
                let (s, o2) = value.addingReportingOverflow(extra)
                guard !o2, s <= limit else { return nil }
                value = s
            }
            let (t, o3) = total.addingReportingOverflow(value)
            guard !o3, t <= limit else { return nil }
            total = t
        }
        if negative {
            return total == limit ? .nanoseconds(Int64.min) : .nanoseconds(-Int64(total))
        }
        guard total < limit else { return nil }
        return .nanoseconds(Int64(total))
    }

    /// A JSON number as the gateway reads a duration: nanoseconds (fractions truncated).
    public static func fromNanoseconds(_ value: Double) -> Duration? {
        guard value.isFinite, value > -9.2e18, value < 9.2e18 else { return nil }
        return .nanoseconds(Int64(value))
    }

    /// Go's unit table. Compared byte by byte: this runs for every duration of a 10,000-endpoint file.
    private static func unitNanoseconds(_ u: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let s = UInt8(ascii: "s"), m = UInt8(ascii: "m")
        switch u.count {
        case 1:
            switch u[0] {
            case s: return 1_000_000_000
            case m: return 60_000_000_000
            case UInt8(ascii: "h"): return 3_600_000_000_000
            default: return nil
            }
        case 2:
            guard u[1] == s else { return nil }
            switch u[0] {
            case UInt8(ascii: "n"): return 1
            case UInt8(ascii: "u"): return 1_000
            case m: return 1_000_000
            default: return nil
            }
        case 3:
            // µ (U+00B5, micro sign) = C2 B5; μ (U+03BC, Greek mu) = CE BC
            guard u[2] == s else { return nil }
            if (u[0] == 0xC2 && u[1] == 0xB5) || (u[0] == 0xCE && u[1] == 0xBC) { return 1_000 }
            return nil
        default:
            return nil
        }
    }
}
