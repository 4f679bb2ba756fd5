"""The stance chart: for each dialogue, how many rated its claim 1-5 before and after, as paired bars.

Drawn with Pillow's built-in font (ImageFont.load_default(size=...), Pillow >= 10.1), so no font
files are needed. Small multiples in up to three columns keep the image under 1600 px wide and
fit a Telegram photo. Colours are from the Okabe-Ito palette, which colour-blind readers can tell apart.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from .overview import SCALE, DialogueStats, Overview

BEFORE = (230, 159, 0)
AFTER = (0, 114, 178)
INK = (30, 30, 30)
MUTED = (110, 110, 110)
RULE = (200, 200, 200)
PAPER = (255, 255, 255)

MARGIN = 24
HEADER = 104
PANEL_W, PANEL_H = 470, 280
GAP = 24
TITLE = "How far participants agreed with each dialogue's claim"
SCALE_NOTE = "1 strongly disagree · 2 disagree · 3 undecided · 4 agree · 5 strongly agree"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int = 2) -> list[str]:
    """Word-wrap text to width in at most `lines` lines, ending in "…" when it does not fit."""
    font, words, out = _font(size), text.split(), []
    while words and len(out) < lines:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=font) <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words or (out and draw.textlength(out[-1], font=font) > width):
        last = out[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def _header(draw: ImageDraw.ImageDraw) -> None:
    draw.text((MARGIN, 16), TITLE, fill=INK, font=_font(26))
    x, y = MARGIN, 60
    for label, colour in (("before", BEFORE), ("after", AFTER)):
        draw.rectangle((x, y + 2, x + 18, y + 20), fill=colour)
        draw.text((x + 26, y), label, fill=INK, font=_font(18))
        x += 26 + int(draw.textlength(label, font=_font(18))) + 28
    draw.text((x + 12, y + 2), f"Stance: {SCALE_NOTE}", fill=MUTED, font=_font(15))


def _bar(draw: ImageDraw.ImageDraw, left: float, width: float, base: float, height: float, count: int, colour) -> None:
    if not count:
        return
    top = base - max(height, 1)
    draw.rectangle((left, top, left + width, base), fill=colour)
    label = str(count)
    centre = left + width / 2 - draw.textlength(label, font=_font(13)) / 2
    draw.text((centre, top - 16), label, fill=INK, font=_font(13))


def _summary(counts: tuple[int, ...], mean: float | None) -> str:
    rated = sum(counts)
    if mean is None:
        return "no ratings"
    return f"{rated} rating{'' if rated == 1 else 's'}, mean {mean:.1f}"


def _panel(draw: ImageDraw.ImageDraw, x0: int, y0: int, stats: DialogueStats) -> None:
    for i, line in enumerate(_fit(draw, stats.title, 18, PANEL_W - 8)):
        draw.text((x0, y0 + i * 22), line, fill=INK, font=_font(18))
    caption = f"{stats.dialogue_id} · before: {_summary(stats.before, stats.mean_before)} · after: {_summary(stats.after, stats.mean_after)}"
    draw.text((x0, y0 + 48), _fit(draw, caption, 14, PANEL_W - 8, 1)[0], fill=MUTED, font=_font(14))
    top, height, left, right = y0 + 92, 140, x0 + 8, x0 + PANEL_W - 8
    base = top + height
    peak = max((*stats.before, *stats.after, 1))
    group = (right - left) / len(SCALE)
    bar = group * 0.34
    for i, value in enumerate(SCALE):
        centre = left + group * (i + 0.5)
        _bar(draw, centre - bar - 1, bar, base, height * stats.before[i] / peak, stats.before[i], BEFORE)
        _bar(draw, centre + 1, bar, base, height * stats.after[i] / peak, stats.after[i], AFTER)
        tick = str(value)
        draw.text((centre - draw.textlength(tick, font=_font(16)) / 2, base + 6), tick, fill=INK, font=_font(16))
    draw.line((left, base, right, base), fill=RULE, width=2)


def _empty() -> Image.Image:
    image = Image.new("RGB", (900, 260), PAPER)
    draw = ImageDraw.Draw(image)
    _header(draw)
    message = "No ratings yet"
    draw.text((450 - draw.textlength(message, font=_font(30)) / 2, 150), message, fill=MUTED, font=_font(30))
    return image


def stance_chart_png(ov: Overview) -> bytes:
    """A PNG of the opening and closing stance per rated dialogue; one saying "No ratings yet" without any."""
    rated = [d for d in ov.dialogues if d.rated]
    if not rated:
        return _png(_empty())
    columns = 1 if len(rated) == 1 else 2 if len(rated) <= 4 else 3
    rows = -(-len(rated) // columns)
    width = max(900, MARGIN * 2 + columns * PANEL_W + (columns - 1) * GAP)
    image = Image.new("RGB", (width, HEADER + rows * (PANEL_H + GAP) + MARGIN - GAP), PAPER)
    draw = ImageDraw.Draw(image)
    _header(draw)
    for i, stats in enumerate(rated):
        row, column = divmod(i, columns)
        _panel(draw, MARGIN + column * (PANEL_W + GAP), HEADER + row * (PANEL_H + GAP), stats)
    return _png(image)
