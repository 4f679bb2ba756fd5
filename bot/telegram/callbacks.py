"""Callback data for inline buttons: short strings that name an action and a step.

Telegram allows 1-64 bytes. The data only says *which* button was pressed; whoever handles it
re-checks that the run belongs to the presser and that the step is still current.

The content check holds node ids to bot.content.limits.MAX_NODE_ID_BYTES without knowing this
format; tests/test_callbacks_fit.py holds this side to that promise.
"""

from __future__ import annotations

from ..app.dialogues import Press

MAX_BYTES = 64
LONGEST_RUN_ID = 10**12 - 1
"""Check sizes against a run id this large, so the limit holds for years of runs."""

KINDS = {"c": "choice", "s": "stance"}


def choice(run: int, node: str, option: int) -> str:
    return f"c:{run}:{node}:{option}"


def stance(run: int, node: str, value: int) -> str:
    return f"s:{run}:{node}:{value}"


def parse(data: str) -> Press | None:
    """The press a callback names, or None for anything we did not make."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] not in KINDS:
        return None
    kind, run, node, value = parts
    if not (run.isdigit() and value.isdigit() and node):
        return None
    return Press(KINDS[kind], int(run), node, int(value))


def fits(data: str) -> bool:
    return 1 <= len(data.encode("utf-8")) <= MAX_BYTES
