"""Typed rows: what storage returns. Each is one table's stored columns (or one query's), frozen.

Field names are column names, so a query selects `columns(Row)`; `decode` turns the JSON columns
into values. Rows are the storage layer's vocabulary: use cases convert them into what a shell
or an export needs, by named functions (bot/exports/records.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Participant:
    id: int
    platform: str
    external_id: str
    name: str | None
    locale: str | None
    created: str
    blocked: str | None
    cohort_id: int | None


@dataclass(frozen=True)
class Consent:
    id: int
    participant_id: int
    version: str
    given: int
    at: str


@dataclass(frozen=True)
class Run:
    id: int
    participant_id: int
    dialogue_id: str
    dialogue_version: int
    chat: str | None
    visit: int
    state: dict[str, Any]
    status: str
    """active, finished or abandoned."""
    started: str
    updated: str
    finished: str | None
    cohort_id: int | None
    group_session_id: int | None

    @staticmethod
    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "state": json.loads(row["state"]), "visit": row["visit"] or 1}


@dataclass(frozen=True)
class Reflection:
    """A stored answer."""

    id: int
    run_id: int
    participant_id: int
    dialogue_id: str
    dialogue_version: int | None
    node_id: str
    question: str
    answer: str
    move: str
    probe: int
    created: str
    edited: str | None
    history: list[dict[str, str]]
    """Earlier versions of an edited answer: {"answer", "until"}."""
    chat: str | None
    message_id: int | None
    cohort_id: int | None
    group_session_id: int | None
    word_count: int | None = None
    """Words in the answer as exports count them (bot.engine.listening.word_count), kept with it."""

    @staticmethod
    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "history": json.loads(row["history"] or "[]")}


@dataclass(frozen=True)
class Stance:
    id: int
    run_id: int
    participant_id: int
    dialogue_id: str
    node_id: str | None
    phase: str
    claim: str | None
    value: int
    created: str
    cohort_id: int | None
    group_session_id: int | None


@dataclass(frozen=True)
class Cohort:
    id: int
    name: str
    created_by: str | None
    created: str
    invite_code: str | None
    facilitator_code: str | None


@dataclass(frozen=True)
class CohortCounts:
    cohort: Cohort
    members: int
    facilitators: int


@dataclass(frozen=True)
class Role:
    """A membership or a facilitator role, as the participant sees it in /mydata."""

    cohort: str
    since: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor: str
    action: str
    scope: str
    """JSON of the export's scope."""
    records: int
    at: str


@dataclass(frozen=True)
class GroupSession:
    id: int
    chat: str
    thread: int | None
    cohort_id: int | None
    dialogue_id: str
    dialogue_version: int
    state: dict[str, Any]
    status: str
    """active, paused or ended."""
    started_by: int | None
    started: str
    ended: str | None
    control_message: int | None
    control_count: int | None
    """The answer count the control message shows."""

    @staticmethod
    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "state": json.loads(row["state"])}

    @property
    def node(self) -> str:
        return self.state["node"]

    @property
    def locale(self) -> str:
        return self.state.get("locale", "en")


@dataclass(frozen=True)
class GroupBinding:
    """A group whose sessions count for one cohort."""

    chat: str
    cohort_id: int
    bound_by: int | None
    """The participant who bound it (a facilitator who was an admin of the group, or an administrator)."""
    at: str


@dataclass(frozen=True)
class GroupMessage:
    """A message of the bot in a group that later updates refer to (a question, a poll, a notice)."""

    chat: str
    message_id: int
    session_id: int
    node_id: str | None
    kind: str
    """question, probe, poll, or a notice sent once per member: consent or join."""
    participant_id: int | None
    poll_id: str | None
    phase: str | None
    question: str | None
    move: str | None
    at: str


@dataclass(frozen=True)
class AnswerRow:
    """One answer with what an export row needs: who, which cohort, the run's stances."""

    reflection_id: int
    run_id: int
    participant_id: int
    participant_name: str | None
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    dialogue_version: int | None
    node_id: str
    question: str
    answer: str
    move: str
    probe: int
    created: str
    edited: str | None
    group_session: int | None
    stance_before: int | None
    stance_after: int | None


@dataclass(frozen=True)
class RunRow:
    """One run with who made it and its stances, for overviews and xAPI."""

    run_id: int
    participant_id: int
    participant_name: str | None
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    status: str
    started: str
    finished: str | None
    stance_before: int | None
    stance_after: int | None


@dataclass(frozen=True)
class PersonalData:
    """Everything stored about one participant (/mydata)."""

    participant: Participant
    consents: list[Consent]
    runs: list[Run]
    reflections: list[Reflection]
    stances: list[Stance]
    memberships: list[Role]
    facilitating: list[Role]


@dataclass(frozen=True)
class RunCount:
    """Of a dialogue in a cohort: participants who started it, and who finished it at least once."""

    dialogue_id: str
    started: int
    finished: int


@dataclass(frozen=True)
class ValueCount:
    """Of a dialogue in a cohort: how many (answers, participants) have this value (words, rating)."""

    dialogue_id: str
    value: int
    n: int


@dataclass(frozen=True)
class Progress:
    """One participant's runs of one dialogue, for the overview."""

    participant_id: int
    participant_name: str | None
    dialogue_id: str
    finished: int
