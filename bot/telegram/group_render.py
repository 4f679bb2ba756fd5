"""Group sessions' messages as plain values: a stretch of the dialogue, a follow-up, the consent
and join notices, the facilitators' control message, the summary.

With privacy mode on, a bot in a group sees only commands, replies to its own messages and poll
answers; so open questions ask for a reply (ForceReply), and ratings and choices are polls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..content.keys import PHASE_KEYS, STANCE_KEYS, cite_names
from ..engine import Buttons, Dialogue, Finished, Message, Output, Progress, Question, StanceQuestion
from ..engine.step import localize
from .messages import Button, Outgoing, Photo, Poll, Record, Text
from .render import clip, esc, plain, progress_line

Translate = Callable[..., str]
PLACEHOLDER_MAX = 64
"""Telegram's limit for the input field placeholder of a ForceReply (counted in UTF-16 units, to be safe)."""
QUESTION_SHOWN = 80
"""UTF-16 units of a question shown in the summary (an emoji counts 2)."""


@dataclass(frozen=True)
class Stretch:
    """The messages of one stretch of the dialogue, up to the step that waits for the group."""

    messages: list[Outgoing]
    finished: bool
    """The stretch ended the dialogue: the shell ends the session instead of posting controls."""


def stretch(outputs: Iterable[Output], t: Translate) -> Stretch:
    messages: list[Outgoing] = []
    progress = ""
    for output in outputs:
        if isinstance(output, Progress):
            progress = progress_line(output, t)
        elif isinstance(output, Message):
            cite = f"\n\n<i>{esc(t('dialogue.cite', names=cite_names(output.sources)))}</i>" if output.sources else ""
            messages.append(Text(esc(output.text) + cite))
        elif isinstance(output, Question):
            messages.append(question(output, t, progress))
            progress = ""
        elif isinstance(output, Buttons):
            record = Record("poll", output.node, question=output.text)
            messages += [Text(progress + esc(output.text)), Poll(t("group.choice_poll"), output.options, record)]
            progress = ""
        elif isinstance(output, StanceQuestion):
            text = f"{progress}{esc(t(PHASE_KEYS[output.phase]))}\n\n<b>{esc(output.claim)}</b>"
            options = tuple(t(STANCE_KEYS[v]) for v in range(1, 6))
            record = Record("poll", output.node, question=output.claim, phase=output.phase)
            messages += [Text(text), Poll(t("group.stance_poll"), options, record)]
            progress = ""
        elif isinstance(output, Finished):
            return Stretch(messages, finished=True)
    return Stretch(messages, finished=False)


def question(output: Question, t: Translate, progress: str = "") -> Text:
    return Text(
        f"{progress}{esc(output.text)}\n\n<i>{esc(t('group.reply_hint'))}</i>",
        force_reply=clip(t("group.placeholder"), PLACEHOLDER_MAX),
        record=Record("question", output.node, question=output.text, move=output.move),
    )


def probe(output: Question, participant: int, reply_to: int, t: Translate) -> Text:
    """A member's follow-up, asked of them alone as a reply to their answer."""
    return Text(
        esc(output.text),
        force_reply=clip(t("group.placeholder"), PLACEHOLDER_MAX),
        selective=True,
        reply_to=reply_to,
        record=Record("probe", output.node, question=output.text, move=output.move, participant=participant),
    )


def consent_notice(name: str, participant: int, link: str, reply_to: int, t: Translate) -> Text:
    return Text(
        esc(t("group.consent_needed", name=name)),
        ((Button(t("group.consent_button"), url=link),),),
        reply_to=reply_to,
        record=Record("consent", participant=participant),
    )


def join_notice(name: str, participant: int, cohort: str, link: str | None, reply_to: int | None, t: Translate) -> Text:
    """For someone outside the session's cohort: a button to join it, or, if its invitation link
    was withdrawn, only that (a reply to their answer; after a vote, which has no message, none)."""
    if link is None:
        return Text(
            esc(t("group.join_closed", name=name, cohort=cohort)),
            reply_to=reply_to,
            record=Record("join", participant=participant),
        )
    button = Button(t("group.join_button", cohort=cohort), url=link)
    text = esc(t("group.join_needed", name=name, cohort=cohort))
    return Text(text, ((button,),), reply_to=reply_to, record=Record("join", participant=participant))


def control(session_id: int, step: int, count: int, t: Translate) -> Text:
    """The facilitators' message for the current step: Next and End, and the answers so far. Next
    names the step it moves on from, so a second press (or an old button) cannot skip a step."""
    next_data, end_data = f"g:n:{session_id}:{step}", f"g:e:{session_id}"
    keyboard = ((Button(t("group.next"), next_data), Button(t("group.end"), end_data)),)
    return Text(esc(t("group.control", count=count)), keyboard, record=Record("control", step=step))


def picker(dialogues: Iterable[Dialogue], locale: str, t: Translate) -> Text:
    rows = tuple((Button(clip(localize(d.title, locale), 60), f"g:d:{d.id}"),) for d in dialogues)
    return Text(esc(t("group.pick_dialogue")), rows)


def summary(
    members: int, answers: dict[str, int], questions: dict[str, str], chart: bytes, t: Translate
) -> list[Outgoing]:
    lines = [t("group.summary", members=members)]
    for node, count in answers.items():
        shown = clip(questions[node], QUESTION_SHOWN)
        lines.append(f"• {shown}{'…' if shown != questions[node] else ''}: {count}")
    lines.append(t("group.portfolio_hint"))
    return [*plain("\n".join(lines)), Photo(chart, "stances.png", t("group.chart_caption"))]


def peers_summary(shown: dict[str, list[str]], questions: dict[str, str], t: Translate) -> list[Outgoing]:
    """After the summary: per question, a few different answers of members who share with peers,
    without names (bot/app/peers.py picks them)."""
    if not shown:
        return []
    parts = [esc(t("peers.group_heading"))]
    for node, answers in shown.items():
        question = questions.get(node, "")
        parts.append(
            f"<i>{esc(clip(question, QUESTION_SHOWN))}</i>\n" + "\n".join(f"• {esc(clip(a, 600))}" for a in answers)
        )
    return [Text(piece) for piece in _pieces(parts)]


def _pieces(parts: list[str], limit: int = 3500) -> list[str]:
    """Paragraphs joined into messages that stay below Telegram's limit."""
    pieces, current = [], ""
    for part in parts:
        if current and len(current) + len(part) + 2 > limit:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{part}" if current else part
    return [*pieces, current] if current else pieces
