"""Engine outputs -> Telegram messages (HTML text and inline buttons), as plain values, for private
chats; group_render.py does the same for group sessions.

Nothing here talks to Telegram: sender.py turns a message into a Bot API call. Every text that
came from a participant or from content is escaped; every message fits in 4,096 characters as
Telegram counts them: UTF-16 code units after parsing (visible_length), so an emoji counts 2.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable

from ..content.keys import PHASE_KEYS, cite_names, notice_key, reference
from ..content.limits import MAX_MESSAGE, telegram_length
from ..engine import (
    Buttons,
    Finished,
    Message,
    Notice,
    Output,
    Progress,
    Question,
    Recap,
    RecapItem,
    Source,
    StanceQuestion,
)
from . import callbacks
from .messages import Keyboard, Text, buttons

MAX_TEXT = MAX_MESSAGE
"""UTF-16 units in one message (visible_length)."""
PIECE = MAX_TEXT - 200
"""UTF-16 units of one piece of a participant's long answer, leaving room for the question above it."""

Translate = Callable[..., str]

_TAG = re.compile(r"<[^>]+>")
_EXTENDS = re.compile("[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\U000e0100-\U000e01ef]")
"""Characters that extend the one before: a zero-width joiner, variation selectors, skin tones, tags."""
_FLAG_HALF = re.compile("[\U0001f1e6-\U0001f1ff]")
"""Regional indicators: two make a flag."""


def visible_length(text_html: str) -> int:
    """The length Telegram checks against its limits: UTF-16 units of the text after tags are
    removed and entities decoded (the bot's HTML has only its own tags; everything else is escaped)."""
    return telegram_length(html.unescape(_TAG.sub("", text_html)))


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
    return _fit([esc(piece) for line in text.split("\n") for piece in split_text(line)], joiner="\n")


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
        f"<b>{esc(t('recap.shift', before=recap.before or dash, after=recap.after or dash))}</b>"
        + (f"\n{esc(t('recap.chosen', choices=', '.join(recap.choices)))}" if recap.choices else "")
        + f"\n\n{esc(t('recap.answers'))}"
    ]
    for item in recap.items:
        parts.append(_recap_heading(item, t))
        parts += [esc(piece) for piece in split_text(item.answer, PIECE)]
    if recap.sources:
        parts.append(f"<b>{esc(t('recap.sources'))}</b>\n" + "\n".join(esc(reference(s)) for s in recap.sources))
    parts.append(esc(t("recap.kept")))
    return _fit(parts)


def _recap_heading(item: RecapItem, t: Translate) -> str:
    """A question by its short title (never repeated in full); a follow-up labelled as such."""
    if item.probe:
        return f"<i>{esc(t('recap.followup'))}: {esc(item.question)}</i>"
    return f"<b>{esc(item.title or item.question)}</b>"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Plain text in pieces of at most `limit` UTF-16 units that together are the text, in order.

    A piece ends at its last line break or space when that keeps it at least half full; otherwise
    where no visible character is cut in two (never inside a surrogate pair, a flag, a ZWJ emoji
    sequence or a letter with its accents). Escape the pieces afterwards, so no cut falls inside an
    HTML entity.
    """
    pieces = []
    rest = text
    while telegram_length(rest) > limit:
        end = _fitting(rest, limit)
        cut = max(rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if cut <= end // 2:
            cut = _boundary(rest, end)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def clip(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` UTF-16 units that cuts no visible character."""
    if telegram_length(text) <= limit:
        return text
    return text[: _boundary(text, _fitting(text, limit))]


def _fitting(text: str, limit: int) -> int:
    """How many code points from the start fit in `limit` UTF-16 units."""
    total = 0
    for i, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return i
    return len(text)


def _boundary(text: str, end: int) -> int:
    """The last index at or before `end` between two visible characters (`end` if a single one is longer)."""
    cut = end
    while 0 < cut < len(text) and _joined(text, cut):
        cut -= 1
    return cut or end


def _joined(text: str, i: int) -> bool:
    """Whether text[i - 1] and text[i] belong to one visible character (a simplified grapheme rule)."""
    before, after = text[i - 1], text[i]
    if before == "\u200d" or _EXTENDS.match(after) or unicodedata.category(after).startswith("M"):
        return True
    if before == "\r" and after == "\n":
        return True
    if _FLAG_HALF.match(before) and _FLAG_HALF.match(after):
        j = i - 1
        while j >= 0 and _FLAG_HALF.match(text[j]):
            j -= 1
        return (i - 1 - j) % 2 == 1
    return False


def _fit(parts: list[str], joiner: str = "\n\n") -> list[Text]:
    """Join HTML parts (with blank lines, by default) into as few messages as fit Telegram's limit."""
    messages: list[str] = []
    for part in filter(None, parts):
        if messages and visible_length(messages[-1]) + telegram_length(joiner) + visible_length(part) <= MAX_TEXT:
            messages[-1] += joiner + part
        else:
            messages.append(part)
    return [Text(m) for m in messages]
