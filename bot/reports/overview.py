"""The cohort overview for facilitators: how far people got in each dialogue, and how their stance moved.

Pure: it is computed from counts (SQL aggregates for a cohort, made by bot/storage/queries.py; a
group session's few runs are counted here) and the course, with no SQL and no Telegram. How it reads
(text and Markdown, in the reader's language) is in overview_text.py.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

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


@dataclass(frozen=True)
class Counts:
    """What the overview is computed from: counts, never one row per answer, so a cohort's overview
    takes as much memory at 100,000 answers as at 1,000 (bot/storage/queries.py makes them in SQL)."""

    runs: Iterable[RunCountLike]
    """Per dialogue: participants who started it, and who finished it at least once."""
    words: Iterable[ValueCountLike]
    """Per dialogue and word count: answers with that many words."""
    before: Iterable[ValueCountLike]
    """Per dialogue and rating: participants whose latest rating before the dialogue it is."""
    after: Iterable[ValueCountLike]
    progress: Iterable[tuple[int, str, str, bool]]
    """(participant id, label, dialogue id, finished it once), one per participant and dialogue."""


class RunCountLike(Protocol):
    dialogue_id: str
    started: int
    finished: int


class ValueCountLike(Protocol):
    dialogue_id: str
    value: int
    n: int


@dataclass(frozen=True)
class _Count:
    dialogue_id: str
    value: int
    n: int


@dataclass(frozen=True)
class _RunCount:
    dialogue_id: str
    started: int
    finished: int


def overview(
    runs: Iterable[RunRecord], reflections: Iterable[ReflectionRecord], course: Course, locale: str = "en"
) -> Overview:
    """Aggregate runs and reflections per dialogue and per participant (a group session's few runs;
    a cohort's overview is made from SQL aggregates, see Counts).

    A participant who ran a dialogue more than once (for instance after it changed) counts once:
    their stance is the one from their latest run that has it.
    """
    ordered = sorted(runs, key=lambda r: r.run_id)
    reflections = list(reflections)
    words: Counter[tuple[str, int]] = Counter(word_count_of(r) for r in reflections)
    dialogues = sorted({r.dialogue_id for r in ordered})
    run_counts = [
        _RunCount(
            d,
            len({r.participant_id for r in ordered if r.dialogue_id == d}),
            len({r.participant_id for r in ordered if r.dialogue_id == d and r.status == "finished"}),
        )
        for d in dialogues
    ]
    stances = {phase: Counter(_latest_stances(ordered, phase)) for phase in ("before", "after")}
    progress: dict[tuple[int, str], tuple[str, bool]] = {}
    for run in ordered:
        finished = progress.get((run.participant_id, run.dialogue_id), ("", False))[1]
        progress[(run.participant_id, run.dialogue_id)] = (run.participant, finished or run.status == "finished")
    counts = Counts(
        runs=run_counts,
        words=[_Count(d, w, n) for (d, w), n in words.items()],
        before=[_Count(d, v, n) for (d, v), n in stances["before"].items()],
        after=[_Count(d, v, n) for (d, v), n in stances["after"].items()],
        progress=[(p, label, d, done) for (p, d), (label, done) in progress.items()],
    )
    titles = {r.dialogue_id: r.dialogue_title for r in reflections}
    return summarise(counts, course, locale, titles)


def word_count_of(record: ReflectionRecord) -> tuple[str, int]:
    return record.dialogue_id, word_count(record.answer)


def _latest_stances(runs: list[RunRecord], phase: str) -> list[tuple[str, int]]:
    """Per participant and dialogue, the stance of the given phase from their latest run that has one."""
    latest: dict[tuple[str, int], int] = {}
    for run in runs:
        value = getattr(run, f"stance_{phase}")
        if value is not None:
            latest[(run.dialogue_id, run.participant_id)] = value
    return [(d, v) for (d, _), v in latest.items()]


def summarise(counts: Counts, course: Course, locale: str = "en", titles: dict[str, str] | None = None) -> Overview:
    """The overview from counts per dialogue and per participant; `titles` for dialogues the
    course does not have (else their id is shown)."""
    runs = {r.dialogue_id: r for r in counts.runs}
    words = _by_dialogue(counts.words)
    before, after = _by_dialogue(counts.before), _by_dialogue(counts.after)
    order = _dialogue_order(course, [*runs, *words])
    dialogues = tuple(
        _dialogue_stats(
            d,
            runs.get(d),
            words.get(d, {}),
            before.get(d, {}),
            after.get(d, {}),
            _title(course, d, locale, titles or {}),
        )
        for d in order
    )
    return Overview(dialogues, _participants(counts.progress, order))


def _by_dialogue(rows: Iterable[ValueCountLike]) -> dict[str, dict[int, int]]:
    grouped: dict[str, dict[int, int]] = defaultdict(dict)
    for row in rows:
        grouped[row.dialogue_id][row.value] = grouped[row.dialogue_id].get(row.value, 0) + row.n
    return grouped


def _dialogue_order(course: Course, seen: list[str]) -> list[str]:
    listed = [d.id for d in course.dialogues]
    return listed + sorted(set(seen) - set(listed))


def _title(course: Course, dialogue_id: str, locale: str, fallback: dict[str, str]) -> str:
    dialogue = course.get(dialogue_id)
    return localize(dialogue.title, locale) if dialogue else fallback.get(dialogue_id, dialogue_id)


def _distribution(counts: dict[int, int]) -> tuple[int, ...]:
    return tuple(counts.get(v, 0) for v in SCALE)


def _mean(counts: dict[int, int]) -> float | None:
    """statistics.fmean over the values each counted n times."""
    n = sum(counts.values())
    return math.fsum(v * c for v, c in counts.items()) / n if n else None


def _median(counts: dict[int, int]) -> float | None:
    """statistics.median over the values each counted n times: the middle one, or the mean of the two."""
    n = sum(counts.values())
    if not n:
        return None
    ordered = sorted(counts.items())

    def nth(index: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if index < seen:
                return value
        raise IndexError(index)

    return nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def _dialogue_stats(
    dialogue_id: str,
    runs: RunCountLike | None,
    words: dict[int, int],
    before: dict[int, int],
    after: dict[int, int],
    title: str,
) -> DialogueStats:
    return DialogueStats(
        dialogue_id=dialogue_id,
        title=title,
        started=runs.started if runs else 0,
        finished=runs.finished if runs else 0,
        answers=sum(words.values()),
        median_words=_median(words),
        before=_distribution(before),
        after=_distribution(after),
        mean_before=_mean(before),
        mean_after=_mean(after),
    )


def _participants(progress: Iterable[tuple[int, str, str, bool]], order: list[str]) -> tuple[ParticipantProgress, ...]:
    """Per participant, the dialogues they started and finished, in course order. Kept as bit sets
    while counting, and the tuples shared between participants with the same ones, so a cohort's
    overview holds little more than one entry per participant."""
    position = {d: i for i, d in enumerate(order)}
    labels: dict[int, str] = {}
    started: dict[int, int] = defaultdict(int)
    finished: dict[int, int] = defaultdict(int)
    for participant, label, dialogue, done in progress:
        labels[participant] = label
        bit = 1 << position[dialogue]
        started[participant] |= bit
        if done:
            finished[participant] |= bit
    shared: dict[int, tuple[str, ...]] = {}

    def dialogues(mask: int) -> tuple[str, ...]:
        if mask not in shared:
            shared[mask] = tuple(d for i, d in enumerate(order) if mask >> i & 1)
        return shared[mask]

    people = sorted(labels, key=lambda p: (labels[p].casefold(), p))
    return tuple(
        ParticipantProgress(
            participant_id=p,
            participant=labels[p],
            started=dialogues(started[p]),
            finished=dialogues(finished[p]),
        )
        for p in people
    )
