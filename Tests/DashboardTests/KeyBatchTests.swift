import Foundation
import GatewayConfig
import Testing
@testable import Dashboard
import TerminalScreen

/// `Msg.keys`: keys that arrived together (a paste) give the same model as one `.key` each, with
/// one filter pass for the batch instead of one per character.
@Suite struct KeyBatchTests {
    /// The parts of the model a key can change that the batch must reproduce.
    struct Observed: Equatable {
        var filter: String
        var filterEditing: Bool
        var visible: [Int]
        var selectedRouteID: Int?
        var scroll: Int
        var mode: Mode
        var flash: String?
        init(_ m: DashboardModel) {
            filter = m.filter; filterEditing = m.filterEditing; visible = m.visible
            selectedRouteID = m.selectedRouteID; scroll = m.scroll; mode = m.mode; flash = m.flash?.text
        }
    }

    func oneByOne(_ m: DashboardModel, _ keys: [Key]) -> (DashboardModel, [Effect]) {
        var m = m
        var effects: [Effect] = []
        for k in keys {
            effects += update(&m, .key(k))
            if effects.contains(.quit) { break }
        }
        return (m, effects)
    }

    func batched(_ m: DashboardModel, _ keys: [Key]) -> (DashboardModel, [Effect]) {
        var m = m
        let effects = update(&m, .keys(keys))
        return (m, effects)
    }

    @Test func aPasteIntoTheFilterIsFilteredOnce() {
        var m = bigModel(1000)
        press(&m, .char("/"))
        let paste = String(repeating: "resource-12", count: 300) // 3,300 characters
        let before = m.visibleRebuilds
        _ = update(&m, .keys(paste.map { Key.char($0) }))
        #expect(m.visibleRebuilds == before + 1, "filter passes for one batch: \(m.visibleRebuilds - before)")
        #expect(m.filter == paste && m.filterEditing)
        #expect(m.visible.isEmpty) // no row contains the whole paste

        // One key at a time, the same text costs one pass per character (what the batch avoids).
        var slow = bigModel(1000)
        press(&slow, .char("/"))
        let slowBefore = slow.visibleRebuilds
        type(&slow, String(paste.prefix(100)))
        #expect(slow.visibleRebuilds - slowBefore == 100)
    }

    @Test func aBatchEndsInTheSameStateAsOneKeyAtATime() {
        let typed: (String) -> [Key] = { $0.map { Key.char($0) } }
        let sequences: [[Key]] = [
            [.char("/")] + typed("resource-1") + [.backspace, .char("7")],
            // Enter keeps the filter, then `j` moves within the filtered rows.
            [.char("/")] + typed("resource-2") + [.enter, .char("j"), .char("j")],
            // Arrow keys while the prompt is open move the selection among the filtered rows.
            [.char("/")] + typed("resource-3") + [.down, .down] + typed("4") + [.up],
            // Escape clears; Ctrl-U empties; a second `/` starts again; `G` jumps to the last row.
            [.char("/")] + typed("zzz") + [.escape, .char("/")] + typed("res") + [.ctrl("u")] + typed("9") + [.enter, .char("G")],
            // Resize in the middle of typing.
            [.char("/")] + typed("resource-5") + [.resize(Size(width: 80, height: 24))] + typed("5"),
            // A key that opens something after the filter: the detail of the first filtered row.
            [.char("/")] + typed("resource-42") + [.enter, .enter],
            // Quit in the middle: the keys after it are not applied.
            [.char("/")] + typed("resource-6") + [.enter, .char("q"), .char("/"), .char("x")],
        ]
        for keys in sequences {
            let (a, ea) = oneByOne(bigModel(1000), keys)
            let (b, eb) = batched(bigModel(1000), keys)
            #expect(Observed(a) == Observed(b), "\(keys)")
            #expect(ea == eb, "\(keys)")
        }
    }

    /// The prompt shows the end of a filter longer than the line (where typing goes on), with
    /// the cursor after it; a short one as it is.
    @Test func promptShowsTheEndOfALongFilter() {
        var m = Fixture.model(Size(width: 80, height: 24))
        _ = update(&m, .keys([.char("/")] + (String(repeating: "a", count: 500) + "END").map { Key.char($0) }))
        let screen = view(m, size: m.size)
        let prompt = screen.text.split(separator: "\n", omittingEmptySubsequences: false)[22]
        #expect(prompt.hasPrefix(" /…aaa") && prompt.hasSuffix("aaaEND"), "\(prompt)")
        #expect(screen.cursor?.row == 22 && screen.cursor?.col == 78, "the cursor after the text")
        #expect(Text.promptTail("short", width: 10) == "short")
        #expect(Text.promptTail("日本語テキスト", width: 7) == "…キスト")
    }

    @Test func filterTextIsStillFilteredWhenNothingElseFollows() {
        var m = Fixture.model()
        _ = update(&m, .keys([.char("/")] + "Orders".map { Key.char($0) }))
        #expect(m.filter == "Orders" && m.visible == [0, 1])
    }
}
