"""Peers' perspectives: members who allow it have their answers shown, anonymously, to others in
their own cohort, after those others answered the same question themselves.

What is shown: only the answer's text (no name, no number, no date), of members of the same cohort
who chose to share (asked once, at joining; changeable in /privacy), whose consent stands, and that
no facilitator hid; never the viewer's own. Two or three, picked to differ from each other.
"""

from __future__ import annotations

from ..engine.listening import words
from ..storage import Storage
from ..storage.rows import PeerAnswer, PeerSharing

SHOWN = 3
AT_LEAST = 2
"""Fewer answers than this are not shown: one answer alone is too easy to attribute."""


class Peers:
    def __init__(self, storage: Storage):
        self.storage = storage

    def undecided(self, participant_id: int, cohort_id: int) -> bool:
        """A member not yet asked whether to share with this cohort."""
        return any(s.cohort_id == cohort_id and s.share is None for s in self.choices(participant_id))

    def decide(self, participant_id: int, cohort_id: int, share: bool) -> bool:
        """False if they are not a member of the cohort."""
        return self.storage.feedback.set_sharing(cohort_id, participant_id, share)

    def choices(self, participant_id: int) -> list[PeerSharing]:
        return self.storage.feedback.sharing(participant_id)

    def offer(self, participant_id: int, chat: str, message_id: int) -> int | None:
        """After an answer was stored: its id, if others' answers to the same question can be shown."""
        own = self.storage.runs.reflection_by_message(participant_id, chat, message_id)
        if own is None or own.probe or own.cohort_id is None:
            return None
        return own.id if len(self._candidates(own)) >= AT_LEAST else None

    def others(self, participant_id: int, reflection_id: int) -> list[str] | None:
        """Others' answers to the question the participant answered in this reflection; None if it is
        not theirs (a forged button) or not a main answer written for a cohort."""
        own = self.storage.feedback.answer(reflection_id)
        if own is None or own.participant_id != participant_id or own.probe or own.cohort_id is None:
            return None
        chosen = pick_diverse(self._candidates(own), SHOWN)
        return [c.answer for c in chosen] if len(chosen) >= AT_LEAST else []

    def in_session(self, session_id: int) -> dict[str, list[str]]:
        """For a group session's summary: per question, two or three answers of members who share
        with peers (same rules as in a private chat), picked to differ; questions with fewer left out."""
        by_node: dict[str, dict[int, PeerAnswer]] = {}
        for answer in self.storage.feedback.session_peer_answers(session_id):
            by_node.setdefault(answer.node_id or "", {}).setdefault(answer.participant_id, answer)
        shown = {node: pick_diverse(list(found.values()), SHOWN) for node, found in by_node.items()}
        return {node: [a.answer for a in chosen] for node, chosen in shown.items() if len(chosen) >= AT_LEAST}

    def _candidates(self, own) -> list[PeerAnswer]:
        found = self.storage.feedback.peer_answers(
            own.cohort_id, own.dialogue_id, own.node_id, exclude=own.participant_id
        )
        newest: dict[int, PeerAnswer] = {}
        for answer in found:  # newest first: one answer per member (they may have answered twice)
            newest.setdefault(answer.participant_id, answer)
        return list(newest.values())


def distance(a: PeerAnswer, b: PeerAnswer) -> float:
    """How different two answers are: their words (Jaccard), their length, their opening rating."""
    wa, wb = set(words(a.answer.lower())), set(words(b.answer.lower()))
    union = wa | wb
    lexical = 1 - len(wa & wb) / len(union) if union else 0.0
    la, lb = len(a.answer), len(b.answer)
    length = abs(la - lb) / max(la, lb, 1)
    stance = (
        0.5
        if a.stance_before is not None and b.stance_before is not None and a.stance_before != b.stance_before
        else 0.0
    )
    return lexical + length + stance


def pick_diverse(candidates: list[PeerAnswer], k: int) -> list[PeerAnswer]:
    """Up to k answers, each as far as can be from those already picked (greedy max-min), starting
    from the longest; deterministic for the same candidates."""
    pool = sorted(candidates, key=lambda c: (-len(c.answer), c.reflection_id))
    if not pool:
        return []
    chosen = [pool.pop(0)]
    while pool and len(chosen) < k:
        best = max(pool, key=lambda c: (min(distance(c, p) for p in chosen), -c.reflection_id))
        pool.remove(best)
        chosen.append(best)
    return chosen
