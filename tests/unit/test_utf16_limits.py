"""Telegram's limits are counted in UTF-16 code units (an emoji outside the BMP counts 2), after
tags are removed and entities decoded; the renderer and the content check count the same way.

A security review found recap messages of 7,529 and 4,503 UTF-16 units: the renderer counted
code points, so long emoji-heavy answers made messages Telegram refuses.
"""

from __future__ import annotations

import html
import re

from bot.content.limits import MAX_MESSAGE
from bot.engine.step import Recap, RecapItem
from bot.telegram import group_render, render
from bot.telegram.messages import Text

from ..support.content import MINI, write_content

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # a ZWJ family: 5 code points, 8 units
FLAG = "\U0001f1ea\U0001f1fa"  # EU flag: two regional indicators
THUMB = "\U0001f44d\U0001f3fd"  # thumbs up with a skin tone
HEART = "\u2764\ufe0f"  # a BMP emoji with a variation selector
CLUSTERS = (FAMILY, FLAG, THUMB, HEART, "\U0001f600", "e\u0301")


def t(key: str, **values: object) -> str:
    return f"{key} {values}" if values else key


def visible(text_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def emoji_answer(n: int = 4000) -> str:
    """n code points of emoji runs (no spaces, so a cut must fall between emoji) and mixed text."""
    unit = FAMILY + FLAG + THUMB + HEART + "\U0001f600" + "e\u0301" + "<&>"
    runs, words = unit * 40, " naïve café & <b>x</b> 😀 "
    text = ""
    while len(text) < n:
        text += runs + words
    text = text[:n]
    while text and text[-1] in "\u200d\ufe0f\u0301" + "\U0001f3fd":
        text = text[:-1]
    return text


def recap(*answers: str) -> Recap:
    items = tuple(RecapItem(f"Question {i}?", a, False) for i, a in enumerate(answers))
    return Recap("A claim.", 2, 4, items, ())


def test_telegram_length_counts_utf16_units():
    from bot.content.limits import telegram_length

    assert telegram_length("abc") == 3
    assert telegram_length("\U0001f600") == 2
    assert telegram_length(FAMILY) == 8
    assert render.visible_length("<b>&lt;\U0001f600&amp;</b>") == 4


def test_a_recap_of_long_emoji_answers_fits_every_message_and_loses_nothing():
    answers = [emoji_answer(4000), emoji_answer(3999), "short 😀"]
    assert all(units(a) > MAX_MESSAGE for a in answers[:2]), "the answers are longer than a message"
    messages = render.recap_messages(recap(*answers), t)
    shown = [visible(m.text) for m in messages]
    assert all(units(s) <= 4096 for s in shown), [units(s) for s in shown]
    squeezed = re.sub(r"\s", "", "".join(shown))
    position = 0
    for i, answer in enumerate(answers):
        position = squeezed.index(f"Question{i}?", position)
        start = squeezed.index(re.sub(r"\s", "", answer), position)
        assert start == position + len(f"Question{i}?"), "every character kept, in order"
    for cluster in CLUSTERS:
        assert "".join(shown).count(cluster) == sum(a.count(cluster) for a in answers), f"{cluster!r} cut"


def test_a_cut_never_falls_inside_an_emoji_or_an_entity():
    for shift in range(12):
        answer = "x" * shift + (FAMILY + FLAG + THUMB + HEART) * 400
        messages = render.recap_messages(recap(answer), t)
        for m in messages:
            assert units(visible(m.text)) <= 4096
            assert not re.search(r"&[a-z#0-9]*$|^[a-z#0-9]*;", m.text), "an entity cut in two"
            body = visible(m.text).strip()
            assert body[:1] not in ("\u200d", "\ufe0f", "\U0001f3fd", "\u0301"), "a cluster's tail begins a message"
            assert body[-1:] != "\u200d", "a ZWJ sequence cut after its joiner"
            assert len(re.findall("[\U0001f1e6-\U0001f1ff]", body)) % 2 == 0, "a flag cut in two"
        joined = "".join(visible(m.text) for m in messages)
        assert joined.count(FAMILY) == 400 and joined.count(FLAG) == 400 and joined.count(THUMB) == 400


def test_plain_text_of_long_emoji_lines_fits():
    line = "\U0001f600" * 3000
    messages = render.plain(f"title\n{line}\n{line}")
    assert all(units(visible(m.text)) <= 4096 for m in messages)
    assert "".join(visible(m.text) for m in messages).count("\U0001f600") == 6000


def test_a_group_summary_of_many_emoji_questions_fits():
    questions = {f"n{i}": "\U0001f600" * 39 + FAMILY + "tail" for i in range(60)}  # 94 units, 80 shown
    answers = {node: 3 for node in questions}
    messages = group_render.summary(5, answers, questions, b"png", t)
    texts = [m for m in messages if isinstance(m, Text)]
    assert all(units(visible(m.text)) <= 4096 for m in texts)
    shown = "".join(visible(m.text) for m in texts)
    assert shown.count("\U0001f600" * 39 + "…") == 60, "each question clipped to 80 units"
    assert "\U0001f468" not in shown, "a ZWJ sequence clipped in half"


def test_the_content_check_counts_a_text_as_telegram_does(tmp_path):
    from bot.content.loader import check_content

    emoji = "\U0001f600" * 2049  # 2,049 code points, 4,098 UTF-16 units
    text = MINI.replace("    say: Only employers see this.\n", f'    say: "{emoji}"\n', 1)
    folder = write_content(tmp_path / "content", {"mini.yaml": text})
    errors = [p.message for p in check_content(folder) if p.is_error]
    assert any("4098 characters" in e and "at most 4096" in e for e in errors), errors
    fits = MINI.replace("    say: Only employers see this.\n", f'    say: "{emoji[:-1]}"\n', 1)
    folder = write_content(tmp_path / "fits", {"mini.yaml": fits})
    assert not [p for p in check_content(folder) if p.is_error and "characters" in p.message]
