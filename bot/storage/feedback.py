"""Facilitators' comments on answers, the answers they read, sharing with peers, and the one text a
person is about to send as a comment or a reply. Plain SQL; who may do what is decided in bot/app."""

from __future__ import annotations

from collections.abc import Iterable

from .database import Database, columns
from .rows import AnswerCount, CohortAnswer, Comment, PeerAnswer, PeerSharing, PendingText

_ANSWER = """select r.id as reflection_id, r.participant_id, p.name as participant_name, r.cohort_id,
       r.dialogue_id, r.node_id, r.question, r.answer, r.probe, r.created, r.edited, r.hidden_from_peers,
       m.share_with_peers as shares
from reflections r join participants p on p.id = r.participant_id
left join memberships m on m.cohort_id = r.cohort_id and m.participant_id = r.participant_id"""

_LATEST_CONSENT = "(select given from consents c where c.participant_id = {who} order by c.id desc limit 1)"


class Feedback:
    def __init__(self, db: Database):
        self.db = db

    # ---- reading a cohort's answers -------------------------------------------------------

    def questions(self, cohort_id: int) -> list[AnswerCount]:
        """Questions answered in the cohort, the most recently answered first."""
        return self.db.rows(
            AnswerCount,
            """select dialogue_id, node_id, null as participant_id, null as participant_name, count(*) as answers
               from reflections where cohort_id = ? group by dialogue_id, node_id order by max(id) desc""",
            [cohort_id],
        )

    def members(self, cohort_id: int) -> list[AnswerCount]:
        """Participants with answers in the cohort, the most recently active first."""
        return self.db.rows(
            AnswerCount,
            """select null as dialogue_id, null as node_id, r.participant_id, p.name as participant_name,
                      count(*) as answers
               from reflections r join participants p on p.id = r.participant_id
               where r.cohort_id = ? group by r.participant_id order by max(r.id) desc""",
            [cohort_id],
        )

    def page(
        self,
        cohort_id: int,
        *,
        question: tuple[str, str] | None = None,
        participant_id: int | None = None,
        offset: int = 0,
        limit: int = 5,
    ) -> tuple[list[CohortAnswer], int]:
        """One page of a cohort's answers to one question or by one participant, newest first, and
        how many there are in all."""
        where, args = "r.cohort_id = ?", [cohort_id]
        if question is not None:
            where += " and r.dialogue_id = ? and r.node_id = ?"
            args += list(question)
        if participant_id is not None:
            where += " and r.participant_id = ?"
            args.append(participant_id)
        total = self.db.count(f"reflections r where {where}", args)
        rows = self.db.rows(
            CohortAnswer, f"{_ANSWER} where {where} order by r.id desc limit ? offset ?", [*args, limit, offset]
        )
        return rows, total

    def answer(self, reflection_id: int) -> CohortAnswer | None:
        return self.db.one(CohortAnswer, f"{_ANSWER} where r.id = ?", [reflection_id])

    def hide(self, reflection_id: int, hidden: bool) -> None:
        with self.db.transaction():
            self.db.update("reflections", reflection_id, {"hidden_from_peers": self.db.clock() if hidden else None})

    # ---- comments -------------------------------------------------------------------------

    def add_comment(self, answer: CohortAnswer, author_id: int, author_name: str | None, text: str) -> int:
        """Store a comment (joins the caller's transaction, so its notice can be queued with it)."""
        with self.db.transaction():
            return self.db.insert(
                "comments",
                {
                    "reflection_id": answer.reflection_id,
                    "participant_id": answer.participant_id,
                    "cohort_id": answer.cohort_id,
                    "author_id": author_id,
                    "author_name": author_name,
                    "text": text,
                    "created": self.db.clock(),
                },
            )

    def comment(self, comment_id: int) -> Comment | None:
        return self.db.one(Comment, f"select {columns(Comment)} from comments where id = ?", [comment_id])

    def set_reply(self, comment_id: int, text: str) -> bool:
        """The participant's one reply; False if the comment has one already (or is gone)."""
        with self.db.transaction():
            cursor = self.db.execute(
                "update comments set reply = ?, replied = ? where id = ? and reply is null",
                [text, self.db.clock(), comment_id],
            )
        return cursor.rowcount == 1

    def on_answers(self, reflection_ids: Iterable[int]) -> dict[int, list[Comment]]:
        """The comments on these answers, oldest first, by answer."""
        ids = [int(i) for i in reflection_ids]
        if not ids:
            return {}
        return _by_answer(
            self.db.rows(
                Comment,
                f"select {columns(Comment)} from comments where reflection_id in ({', '.join('?' * len(ids))}) "
                "order by id",
                ids,
            )
        )

    def in_cohorts(self, cohort_ids: Iterable[int]) -> dict[int, list[Comment]]:
        """Every comment on answers written for these cohorts, by answer (for exports)."""
        ids = [int(i) for i in cohort_ids]
        if not ids:
            return {}
        return _by_answer(
            self.db.rows(
                Comment,
                f"select {columns(Comment)} from comments where cohort_id in ({', '.join('?' * len(ids))}) order by id",
                ids,
            )
        )

    def of(self, participant_id: int) -> list[Comment]:
        """Comments on this participant's answers."""
        return self.db.rows(
            Comment, f"select {columns(Comment)} from comments where participant_id = ? order by id", [participant_id]
        )

    def written_by(self, participant_id: int) -> list[Comment]:
        return self.db.rows(
            Comment, f"select {columns(Comment)} from comments where author_id = ? order by id", [participant_id]
        )

    # ---- the next text is a comment or a reply --------------------------------------------

    def set_pending(self, participant_id: int, kind: str, target: int) -> None:
        with self.db.transaction():
            self.db.execute(
                "insert or replace into pending_texts (participant_id, kind, target, at) values (?, ?, ?, ?)",
                [participant_id, kind, target, self.db.clock()],
            )

    def pending(self, participant_id: int) -> PendingText | None:
        return self.db.one(
            PendingText, f"select {columns(PendingText)} from pending_texts where participant_id = ?", [participant_id]
        )

    def clear_pending(self, participant_id: int) -> None:
        with self.db.transaction():
            self.db.execute("delete from pending_texts where participant_id = ?", [participant_id])

    def pending_platform_ids(self, platform: str) -> set[str]:
        """The platform ids of everyone whose next text is a comment or a reply (read at start-up)."""
        found = self.db.execute(
            "select p.external_id from pending_texts t join participants p on p.id = t.participant_id "
            "where p.platform = ?",
            [platform],
        ).fetchall()
        return {external_id for (external_id,) in found}

    # ---- sharing with peers ---------------------------------------------------------------

    def set_sharing(self, cohort_id: int, participant_id: int, share: bool) -> bool:
        """False if they are not a member of the cohort."""
        with self.db.transaction():
            cursor = self.db.execute(
                "update memberships set share_with_peers = ? where cohort_id = ? and participant_id = ?",
                [int(share), cohort_id, participant_id],
            )
        return cursor.rowcount == 1

    def sharing(self, participant_id: int) -> list[PeerSharing]:
        """Their choice in each cohort they belong to."""
        return self.db.rows(
            PeerSharing,
            """select m.cohort_id, c.name as cohort, m.share_with_peers as share from memberships m
               join cohorts c on c.id = m.cohort_id where m.participant_id = ? order by m.since""",
            [participant_id],
        )

    def session_peer_answers(self, session_id: int) -> list[PeerAnswer]:
        """Main answers given in a group session for its cohort, by members who share with peers,
        whose consent stands, and that no facilitator hid; newest first."""
        return self.db.rows(
            PeerAnswer,
            f"""select r.id as reflection_id, r.participant_id, r.answer, null as stance_before, r.node_id
                from reflections r
                join memberships m on m.cohort_id = r.cohort_id and m.participant_id = r.participant_id
                where r.group_session_id = ? and r.probe = 0 and m.share_with_peers = 1
                  and r.hidden_from_peers is null and {_LATEST_CONSENT.format(who="r.participant_id")} = 1
                order by r.id desc""",
            [session_id],
        )

    def peer_answers(
        self, cohort_id: int, dialogue_id: str, node_id: str, *, exclude: int, limit: int = 200
    ) -> list[PeerAnswer]:
        """Main answers to one question by other members of the cohort who share with peers, whose
        consent stands, and that no facilitator hid; newest first."""
        return self.db.rows(
            PeerAnswer,
            f"""select r.id as reflection_id, r.participant_id, r.answer,
                       (select value from stances s where s.run_id = r.run_id and s.phase = 'before'
                        order by s.id desc limit 1) as stance_before
                from reflections r
                join memberships m on m.cohort_id = r.cohort_id and m.participant_id = r.participant_id
                where r.cohort_id = ? and r.dialogue_id = ? and r.node_id = ? and r.probe = 0
                  and r.participant_id != ? and m.share_with_peers = 1 and r.hidden_from_peers is null
                  and {_LATEST_CONSENT.format(who="r.participant_id")} = 1
                order by r.id desc limit ?""",
            [cohort_id, dialogue_id, node_id, exclude, limit],
        )


def _by_answer(comments: list[Comment]) -> dict[int, list[Comment]]:
    grouped: dict[int, list[Comment]] = {}
    for comment in comments:
        grouped.setdefault(comment.reflection_id, []).append(comment)
    return grouped
