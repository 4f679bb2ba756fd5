"""The cohort overview for facilitators: how far people got in each dialogue, and how their stance moved.

Pure: it is computed from export records and the course, with no SQL and no Telegram. How it reads
(text and Markdown, in the reader's language) is in overview_text.py.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..engine import Course
from ..engine.model import STANCE_MAX, STANCE_MIN
from ..engine.probes import word_count
from ..engine.step import localize
from ..exports.records import ReflectionRecord, RunRecord

SCALE = tuple(range(STANCE_MIN, STANCE_MAX + 1))
DASH = "–"


@dataclass(frozen=True)
class DialogueStats:
    dialogue_id: str
    title: str
    started: int
    """Participants with a run of this dialogue (finished, active or abandoned)."""
    finished: int
    """Participants who finished it at least once."""
    answers: int
    median_words: float | None
    before: tuple[int, ...]
    """How many participants gave each opening stance, for 1..5 (index 0 is stance 1)."""
    after: tuple[int, ...]
    mean_before: float | None
    mean_after: float | None

    @property
    def rated(self) -> bool:
        return any(self.before) or any(self.after)


@dataclass(frozen=True)
class ParticipantProgress:
    participant_id: int
    participant: str
    started: tuple[str, ...]
    """Dialogue ids, in course order."""
    finished: tuple[str, ...]


@dataclass(frozen=True)
class Overview:
    dialogues: tuple[DialogueStats, ...]
    """Course dialogues in course order, then any other dialogue with data."""
    participants: tuple[ParticipantProgress, ...]


def overview(
    runs: Iterable[RunRecord], reflections: Iterable[ReflectionRecord], course: Course, locale: str = "en"
) -> Overview:
    """Aggregate runs and reflections per dialogue and per participant.

    A participant who ran a dialogue more than once (for instance after it changed) counts once:
    their stance is the one from their latest run that has it.
    """
    ordered = sorted(runs, key=lambda r: r.run_id)
    words: dict[str, list[int]] = defaultdict(list)
    titles: dict[str, str] = {}
    for record in reflections:
        words[record.dialogue_id].append(word_count(record.answer))
        titles.setdefault(record.dialogue_id, record.dialogue_title)
    order = _dialogue_order(course, [r.dialogue_id for r in ordered] + list(words))
    dialogues = tuple(_dialogue_stats(d, ordered, words[d], _title(course, d, locale, titles)) for d in order)
    return Overview(dialogues, _participants(ordered, order))


def _dialogue_order(course: Course, seen: list[str]) -> list[str]:
    listed = [d.id for d in course.dialogues]
    return listed + sorted(set(seen) - set(listed))


def _title(course: Course, dialogue_id: str, locale: str, fallback: dict[str, str]) -> str:
    dialogue = course.get(dialogue_id)
    return localize(dialogue.title, locale) if dialogue else fallback.get(dialogue_id, dialogue_id)


def _latest_stances(runs: list[RunRecord], phase: str) -> list[int]:
    """Per participant, the stance of the given phase from their latest run that has one."""
    latest: dict[int, int] = {}
    for run in runs:
        value = getattr(run, f"stance_{phase}")
        if value is not None:
            latest[run.participant_id] = value
    return list(latest.values())


def _distribution(values: list[int]) -> tuple[int, ...]:
    counts = Counter(values)
    return tuple(counts[v] for v in SCALE)


def _mean(values: list[int]) -> float | None:
    return statistics.fmean(values) if values else None


def _dialogue_stats(dialogue_id: str, all_runs: list[RunRecord], words: list[int], title: str) -> DialogueStats:
    runs = [r for r in all_runs if r.dialogue_id == dialogue_id]
    before, after = _latest_stances(runs, "before"), _latest_stances(runs, "after")
    return DialogueStats(
        dialogue_id=dialogue_id,
        title=title,
        started=len({r.participant_id for r in runs}),
        finished=len({r.participant_id for r in runs if r.status == "finished"}),
        answers=len(words),
        median_words=statistics.median(words) if words else None,
        before=_distribution(before),
        after=_distribution(after),
        mean_before=_mean(before),
        mean_after=_mean(after),
    )


def _participants(runs: list[RunRecord], order: list[str]) -> tuple[ParticipantProgress, ...]:
    labels: dict[int, str] = {}
    started: dict[int, set[str]] = defaultdict(set)
    finished: dict[int, set[str]] = defaultdict(set)
    for run in runs:
        labels[run.participant_id] = run.participant
        started[run.participant_id].add(run.dialogue_id)
        if run.status == "finished":
            finished[run.participant_id].add(run.dialogue_id)
    people = sorted(labels, key=lambda p: (labels[p].casefold(), p))
    return tuple(
        ParticipantProgress(
            participant_id=p,
            participant=labels[p],
            started=tuple(d for d in order if d in started[p]),
            finished=tuple(d for d in order if d in finished[p]),
        )
        for p in people
    )
