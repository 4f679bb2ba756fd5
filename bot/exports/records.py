"""The records exports are made from, built once from stored rows and the course."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine import Course, Source
from ..engine.step import localize


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    move: str
    probe: bool
    created: str
    edited: str | None


@dataclass(frozen=True)
class PortfolioEntry:
    """One run of one dialogue, with what the participant gave in it."""

    dialogue_id: str
    title: str
    version: int
    started: str
    finished: str | None
    claim: str | None
    before: int | None
    after: int | None
    answers: tuple[Answer, ...]
    sources: tuple[Source, ...]


def portfolio_entries(
    course: Course,
    runs: list[dict[str, Any]],
    reflections: list[dict[str, Any]],
    stances: list[dict[str, Any]],
    locale: str = "en",
) -> list[PortfolioEntry]:
    """Runs with at least one answer or stance, oldest first."""
    entries = []
    for run in sorted(runs, key=lambda r: r["id"]):
        mine = [r for r in reflections if r["run_id"] == run["id"]]
        rated = [s for s in stances if s["run_id"] == run["id"]]
        if not mine and not rated:
            continue
        dialogue = course.get(run["dialogue_id"])
        phases = {s["phase"]: s["value"] for s in rated}
        entries.append(
            PortfolioEntry(
                dialogue_id=run["dialogue_id"],
                title=localize(dialogue.title, locale) if dialogue else run["dialogue_id"],
                version=run["dialogue_version"],
                started=run["started"],
                finished=run["finished"],
                claim=rated[0]["claim"] if rated else (localize(dialogue.claim, locale) if dialogue else None),
                before=phases.get("before"),
                after=phases.get("after"),
                answers=tuple(
                    Answer(r["question"], r["answer"], r["move"], bool(r["probe"]), r["created"], r["edited"])
                    for r in mine
                ),
                sources=dialogue.sources if dialogue else (),
            )
        )
    return entries


@dataclass(frozen=True)
class ReflectionRecord:
    """One stored answer with everything an export row needs (one row of the CSV)."""

    reflection_id: int
    run_id: int
    participant_id: int
    participant: str
    """The participant as facilitators see them: their Telegram first name, or P<id> without one."""
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    dialogue_title: str
    dialogue_version: int
    node_id: str
    question: str
    answer: str
    move: str
    probe: bool
    group_session: int | None
    """Set when the answer was given in a group session (not yet used)."""
    stance_before: int | None
    stance_after: int | None
    created: str
    edited: str | None


@dataclass(frozen=True)
class RunRecord:
    """One run of one dialogue by one participant, for the cohort overview."""

    run_id: int
    participant_id: int
    participant: str
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    status: str
    """active, finished or abandoned."""
    started: str
    finished: str | None
    stance_before: int | None
    stance_after: int | None


def participant_label(participant_id: int, name: str | None) -> str:
    """How facilitators see a participant: first name plus a stable number, since names repeat."""
    return f"{name} (P{participant_id})" if name else f"P{participant_id}"


def reflection_record(row: dict[str, Any], course: Course, locale: str = "en") -> ReflectionRecord:
    dialogue = course.get(row["dialogue_id"])
    return ReflectionRecord(
        reflection_id=row["reflection_id"],
        run_id=row["run_id"],
        participant_id=row["participant_id"],
        participant=participant_label(row["participant_id"], row["participant_name"]),
        cohort_id=row["cohort_id"],
        cohort=row["cohort"],
        dialogue_id=row["dialogue_id"],
        dialogue_title=localize(dialogue.title, locale) if dialogue else row["dialogue_id"],
        dialogue_version=row["dialogue_version"],
        node_id=row["node_id"],
        question=row["question"],
        answer=row["answer"],
        move=row["move"],
        probe=bool(row["probe"]),
        group_session=row.get("group_session"),
        stance_before=row["stance_before"],
        stance_after=row["stance_after"],
        created=row["created"],
        edited=row["edited"],
    )


def run_record(row: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        participant_id=row["participant_id"],
        participant=participant_label(row["participant_id"], row["participant_name"]),
        cohort_id=row["cohort_id"],
        cohort=row["cohort"],
        dialogue_id=row["dialogue_id"],
        status=row["status"],
        started=row["started"],
        finished=row["finished"],
        stance_before=row["stance_before"],
        stance_after=row["stance_after"],
    )
