"""The stance chart: for each dialogue, how many rated its claim 1-5 before and after, and, next to
it, the paired view: how many of the same people moved up, stayed or moved down.

All panels share one scale and a labelled axis, so one rating is never drawn as tall as sixty;
the paired bars share theirs too. Every word comes from the prompts, in the reader's language.
Drawn in DejaVu Sans where the system has it (Debian's fonts-dejavu-core, which WeasyPrint's
PDF uses too): Pillow's built-in font (ImageFont.load_default) has no umlauts, ß or arrows,
so it is only the fallback. Up to two columns keep the image under 1600 px wide and fit a Telegram photo.
Colours are from the Okabe-Ito palette, which colour-blind readers can tell apart.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from .overview import SCALE, DialogueStats, Overview
from .shift import Shift

Translate = Callable[..., str]

BEFORE = (230, 159, 0)
AFTER = (0, 114, 178)
UP, SAME, DOWN = (0, 158, 115), (150, 150, 150), (213, 94, 0)
INK = (30, 30, 30)
MUTED = (110, 110, 110)
RULE = (200, 200, 200)
PAPER = (255, 255, 255)

MARGIN = 24
HEADER = 104
PANEL_W, PANEL_H = 720, 290
GAP = 24
PLOT_TOP, PLOT_H = 110, 130
"""The plots' top, relative to the panel, and their height."""
SPLIT = 430
"""Where the paired view starts, from the panel's left."""


FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "DejaVuSans.ttf",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size=size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@cache
def _english() -> Translate:
    from .. import paths
    from ..content.prompts import load_prompts

    prompts = load_prompts(paths.prompts_dir())
    return lambda key, **values: prompts.t(key, "en", **values)


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


def nice_top(peak: int) -> tuple[int, int]:
    """The axis' top and tick step for a peak count: 1-2-5 steps, four or five ticks at most."""
    peak = max(peak, 1)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if peak / step <= 5:
            return step * math.ceil(peak / step), step
    step = 10 ** math.ceil(math.log10(peak / 5))
    return step * math.ceil(peak / step), step


def _header(draw: ImageDraw.ImageDraw, t: Translate) -> None:
    draw.text((MARGIN, 16), _fit(draw, t("chart.title"), 26, 1500, 1)[0], fill=INK, font=_font(26))
    x, y = MARGIN, 60
    for label, colour in ((t("chart.before"), BEFORE), (t("chart.after"), AFTER)):
        draw.rectangle((x, y + 2, x + 18, y + 20), fill=colour)
        draw.text((x + 26, y), label, fill=INK, font=_font(18))
        x += 26 + int(draw.textlength(label, font=_font(18))) + 28
    draw.text((x + 12, y + 2), t("stance.scale"), fill=MUTED, font=_font(15))


def _vertical(image: Image.Image, text: str, x: int, centre_y: int) -> None:
    """Text turned 90° (the axis label), centred on centre_y."""
    font = _font(13)
    width = int(ImageDraw.Draw(image).textlength(text, font=font)) + 4
    label = Image.new("RGB", (width, 18), PAPER)
    ImageDraw.Draw(label).text((2, 1), text, fill=MUTED, font=font)
    turned = label.rotate(90, expand=True)
    image.paste(turned, (x, int(centre_y - turned.height / 2)))


def _bar(draw: ImageDraw.ImageDraw, left: float, width: float, base: float, height: float, count: int, colour) -> None:
    if not count:
        return
    top = base - max(height, 1)
    draw.rectangle((left, top, left + width, base), fill=colour)
    label = str(count)
    centre = left + width / 2 - draw.textlength(label, font=_font(13)) / 2
    draw.text((centre, top - 16), label, fill=INK, font=_font(13))


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _distribution(image, draw, x0: int, y0: int, stats: DialogueStats, top: int, step: int, t: Translate) -> None:
    """The two distributions on the shared axis: 0..top participants, a tick every `step`."""
    plot_top, left, right = y0 + PLOT_TOP, x0 + 52, x0 + SPLIT - 24
    base = plot_top + PLOT_H
    for value in range(0, top + 1, step):
        y = base - PLOT_H * value / top
        draw.line((left - 4, y, right, y), fill=(235, 235, 235) if value else RULE, width=1)
        label = str(value)
        draw.text((left - 8 - draw.textlength(label, font=_font(13)), y - 8), label, fill=MUTED, font=_font(13))
    draw.line((left, plot_top, left, base), fill=RULE, width=1)
    _vertical(image, t("chart.axis"), x0 + 4, int(plot_top + PLOT_H / 2))
    group = (right - left) / len(SCALE)
    bar = group * 0.34
    for i, value in enumerate(SCALE):
        centre = left + group * (i + 0.5)
        _bar(draw, centre - bar - 1, bar, base, PLOT_H * stats.before[i] / top, stats.before[i], BEFORE)
        _bar(draw, centre + 1, bar, base, PLOT_H * stats.after[i] / top, stats.after[i], AFTER)
        tick = str(value)
        draw.text((centre - draw.textlength(tick, font=_font(16)) / 2, base + 6), tick, fill=INK, font=_font(16))


def _paired(draw, x0: int, y0: int, shift: Shift, top: int, t: Translate) -> None:
    """Three bars: how many of the same people rated higher, the same, lower; one scale for all panels."""
    left, right = x0 + SPLIT, x0 + PANEL_W - 16
    rows = ((t("chart.up", count=shift.up), shift.up, UP), (t("chart.same", count=shift.same), shift.same, SAME))
    rows += ((t("chart.down", count=shift.down), shift.down, DOWN),)
    for i, (label, count, colour) in enumerate(rows):
        y = y0 + PLOT_TOP + i * 46
        draw.text((left, y), _fit(draw, label, 14, right - left, 1)[0], fill=INK, font=_font(14))
        draw.rectangle((left, y + 20, right, y + 34), outline=RULE)
        if count:
            draw.rectangle((left, y + 20, left + (right - left) * count / top, y + 34), fill=colour)


def _panel(image, draw, x0: int, y0: int, stats: DialogueStats, shift: Shift, scales, t: Translate) -> None:
    for i, line in enumerate(_fit(draw, stats.title, 18, PANEL_W - 8)):
        draw.text((x0, y0 + i * 22), line, fill=INK, font=_font(18))
    rated = max(sum(stats.before), sum(stats.after))
    caption = t("chart.caption", rated=rated, before=_mean(stats.mean_before), after=_mean(stats.mean_after))
    draw.text((x0, y0 + 48), _fit(draw, caption, 14, PANEL_W - 8, 1)[0], fill=MUTED, font=_font(14))
    for x, key in ((x0 + 52, "chart.distribution"), (x0 + SPLIT, "chart.paired")):
        draw.text((x, y0 + 72), _fit(draw, t(key), 14, SPLIT - 60, 1)[0], fill=INK, font=_font(14))
    (top, step), pairs_top = scales
    _distribution(image, draw, x0, y0, stats, top, step, t)
    _paired(draw, x0, y0, shift, pairs_top, t)


def _empty(t: Translate) -> Image.Image:
    image = Image.new("RGB", (900, 260), PAPER)
    draw = ImageDraw.Draw(image)
    _header(draw, t)
    message = t("chart.no_ratings")
    draw.text((450 - draw.textlength(message, font=_font(30)) / 2, 150), message, fill=MUTED, font=_font(30))
    return image


def stance_chart_png(ov: Overview, t: Translate | None = None, shifts: dict[str, Shift] | None = None) -> bytes:
    """A PNG of the opening and closing stance per rated dialogue, with the paired shifts
    (`bot.reports.shift.paired_shifts`); one saying "No ratings yet" without any ratings."""
    t = t or _english()
    shifts = shifts or {}
    rated = [d for d in ov.dialogues if d.rated]
    if not rated:
        return _png(_empty(t))
    scales = (
        nice_top(max(max((*d.before, *d.after)) for d in rated)),
        max((s.pairs for s in shifts.values()), default=1) or 1,
    )
    columns = 1 if len(rated) == 1 else 2
    rows = -(-len(rated) // columns)
    width = max(900, MARGIN * 2 + columns * PANEL_W + (columns - 1) * GAP)
    image = Image.new("RGB", (width, HEADER + rows * (PANEL_H + GAP) + MARGIN - GAP), PAPER)
    draw = ImageDraw.Draw(image)
    _header(draw, t)
    for i, stats in enumerate(rated):
        row, column = divmod(i, columns)
        x0, y0 = MARGIN + column * (PANEL_W + GAP), HEADER + row * (PANEL_H + GAP)
        _panel(image, draw, x0, y0, stats, shifts.get(stats.dialogue_id, Shift()), scales, t)
    return _png(image)
