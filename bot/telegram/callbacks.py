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
MAX_NUMBER = 2**63 - 1
"""SQLite integers are 64-bit signed: a larger id in forged data cannot name a row."""


def choice(run: int, node: str, option: int) -> str:
    return f"c:{run}:{node}:{option}"


def stance(run: int, node: str, value: int) -> str:
    return f"s:{run}:{node}:{value}"


def parse(data: str) -> Press | None:
    """The press a callback names, or None for anything we did not make."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] not in KINDS:
        return None
    kind, run_text, node, value_text = parts
    run, value = number(run_text), number(value_text)
    if run is None or value is None or not node:
        return None
    return Press(KINDS[kind], run, node, value)


def number(text: str) -> int | None:
    """A run, session or cohort id, or an option, as we write them: ASCII digits that fit in 63
    bits. None for anything else ("²" is a digit to str.isdigit but not to int)."""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_NUMBER:
        return None
    return int(text)


def fits(data: str) -> bool:
    return 1 <= len(data.encode("utf-8")) <= MAX_BYTES
