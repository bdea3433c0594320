/// Why the terminal could not be started. Thrown by `CursesTerminal.init` instead of letting
/// curses print something and `exit()` (which is what `initscr()` does on an unknown `$TERM`).
public struct TerminalError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// stdin or stdout is not a terminal (piped, redirected, running under CI without a tty).
        case notATerminal
        /// `$TERM` is unset or empty.
        case termNotSet
        /// terminfo has no entry for this `$TERM` (or it is unusable, e.g. "dumb").
        case unknownTerminal(String)
        /// The terminal cannot position the cursor (e.g. TERM=dumb, an editor's output pane).
        case unsupportedTerminal(String)
        /// A system call needed for the terminal failed (message says which).
        case setupFailed(String)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .notATerminal:
            return "not a terminal: stdin and stdout must both be attached to a terminal"
        case .termNotSet:
            return "TERM is not set: cannot drive the terminal (try TERM=xterm-256color)"
        case .unknownTerminal(let term):
            return "unknown terminal type '\(term)': no usable terminfo entry (try TERM=xterm-256color)"
        case .unsupportedTerminal(let term):
            return "terminal type '\(term)' cannot position the cursor: a full-screen display needs a real terminal (try TERM=xterm-256color)"
        case .setupFailed(let what):
            return "cannot set up the terminal: \(what)"
        }
    }
}
