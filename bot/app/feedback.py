"""Facilitators' feedback on reflections: reading a cohort's answers, commenting on one, and the
participant's one reply. The rules, in one place:

- a facilitator reads and comments only in the cohorts they facilitate (administrators: all), checked
  again on every call, whatever a button claims;
- an answer whose author withdrew consent (or was forgotten: the answer is gone) takes no comment;
- every page read and every comment goes to the audit log;
- the notice to the participant is queued in the outbox in the same transaction as the comment, so a
  crash after storing it still delivers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..engine import Course
from ..engine.listening import excerpt
from ..engine.model import Ask
from ..engine.step import localize
from ..exports.records import participant_label
from ..storage import Storage
from ..storage.rows import CohortAnswer, Comment
from .cohorts import Cohorts

PAGE_SIZE = 5
PLATFORM = "telegram"
"""Only participants in Telegram can be sent a comment."""


@dataclass(frozen=True)
class Question:
    index: int
    """Its place in the course's list of questions: what a button names."""
    dialogue_id: str
    node_id: str
    title: str
    answers: int


@dataclass(frozen=True)
class Member:
    participant_id: int
    label: str
    answers: int


@dataclass(frozen=True)
class AnswerView:
    answer: CohortAnswer
    title: str
    label: str
    """Who wrote it, as facilitators see participants."""
    comments: tuple[Comment, ...]


@dataclass(frozen=True)
class Page:
    heading: str
    items: tuple[AnswerView, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class CommentNotice:
    """What the participant is told about a new comment."""

    comment_id: int
    chat: str
    locale: str | None
    title: str
    question: str
    excerpt: str
    text: str
    author: str


@dataclass(frozen=True)
class ReplyNotice:
    """What the comment's author is told about the participant's reply."""

    chat: str
    locale: str | None
    participant: str
    title: str
    reply: str


Render = Callable[[object], list[dict]]
"""Turns a notice into outbox payloads (the shell's messages)."""


class Refused(Exception):
    """A request the rules refuse; str(exc) is the reason: not_yours, gone, no_consent, unreachable,
    replied."""


class Feedback:
    def __init__(self, course: Course, storage: Storage, cohorts: Cohorts):
        self.course = course
        self.storage = storage
        self.cohorts = cohorts

    # ---- reading --------------------------------------------------------------------------

    def question_index(self) -> list[tuple[str, str]]:
        """Every question of the course, in course order: (dialogue id, node id)."""
        return [(d.id, n.id) for d in self.course.dialogues for n in d.nodes.values() if isinstance(n, Ask)]

    def title(self, dialogue_id: str, node_id: str, locale: str) -> str:
        """The question's short title, or the start of its first wording."""
        dialogue = self.course.get(dialogue_id)
        node = dialogue.nodes.get(node_id) if dialogue else None
        if not isinstance(node, Ask):
            return node_id
        if node.title:
            return localize(node.title, locale)
        return excerpt(localize(node.variants[0], locale), 8)

    def questions(self, actor: int, cohort_id: int, locale: str) -> list[Question]:
        self._check(actor, cohort_id)
        where = {key: i for i, key in enumerate(self.question_index())}
        return [
            Question(where[key], *key, self.title(*key, locale), row.answers)
            for row in self.storage.feedback.questions(cohort_id)
            if (key := (row.dialogue_id, row.node_id)) in where
        ]

    def members(self, actor: int, cohort_id: int) -> list[Member]:
        self._check(actor, cohort_id)
        return [
            Member(row.participant_id, participant_label(row.participant_id, row.participant_name), row.answers)
            for row in self.storage.feedback.members(cohort_id)
        ]

    def by_question(self, actor: int, cohort_id: int, index: int, page: int, locale: str) -> Page:
        self._check(actor, cohort_id)
        questions = self.question_index()
        if not 0 <= index < len(questions):
            raise Refused("gone")
        heading = self.title(*questions[index], locale)
        return self._page(actor, cohort_id, heading, page, locale, question=questions[index])

    def by_participant(self, actor: int, cohort_id: int, participant_id: int, page: int, locale: str) -> Page:
        self._check(actor, cohort_id)
        if not self.storage.cohorts.is_member(participant_id, cohort_id):
            raise Refused("gone")
        person = self.storage.participants.get(participant_id)
        heading = participant_label(participant_id, person.name if person else None)
        return self._page(actor, cohort_id, heading, page, locale, participant_id=participant_id)

    def _page(self, actor: int, cohort_id: int, heading: str, page: int, locale: str, **which) -> Page:
        page = max(page, 0)
        rows, total = self.storage.feedback.page(cohort_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE, **which)
        comments = self.storage.feedback.on_answers(r.reflection_id for r in rows)
        items = tuple(
            AnswerView(
                r,
                self.title(r.dialogue_id, r.node_id, locale),
                participant_label(r.participant_id, r.participant_name),
                tuple(comments.get(r.reflection_id, ())),
            )
            for r in rows
        )
        scope = {"cohort_ids": [cohort_id], "page": page, **_scope_of(which)}
        self.storage.cohorts.record_audit(_actor(actor), "read:answers", scope, len(items))
        return Page(heading, items, page, max(1, -(-total // PAGE_SIZE)), total)

    # ---- commenting -----------------------------------------------------------------------

    def start_comment(self, actor: int, reflection_id: int, locale: str = "en") -> AnswerView:
        """The answer a facilitator is about to comment on; their next text is the comment."""
        answer = self._commentable(actor, reflection_id)
        self.storage.feedback.set_pending(actor, "comment", reflection_id)
        return AnswerView(answer, self.title(answer.dialogue_id, answer.node_id, locale), "", ())

    def comment(self, actor: int, author_name: str, reflection_id: int, text: str, render: Render) -> int:
        """Store the comment, queue the participant's notice with it, audit; returns the comment id."""
        answer = self._commentable(actor, reflection_id)
        person = self.storage.participants.get(answer.participant_id)
        assert person is not None  # _commentable checked the answer's author is reachable
        locale = person.locale
        title = self.title(answer.dialogue_id, answer.node_id, locale or "en")
        with self.storage.transaction():
            comment_id = self.storage.feedback.add_comment(answer, actor, author_name or None, text)
            notice = CommentNotice(
                comment_id,
                person.external_id,
                locale,
                title,
                answer.question,
                excerpt(answer.answer, 30),
                text,
                author_name,
            )
            self.storage.outbox.add(person.external_id, render(notice))
            self.storage.feedback.clear_pending(actor)
            scope = {"cohort_ids": [answer.cohort_id], "reflection_id": reflection_id, "comment_id": comment_id}
            self.storage.cohorts.record_audit(_actor(actor), "comment", scope, 1)
        return comment_id

    def _commentable(self, actor: int, reflection_id: int) -> CohortAnswer:
        answer = self.storage.feedback.answer(reflection_id)
        if answer is None:
            raise Refused("gone")
        self._check(actor, answer.cohort_id)
        if not self.storage.participants.has_consent(answer.participant_id):
            raise Refused("no_consent")
        person = self.storage.participants.get(answer.participant_id)
        if person is None or person.platform != PLATFORM:
            raise Refused("unreachable")
        return answer

    def hide(self, actor: int, reflection_id: int, hidden: bool) -> CohortAnswer:
        """Hide an answer from the cohort's peers, or show it again."""
        answer = self.storage.feedback.answer(reflection_id)
        if answer is None:
            raise Refused("gone")
        self._check(actor, answer.cohort_id)
        self.storage.feedback.hide(reflection_id, hidden)
        scope = {"cohort_ids": [answer.cohort_id], "reflection_id": reflection_id}
        self.storage.cohorts.record_audit(_actor(actor), "hide_from_peers" if hidden else "show_to_peers", scope, 1)
        changed = self.storage.feedback.answer(reflection_id)
        assert changed is not None
        return changed

    # ---- the participant's reply ----------------------------------------------------------

    def start_reply(self, participant_id: int, comment_id: int) -> Comment:
        comment = self._repliable(participant_id, comment_id)
        self.storage.feedback.set_pending(participant_id, "reply", comment_id)
        return comment

    def reply(self, participant_id: int, comment_id: int, text: str, render: Render) -> None:
        """Store the one reply, and queue a notice to the comment's author (if they are still known)."""
        comment = self._repliable(participant_id, comment_id)
        with self.storage.transaction():
            if not self.storage.feedback.set_reply(comment_id, text):
                raise Refused("replied")
            self.storage.feedback.clear_pending(participant_id)
            author = self.storage.participants.get(comment.author_id) if comment.author_id else None
            if author is not None and author.platform == PLATFORM:
                answer = self.storage.feedback.answer(comment.reflection_id)
                me = self.storage.participants.get(participant_id)
                notice = ReplyNotice(
                    author.external_id,
                    author.locale,
                    participant_label(participant_id, me.name if me else None),
                    self.title(answer.dialogue_id, answer.node_id, author.locale or "en") if answer else "",
                    text,
                )
                self.storage.outbox.add(author.external_id, render(notice))

    def _repliable(self, participant_id: int, comment_id: int) -> Comment:
        comment = self.storage.feedback.comment(comment_id)
        if comment is None or comment.participant_id != participant_id:
            raise Refused("gone")
        if comment.reply is not None:
            raise Refused("replied")
        if not self.storage.participants.has_consent(participant_id):
            raise Refused("no_consent")
        return comment

    # ---- the pending text -----------------------------------------------------------------

    def pending(self, participant_id: int):
        return self.storage.feedback.pending(participant_id)

    def cancel(self, participant_id: int) -> None:
        self.storage.feedback.clear_pending(participant_id)

    def pending_platform_ids(self) -> set[str]:
        return self.storage.feedback.pending_platform_ids(PLATFORM)

    def _check(self, actor: int, cohort_id: int | None) -> None:
        if cohort_id is None or not self.cohorts.may_see(actor, cohort_id):
            raise Refused("not_yours")


def _actor(participant_id: int) -> str:
    return f"participant:{participant_id}"


def _scope_of(which: dict) -> dict:
    if which.get("question"):
        dialogue_id, node_id = which["question"]
        return {"dialogue_id": dialogue_id, "node_id": node_id}
    return {"participant_id": which["participant_id"]}
