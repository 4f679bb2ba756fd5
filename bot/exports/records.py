"""The records exports are made from: plain values, built from stored rows by bot/app/records.py."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Source


@dataclass(frozen=True)
class CommentRecord:
    """A facilitator's comment on an answer, and the participant's reply."""

    id: int
    author: str
    """The facilitator's first name, or "" once they were forgotten."""
    author_id: int | None
    text: str
    created: str
    reply: str | None = None
    replied: str | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    move: str
    probe: bool
    created: str
    edited: str | None
    title: str = ""
    """The question's short title (the full question is shown for follow-ups)."""
    comments: tuple[CommentRecord, ...] = ()


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
    choices: tuple[str, ...] = ()
    """The options chosen in the run (a role, a route)."""


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
    """The group session the answer was given in, if any."""
    stance_before: int | None
    stance_after: int | None
    created: str
    edited: str | None
    comments: tuple[CommentRecord, ...] = ()
    """Facilitators' comments on the answer, oldest first."""
    locale: str | None = None
    """The language the run was played in, so the question "as shown" is in it; None if unknown."""
    run_started: str | None = None
    """When the run began (xAPI names the run by it and its id)."""
    participant_since: str | None = None
    """When the participant first came (xAPI's pseudonym is made from it and their number)."""


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
    locale: str | None = None
    """The language the run was played in; None if unknown."""
    participant_since: str | None = None


@dataclass(frozen=True)
class StanceRecord:
    """One rating of a dialogue's claim (1 to 5), before or after the dialogue."""

    stance_id: int
    run_id: int
    participant_id: int
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    dialogue_version: int | None
    phase: str
    """before or after."""
    claim: str | None
    """The claim as shown to the participant."""
    value: int
    created: str
    locale: str | None = None
    run_started: str | None = None
    participant_since: str | None = None


def participant_label(participant_id: int, name: str | None) -> str:
    """How facilitators see a participant: first name plus a stable number, since names repeat."""
    return f"{name} (P{participant_id})" if name else f"P{participant_id}"


LABEL_SQL = (
    "(case when participant_name is null or participant_name = '' then 'P' || participant_id "
    "else participant_name || ' (P' || participant_id || ')' end)"
)
"""participant_label in SQL, over the columns participant_id and participant_name."""
