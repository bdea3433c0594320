import CNCurses
import TerminalScreen
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal, driven through ncursesw. The only type in tokentop that calls curses.
///
/// **One thread only.** ncurses is not thread-safe, so this class is deliberately not
/// `Sendable`: create it, draw, read keys and stop it on the same thread (the UI loop; debug
/// builds assert it). Other threads and actors talk to the UI loop through a queue and call
/// `waker.wake()` so the loop notices at once. **One instance at a time.** While it is active,
/// nothing else may write to stdout (curses owns it); stderr is captured and shown after exit.
///
/// Ctrl-C arrives as `.ctrl("c")` (raw mode), Ctrl-L should call `invalidate()`, and
/// `.resize(size)` means: build the next `Screen` at that size. Signals and crashes restore the
/// terminal by themselves: see `TerminalRestore`.
///
/// It implements `TerminalScreen.Terminal`; the loop that drives it is `DashboardRuntime`'s
/// `UILoop` (the same loop runs on `InMemoryTerminal` in tests).
public final class CursesTerminal: Terminal {
    /// Fires `readKey` early from other threads (see `TerminalWaker`).
    public let waker: TerminalWaker
    /// Statistics of the last `draw` (for tests and benchmarks).
    public private(set) var lastDraw = DrawStats()
    /// The input side hung up or reached end of file (terminal closed while SIGHUP is ignored):
    /// `readKey` will never return a key again, so the caller should quit.
    public private(set) var inputClosed = false

    /// What the last `draw` cost.
    public struct DrawStats: Sendable, Hashable {
        /// The window was erased and everything redrawn.
        public var fullRedraw = false
        /// Runs written (each: at most one attribute change + one add call).
        public var runs = 0
        /// Cells written.
        public var cells = 0
        /// curses calls made by `draw` (0 when nothing changed).
        public var cursesCalls = 0
    }

    private let monochrome: Bool
    private let window: UnsafeMutablePointer<WINDOW>
    private let screenPointer: OpaquePointer
    private var stopped = false
    private var lastSize: Size

    private let palette: ColorPalette?
    private var pairs: ColorPairCache
    private var styleCache: [Style: Attributes] = [:]
    private var currentAttributes: Attributes?
    private let encoder: GlyphEncoder

    private var previous: Screen?
    private var previousBounds: Size?
    private var forceFull = false
    private var clearNext = true
    private var cursorShown = false
    private let ownerThread = pthread_self()

    private struct Attributes: Hashable {
        var attrs: attr_t
        var pair: Int32
    }

    /// Starts curses on stdin/stdout.
    ///
    /// - Parameters:
    ///   - monochrome: never start colour (NO_COLOR / --no-color); bold, dim, reverse and
    ///     underline still apply. Terminals without colour are treated as monochrome anyway.
    ///   - mouse: report clicks and the wheel as `Key.mouseClick` / `.mouseWheelUp/Down`.
    ///     It takes over the terminal's own mouse selection (Shift+drag still selects in most
    ///     terminals), so it is off by default.
    ///   - captureStderr: redirect fd 2 to a temporary file while curses is active and replay
    ///     it after the terminal is restored (see `TerminalRestore`): stray stderr output would
    ///     corrupt the screen, and a crash message would vanish with the alternate screen.
    /// - Throws: `TerminalError` when stdin/stdout is not a tty or `$TERM` is unknown — instead
    ///   of curses printing a message and exiting the process.
    public init(monochrome: Bool, mouse: Bool = false, captureStderr: Bool = true) throws(TerminalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalError(.notATerminal) }
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty else {
            throw TerminalError(.termNotSet)
        }
        waker = try TerminalWaker()

        // Before curses: with the C locale, ncursesw treats bytes ≥ 0x80 as unprintable and
        // UTF-8 text comes out as M-x garbage.
        _ = tt_setlocale_all()
        let unicode = tt_locale_is_utf8() != 0

        // Before newterm: so ncurses sees our SIGINT/SIGTERM handlers and does not install its
        // own, and so the termios we restore is the shell's, not curses'.
        TerminalRestore.installSignalHandlers()
        TerminalRestore.saveModes(fd: STDOUT_FILENO)

        // newterm, not initscr: initscr() prints "Error opening terminal" and exit()s on an
        // unknown $TERM. newterm returns NULL and we throw.
        guard let sp = tt_newterm(nil), let win = tt_stdscr() else {
            throw TerminalError(.unknownTerminal(term))
        }
        guard tt_can_address_cursor() != 0 else {
            endwin()
            delscreen(sp)
            throw TerminalError(.unsupportedTerminal(term))
        }
        screenPointer = sp
        window = win

        // raw(), not cbreak(): Ctrl-C, Ctrl-Z, Ctrl-\, Ctrl-S/Q arrive as keys instead of
        // signals/flow control, so quitting on Ctrl-C goes through the normal path (stop(),
        // endwin) rather than a signal handler. SIGINT from `kill` is still handled
        // (TerminalRestore).
        raw()
        noecho()
        // nonl(): Enter arrives as \r (13) untranslated, and ncurses may use LF for cursor
        // motion. Both 10 and 13 decode to .enter.
        nonl()
        // keypad: arrows, F-keys, PgUp... decoded to KEY_* codes from the escape sequences.
        keypad(win, true)
        // Our cursor is hidden unless the Screen asks for it: leaveok lets doupdate leave the
        // physical cursor wherever it is instead of moving it back after every update.
        leaveok(win, true)
        _ = curs_set(0)              // ERR on terminals that cannot hide it: harmless
        // The default ESCDELAY is 1000 ms: Esc would take a second to register.
        _ = set_escdelay(25)
        // No typeahead check during doupdate: ncurses would otherwise flush its output buffer
        // and poll stdin every few lines, so a frame went out as ~110 write() calls (one per
        // run) instead of one. A frame is small and the loop reads keys right after drawing.
        _ = typeahead(-1)
        // Never block inside curses: readKey waits in poll() (stdin + the waker pipe), then
        // reads with a zero timeout.
        wtimeout(win, 0)

        if !monochrome, has_colors() {
            _ = start_color()
            // -1 = the terminal's own colours (transparent background, user's theme).
            let defaults = use_default_colors() == OK
            let palette = ColorPalette(colors: Int(tt_colors()), defaultColors: defaults)
            self.palette = palette
            let zero = ColorPairCache.Key(fg: palette.number(for: .default, background: false).number,
                                          bg: palette.number(for: .default, background: true).number)
            pairs = ColorPairCache(limit: Int(tt_color_pairs()), pairZero: zero)
            self.monochrome = false
        } else {
            palette = nil
            pairs = ColorPairCache(limit: 0, pairZero: .init(fg: -1, bg: -1))
            self.monochrome = true
        }

        if mouse {
            _ = mousemask(tt_BUTTON1_PRESSED() | tt_BUTTON4_PRESSED() | tt_BUTTON5_PRESSED(), nil)
            // 0: report presses at once instead of waiting to see whether they become clicks.
            _ = mouseinterval(0)
        }

        encoder = GlyphEncoder(unicode: unicode, wcwidth: { Int(tt_wcwidth($0)) })
        lastSize = Size(width: Int(tt_cols()), height: Int(tt_lines()))
        if captureStderr { _ = TerminalRestore.captureStderr() }   // best effort
        TerminalRestore.arm(mouse: mouse)
    }

    deinit { stop() }

    /// Runs `body` with a started terminal and always stops it afterwards, also when `body`
    /// throws.
    public static func withTerminal<R>(monochrome: Bool, mouse: Bool = false,
                                       _ body: (CursesTerminal) throws -> R) throws -> R {
        let terminal = try CursesTerminal(monochrome: monochrome, mouse: mouse)
        defer { terminal.stop() }
        return try body(terminal)
    }

    /// Whether colours are in use (false under `monochrome` or on a terminal without colours).
    public var hasColors: Bool { !monochrome }

    /// The terminal size in cells. Updated by ncurses when it reports KEY_RESIZE.
    public var size: Size {
        guard !stopped else { return lastSize }
        lastSize = Size(width: Int(tt_cols()), height: Int(tt_lines()))
        return lastSize
    }

    /// Forces a full repaint on the next `draw`, clearing the physical screen first (Ctrl-L:
    /// another program scribbled on the terminal, so curses' idea of it is wrong).
    public func invalidate() {
        forceFull = true
        clearNext = true
    }

    // MARK: drawing

    /// Draws `screen`. Only cells that differ from the previously drawn screen are given to
    /// curses; on the first draw, a size change (of the screen or the terminal) or after
    /// `invalidate()` the window is erased and redrawn. Ends with one `wrefresh` (= doupdate),
    /// or none at all when nothing changed. Cells outside the terminal are clipped.
    public func draw(_ screen: Screen) {
        assertOwnerThread()
        guard !stopped else { return }
        var calls = 0
        let bounds = size
        let full = forceFull || previous == nil || previous?.size != screen.size || previousBounds != bounds
        let plan = ScreenDiff.plan(from: full ? nil : previous, to: screen, bounds: bounds)
        let cursorChanged = previous.map { !Self.sameCursor($0.cursor, screen.cursor) } ?? true
        defer {
            previous = screen
            previousBounds = bounds
            forceFull = false
        }
        guard plan.clear || !plan.runs.isEmpty || cursorChanged || clearNext else {
            lastDraw = DrawStats()
            return
        }
        if plan.clear { werase(window); calls += 1 }
        if clearNext {
            // Repaint the physical screen from scratch on the next refresh (Ctrl-L, and after
            // a resize, when the terminal may have reflowed what was on it).
            clearok(window, true); calls += 1
            clearNext = false
        }
        for run in plan.runs {
            calls += apply(run.style)
            // Where curses' cursor is after the previous piece of this run: a piece starting
            // there needs no move (matters for ACS runs in non-UTF-8 locales).
            var at: Int? = nil
            for piece in encoder.encode(glyphs: run.glyphs, widths: run.widths) {
                switch piece {
                case .text(let col, let scalars):
                    let wide = scalars.map { wchar_t(bitPattern: $0) }
                    // ERR when the write ends in the bottom-right cell: the character is
                    // placed but the cursor cannot advance (no scrolling). Ignored on purpose.
                    _ = wide.withUnsafeBufferPointer { buffer in
                        at == col
                            ? tt_addnwstr(buffer.baseAddress, Int32(buffer.count))
                            : tt_mvaddnwstr(Int32(run.row), Int32(run.col + col), buffer.baseAddress, Int32(buffer.count))
                    }
                    calls += 1
                    at = nil
                case .acs(let col, let letter):
                    if at != col { wmove(window, Int32(run.row), Int32(run.col + col)); calls += 1 }
                    _ = tt_add_acs(CChar(bitPattern: letter))
                    calls += 1
                    at = col + 1
                }
            }
        }
        calls += placeCursor(screen.cursor, bounds: bounds)
        wrefresh(window)
        calls += 1
        lastDraw = DrawStats(fullRedraw: plan.clear, runs: plan.runs.count, cells: plan.cellCount, cursesCalls: calls)
    }

    private static func sameCursor(_ a: (row: Int, col: Int)?, _ b: (row: Int, col: Int)?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?): return x.row == y.row && x.col == y.col
        default: return false
        }
    }

    private func placeCursor(_ cursor: (row: Int, col: Int)?, bounds: Size) -> Int {
        var calls = 0
        if let cursor, cursor.row >= 0, cursor.row < bounds.height, cursor.col >= 0, cursor.col < bounds.width {
            if !cursorShown {
                leaveok(window, false)
                _ = curs_set(1)
                cursorShown = true
                calls += 2
            }
            wmove(window, Int32(cursor.row), Int32(cursor.col))
            calls += 1
        } else if cursorShown {
            leaveok(window, true)
            _ = curs_set(0)
            cursorShown = false
            calls += 2
        }
        return calls
    }

    /// Sets the window's attributes for `style` unless already set. Returns curses calls made.
    private func apply(_ style: Style) -> Int {
        let attributes = styleCache[style] ?? resolve(style)
        if attributes == currentAttributes { return 0 }
        _ = tt_attr_set(attributes.attrs, attributes.pair)
        currentAttributes = attributes
        return 1
    }

    private func resolve(_ style: Style) -> Attributes {
        var attrs = tt_A_NORMAL()
        if style.bold { attrs |= tt_A_BOLD() }
        if style.dim { attrs |= tt_A_DIM() }
        if style.reverse { attrs |= tt_A_REVERSE() }
        if style.underline { attrs |= tt_A_UNDERLINE() }
        var pair: Int32 = 0
        if let palette {
            let fg = palette.number(for: style.fg, background: false)
            let bg = palette.number(for: style.bg, background: true)
            if fg.bold { attrs |= tt_A_BOLD() }
            let key = ColorPairCache.Key(fg: fg.number, bg: bg.number)
            let (p, isNew) = pairs.pair(key)
            // init_extended_pair: plain init_pair takes shorts and stops at 32767 pairs.
            if isNew { _ = init_extended_pair(p, key.fg, key.bg) }
            pair = p
        }
        let resolved = Attributes(attrs: attrs, pair: pair)
        styleCache[style] = resolved
        return resolved
    }

    // MARK: input

    /// Waits up to `timeoutMs` (negative: forever) for input and decodes it.
    ///
    /// Returns nil on timeout, when `waker.wake()` was called, and for input that is not a key
    /// (unknown sequences, mouse events without a mapping) once the time is up. After
    /// `KEY_RESIZE` (ncurses has already resized its windows) returns `.resize(newSize)`, and
    /// the next `draw` repaints everything.
    ///
    /// Resizes are noticed within 250 ms even with a long timeout: SIGWINCH may be delivered to
    /// another thread of the process, which does not interrupt our poll().
    public func readKey(timeoutMs: Int) -> Key? {
        assertOwnerThread()
        let clock = ContinuousClock()
        let deadline = timeoutMs < 0 ? nil : clock.now.advanced(by: .milliseconds(timeoutMs))
        guard !stopped, !inputClosed else {
            // No hot loop for a caller that keeps polling a stopped or dead terminal.
            if timeoutMs != 0, waitReadable([waker.readFD], timeoutMs: timeoutMs < 0 ? 250 : timeoutMs).readable.isEmpty == false {
                _ = waker.drain()
            }
            return nil
        }
        var hungUp = false
        while true {
            var code: UInt32 = 0
            let rc = tt_get_wch(&code)
            if rc == OK {
                if let key = KeyDecoding.character(code) { return key }
                continue
            } else if rc == KEY_CODE_YES {
                if let key = decodeKeyCode(Int32(bitPattern: code)) { return key }
                continue
            }
            if hungUp {
                // The terminal went away (SIGHUP ignored, e.g. under nohup) and nothing is left
                // to read: poll() would now return at once forever. Stop reading; the caller
                // should quit.
                inputClosed = true
                return nil
            }
            // Nothing buffered: wait in poll() for stdin or the waker, at most 250 ms at a time.
            var slice = 250
            if let deadline {
                let left = deadline - clock.now
                if left <= .zero { return nil }
                // (TokenKit's `Duration.wholeMilliseconds`; the curses module does not import TokenKit.)
                let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                slice = Int(min(max(ms, 1), 250))
            }
            let ready = waitReadable([STDIN_FILENO, waker.readFD], timeoutMs: slice)
            if ready.readable.contains(waker.readFD) {
                _ = waker.drain()
                return nil
            }
            hungUp = ready.hungUp.contains(STDIN_FILENO)
        }
    }

    /// poll() on `fds`. EINTR (SIGWINCH) returns nothing ready, so the caller reads again and
    /// gets KEY_RESIZE.
    private func waitReadable(_ fds: [Int32], timeoutMs: Int) -> (readable: Set<Int32>, hungUp: Set<Int32>) {
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let n = poll(&pfds, nfds_t(pfds.count), Int32(timeoutMs))
        guard n > 0 else { return ([], []) }
        let hangup = Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
        return (Set(pfds.filter { $0.revents & Int16(POLLIN) != 0 }.map(\.fd)),
                Set(pfds.filter { $0.revents & hangup != 0 }.map(\.fd)))
    }

    private func decodeKeyCode(_ code: Int32) -> Key? {
        switch code {
        case KEY_RESIZE:
            // ncurses has already called resizeterm(); our next draw repaints everything.
            forceFull = true
            clearNext = true
            return .resize(size)
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            if event.bstate & tt_BUTTON4_PRESSED() != 0 { return .mouseWheelUp }
            if event.bstate & tt_BUTTON5_PRESSED() != 0 { return .mouseWheelDown }
            if event.bstate & (tt_BUTTON1_PRESSED() | tt_BUTTON1_CLICKED()) != 0 {
                return .mouseClick(row: Int(event.y), col: Int(event.x))
            }
            return nil
        default:
            return KeyDecoding.keyCode(code)
        }
    }

    /// ncurses is not thread-safe: catch a UI loop that hops threads (e.g. an async function
    /// resumed on the cooperative pool) in debug builds.
    private func assertOwnerThread() {
        assert(pthread_equal(ownerThread, pthread_self()) != 0,
               "CursesTerminal used from a thread other than the one that created it")
    }

    // MARK: stop

    /// Leaves curses: `endwin()` restores the shell's terminal modes, shows the cursor and
    /// leaves the alternate screen. Idempotent; also called by `deinit`. Call it on the UI
    /// thread (from `defer`), never from a signal handler — signals are handled by
    /// `TerminalRestore`, which does the async-signal-safe equivalent.
    public func stop() {
        guard !stopped else { return }
        lastSize = size
        stopped = true
        if cursorShown { _ = curs_set(1) }
        endwin()
        // After endwin: a signal arriving during endwin still finds the restore armed.
        // Then stderr goes back to the terminal, with what was written meanwhile.
        TerminalRestore.disarm()
        delscreen(screenPointer)
    }
}
