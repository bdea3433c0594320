import CNCurses

/// Restores the terminal on every exit path, even those that never reach `CursesTerminal.stop()`.
///
/// Contract (chosen because it works even when the UI thread is busy or blocked):
/// - **Ctrl-C is a key, not a signal**: `CursesTerminal` uses `raw()`, so Ctrl-C arrives from
///   `readKey` as `.ctrl("c")` and the caller quits the normal way (`stop()`, then exit).
/// - **Signals that end the process** (SIGINT, SIGTERM, SIGHUP from `kill`, a closing terminal,
///   a supervisor; SIGUSR1/2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPIPE, the
///   real-time signals, …): the C handler writes the terminal's reset bytes (precomputed from
///   terminfo when curses started: sgr0, mouse off, rmkx, cursor to the last row, cnorm, rmcup),
///   restores the shell's termios, then ends the process by the signal's default action, so the
///   parent sees it killed by that signal (a shell's `$?` is 128 + signo). It does only
///   async-signal-safe things (write, tcsetattr, sigaction, raise), so it is safe whatever the
///   program was doing. No Swift code runs after these (no defer, no deinit): anything that
///   must survive a kill (a log file) has to be written eagerly. A signal the parent ignored
///   stays ignored (nohup); besides SIGINT/TERM/HUP, one that already has a handler keeps it.
/// - **Crashes** (SIGSEGV, SIGBUS, SIGILL — Swift traps —, SIGFPE, SIGTRAP, SIGSYS, SIGABRT) and
///   SIGQUIT: restore the terminal, then
///   - a real fault goes on to the previous handler (Swift's backtracer prints its report on the
///     now-normal screen) and the fault then ends the process;
///   - one the process sent itself (`abort()`) gets the previous handler's report, then the
///     default action;
///   - one sent from outside (`kill -SEGV`, `kill -QUIT`) gets the default action at once (a
///     core dump where enabled). Swift's backtracer must not see it: it returns after its
///     report, and the program then went on running and drawing over the shell.
/// - **exit()** (e.g. ArgumentParser's `exit(withError:)`) runs an `atexit` hook that restores.
/// - **Errors**: use `defer { terminal.stop() }` or `CursesTerminal.withTerminal { ... }`.
/// - **SIGWINCH, SIGTSTP, SIGCONT** stay with ncurses (it turns SIGWINCH into KEY_RESIZE; a
///   handler of ours installed after start would break that).
///
/// The restore is armed only while curses is active and happens at most once.
///
/// **stderr** is captured while curses is active (unless disabled in `CursesTerminal.init`):
/// fd 2 goes to an unlinked temporary file whose last 64 KiB are written to the real stderr on
/// every restore path above. So a `fatalError` message or a library warning neither scribbles
/// over the dashboard nor vanishes with the alternate screen: it appears after exit.
///
/// Implementation note: the state lives in a C `static` inside a `static inline` function of
/// shim.h, and Swift emits a private copy of such a function in every object file that uses
/// it. That is why every call into `tt_restore_*`/`tt_install_*` is in this file only.
public enum TerminalRestore {
    /// Installs the signal handlers and the `atexit` hook. Idempotent; `CursesTerminal.init`
    /// calls it before `newterm` (which also stops ncurses from installing its own SIGINT/SIGTERM
    /// handlers, which would exit with status 1).
    public static func installSignalHandlers() {
        tt_install_signal_handlers()
    }

    /// Restores the terminal immediately with the precomputed bytes, if curses is active.
    /// Async-signal-safe; for last-resort paths (e.g. a custom fatal handler). Prefer
    /// `CursesTerminal.stop()`.
    public static func restoreNow() {
        tt_restore_terminal_now()
    }

    /// Saves the shell's terminal modes of `fd`; must run before curses changes them.
    static func saveModes(fd: Int32) {
        tt_restore_save_termios(fd)
    }

    /// Precomputes the reset bytes from terminfo and arms the restore (curses is now active).
    static func arm(mouse: Bool) {
        tt_restore_arm(mouse ? 1 : 0)
    }

    /// curses was stopped properly by endwin(): nothing left to restore but stderr.
    static func disarm() {
        tt_restore_disarm()
        tt_stderr_capture_end()
    }

    /// Points fd 2 at a temporary file until the terminal is restored, then replays it.
    static func captureStderr() -> Bool {
        tt_stderr_capture_begin() == 0
    }
}
