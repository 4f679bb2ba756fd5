"""The paired view of the ratings: per dialogue, how many people rated its claim higher, the same or
lower at the end than at the start. Unlike the two distributions, this follows each person.

A person who ran a dialogue more than once counts once, with their latest run that has both ratings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..exports.records import RunRecord


@dataclass(frozen=True)
class Shift:
    up: int = 0
    same: int = 0
    down: int = 0

    @property
    def pairs(self) -> int:
        return self.up + self.same + self.down


def paired_shifts(runs: Iterable[RunRecord]) -> dict[str, Shift]:
    """dialogue id -> how many moved up, stayed and moved down, among people with both ratings."""
    latest: dict[tuple[str, int], tuple[int, int]] = {}
    for run in sorted(runs, key=lambda r: r.run_id):
        if run.stance_before is not None and run.stance_after is not None:
            latest[(run.dialogue_id, run.participant_id)] = (run.stance_before, run.stance_after)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (dialogue_id, _), (before, after) in latest.items():
        counts[dialogue_id][0 if after > before else 1 if after == before else 2] += 1
    return {dialogue_id: Shift(*values) for dialogue_id, values in counts.items()}
