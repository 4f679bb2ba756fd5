"""Typed rows: what storage returns. Each is one table's stored columns (or one query's), frozen.

Field names are column names, so a query selects `columns(Row)`; `decode` turns the JSON columns
into values. Rows are the storage layer's vocabulary: use cases convert them into what a shell
or an export needs, by named functions (bot/exports/records.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    reminders: int | None = None
    """1: they want reminders, 0: they do not, None: not asked yet."""


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
    hidden_from_peers: str | None = None
    """When a facilitator hid it from the cohort's peers."""
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
    locale: str | None = None
    """The language the run was played in (from its state), None for runs stored without one."""
    run_started: str | None = None
    """When the run began (with the run's id it names the run, whose id SQLite may give again)."""
    participant_since: str | None = None
    """When the participant first came (with their number it names them: numbers are given again)."""


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
    locale: str | None = None
    """The language the run was played in (from its state)."""
    participant_since: str | None = None
    """When the participant first came."""


@dataclass(frozen=True)
class StanceRow:
    """One rating with who gave it and in which run, for xAPI."""

    stance_id: int
    run_id: int
    participant_id: int
    cohort_id: int | None
    cohort: str | None
    dialogue_id: str
    dialogue_version: int | None
    phase: str
    claim: str | None
    value: int
    created: str
    locale: str | None
    run_started: str
    participant_since: str


@dataclass(frozen=True)
class InstallationRow:
    """This installation's identity (one row, made by the migration)."""

    uuid: str
    secret: str = field(repr=False)
    created: str


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
    comments: list[Comment] = field(default_factory=list)
    """Facilitators' comments on their answers, and their replies."""
    comments_written: list[Comment] = field(default_factory=list)
    """Comments they wrote as a facilitator."""
    peer_sharing: list[PeerSharing] = field(default_factory=list)
    reminders: list[ReminderRecord] = field(default_factory=list)


# ---- feedback and peers (bot/storage/feedback.py) ---------------------------------------------


@dataclass(frozen=True)
class Comment:
    """A facilitator's comment on one answer, and the participant's one reply to it."""

    id: int
    reflection_id: int
    participant_id: int
    """Whose answer it comments on."""
    cohort_id: int | None
    author_id: int | None
    """The facilitator; None once they were forgotten."""
    author_name: str | None
    text: str
    created: str
    reply: str | None
    replied: str | None


@dataclass(frozen=True)
class PeerSharing:
    """Whether a member lets their answers be shown anonymously to their cohort (None: not asked)."""

    cohort_id: int
    cohort: str
    share: int | None


@dataclass(frozen=True)
class CohortAnswer:
    """One answer as a facilitator reads it in Telegram."""

    reflection_id: int
    participant_id: int
    participant_name: str | None
    cohort_id: int
    dialogue_id: str
    node_id: str
    question: str
    answer: str
    probe: int
    created: str
    edited: str | None
    hidden_from_peers: str | None
    shares: int | None
    """The author's choice about sharing with peers."""


@dataclass(frozen=True)
class AnswerCount:
    """Answers in a cohort per question (dialogue_id, node_id) or per participant."""

    dialogue_id: str | None
    node_id: str | None
    participant_id: int | None
    participant_name: str | None
    answers: int


@dataclass(frozen=True)
class PeerAnswer:
    """A candidate answer to show, anonymised, to another member of the cohort."""

    reflection_id: int
    participant_id: int
    answer: str
    stance_before: int | None
    node_id: str | None = None
    """The question (in a group session's answers, which span several)."""


@dataclass(frozen=True)
class PendingText:
    """The next text this person sends is a comment on an answer or a reply to a comment."""

    participant_id: int
    kind: str
    """comment (target: a reflection id) or reply (target: a comment id)."""
    target: int
    at: str


# ---- deadlines and reminders -----------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    cohort_id: int
    dialogue_id: str
    due: str
    """The last day, YYYY-MM-DD, in the cohort's time zone."""
    set_by: str | None
    at: str


@dataclass(frozen=True)
class CohortSchedule:
    """A cohort's time zone and quiet hours; None where the installation's default applies."""

    cohort_id: int
    name: str
    time_zone: str | None
    quiet_hours: str | None


@dataclass(frozen=True)
class Subscriber:
    """A participant who wants reminders, can receive them, and belongs to a cohort."""

    participant_id: int
    external_id: str
    locale: str | None
    cohort_id: int


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    participant_id: int
    cohort_id: int | None
    dialogue_id: str
    day: str
    """The participant's local day (in their cohort's time zone) it was for: one a day at most."""
    reason: str
    """due (a deadline), late (past it) or halfway (a run left unfinished)."""
    status: str
    """claimed (its message in the outbox), sent, or refused (they had blocked the bot)."""
    claimed: str
    sent: str | None


@dataclass(frozen=True)
class MemberProgress:
    """One member of a cohort and one dialogue: how far they are."""

    participant_id: int
    name: str | None
    dialogue_id: str
    finished: str | None
    """When they first finished it (None: not yet)."""
    active: int
    """1 if a run of it is in progress."""


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
