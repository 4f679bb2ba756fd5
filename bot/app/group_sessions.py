"""Group sessions: one dialogue run by a whole group, each member's answers kept as their own.

The group shares one position in the dialogue (engine.advance_group), moved on by a facilitator.
Members answer open questions by replying and rate claims in polls; the engine decides what each
reply stores and whether it gets a follow-up (engine.member_answer, the same rule as in private),
and each answer and vote goes into that member's own run of the session, so portfolios, exports
and overviews include it. Nothing here knows Telegram.

A session counts for a cohort only in a group bound to that cohort, and keeps only that cohort's
members' answers and votes: a group is bound by the first session a facilitator of the cohort who
is an admin of the group, or an administrator, starts for the cohort there; only an administrator
unbinds it. Anyone else who may steer (the group's own admins) runs sessions for no cohort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..engine import (
    Course,
    Dialogue,
    Notice,
    Output,
    Question,
    RunState,
    SaveReflection,
    advance_group,
    member_answer,
    stance_vote,
)
from ..engine.model import Ask
from ..engine.step import ask_text
from ..reports.overview import Overview, overview
from ..reports.shift import Shift, paired_shifts
from ..storage import Storage
from ..storage.rows import Cohort, GroupMessage, GroupSession
from .records import run_record


@dataclass(frozen=True)
class Answered:
    """What became of a member's reply: stored or not, and the follow-up to ask them, if any."""

    stored: bool
    needs_consent: bool = False
    needs_membership: bool = False
    """The session counts for a cohort they are not a member of."""
    probe: Question | None = None


@dataclass(frozen=True)
class Starter:
    """Who asks to start a session in a group, as the shell found out (Telegram knows who the
    group's admins are; the cohorts come from app.cohorts)."""

    participant: int
    administrator: bool
    """Listed in ELENCHUS_ADMINS."""
    group_admin: bool
    """The group's owner or one of its administrators."""
    cohorts: tuple[Cohort, ...]
    """The cohorts they may run sessions for: all for administrators, their own for facilitators."""


@dataclass(frozen=True)
class Counting:
    """What a new session counts for (a cohort, or none), whether it binds the group to that
    cohort, or the prompt key saying why it may not start."""

    cohort: Cohort | None = None
    binds: bool = False
    problem: str | None = None


@dataclass(frozen=True)
class Summary:
    members: int
    answers: dict[str, int]
    """Answers per question node, in dialogue order."""
    questions: dict[str, str]
    """The question text per node, as shown."""
    overview: Overview
    shifts: dict[str, Shift] = field(default_factory=dict)
    """Per dialogue, how many members rated the claim higher, the same or lower at the end."""


GroupRender = Callable[[list[Output], GroupSession], list[dict]]
"""The shell's rendering of a stretch of the session, as outbox payloads (committed with the step)."""


class GroupSessions:
    def __init__(self, storage: Storage, course: Course):
        self.storage = storage
        self.course = course

    def dialogue(self, session: GroupSession) -> Dialogue:
        dialogue = self.course.get(session.dialogue_id)
        if dialogue is None:
            raise LookupError(f"dialogue {session.dialogue_id} is no longer in the content")
        return dialogue

    # ---- the session's course -------------------------------------------------------------

    def start(
        self,
        chat: str,
        thread: int | None,
        dialogue: Dialogue,
        cohort_id: int | None,
        started_by: int,
        locale: str = "en",
        render: GroupRender | None = None,
        binds: bool = False,
    ) -> tuple[GroupSession, list[Output]]:
        """A new session; its first stretch is committed to the outbox with it, and `binds` (from
        counting_for) binds the group to the cohort, in the same transaction."""
        state, outputs = advance_group(dialogue, None, locale=locale)
        with self.storage.transaction():
            if binds and cohort_id is not None:
                bound = self.storage.groups.bind(chat, cohort_id, started_by)
                if bound.cohort_id != cohort_id:
                    raise ValueError("the group is bound to another cohort")
            session = self.storage.groups.start(
                chat, thread, cohort_id, dialogue.id, dialogue.version, state.to_dict(), started_by
            )
            self._queue(session, outputs, render)
        return session, outputs

    def get(self, session_id: int) -> GroupSession | None:
        return self.storage.groups.get(session_id)

    # ---- which cohort a session counts for --------------------------------------------------

    def counting_for(self, chat: str, starter: Starter, name: str | None) -> Counting:
        """What a session started here by `starter` counts for (`name`: the cohort they named)."""
        if not (starter.administrator or starter.group_admin or starter.cohorts):
            return Counting(problem="group.only_steerers")
        named = None
        if name:
            named = next((c for c in starter.cohorts if c.name.casefold() == name.casefold()), None)
            if named is None:
                return Counting(problem="staff.unknown_cohort")  # a name reveals nothing
        binding = self.storage.groups.binding(chat)
        if binding is not None:
            return self._in_bound_group(binding.cohort_id, starter, named)
        if named is None and len(starter.cohorts) > 1:
            return Counting(problem="group.name_cohort")
        cohort = named or (starter.cohorts[0] if starter.cohorts else None)
        if cohort is None:
            steers = starter.administrator or starter.group_admin
            return Counting() if steers else Counting(problem="group.only_steerers")
        if starter.administrator or starter.group_admin:
            return Counting(cohort, binds=True)
        return Counting(problem="group.bind_needs_admin")

    def _in_bound_group(self, bound_id: int, starter: Starter, named: Cohort | None) -> Counting:
        """In a bound group only its cohort counts; its facilitators and administrators run
        sessions for it, the group's other admins for no cohort."""
        if named is not None and named.id != bound_id:
            return Counting(problem="group.bound_elsewhere")
        bound = next((c for c in starter.cohorts if c.id == bound_id), None)
        if bound is not None:
            return Counting(bound)
        return Counting() if starter.group_admin else Counting(problem="group.only_steerers")

    def bound_cohort(self, chat: str) -> Cohort | None:
        binding = self.storage.groups.binding(chat)
        return self.storage.cohorts.get(binding.cohort_id) if binding else None

    def unbind(self, chat: str) -> tuple[str, Cohort | None]:
        """An administrator unbinds a group (not while a session runs there): a prompt key, and the
        cohort it belonged to."""
        cohort = self.bound_cohort(chat)
        if cohort is None:
            return "group.not_bound", None
        if self.storage.groups.all_open_in(chat):
            return "group.unbind_running", cohort
        self.storage.groups.unbind(chat)
        return "group.unbound", cohort

    def open_in(self, chat: str, thread: int | None = None) -> GroupSession | None:
        return self.storage.groups.open_in(chat, thread)

    def next(
        self,
        session: GroupSession,
        choice: int | None = None,
        render: GroupRender | None = None,
        rating: int | None = None,
    ) -> tuple[GroupSession, list[Output]]:
        """Move the group past the current step (a choice goes the way the group decided); the next
        stretch is committed to the outbox with the new position, so a crash skips no step."""
        state = RunState.from_dict(session.state)
        new, outputs = advance_group(self.dialogue(session), state, choice, rating=rating)
        with self.storage.transaction():
            self.storage.groups.update(session.id, state=new.to_dict())
            fresh = self._reload(session)
            self._queue(fresh, outputs, render)
        return fresh, outputs

    def queue(self, session: GroupSession, payloads: list[dict]) -> None:
        """Messages for the session's group (a follow-up, a notice), to be posted from the outbox."""
        self.storage.outbox.add(session.chat, payloads, thread=session.thread)

    def _queue(self, session: GroupSession, outputs: list[Output], render: GroupRender | None) -> None:
        if render is not None:
            self.queue(session, render(outputs, session))

    def set_paused(self, session: GroupSession, paused: bool) -> None:
        self.storage.groups.update(session.id, status="paused" if paused else "active")

    def set_control(self, session_id: int, message_id: int | None, count: int | None = 0) -> None:
        """The message with the Next and End buttons for the current step, and the answer count it
        shows (None: it no longer shows buttons, or there is none)."""
        self.storage.groups.update(session_id, control_message=message_id, control_count=count)

    def shown_count(self, session: GroupSession, count: int) -> None:
        """The control message was edited to show this count."""
        self.storage.groups.update(session.id, control_count=count)

    def current_count(self, session: GroupSession) -> int:
        """Answers to the current step so far (follow-ups not counted)."""
        return self.storage.groups.answer_counts(session.id).get(session.node, 0)

    def count_to_show(self, session: GroupSession) -> int | None:
        """The count the control message should now show, or None when it shows it already (an
        edit that changes nothing is refused by Telegram) or there is no control message."""
        if not session.control_message:
            return None
        count = self.current_count(session)
        return None if count == session.control_count else count

    def polls_now(self, session: GroupSession) -> list[GroupMessage]:
        """The polls of the current step, to close when the group moves on."""
        return self.storage.groups.polls_at(session.id, session.node)

    def end(self, session: GroupSession) -> Summary:
        self.storage.groups.end(session.id)
        return self.summary(session)

    def summary(self, session: GroupSession) -> Summary:
        dialogue = self.dialogue(session)
        counts = self.storage.groups.answer_counts(session.id)
        asked = {row.node_id: row.question or "" for row in self.storage.groups.questions(session.id) if row.node_id}
        order = [n for n in dialogue.nodes if n in asked]
        runs = [run_record(r) for r in self.storage.exports.group_runs(session.id)]
        view = overview(runs, [], replace(self.course, dialogues=(dialogue,)))
        answered = {n: counts.get(n, 0) for n in order}
        return Summary(len(runs), answered, {n: asked[n] for n in order}, view, paired_shifts(runs))

    # ---- the bot's messages -----------------------------------------------------------------

    def posted(self, session_id: int, chat: str, message_id: int, kind: str, **values: object) -> None:
        """A message of the bot that later updates refer to: a question, a probe, a poll, a notice."""
        self.storage.groups.record_message(chat, message_id, session_id, kind, **values)

    def asked_by(self, chat: str, message_id: int) -> tuple[GroupSession, GroupMessage] | None:
        """The session and question (or follow-up) a reply in a group answers, if it answers one."""
        asked = self.storage.groups.message(chat, message_id)
        if asked is None or asked.kind not in ("question", "probe"):
            return None
        session = self.storage.groups.get(asked.session_id)
        return (session, asked) if session is not None else None

    def adopt(
        self, chat: str, thread: int | None, message_id: int, shown: str
    ) -> tuple[GroupSession, GroupMessage] | None:
        """A reply to a message of the bot that was never recorded (the bot died between posting it
        and writing it down, so it may be one of two copies): if it shows the open session's current
        question, it is recorded now and the reply counts."""
        session = self.storage.groups.open_in(chat, thread)
        if session is None:
            return None
        node = self.dialogue(session).nodes.get(session.node)
        if not isinstance(node, Ask):
            return None
        question = ask_text(RunState.from_dict(session.state), node)
        if question not in shown:
            return None
        self.posted(session.id, chat, message_id, "question", node_id=node.id, question=question, move=node.move)
        return self.asked_by(chat, message_id)

    def poll(self, poll_id: str) -> tuple[GroupSession, GroupMessage] | None:
        poll = self.storage.groups.poll(poll_id)
        session = self.storage.groups.get(poll.session_id) if poll else None
        return (session, poll) if session is not None and poll is not None else None

    # ---- members ------------------------------------------------------------------------------

    def answer(
        self, session: GroupSession, asked: GroupMessage, participant_id: int, text: str, source: tuple[str, int]
    ) -> Answered:
        """A member replied to a question (or to their follow-up)."""
        if asked.kind == "probe" and asked.participant_id != participant_id:
            return Answered(False)
        if self.outsider(session, participant_id):
            return Answered(False, needs_membership=True)
        if not self.storage.participants.has_consent(participant_id):
            return Answered(False, needs_consent=True)
        node_id = asked.node_id or ""
        probed = self._told(session, participant_id, "probe", node_id)
        outputs = member_answer(
            self.dialogue(session),
            RunState.from_dict(session.state),
            node_id,
            asked.question or "",
            text,
            to_probe=asked.kind == "probe",
            probed=probed,
        )
        saves = [o for o in outputs if isinstance(o, SaveReflection)]
        if not saves:
            return Answered(False)
        run = self.storage.groups.member_run(session, participant_id)
        self.storage.runs.add_answers(run, saves, source)
        probe = next((o for o in outputs if isinstance(o, Question)), None)
        return Answered(True, probe=probe)

    def vote(self, session: GroupSession, poll: GroupMessage, participant_id: int, options: list[int]) -> bool:
        """A member's vote in a stance poll (an empty list: the vote was retracted). Stored?"""
        if poll.phase is None:
            return False  # a choice poll: only its tally counts, read when the facilitator moves on
        if self.outsider(session, participant_id) or not self.storage.participants.has_consent(participant_id):
            return False
        vote = stance_vote(poll.node_id or "", poll.phase, poll.question or "", options)
        if isinstance(vote, Notice):
            return False
        run = self.storage.groups.member_run(session, participant_id)
        self.storage.runs.vote(run, poll.phase, vote)
        return True

    def consent_notice_due(self, session: GroupSession, participant_id: int) -> bool:
        """A member without consent is told once per session, never flooded."""
        return not self._told(session, participant_id, "consent")

    def _told(self, session: GroupSession, participant_id: int, kind: str, node_id: str | None = None) -> bool:
        """A message of this kind was posted for this member, or waits in the outbox to be."""
        posted = self.storage.groups.sent_to(session.id, participant_id, kind, node_id)
        return posted or self.storage.outbox.queued(session.chat, kind, participant_id, node_id)

    def outsider(self, session: GroupSession, participant_id: int) -> bool:
        """The session counts for a cohort this person is not a member of: nothing of theirs is kept."""
        cohort = session.cohort_id
        return cohort is not None and not self.storage.cohorts.is_member(participant_id, cohort)

    def join_notice_due(self, session: GroupSession, participant_id: int) -> Cohort | None:
        """The cohort to invite an outsider to: once per session, never flooded (else None)."""
        if not self.outsider(session, participant_id):
            return None
        if self._told(session, participant_id, "join"):
            return None
        return self.storage.cohorts.get(session.cohort_id) if session.cohort_id is not None else None

    # ---- the group changes --------------------------------------------------------------------

    def move_chat(self, old: str, new: str) -> None:
        self.storage.groups.move_chat(old, new)

    def end_all_in(self, chat: str) -> list[int]:
        """The bot was removed from a group: its sessions end; every answer is already stored."""
        ended = []
        for session in self.storage.groups.all_open_in(chat):
            self.storage.groups.end(session.id)
            ended.append(session.id)
        return ended

    def _reload(self, session: GroupSession) -> GroupSession:
        fresh = self.storage.groups.get(session.id)
        assert fresh is not None
        return fresh
