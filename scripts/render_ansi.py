#!/usr/bin/python3
"""Renders a `tmux capture-pane -p -e` dump (text with SGR colour codes) to a PNG.

pyte plays the terminal: it interprets the escape codes into a grid of cells with colours and
attributes; Pillow paints that grid with DejaVu Sans Mono. Usage:
    render_ansi.py CAPTURE.txt OUT.png COLS ROWS [TITLE]
"""
import sys
import pyte
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
SIZE = 15
# A dark palette close to common terminal themes (xterm-ish, softened).
PALETTE = {
    "black": (40, 42, 46), "red": (229, 83, 75), "green": (87, 199, 99), "brown": (229, 192, 73),
    "yellow": (229, 192, 73), "blue": (97, 150, 234), "magenta": (198, 120, 221), "cyan": (86, 182, 194),
    "white": (220, 223, 228), "default": None,
    "brightblack": (128, 128, 128), "brightred": (255, 110, 100), "brightgreen": (120, 230, 130),
    "brightbrown": (255, 220, 110), "brightyellow": (255, 220, 110), "brightblue": (130, 180, 255),
    "brightmagenta": (225, 150, 245), "brightcyan": (120, 215, 225), "brightwhite": (255, 255, 255),
}
FG, BG = (220, 223, 228), (24, 26, 30)


def colour(name, default):
    if name in (None, "default"):
        return default
    if name in PALETTE and PALETTE[name] is not None:
        return PALETTE[name]
    if len(name) == 6:
        try:
            return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default


def main():
    src, out, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    text = open(src, encoding="utf-8", errors="replace").read()
    # capture-pane ends every row with a bare newline: join the rows with CR LF for the
    # emulator, without a newline after the last one (it would scroll the top row away).
    stream.feed("\r\n".join(text.split("\n")[:rows]))

    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", SIZE)
    # DejaVu Sans Mono lacks a few glyphs the UI uses (ℹ for lint notes): those are drawn with
    # DejaVu Sans instead of the font's empty box, as a terminal's font fallback would.
    fallback = {False: ImageFont.truetype(FONT_DIR + "DejaVuSans.ttf", SIZE),
                True: ImageFont.truetype(FONT_DIR + "DejaVuSans-Bold.ttf", SIZE)}
    notdef = bytes(regular.getmask("\ue000"))
    missing = {}

    def font_for(ch, is_bold):
        if ch not in missing:
            missing[ch] = len(ch) == 1 and ord(ch) > 0x7f and bytes(regular.getmask(ch)) == notdef
        if missing[ch]:
            return fallback[is_bold]
        return bold if is_bold else regular
    cw = int(round(regular.getlength("M")))
    ch = int(SIZE * 1.35)
    pad = 12
    img = Image.new("RGB", (cols * cw + 2 * pad, rows * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            c = line[x]
            fg = colour(c.fg, FG)
            bg = colour(c.bg, BG)
            if c.bold and c.fg in PALETTE and not c.fg.startswith("bright") and "bright" + c.fg in PALETTE:
                fg = PALETTE["bright" + c.fg] or fg
            if c.reverse:
                fg, bg = bg, fg
            px, py = pad + x * cw, pad + y * ch
            if bg != BG:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c.data and c.data != " ":
                draw.text((px, py + 2), c.data, font=font_for(c.data, c.bold), fill=fg)
            if c.underscore:
                draw.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    img.save(out)


if __name__ == "__main__":
    main()
