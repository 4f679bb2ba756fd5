"""The stance chart measured on its pixels: one scale for all panels, the paired view, the reader's words."""

from __future__ import annotations

import io

from PIL import Image

from bot.content.prompts import load_prompts
from bot.exports.records import RunRecord
from bot.reports import chart
from bot.reports.overview import DialogueStats, Overview
from bot.reports.shift import Shift, paired_shifts

from ..support.content import PROMPTS


def stats(dialogue_id: str, before: tuple[int, ...], after: tuple[int, ...]) -> DialogueStats:
    return DialogueStats(dialogue_id, dialogue_id.title(), 1, 1, 0, None, before, after, 1.0, 1.0)


def image_of(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def bar_height(image: Image.Image, colour: tuple[int, int, int], left: int, right: int) -> int:
    """The tallest column of `colour` between left and right, below the legend, in pixels."""
    pixels = image.load()
    return max(sum(1 for y in range(chart.HEADER, image.height) if pixels[x, y] == colour) for x in range(left, right))


def panel(column: int) -> tuple[int, int]:
    left = chart.MARGIN + column * (chart.PANEL_W + chart.GAP)
    return left, left + chart.SPLIT


def test_panels_share_one_scale():
    ov = Overview(
        (stats("one", (1, 0, 0, 0, 0), (0, 0, 0, 0, 1)), stats("many", (60, 0, 0, 0, 0), (0, 0, 0, 0, 30))), ()
    )
    image = image_of(chart.stance_chart_png(ov))
    one, many = bar_height(image, chart.BEFORE, *panel(0)), bar_height(image, chart.BEFORE, *panel(1))
    assert abs(many - chart.PLOT_H) <= 1 and one <= 4, (one, many)  # 1 of 60 is about 2 px high, not the panel's height
    assert abs(bar_height(image, chart.AFTER, *panel(1)) - chart.PLOT_H / 2) <= 2
    assert bar_height(image, chart.AFTER, *panel(0)) <= 4


def test_the_axis_ticks_are_round_numbers():
    assert chart.nice_top(1) == (1, 1) and chart.nice_top(4) == (4, 1) and chart.nice_top(7) == (8, 2)
    assert chart.nice_top(60) == (60, 20) and chart.nice_top(23) == (25, 5) and chart.nice_top(1234) == (1250, 250)


def run(run_id: int, pid: int, dialogue: str, before: int | None, after: int | None) -> RunRecord:
    return RunRecord(run_id, pid, f"P{pid}", 1, "A", dialogue, "finished", "2025-03-01", None, before, after)


def test_paired_shifts_follow_each_person_once():
    runs = [
        run(1, 1, "a", 2, 4),
        run(2, 2, "a", 3, 3),
        run(3, 3, "a", 5, 1),
        run(4, 4, "a", 2, None),  # no pair
        run(5, 1, "b", 4, 2),
        run(6, 1, "b", 4, 5),  # the latest run with both ratings counts
    ]
    assert paired_shifts(runs) == {"a": Shift(up=1, same=1, down=1), "b": Shift(up=1)}


def test_the_paired_bars_share_their_scale_and_the_words_are_the_readers():
    prompts = load_prompts(PROMPTS)
    asked: list[str] = []

    def german(key, **values):
        asked.append(key)
        return prompts.t(key, "de", **values)

    ov = Overview((stats("a", (2, 0, 0, 0, 0), (0, 0, 0, 0, 2)), stats("b", (1, 0, 0, 0, 0), (1, 0, 0, 0, 0))), ())
    image = image_of(chart.stance_chart_png(ov, german, {"a": Shift(up=4), "b": Shift(up=1, same=1)}))
    assert {
        "chart.title",
        "chart.axis",
        "chart.before",
        "chart.after",
        "chart.paired",
        "chart.up",
        "chart.down",
    } <= set(asked)
    widths = []
    for column in (0, 1):
        left = chart.MARGIN + column * (chart.PANEL_W + chart.GAP) + chart.SPLIT
        row = chart.HEADER + chart.PLOT_TOP + 27  # the middle of the "agree more" bar
        widths.append(
            sum(1 for x in range(left, left + chart.PANEL_W - chart.SPLIT) if image.getpixel((x, row)) == chart.UP)
        )
    assert widths[0] > 0 and abs(widths[1] - widths[0] / 4) <= 2, widths


def test_the_chart_font_has_umlauts():
    """Pillow's built-in font draws ä, ß and → as boxes; the chart needs a TrueType font that has them."""
    font = chart._font(16)
    assert str(getattr(font, "path", "")).endswith("DejaVuSans.ttf"), "install fonts-dejavu-core"
    notdef = font.getmask("\ue000").getbbox()  # a private-use character: no font has a glyph for it
    assert all(font.getmask(c).getbbox() != notdef for c in "äöüßÄ→")
