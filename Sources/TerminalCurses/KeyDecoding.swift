import CNCurses
import TerminalScreen

/// Turns what `wget_wch` returns into `Key`s. Resize and mouse need the terminal and are handled
/// by `CursesTerminal`; everything else is pure.
enum KeyDecoding {
    /// A character (`wget_wch` returned OK). With `raw()` mode the terminal sends control
    /// characters for Ctrl-letter (Ctrl-C is 3, not SIGINT).
    static func character(_ code: UInt32) -> Key? {
        switch code {
        case 10, 13: return .enter            // \n; \r because nonl() stops the tty mapping CR→NL
        case 9: return .tab
        case 27: return .escape
        case 8, 127: return .backspace         // ^H and DEL: terminals disagree on which Backspace sends
        case 0: return .ctrl("@")              // Ctrl-Space / Ctrl-@
        case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 0x60)))   // 1 → "a"
        case 28: return .ctrl("\\")
        case 29: return .ctrl("]")
        case 30: return .ctrl("^")
        case 31: return .ctrl("_")
        case 0x80..<0xA0: return nil           // C1 controls: never a key
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .char(Character(scalar))
        }
    }

    /// A function-key code (`wget_wch` returned KEY_CODE_YES), except KEY_RESIZE and KEY_MOUSE.
    static func keyCode(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        // Some terminfo entries (screen, tmux, rxvt keypads) report Home/End as A1/C1 or
        // FIND/SELECT; map them all.
        case KEY_HOME, KEY_A1, KEY_FIND: return .home
        case KEY_END, KEY_C1, KEY_SELECT, KEY_LL: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case tt_KEY_F(1)...tt_KEY_F(63): return .function(Int(code - KEY_F0))
        default: return nil
        }
    }
}
