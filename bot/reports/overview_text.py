"""The cohort overview in words: a short text for the chat and a Markdown document, in the reader's
language (every label comes from the prompts, through `t`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from .overview import DASH, DialogueStats, Overview

Translate = Callable[..., str]
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>&~])")
ANSWERS = ("report.answer", "report.answers")
PARTICIPANTS = ("report.participant", "report.participants")
DIALOGUE_COLUMNS = (
    "report.column.dialogue",
    "report.column.started",
    "report.column.finished",
    "report.column.answers",
    "report.column.median_words",
    "report.column.before",
    "report.column.mean_before",
    "report.column.after",
    "report.column.mean_after",
)
PARTICIPANT_COLUMNS = ("report.column.participant", "report.column.started", "report.column.finished")


def _number(value: float | None, t: Translate) -> str:
    """1 decimal for means and medians, without a trailing zero, with the language's decimal mark."""
    if value is None:
        return DASH
    return f"{value:.1f}".removesuffix(".0").replace(".", t("report.decimal_mark"))


def _count(n: int, keys: tuple[str, str], t: Translate) -> str:
    """A count with its noun, singular or plural."""
    return t(keys[0] if n == 1 else keys[1], n=n)


def dialogue_line(stats: DialogueStats, t: Translate) -> str:
    """E.g. "value-and-trust: 12 started, 9 finished, 54 answers, median 38 words; stance 2.4 → 3.1"."""
    median = t("report.median_words", median=_number(stats.median_words, t)) if stats.answers else ""
    if stats.rated:
        stance = t("report.stance", before=_number(stats.mean_before, t), after=_number(stats.mean_after, t))
    else:
        stance = t("report.no_ratings")
    return t(
        "report.dialogue_line",
        dialogue=stats.dialogue_id,
        started=stats.started,
        finished=stats.finished,
        answers=_count(stats.answers, ANSWERS, t),
        median=median,
        stance=stance,
    )


def overview_text(ov: Overview, t: Translate) -> str:
    """A short plain-text summary: a head line, one line per dialogue with activity, the untouched ones."""
    active = [d for d in ov.dialogues if d.started or d.answers]
    idle = [d.dialogue_id for d in ov.dialogues if not (d.started or d.answers)]
    people = _count(len(ov.participants), PARTICIPANTS, t)
    lines = [t("report.head", participants=people, active=len(active), total=len(ov.dialogues))]
    lines += [dialogue_line(d, t) for d in active]
    if idle:
        lines.append(t("report.not_started", dialogues=", ".join(idle)))
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, with markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _counts(counts: tuple[int, ...]) -> str:
    return " · ".join(str(c) for c in counts) if any(counts) else DASH


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def overview_markdown(ov: Overview, t: Translate) -> str:
    """The overview as a Markdown document: a table of dialogues and a table of participants."""
    headers = [_md(t(key)) for key in DIALOGUE_COLUMNS]
    lines = [
        f"# {_md(t('report.title'))}",
        "",
        _md(_count(len(ov.participants), PARTICIPANTS, t)) + ".",
        "",
        f"## {_md(t('report.dialogues'))}",
        "",
        _row(headers),
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |",
    ]
    for d in ov.dialogues:
        lines.append(
            _row(
                [
                    f"{_md(d.title)} (`{d.dialogue_id}`)",
                    str(d.started),
                    str(d.finished),
                    str(d.answers),
                    _number(d.median_words, t),
                    _counts(d.before),
                    _number(d.mean_before, t),
                    _counts(d.after),
                    _number(d.mean_after, t),
                ]
            )
        )
    lines += ["", _md(t("report.scale_note")), "", f"## {_md(t('report.participants_heading'))}", ""]
    if not ov.participants:
        return "\n".join([*lines, _md(t("report.nobody")), ""])
    lines += [_row([_md(t(key)) for key in PARTICIPANT_COLUMNS])]
    lines.append("| --- | --- | --- |")
    for p in ov.participants:
        lines.append(_row([_md(p.participant), ", ".join(p.started) or DASH, ", ".join(p.finished) or DASH]))
    return "\n".join(lines) + "\n"
