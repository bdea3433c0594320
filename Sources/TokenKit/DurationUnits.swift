/// `Duration` in the units the APIs around it want (AsyncHTTPClient's `TimeAmount` in
/// nanoseconds, Foundation's `TimeInterval`, whole milliseconds for people). One place, so the
/// arithmetic on `components` is written once.
extension Duration {
    /// Seconds as a `Double` (a `TimeInterval`).
    public var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    /// Whole nanoseconds (truncated).
    public var wholeNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    /// Whole milliseconds (truncated).
    public var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
