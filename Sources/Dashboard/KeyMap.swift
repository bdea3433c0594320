import TerminalScreen

/// What a key does, by meaning. `update` interprets an action for the pane it is in; the help
/// screen and the hint bars are made from the same bindings, so the three cannot drift apart.
enum KeyAction: Hashable, Sendable {
    // Moving in a list or scrolling a pane.
    case lineUp, lineDown, pageUp, pageDown, first, last
    // The table.
    case details, refresh, refreshAll, testCall, filter, clearFilter, sortNext, sortReverse, events, lint, help, quit
    // Panes.
    case close, reveal, filterLines, newTokenAndCall, callAgain
    // The test-call prompt.
    case nextFieldOrCall, fieldNext, fieldPrevious, hostPrevious, hostNext, deleteCharacter, clearField, cancel
}

/// Where a binding applies: one section of the help screen each.
enum KeyScope: CaseIterable, Sendable {
    case table, detail, events, lint, prompt, response, help

    var title: String {
        switch self {
        case .table: "Table"
        case .detail: "Details pane"
        case .events: "Event log"
        case .lint: "Lint view"
        case .prompt: "Test call prompt"
        case .response: "Response pane"
        case .help: "Help"
        }
    }
}

/// One line of the help screen: the keys, what they do, and the hint bar's entry if it has one.
struct KeyBinding: Sendable {
    /// The keys and the action of each (↑ and ↓ share a line of help but not an action).
    var keys: [(key: Key, action: KeyAction)]
    /// The keys as help shows them.
    var label: String
    var help: String
    /// The hint bar's entry (`key text`), when the binding has one.
    var hint: (key: String, text: String)?
    /// An acting key (refresh, test call): disabled by `--readonly`, dimmed in help, not offered
    /// in the hint bar.
    var acts = false

    init(_ label: String, _ help: String, hint: (String, String)? = nil, acts: Bool = false, _ keys: [(Key, KeyAction)]) {
        self.label = label; self.help = help; self.acts = acts
        self.hint = hint.map { (key: $0.0, text: $0.1) }
        self.keys = keys.map { (key: $0.0, action: $0.1) }
    }

    /// The first action this binding gives (the hint bar's identity for it).
    var action: KeyAction { keys[0].action }
}

/// Every key of the dashboard, per pane: drives `update`, the help screen and the hint bars.
enum KeyMap {
    private static func move(_ what: String) -> [KeyBinding] {
        [KeyBinding("↑ ↓  k j", what, hint: ("↑↓", "scroll"),
                    [(.up, .lineUp), (.char("k"), .lineUp), (.mouseWheelUp, .lineUp),
                     (.down, .lineDown), (.char("j"), .lineDown), (.mouseWheelDown, .lineDown)]),
         KeyBinding("PgUp PgDn", "page up / down", hint: ("PgUp PgDn", "page"), [(.pageUp, .pageUp), (.pageDown, .pageDown)])]
    }

    private static func ends(_ what: String, hint: (String, String)? = nil) -> KeyBinding {
        KeyBinding("g G  Home End", what, hint: hint, [(.char("g"), .first), (.home, .first), (.char("G"), .last), (.end, .last)])
    }

    private static let help = KeyBinding("?", "this help", hint: ("?", "help"), [(.char("?"), .help)])

    static let table: [KeyBinding] = [
        KeyBinding("↑ ↓  k j", "move the selection",
                   [(.up, .lineUp), (.char("k"), .lineUp), (.mouseWheelUp, .lineUp),
                    (.down, .lineDown), (.char("j"), .lineDown), (.mouseWheelDown, .lineDown)]),
        KeyBinding("PgUp PgDn", "page up / down", [(.pageUp, .pageUp), (.pageDown, .pageDown)]),
        ends("first / last row"),
        KeyBinding("Enter", "details of the selected row", hint: ("Enter", "details"), [(.enter, .details)]),
        KeyBinding("r", "refresh the selected row's token now", hint: ("r/R", "refresh"), acts: true, [(.char("r"), .refresh)]),
        KeyBinding("R", "refresh all tokens (asks y/n first)", acts: true, [(.char("R"), .refreshAll)]),
        KeyBinding("t", "test-call the row's backend", hint: ("t", "call"), acts: true, [(.char("t"), .testCall)]),
        KeyBinding("/  Esc", "filter: type, Enter keeps it; Esc clears it", hint: ("/", "filter"),
                   [(.char("/"), .filter), (.escape, .clearFilter)]),
        KeyBinding("s  S", "next sort column / reverse the order", hint: ("s", "sort"), [(.char("s"), .sortNext), (.char("S"), .sortReverse)]),
        KeyBinding("e", "event log: every fetch, newest first", hint: ("e", "events"), [(.char("e"), .events)]),
        KeyBinding("L", "lint: what the gateway gets wrong here", hint: ("L", "lint"), [(.char("L"), .lint)]),
        help,
        KeyBinding("q  Ctrl-C", "quit (q and Esc close a pane first)", hint: ("q", "quit"), [(.char("q"), .quit), (.ctrl("c"), .quit)]),
    ]

    static let detail: [KeyBinding] = move("scroll") + [
        ends("top / bottom"),
        KeyBinding("v", "reveal / hide the token (hidden again on close)", hint: ("v", "reveal token"), [(.char("v"), .reveal)]),
        KeyBinding("r", "refresh this row's token now", hint: ("r", "refresh"), acts: true, [(.char("r"), .refresh)]),
        KeyBinding("t", "test-call this backend", hint: ("t", "call"), acts: true, [(.char("t"), .testCall)]),
        KeyBinding("Esc  q  Enter", "close", hint: ("Esc", "close"), [(.escape, .close), (.char("q"), .close), (.enter, .close)]),
        help,
    ]

    static let events: [KeyBinding] = move("scroll") + [
        ends("newest / oldest", hint: ("g G", "newest/oldest")),
        KeyBinding("Esc  q  e", "close", hint: ("Esc", "close"), [(.escape, .close), (.char("q"), .close), (.char("e"), .close)]),
        help,
    ]

    static let lint: [KeyBinding] = move("scroll") + [
        ends("top / bottom"),
        KeyBinding("Esc  q  L", "close", hint: ("Esc", "close"), [(.escape, .close), (.char("q"), .close), (.char("L"), .close)]),
        help,
    ]

    static let prompt: [KeyBinding] = [
        KeyBinding("Enter", "next field; on the last one, call", [(.enter, .nextFieldOrCall)]),
        KeyBinding("Tab  ↑ ↓", "move between fields", [(.tab, .fieldNext), (.down, .fieldNext), (.backTab, .fieldPrevious), (.up, .fieldPrevious)]),
        KeyBinding("← →  1-9", "choose the host (backends with several)", [(.left, .hostPrevious), (.right, .hostNext)]),
        KeyBinding("⌫  Ctrl-U", "delete a character / clear the field",
                   [(.backspace, .deleteCharacter), (.delete, .deleteCharacter), (.ctrl("u"), .clearField)]),
        KeyBinding("Esc", "cancel (values are remembered per row once sent)", [(.escape, .cancel)]),
    ]

    static let response: [KeyBinding] = move("scroll") + [
        ends("top / bottom"),
        KeyBinding("/", "filter the lines (body, headers); Esc clears", hint: ("/", "filter"), [(.char("/"), .filterLines)]),
        KeyBinding("r", "new token, call again after 401/403", hint: ("r", "new token + call"), acts: true, [(.char("r"), .newTokenAndCall)]),
        KeyBinding("t", "call again (the prompt, prefilled)", hint: ("t", "call again"), acts: true, [(.char("t"), .callAgain)]),
        KeyBinding("Esc  q", "close; the call goes on in the background", hint: ("Esc", "close"), [(.escape, .close), (.char("q"), .close)]),
        help,
    ]

    static let helpScreen: [KeyBinding] = move("scroll") + [
        ends("top / bottom"),
        KeyBinding("Esc  q  ?  Enter", "close", [(.escape, .close), (.char("q"), .close), (.char("?"), .close), (.enter, .close)]),
    ]

    static func bindings(_ scope: KeyScope) -> [KeyBinding] {
        switch scope {
        case .table: table
        case .detail: detail
        case .events: events
        case .lint: lint
        case .prompt: prompt
        case .response: response
        case .help: helpScreen
        }
    }

    /// The action `key` has in `scope`, if any.
    static func action(for key: Key, in scope: KeyScope) -> KeyAction? {
        for b in bindings(scope) {
            if let hit = b.keys.first(where: { $0.key == key }) { return hit.action }
        }
        return nil
    }

    /// Whether `action` is an acting one in `scope` (disabled by `--readonly`).
    static func acts(_ action: KeyAction, in scope: KeyScope) -> Bool {
        bindings(scope).contains { b in b.acts && b.keys.contains { $0.action == action } }
    }

    /// The hint bar for `scope`: the bindings' hints in the order of `order` (by first action),
    /// without acting keys when read-only.
    static func hints(_ scope: KeyScope, order: [KeyAction], readonly: Bool) -> [DashboardModel.Hint] {
        order.compactMap { action in
            guard let b = bindings(scope).first(where: { $0.action == action }), let h = b.hint else { return nil }
            if b.acts && readonly { return nil }
            return DashboardModel.Hint(key: h.key, text: h.text)
        }
    }
}

/// One scrolling rule for every pane (detail, event log, lint view, response, help): a line, a
/// page, the top or the bottom. The caller clamps to its content (`max(0, lines − rows)`), so
/// `last` may overshoot.
enum Viewport {
    static func scrolled(_ offset: Int, by action: KeyAction, page: Int) -> Int? {
        switch action {
        case .lineUp: offset - 1
        case .lineDown: offset + 1
        case .pageUp: offset - max(1, page)
        case .pageDown: offset + max(1, page)
        case .first: 0
        case .last: Int.max / 2
        default: nil
        }
    }

    /// `offset` clamped so the last page stays full.
    static func clamped(_ offset: Int, lines: Int, rows: Int) -> Int { min(max(0, offset), max(0, lines - rows)) }
}

/// One editing rule for every text the operator types: the table's filter, the response pane's
/// filter and the test-call prompt's fields. Typed characters are appended (never control
/// characters: they would be invisible on screen), ⌫ and Delete remove the last one, Ctrl-U
/// clears. What Enter and Esc mean is each prompt's own.
enum TextEdit {
    /// `text` after `key`, or nil when `key` is not an editing key.
    static func apply(_ key: Key, to text: String) -> String? {
        switch key {
        case .backspace, .delete: return String(text.dropLast())
        case .ctrl("u"): return ""
        case .char(let c):
            guard !c.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
            return text + String(c)
        default: return nil
        }
    }
}
