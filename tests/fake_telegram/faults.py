"""Failures the tests inject: flood control (429), server errors (500), hanging requests, group rate limits."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan", "GroupRateLimit"]

FAULT_KINDS = ("429", "500", "timeout")
# Methods that post something into a chat, counted by the group rate limit
_SENDING_PREFIXES = ("send", "copyMessage", "forwardMessage")


@dataclass
class Fault:
    """The next `times` calls of `method` (any method when None) fail with `kind`."""

    method: str | None
    times: int
    kind: str
    retry_after: int = 1
    hold: float = 3.0  # for kind "timeout": how long the request hangs before the connection is closed

    def matches(self, method: str) -> bool:
        return self.times > 0 and self.method in (None, method)


class FaultPlan:
    """The faults still to be delivered, in the order they were planned."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {fault.kind!r}")
        self.faults.append(fault)

    def take(self, method: str) -> Fault | None:
        """Use up one failure for a call of `method`, if one is planned."""
        for fault in self.faults:
            if fault.matches(method):
                fault.times -= 1
                return fault
        return None

    def pending(self) -> int:
        return sum(f.times for f in self.faults)


class GroupRateLimit:
    """Telegram allows a bot about 20 messages per minute in one group; more are answered 429."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self.sent: dict[int, deque[float]] = defaultdict(deque)

    def check(self, method: str, chat_id: object) -> int | None:
        """Count a send to a group; return retry_after seconds if it goes over the limit."""
        if not isinstance(chat_id, int) or chat_id >= 0 or not method.startswith(_SENDING_PREFIXES):
            return None
        now = time.monotonic()
        times = self.sent[chat_id]
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.per_minute:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return None
