"""Stored rows -> export records: the named conversion at the boundary between storage and exports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace

from ..engine import Course, Dialogue
from ..engine.step import localize
from ..exports.records import (
    Answer,
    CommentRecord,
    PortfolioEntry,
    ReflectionRecord,
    RunRecord,
    StanceRecord,
    participant_label,
)
from ..storage import Storage
from ..storage.rows import AnswerRow, Comment, Reflection, Run, RunRow, Stance, StanceRow


def portfolio_entries(
    course: Course,
    runs: list[Run],
    reflections: list[Reflection],
    stances: list[Stance],
    locale: str = "en",
    comments: Iterable[Comment] = (),
) -> list[PortfolioEntry]:
    """Runs with at least one answer or stance, oldest first; each answer with its comments."""
    on = comments_by_answer(comments)
    entries = []
    for run in sorted(runs, key=lambda r: r.id):
        mine = [r for r in reflections if r.run_id == run.id]
        rated = [s for s in stances if s.run_id == run.id]
        if not mine and not rated:
            continue
        dialogue = course.get(run.dialogue_id)
        phases = {s.phase: s.value for s in rated}
        entries.append(
            PortfolioEntry(
                dialogue_id=run.dialogue_id,
                title=localize(dialogue.title, locale) if dialogue else run.dialogue_id,
                version=run.dialogue_version,
                started=run.started,
                finished=run.finished,
                claim=rated[0].claim if rated else (localize(dialogue.claim, locale) if dialogue else None),
                before=phases.get("before"),
                after=phases.get("after"),
                answers=tuple(
                    Answer(
                        r.question,
                        r.answer,
                        r.move,
                        bool(r.probe),
                        r.created,
                        r.edited,
                        _title(dialogue, r, locale),
                        on.get(r.id, ()),
                    )
                    for r in mine
                ),
                sources=dialogue.sources if dialogue else (),
                choices=tuple(run.state.get("choices", ())),
            )
        )
    return entries


def _title(dialogue: Dialogue | None, reflection: Reflection, locale: str) -> str:
    """The short title the author gave the question, if any (the portfolio shows it instead of the
    whole question)."""
    node = dialogue.nodes.get(reflection.node_id) if dialogue else None
    title = getattr(node, "title", None)
    return localize(title, locale) if title else ""


def reflection_record(row: AnswerRow, course: Course, locale: str = "en") -> ReflectionRecord:
    dialogue = course.get(row.dialogue_id)
    return ReflectionRecord(
        reflection_id=row.reflection_id,
        run_id=row.run_id,
        participant_id=row.participant_id,
        participant=participant_label(row.participant_id, row.participant_name),
        cohort_id=row.cohort_id,
        cohort=row.cohort,
        dialogue_id=row.dialogue_id,
        dialogue_title=localize(dialogue.title, locale) if dialogue else row.dialogue_id,
        dialogue_version=row.dialogue_version,
        node_id=row.node_id,
        question=row.question,
        answer=row.answer,
        move=row.move,
        probe=bool(row.probe),
        group_session=row.group_session,
        stance_before=row.stance_before,
        stance_after=row.stance_after,
        created=row.created,
        edited=row.edited,
        locale=row.locale,
        run_started=row.run_started,
        participant_since=row.participant_since,
    )


def run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        participant_id=row.participant_id,
        participant=participant_label(row.participant_id, row.participant_name),
        cohort_id=row.cohort_id,
        cohort=row.cohort,
        dialogue_id=row.dialogue_id,
        status=row.status,
        started=row.started,
        finished=row.finished,
        stance_before=row.stance_before,
        stance_after=row.stance_after,
        locale=row.locale,
        participant_since=row.participant_since,
    )


def comment_record(comment: Comment) -> CommentRecord:
    return CommentRecord(
        comment.id,
        comment.author_name or "",
        comment.author_id,
        comment.text,
        comment.created,
        comment.reply,
        comment.replied,
    )


def cohort_comments(storage: Storage, cohort_ids: Iterable[int]) -> dict[int, tuple[CommentRecord, ...]]:
    """The comments on the cohorts' answers, by answer."""
    return comments_by_answer(c for cs in storage.feedback.in_cohorts(tuple(cohort_ids)).values() for c in cs)


def with_comments(record: ReflectionRecord, comments: dict[int, tuple[CommentRecord, ...]]) -> ReflectionRecord:
    """The record with the comments on its answer (from `comments_by_answer`)."""
    found = comments.get(record.reflection_id)
    return replace(record, comments=found) if found else record


def comments_by_answer(comments: Iterable[Comment]) -> dict[int, tuple[CommentRecord, ...]]:
    grouped: dict[int, list[CommentRecord]] = {}
    for comment in comments:
        grouped.setdefault(comment.reflection_id, []).append(comment_record(comment))
    return {key: tuple(value) for key, value in grouped.items()}


def stance_record(row: StanceRow) -> StanceRecord:
    return StanceRecord(**{f.name: getattr(row, f.name) for f in fields(StanceRecord)})
