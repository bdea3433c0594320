import Foundation
import Testing
@testable import Dashboard
import TerminalScreen

/// One key map drives key handling, the hint bars and the help screen (issue 14): every bound key
/// is in help, no key means two things in one pane, and every key of a pane does something there.
@Suite struct KeyMapTests {
    @Test func helpListsEveryBindingOfEveryPane() {
        let m = Fixture.model()
        let lines = m.helpLines().map { $0.map(\.text).joined() }
        for scope in KeyScope.allCases {
            #expect(lines.contains { $0 == scope.title }, "no help section \(scope.title)")
            for b in KeyMap.bindings(scope) {
                #expect(lines.contains { $0.contains(b.label) && $0.contains(b.help) }, "\(scope.title): \(b.label) — \(b.help) is not in help")
            }
        }
    }

    @Test func noKeyMeansTwoThingsInOnePane() {
        for scope in KeyScope.allCases {
            var seen: [Key: KeyAction] = [:]
            for b in KeyMap.bindings(scope) {
                for (key, action) in b.keys {
                    #expect(seen[key] == nil, "\(scope.title): \(key) is bound to \(seen[key].map { "\($0)" } ?? "") and \(action)")
                    seen[key] = action
                }
            }
        }
    }

    @Test func everyHintIsABindingsHint() {
        // The hint bars are made from the bindings: each hint's key text is one a binding declares.
        for scope in KeyScope.allCases {
            let declared = Set(KeyMap.bindings(scope).compactMap { $0.hint?.key })
            let actions = KeyMap.bindings(scope).map(\.action)
            for h in KeyMap.hints(scope, order: actions, readonly: false) { #expect(declared.contains(h.key)) }
            #expect(KeyMap.hints(scope, order: actions, readonly: true).allSatisfy { h in
                !KeyMap.bindings(scope).contains { $0.acts && $0.hint?.key == h.key }
            }, "\(scope.title): read-only still offers an acting key")
        }
    }

    /// Presses each key of a pane on a model in that pane, positioned so that every move can move
    /// (the middle of a long list), and expects a change on screen, an effect or a flash.
    func expectEveryKeyActs(_ scope: KeyScope, skip: Set<Key> = [], _ make: () -> DashboardModel) {
        let base = make()
        let before = view(base, size: base.size).text
        for b in KeyMap.bindings(scope) {
            for (key, action) in b.keys where !skip.contains(key) {
                var m = make()
                let effects = update(&m, .keys([key]))
                let after = view(m, size: m.size).text
                #expect(!effects.isEmpty || after != before, "\(scope.title): \(key) (\(action)) did nothing")
            }
        }
    }

    @Test func everyTableKeyActs() {
        let small = Size(width: 120, height: 12)  // fewer rows than the table: pages can move
        expectEveryKeyActs(.table) {
            var m = Fixture.model(small, findings: Fixture.findings)
            _ = update(&m, .keys([.char("j"), .char("j"), .char("j")]))
            // A kept filter that still selects every row, so Esc has one to clear.
            _ = update(&m, .keys([.char("/"), .char("/"), .enter]))
            return m
        }
    }

    @Test func everyDetailKeyActs() {
        // The first row holds a token (v reveals it); 24 rows are fewer than its details.
        expectEveryKeyActs(.detail) {
            var m = Fixture.model(Size(width: 80, height: 24))
            _ = update(&m, .keys([.enter, .pageDown, .char("j")]))
            return m
        }
    }

    @Test func everyHelpKeyActs() {
        expectEveryKeyActs(.help) {
            var m = Fixture.model(Size(width: 80, height: 24))
            _ = update(&m, .keys([.char("?"), .pageDown, .char("j")]))
            return m
        }
    }

    @Test func everyLintKeyActs() {
        expectEveryKeyActs(.lint) {
            var m = Fixture.model(Size(width: 80, height: 12), findings: Fixture.findings)
            _ = update(&m, .keys([.char("L"), .char("j"), .char("j")]))
            return m
        }
    }

    @Test func everyResponseKeyActs() {
        expectEveryKeyActs(.response) {
            var m = Fixture.model(Size(width: 80, height: 16))
            let spec = callSpec(update(&m, .keys([.char("t")])))!
            _ = update(&m, .callFinished(Calls.forbidden(spec)))
            _ = update(&m, .keys([.char("j"), .char("j")]))
            return m
        }
    }

    /// The table filter, the response filter and a prompt field edit alike (one `TextEdit`):
    /// characters in, control characters ignored, ⌫ removes one, Ctrl-U clears.
    @Test func everyTextPromptEditsAlike() {
        let keys: [Key] = [.char("a"), .char("\u{1b}"), .char("b"), .char("c"), .backspace]
        #expect(keys.reduce("") { TextEdit.apply($1, to: $0) ?? $0 } == "ab")
        #expect(TextEdit.apply(.ctrl("u"), to: "ab") == "" && TextEdit.apply(.up, to: "ab") == nil)

        var table = Fixture.model()
        _ = update(&table, .keys([.char("/")] + keys))
        #expect(table.filter == "ab")

        var pane = Fixture.model(Size(width: 80, height: 16))
        let spec = callSpec(update(&pane, .keys([.char("t")])))!
        _ = update(&pane, .callFinished(Calls.ok(spec)))
        _ = update(&pane, .keys([.char("/")] + keys))
        #expect(pane.pane?.filter == "ab")

        var prompt = Fixture.model()
        select(&prompt, route: 2)  // /invoices/{id}: the prompt asks for {id}
        #expect(update(&prompt, .keys([.char("t")])).isEmpty && prompt.mode == .callPrompt)
        _ = update(&prompt, .keys(keys))
        #expect(prompt.callForm?.values == ["ab"])
    }
}
