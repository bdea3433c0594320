import TerminalScreen
import TokenKit

/// How each token state looks. Every state has a glyph *and* a word so the table reads the same
/// without colour (NO_COLOR, monochrome terminals, screen readers of captured text).
extension TokenState {
    /// One display column each (checked by tests against `DisplayWidth`). `↻` rather than `…` for
    /// fetching, so it cannot be mistaken for the truncation mark.
    public var glyph: String {
        switch self {
        case .valid: "●"
        case .expiring: "◐"
        case .perCall: "↯"
        case .expired: "○"
        case .failed: "✕"
        case .fetching: "↻"
        case .notFetched: "·"
        case .noExpiry: "∞"
        case .unprotected: "–"
        case .disabled: "⊘"
        }
    }

    /// `● valid`, `✕ failed`, … as shown in the state column.
    public var label: String { glyph + " " + rawValue }

    /// Sort rank for "state severity": what needs attention first.
    var severity: Int {
        switch self {
        case .failed: 0
        case .expired: 1
        case .perCall: 2
        case .expiring: 3
        case .fetching: 4
        case .notFetched: 5
        case .valid: 6
        case .noExpiry: 7
        case .disabled: 8
        case .unprotected: 9
        }
    }

    /// Colour of the state word and the countdown.
    var style: Style {
        switch self {
        case .valid: Style(fg: .green)
        case .noExpiry: Style(fg: .green)
        case .expiring: Style(fg: .yellow, bold: true)
        case .perCall: Style(fg: .yellow)
        case .expired: Style(fg: .red)
        case .failed: Style(fg: .red, bold: true)
        case .fetching: Style(fg: .cyan)
        case .notFetched, .unprotected, .disabled: Style(dim: true)
        }
    }
}

/// The header's counters, in the order they are shown. "ok" merges valid and no-expiry tokens:
/// both are usable and neither needs attention.
enum CountBucket: CaseIterable {
    case ok, expiring, perCall, expired, failed, fetching, notFetched, unprotected, disabled

    init(_ s: TokenState) {
        switch s {
        case .valid, .noExpiry: self = .ok
        case .expiring: self = .expiring
        case .perCall: self = .perCall
        case .expired: self = .expired
        case .failed: self = .failed
        case .fetching: self = .fetching
        case .notFetched: self = .notFetched
        case .unprotected: self = .unprotected
        case .disabled: self = .disabled
        }
    }

    var word: String {
        switch self {
        case .ok: "ok"
        case .expiring: "expiring"
        case .perCall: "per call"
        case .expired: "expired"
        case .failed: "failed"
        case .fetching: "fetching"
        case .notFetched: "not fetched"
        case .unprotected: "unprotected"
        case .disabled: "disabled"
        }
    }

    var representative: TokenState {
        switch self {
        case .ok: .valid
        case .expiring: .expiring
        case .perCall: .perCall
        case .expired: .expired
        case .failed: .failed
        case .fetching: .fetching
        case .notFetched: .notFetched
        case .unprotected: .unprotected
        case .disabled: .disabled
        }
    }
}

/// Fixed styles of the chrome, so the look is defined in one place.
enum Theme {
    static let title = Style(bold: true)
    static let dim = Style(dim: true)
    static let bold = Style(bold: true)
    static let columnHeader = Style(bold: true, underline: true)
    static let bar = Style(reverse: true)
    static let barBold = Style(bold: true, reverse: true)
    static let key = Style(fg: .cyan, bold: true)
    static let section = Style(fg: .blue, bold: true)
    static let label = Style(dim: true)
    static let error = Style(fg: .red)
    static let errorBold = Style(fg: .red, bold: true)
    static let success = Style(fg: .green)
    static let warning = Style(fg: .yellow, bold: true)
    static let revealWarning = Style(fg: .red, bold: true, reverse: true)
    static let readonlyTag = Style(fg: .yellow, bold: true, reverse: true)
    /// A filter match in the response pane.
    static let match = Style(fg: .yellow, bold: true, reverse: true)
}
