/*
 * CNCurses: the C side of TerminalCurses.
 *
 * Why this file exists:
 *  - Swift cannot import function-like or non-trivial macros (A_BOLD, KEY_F(n), ACS_*, mouse
 *    masks, getmaxyx, wattr_set with an extended pair), nor call variadic C functions.
 *  - Swift 6 rejects C globals such as `stdscr`, `COLORS`, `stdout` as shared mutable state; we
 *    read them through tiny getter functions instead.
 *  - The signal handlers that restore the terminal must be async-signal-safe, which Swift code
 *    cannot promise (retain/release, runtime locks); they are written here in plain C.
 *
 * Everything is `static inline` because a `.systemLibrary` target has no compiled sources.
 */
#ifndef TOKENTOP_CNCURSES_SHIM_H
#define TOKENTOP_CNCURSES_SHIM_H

/* Without these, curses.h hides cchar_t, wget_wch, setcchar, waddnwstr: SwiftPM drops the
 * -D_XOPEN_SOURCE that pkg-config would pass. They must precede the include. */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <ncursesw/curses.h>

/* ---- globals Swift 6 will not touch ------------------------------------------------------ */

/* newterm instead of initscr: initscr() prints an error and exit()s on an unknown $TERM;
 * newterm returns NULL so we can report it. `stdout`/`stdin` are C globals Swift 6 rejects. */
static inline SCREEN *tt_newterm(const char *term) { return newterm(term, stdout, stdin); }
static inline WINDOW *tt_stdscr(void) { return stdscr; }
/* Can this terminal position the cursor (terminfo `cup`)? TERM=dumb and friends cannot; curses
 * "works" there but prints line after line of garbage. */
static inline int tt_can_address_cursor(void) {
    char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1;
}
static inline int tt_lines(void) { return getmaxy(stdscr); }
static inline int tt_cols(void) { return getmaxx(stdscr); }
static inline int tt_colors(void) { return COLORS; }
static inline int tt_color_pairs(void) { return COLOR_PAIRS; }
static inline int tt_escdelay(void) { return ESCDELAY; }

/* Is the C library's LC_CTYPE (after setlocale(LC_ALL, "")) UTF-8? If not, ncursesw cannot
 * output non-ASCII text and we fall back to ASCII/ACS. */
static inline int tt_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}
static inline int tt_setlocale_all(void) { return setlocale(LC_ALL, "") != NULL; }

/* A non-blocking, close-on-exec pipe (pipe2 needs _GNU_SOURCE, and fcntl is variadic). */
static inline int tt_pipe_nonblock(int fds[2]) {
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

/* wcwidth as ncurses sees it (it places wide characters by it). */
static inline int tt_wcwidth(unsigned int scalar) { return wcwidth((wchar_t)scalar); }

/* ---- attributes, colours ------------------------------------------------------------------ */

static inline attr_t tt_A_NORMAL(void) { return A_NORMAL; }
static inline attr_t tt_A_BOLD(void) { return A_BOLD; }
static inline attr_t tt_A_DIM(void) { return A_DIM; }
static inline attr_t tt_A_REVERSE(void) { return A_REVERSE; }
static inline attr_t tt_A_UNDERLINE(void) { return A_UNDERLINE; }

/* Sets stdscr's current attributes and colour pair. The pair goes through `opts` (an int*),
 * the ncurses extension for pair numbers past 32767/255 (the `short` argument is ignored
 * then). wattr_set is a macro in curses.h, so Swift could only reach the generated function. */
static inline int tt_attr_set(attr_t attrs, int pair) {
    return wattr_set(stdscr, attrs, (NCURSES_PAIRS_T)(pair > 32767 ? 0 : pair), &pair);
}

/* ---- text output -------------------------------------------------------------------------- */

/* Writes `n` wide characters at (y, x) with the current attributes. Combining characters attach
 * to the preceding cell; width-2 characters take two cells (by wcwidth). */
static inline int tt_mvaddnwstr(int y, int x, const wchar_t *s, int n) {
    return mvwaddnwstr(stdscr, y, x, s, n);
}
/* The same at the cursor (continuing a run after an ACS glyph). */
static inline int tt_addnwstr(const wchar_t *s, int n) { return waddnwstr(stdscr, s, n); }
/* Writes one alternate-character-set glyph (ACS_* are macros over the acs_map global):
 * `letter` is the VT100 graphics letter, e.g. 'q' = ACS_HLINE, 'x' = ACS_VLINE. */
static inline int tt_add_acs(char letter) {
    /* waddch merges the window's current attributes and colour pair (set by tt_attr_set). */
    return waddch(stdscr, NCURSES_ACS(letter));
}

/* ---- keys and mouse ----------------------------------------------------------------------- */

static inline int tt_KEY_F(int n) { return KEY_F(n); }
static inline int tt_get_wch(unsigned int *out) {
    wint_t ch = 0;
    int rc = wget_wch(stdscr, &ch);
    *out = (unsigned int)ch;
    return rc;
}

static inline mmask_t tt_BUTTON1_PRESSED(void) { return BUTTON1_PRESSED; }
static inline mmask_t tt_BUTTON1_RELEASED(void) { return BUTTON1_RELEASED; }
static inline mmask_t tt_BUTTON1_CLICKED(void) { return BUTTON1_CLICKED; }
static inline mmask_t tt_BUTTON4_PRESSED(void) { return BUTTON4_PRESSED; }
static inline mmask_t tt_BUTTON5_PRESSED(void) { return BUTTON5_PRESSED; }

/* ---- terminal restore on signals, crashes and exit ---------------------------------------- */
/*
 * Why in C: a signal handler may only call async-signal-safe functions (write, tcsetattr,
 * sigaction, raise, _exit); endwin() is not one of them (it uses stdio-like buffers and malloc).
 * So while curses is active we keep, precomputed, the bytes endwin would send (sgr0, mouse off,
 * rmkx, cursor to the last line, cnorm, rmcup) plus the termios saved before curses started;
 * the handler writes those bytes, restores termios and exits.
 *
 * NOTE: tt_state() has a function-local static inside a `static inline` function, so every
 * object file that emits it gets its own copy. Swift emits such functions per .o file: call the
 * tt_restore_* / tt_install_* functions from ONE Swift source file only (TerminalRestore.swift).
 */
typedef struct {
    volatile int active;            /* 1 while curses owns the terminal; exchanged atomically */
    int fd;                         /* the tty the bytes go to */
    int have_termios;
    struct termios saved;           /* the shell's modes, taken before newterm */
    char seq[1024];
    size_t seq_len;
    int installed;
    struct sigaction previous[NSIG];
    volatile int capturing;         /* stderr is redirected to `capture_fd` */
    int stderr_saved;               /* dup of the original fd 2 */
    int capture_fd;                 /* unlinked temporary file */
} tt_restore_state;

static inline tt_restore_state *tt_state(void) {
    static tt_restore_state state;
    return &state;
}

static inline void tt_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;           /* EIO after SIGHUP: the tty is gone, nothing to restore */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* While curses owns the screen, anything written to fd 2 (a Swift `fatalError` message, a
 * library warning) would land on the alternate screen: it corrupts the display and vanishes
 * with rmcup. So fd 2 is pointed at an unlinked temporary file and replayed (its last 64 KiB)
 * to the real stderr when the terminal is restored. Not signal-safe; call after newterm. */
static inline int tt_stderr_capture_begin(void) {
    tt_restore_state *s = tt_state();
    if (s->capturing) return 0;
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/tokentop-stderr-XXXXXX", (dir && *dir) ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    unlink(path);
    int saved = dup(2);
    if (saved < 0) { close(fd); return -1; }
    fflush(stderr);
    if (dup2(fd, 2) < 0) { close(fd); close(saved); return -1; }
    fcntl(saved, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    s->stderr_saved = saved;
    s->capture_fd = fd;
    __atomic_store_n(&s->capturing, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Async-signal-safe (dup2, lseek, read, write, close). Puts fd 2 back and replays what was
 * captured. At most once per capture. */
static inline void tt_stderr_capture_end(void) {
    tt_restore_state *s = tt_state();
    if (!__atomic_exchange_n(&s->capturing, 0, __ATOMIC_SEQ_CST)) return;
    int saved_errno = errno;
    dup2(s->stderr_saved, 2);
    close(s->stderr_saved);
    off_t end = lseek(s->capture_fd, 0, SEEK_END);
    if (end > 0) {
        off_t start = end > 65536 ? end - 65536 : 0;
        if (start > 0) tt_write_all(2, "[... earlier stderr output dropped ...]\n", 40);
        lseek(s->capture_fd, start, SEEK_SET);
        char buf[4096];
        ssize_t n;
        while ((n = read(s->capture_fd, buf, sizeof buf)) > 0) tt_write_all(2, buf, (size_t)n);
    }
    close(s->capture_fd);
    errno = saved_errno;
}

/* Async-signal-safe. Restores the terminal at most once (atomic exchange of `active`), so a
 * signal racing with stop() or with another signal on another thread does not write twice. */
static inline void tt_restore_terminal_now(void) {
    tt_restore_state *s = tt_state();
    /* active: 1 armed, 2 one thread is writing the restore bytes, 0 done or never armed. */
    int armed = 1;
    if (__atomic_compare_exchange_n(&s->active, &armed, 2, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        int saved_errno = errno;
        tt_write_all(s->fd, s->seq, s->seq_len);
        if (s->have_termios) tcsetattr(s->fd, TCSANOW, &s->saved);
        errno = saved_errno;
        __atomic_store_n(&s->active, 0, __ATOMIC_SEQ_CST);
    } else {
        /* Another thread (two background tasks crashing at once) is restoring right now: wait
         * for it (at most 0.5 s), or this thread's crash handler may end the process before the
         * modes are back and leave the shell in raw mode. nanosleep is async-signal-safe. */
        struct timespec tick = { 0, 5 * 1000 * 1000 };
        for (int i = 0; i < 100 && __atomic_load_n(&s->active, __ATOMIC_SEQ_CST) == 2; i++) nanosleep(&tick, NULL);
    }
    tt_stderr_capture_end();
}

/* Marks curses as stopped without writing anything (stop() ran the real endwin). */
static inline void tt_restore_disarm(void) {
    __atomic_store_n(&tt_state()->active, 0, __ATOMIC_SEQ_CST);
}

/* Saves the shell's termios. Call BEFORE newterm/raw change the modes. */
static inline void tt_restore_save_termios(int fd) {
    tt_restore_state *s = tt_state();
    s->fd = fd;
    s->have_termios = (tcgetattr(fd, &s->saved) == 0);
}

static inline void tt_seq_append(tt_restore_state *s, const char *str) {
    if (str == NULL || str == (char *)-1) return;   /* tigetstr: NULL absent, -1 not a string cap */
    size_t n = strlen(str);
    if (s->seq_len + n >= sizeof s->seq) return;
    memcpy(s->seq + s->seq_len, str, n);
    s->seq_len += n;
}

/* Precomputes the restore bytes from terminfo (needs the terminal set up by newterm) and arms
 * the restore. Not signal-safe; called from the UI thread after curses started. */
static inline void tt_restore_arm(int mouse) {
    tt_restore_state *s = tt_state();
    s->seq_len = 0;
    /* CAN aborts an escape sequence the program may have been interrupted in the middle of
     * (VT100 and every xterm-alike), so the following bytes are parsed from a clean state. */
    tt_seq_append(s, "\030");
    tt_seq_append(s, tigetstr("sgr0"));
    if (mouse) tt_seq_append(s, "\033[?1006l\033[?1003l\033[?1002l\033[?1000l");
    tt_seq_append(s, tigetstr("rmkx"));
    char *cup = tigetstr("cup");
    if (cup != NULL && cup != (char *)-1) tt_seq_append(s, tiparm(cup, 9998, 0)); /* terminals clamp to the last row */
    tt_seq_append(s, tigetstr("cnorm"));
    tt_seq_append(s, tigetstr("rmcup"));
    __atomic_store_n(&s->active, 1, __ATOMIC_SEQ_CST);
}

/* Ends the process by `sig`'s default action (terminate, or terminate with a core), after the
 * terminal was restored: the parent sees "killed by signal" (a shell's $? is 128 + signo), as
 * without tokentop's handler. Async-signal-safe (sigaction, sigprocmask, raise, _exit). */
static void tt_die_by_default(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* The handler runs with every signal blocked: let this one through, so raise() delivers it
     * before returning. */
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
    _exit(128 + sig);   /* not reached: every signal handled here terminates by default */
}

/* Signals whose default action ends the process and that no fault produces (SIGINT, SIGTERM,
 * SIGHUP, SIGUSR1, SIGALRM, …): restore, then end by the default action. */
static void tt_on_terminate_signal(int sig) {
    tt_restore_terminal_now();
    tt_die_by_default(sig);
}

/* Calls the handler that was installed before ours (Swift's backtracer), as the kernel would. */
static void tt_call_previous(int sig, siginfo_t *info, void *context) {
    struct sigaction *p = &tt_state()->previous[sig];
    if (p->sa_flags & SA_SIGINFO) {
        if (p->sa_sigaction != NULL) p->sa_sigaction(sig, info, context);
    } else if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN && p->sa_handler != NULL) {
        p->sa_handler(sig);
    }
}

/* Crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT, SIGQUIT): always
 * restore the terminal first; then
 *  - a real fault (si_code > 0: the kernel raised it for an instruction of ours): reinstate the
 *    previous handler and return. The faulting instruction runs again and reaches it with the
 *    genuine context: Swift's backtracer prints its report on the now-normal screen, then
 *    resets the default action and returns, and the fault ends the process.
 *  - sent by this process (abort(), raise()): the previous handler first (the backtracer's report
 *    of where abort() was called), then the default action.
 *  - sent from outside (kill, sigqueue): the default action at once. Handing it to the backtracer
 *    was the bug: it spends seconds symbolicating, waits 30 s for a key, then *returns*, and
 *    with no faulting instruction to run again the program went on drawing over the shell. */
static void tt_on_crash_signal(int sig, siginfo_t *info, void *context) {
    tt_restore_terminal_now();
    if (info != NULL && info->si_code > 0) {
        sigaction(sig, &tt_state()->previous[sig], NULL);
        return;
    }
    if (info != NULL && info->si_pid == getpid()) tt_call_previous(sig, info, context);
    tt_die_by_default(sig);
}

static void tt_on_exit(void) { tt_restore_terminal_now(); }

/* Installs the handlers once (idempotent). Installing before newterm also keeps ncurses from
 * installing its own SIGINT/SIGTERM handlers (it only does so when the disposition is SIG_DFL);
 * those exit with status 1. SIGWINCH and SIGTSTP/SIGCONT/SIGTTIN/SIGTTOU (stop, not end) are
 * deliberately left to ncurses and the default.
 *
 * Every signal whose default action ends the process is covered: an uncovered one (SIGUSR1 from
 * a mistaken `kill -USR1`, SIGALRM, SIGXCPU from a CPU limit) would end it with the terminal
 * left raw and on the alternate screen. Which ones are taken:
 *  - SIGINT, SIGTERM, SIGHUP: always, unless ignored (nohup keeps SIGHUP ignored);
 *  - the other terminating ones (incl. the real-time signals): only while at their default, so
 *    a handler that is already there (a profiler's SIGPROF, a library's) keeps working, and an
 *    ignored SIGPIPE stays ignored (writes get EPIPE instead);
 *  - crash signals: always, chaining to the handler that was there (Swift's backtracer). */
static inline void tt_install_signal_handlers(void) {
    tt_restore_state *s = tt_state();
    if (s->installed) return;
    s->installed = 1;

    static const int always[] = { SIGINT, SIGTERM, SIGHUP };
    static const int if_default[] = {
        SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPIPE,
#ifdef SIGPOLL
        SIGPOLL,
#endif
#ifdef SIGPWR
        SIGPWR,
#endif
#ifdef SIGSTKFLT
        SIGSTKFLT,
#endif
#ifdef SIGEMT
        SIGEMT,
#endif
#ifdef SIGLOST
        SIGLOST,
#endif
    };
    static const int crash[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT, SIGQUIT };
    struct sigaction sa;
    struct sigaction old;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tt_on_terminate_signal;
    sigfillset(&sa.sa_mask);          /* no second handler interleaves with the restore */
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) {
        int sig = always[i];
        if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sig, &sa, &s->previous[sig]);
    }
    for (size_t i = 0; i < sizeof if_default / sizeof if_default[0]; i++) {
        int sig = if_default[i];
        if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
        sigaction(sig, &sa, &s->previous[sig]);
    }
    /* Real-time signals end the process by default too. SIGRTMIN is glibc's first free one (the
     * two below it are its own, never touched). */
    for (int sig = SIGRTMIN; sig <= SIGRTMAX && sig < NSIG; sig++) {
        if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
        sigaction(sig, &sa, &s->previous[sig]);
    }
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++) {
        int sig = crash[i];
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = tt_on_crash_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;   /* ONSTACK: stack overflows need the alt stack */
        sigfillset(&sa.sa_mask);
        sigaction(sig, &sa, &s->previous[sig]);
    }
    atexit(tt_on_exit);
}

#endif
