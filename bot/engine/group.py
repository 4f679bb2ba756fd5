"""Group sessions in the engine: the group's shared position, a member's answer, a member's vote.

In a group nobody's single answer moves the dialogue on; the facilitator does ("Next"). Members'
answers go through the same follow-up rule as private ones (step.follow_up), and the engine, not
the shell, says what is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .model import STANCE_MAX, STANCE_MIN, Ask, Choose, Dialogue, Stance
from .step import Notice, Output, RunState, SaveReflection, SaveStance, advance, follow_up, start_run


def advance_group(
    dialogue: Dialogue, state: RunState | None, choice: int | None = None, locale: str = "en", rating: int | None = None
) -> tuple[RunState, list[Output]]:
    """Start a session (state None), or move the group past the current step.

    A choice is decided by the group (`choice`, e.g. a poll's winner; the first option when None
    or out of range); a rating step takes the group's median vote (`rating`), so conditions on
    ratings and the elenchus step follow the group. Outputs are those of a private run, without
    anything to store.
    """
    if state is None:
        return start_run(dialogue, locale, 1, [])
    if state.finished:
        return state, [Notice("finished")]
    node = dialogue.node(state.node)
    if isinstance(node, Choose):
        option = node.options[choice if choice is not None and 0 <= choice < len(node.options) else 0]
        state = replace(state, vars={**state.vars, **option.set}, steps=state.steps + 1)
        return advance(dialogue, state, option.next, [])
    if isinstance(node, Stance) and rating is not None and STANCE_MIN <= rating <= STANCE_MAX:
        state = replace(state, stances={**state.stances, node.phase: rating})  # the group's median vote
    state = replace(state, steps=state.steps + 1, probing=False)
    return advance(dialogue, state, node.next, [])  # type: ignore[union-attr]


def member_answer(
    dialogue: Dialogue, state: RunState, node_id: str, question: str, answer: str, *, to_probe: bool, probed: bool
) -> list[Output]:
    """A member replied to a question of the session (`to_probe`: to their follow-up).

    Returns what to store (the answer, with the question as it was posted) and, after a thin first
    answer, the follow-up to ask that member. `probed`: they were asked this node's follow-up already.
    A reply to anything but an open question, or an empty one, gives nothing.
    """
    node = dialogue.nodes.get(node_id)
    if not isinstance(node, Ask) or not answer.strip():
        return []
    out: list[Output] = [SaveReflection(node.id, question, answer, node.move, to_probe)]
    if to_probe or probed:  # in a group, one follow-up per member and question: no way out to offer
        return out
    member = replace(state, probing=False, probes=0, last_kind="", way_out=False)
    follow = follow_up(dialogue, member, node, answer, question)
    return out + [follow] if follow is not None else out


def stance_vote(node_id: str, phase: str, claim: str, option_ids: Sequence[int]) -> SaveStance | Notice | None:
    """A member's vote in a stance poll: the rating to store, None if the vote was retracted, or a
    Notice when the options cannot come from the poll (a forged vote)."""
    if not option_ids:
        return None
    value = option_ids[0] + STANCE_MIN
    if len(option_ids) != 1 or not STANCE_MIN <= value <= STANCE_MAX:
        return Notice("stance_range")
    return SaveStance(node_id, phase, claim, value)
