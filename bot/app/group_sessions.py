"""Group sessions: one dialogue run by a whole group, each member's answers kept as their own.

The group shares one position in the dialogue (engine.advance_group), moved on by a facilitator.
Members answer open questions by replying and rate claims in polls; each answer and vote goes
into that member's own run of the session, so portfolios, exports and overviews include it.
Nothing here knows Telegram: bot/telegram/groups.py posts and reads the messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine import Course, Dialogue, Output, RunState, advance_group
from ..engine.probes import is_thin
from ..engine.step import render_text
from ..exports.records import run_record
from ..reports.overview import Overview, overview
from ..storage import Reflection, StanceRecord, Storage


@dataclass(frozen=True)
class Answered:
    """What became of a member's reply: stored or not, and whether to ask the follow-up."""

    stored: bool
    needs_consent: bool = False
    probe: str | None = None


@dataclass(frozen=True)
class Summary:
    members: int
    answers: dict[str, int]
    """Answers per question node, in dialogue order."""
    questions: dict[str, str]
    """The question text per node, as shown."""
    overview: Overview


class GroupSessions:
    def __init__(self, storage: Storage, course: Course):
        self.storage = storage
        self.course = course

    def dialogue(self, session: dict[str, Any]) -> Dialogue:
        dialogue = self.course.get(session["dialogue_id"])
        if dialogue is None:
            raise LookupError(f"dialogue {session['dialogue_id']} is no longer in the content")
        return dialogue

    def start(
        self,
        chat: str,
        thread: int | None,
        dialogue: Dialogue,
        cohort_id: int | None,
        started_by: int,
        locale: str = "en",
    ) -> tuple[dict[str, Any], list[Output]]:
        state, outputs = advance_group(dialogue, None, locale=locale)

        session_id = self.storage.start_group_session(
            chat, thread, cohort_id, dialogue.id, dialogue.version, state.to_dict(), started_by
        )
        return self.storage.group_session(session_id), outputs

    def next(self, session: dict[str, Any], choice: int | None = None) -> tuple[dict[str, Any], list[Output]]:
        """Move the group past the current step (a choice goes the way the group decided)."""
        state = RunState.from_dict(session["state"])
        new, outputs = advance_group(self.dialogue(session), state, choice)
        self.storage.update_group_session(session["id"], state=new.to_dict())
        return self.storage.group_session(session["id"]), outputs

    def answer(
        self, session: dict[str, Any], asked: dict[str, Any], participant_id: int, text: str, chat: str, message_id: int
    ) -> Answered:
        """A member replied to a question (or to their follow-up)."""
        if not self.storage.has_consent(participant_id):
            return Answered(False, needs_consent=True)
        probe = asked["kind"] == "probe"
        run = self.storage.member_run(session, participant_id)
        self.storage.add_group_reflection(
            run, Reflection(asked["node_id"], asked["question"], text, asked["move"], probe, chat, message_id)
        )
        if probe or not is_thin(text):
            return Answered(True)
        node = self.dialogue(session).node(asked["node_id"])
        follow_up = getattr(node, "probe", None)
        if follow_up is None or self.storage.probe_asked(session["id"], participant_id, node.id):
            return Answered(True)
        return Answered(True, probe=render_text(follow_up, RunState.from_dict(session["state"])))

    def vote(self, session: dict[str, Any], poll: dict[str, Any], participant_id: int, options: list[int]) -> bool:
        """A member's vote in a stance poll (an empty list: the vote was retracted). Stored?"""
        if poll["phase"] is None:
            return False  # a choice poll: only its tally counts, read when the facilitator moves on
        if not self.storage.has_consent(participant_id):
            return False
        run = self.storage.member_run(session, participant_id)
        stance = StanceRecord(poll["node_id"], poll["phase"], poll["question"], options[0] + 1) if options else None
        self.storage.set_group_stance(run, stance, poll["phase"])
        return True

    def end(self, session: dict[str, Any]) -> Summary:
        self.storage.end_group_session(session["id"])
        return self.summary(session)

    def summary(self, session: dict[str, Any]) -> Summary:
        dialogue = self.dialogue(session)
        counts = self.storage.group_answer_counts(session["id"])
        asked = {
            row["node_id"]: row["question"]
            for row in self.storage.db["group_messages"].rows_where(
                "session_id = ? and kind = 'question'", [session["id"]], order_by="at"
            )
        }
        order = [n for n in dialogue.nodes if n in asked]
        runs = [run_record(r) for r in self.storage.group_run_rows(session["id"])]
        view = overview(runs, [], _single(self.course, dialogue))
        return Summary(len(runs), {n: counts.get(n, 0) for n in order}, {n: asked[n] for n in order}, view)


def _single(course: Course, dialogue: Dialogue) -> Course:
    return Course(course.id, course.title, course.summary, course.outcomes, (dialogue,))
