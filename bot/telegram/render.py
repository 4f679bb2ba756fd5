"""Engine outputs -> Telegram messages (HTML text and inline buttons), as plain values, for private
chats; group_render.py does the same for group sessions.

Nothing here talks to Telegram: sender.py turns a message into a Bot API call. Every text that
came from a participant or from content is escaped; every message fits in 4,096 characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from ..content.keys import PHASE_KEYS, cite_names, notice_key, reference
from ..engine import (
    Buttons,
    Finished,
    Message,
    Notice,
    Output,
    Progress,
    Question,
    Recap,
    Source,
    StanceQuestion,
)
from . import callbacks
from .messages import Keyboard, Text, buttons

MAX_TEXT = 4096
LONG_TEXT = 280
"""A batch with a text this long gets a typing indicator first."""

Translate = Callable[..., str]

_TAG = re.compile(r"<[^>]+>")


def visible_length(text_html: str) -> int:
    """Characters Telegram counts: after tags are removed and entities decoded."""
    return len(html.unescape(_TAG.sub("", text_html)))


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def render(outputs: Iterable[Output], run_id: int, t: Translate) -> list[Text]:
    """What to send for one engine turn, in order."""
    sent: list[Text] = []
    progress = ""
    for output in outputs:
        if isinstance(output, Progress):
            progress = progress_line(output, t)
        elif isinstance(output, Message):
            sent += _fit([esc(output.text), _cite(output.sources, t)])
        elif isinstance(output, Question):
            follow = f"<b>{esc(t('dialogue.probe'))}</b>\n" if output.probe else ""
            sent += _fit([progress + follow + esc(output.text), _cite(output.sources, t)])
            progress = ""
        elif isinstance(output, Buttons):
            rows = buttons(
                *(((label, callbacks.choice(run_id, output.node, i)),) for i, label in enumerate(output.options))
            )
            cite = _cite(output.sources, t)
            sent.append(Text(progress + esc(output.text) + (f"\n\n{cite}" if cite else ""), rows))
            progress = ""
        elif isinstance(output, StanceQuestion):
            sent.append(stance_message(output, run_id, t, progress))
            progress = ""
        elif isinstance(output, Recap):
            sent += recap_messages(output, t)
        elif isinstance(output, Finished):
            sent.append(Text(esc(t("dialogue.next"))))
        elif isinstance(output, Notice):
            sent.append(Text(esc(t(notice_key(output)))))
    return sent


def progress_line(progress: Progress, t: Translate) -> str:
    """ "Step n of m", in italics, above the question it belongs to."""
    return f"<i>{esc(t('dialogue.progress', step=progress.step, total=progress.total))}</i>\n\n"


def say(text: str, keyboard: Keyboard = ()) -> Text:
    """One prompt text (already HTML) with optional buttons."""
    return Text(text, keyboard)


def plain(text: str) -> list[Text]:
    """A plain text (escaped), in as many messages as it needs, split between paragraphs or lines."""
    return _fit([esc(line) for line in text.split("\n")], joiner="\n")


def _cite(sources: tuple[Source, ...], t: Translate) -> str:
    return f"<i>{esc(t('dialogue.cite', names=cite_names(sources)))}</i>" if sources else ""


def stance_message(question: StanceQuestion, run_id: int, t: Translate, progress: str = "") -> Text:
    text = (
        f"{progress}{esc(t(PHASE_KEYS[question.phase]))}\n\n<b>{esc(question.claim)}</b>\n\n"
        f"<i>{esc(t('stance.scale'))}</i>"
    )
    row = tuple((str(v), callbacks.stance(run_id, question.node, v)) for v in range(1, 6))
    return Text(text, buttons(row))


def recap_messages(recap: Recap, t: Translate) -> list[Text]:
    dash = t("recap.no_stance")
    parts = [
        f"<b>{esc(t('recap.title'))}</b>\n\n{esc(t('recap.claim', claim=recap.claim))}\n"
        f"<b>{esc(t('recap.shift', before=recap.before or dash, after=recap.after or dash))}</b>\n\n"
        f"{esc(t('recap.answers'))}"
    ]
    for item in recap.items:
        parts.append(f"<i>{esc(item.question)}</i>")
        parts += _split_plain(item.answer)
    if recap.sources:
        parts.append(f"<b>{esc(t('recap.sources'))}</b>\n" + "\n".join(esc(reference(s)) for s in recap.sources))
    parts.append(esc(t("recap.kept")))
    return _fit(parts)


def _split_plain(text: str, limit: int = MAX_TEXT - 200) -> list[str]:
    """A participant's text, escaped, in pieces that each fit in a message with room to spare."""
    pieces = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return [esc(p) for p in pieces]


def _fit(parts: list[str], joiner: str = "\n\n") -> list[Text]:
    """Join HTML parts (with blank lines, by default) into as few messages as fit Telegram's limit."""
    messages: list[str] = []
    for part in filter(None, parts):
        if messages and visible_length(messages[-1]) + len(joiner) + visible_length(part) <= MAX_TEXT:
            messages[-1] += joiner + part
        else:
            messages.append(part)
    return [Text(m) for m in messages]
