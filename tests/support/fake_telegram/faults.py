"""Failures the tests inject: flood control (429), server errors (500), hanging requests, group rate limits."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan", "GroupRateLimit"]

FAULT_KINDS = ("429", "500", "timeout")
# Methods that post messages into a chat, counted by the group rate limit (sendChatAction posts nothing)
_SENDING_PREFIXES = ("send", "copyMessage", "forwardMessage")
_NOT_SENDING = {"sendChatAction", "sendMessageDraft"}


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
    """Telegram lets a bot post about 20 messages per minute in one group; more are answered 429.

    Only messages actually posted count: sendMessage, sendPoll, sendPhoto, sendDocument, ... and
    copy/forward (sendMediaGroup, copyMessages and forwardMessages count one per message), and
    only when they succeed. Edits, deletions, sendChatAction and getters never count. A refused
    send is answered 429 with parameters.retry_after = whole seconds until the oldest counted
    message leaves the `window` (at least 1). A short window (say per_minute=20, window=3.0)
    exercises the limit in a quick test.
    """

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1 or window <= 0:
            raise ValueError("per_minute must be at least 1 and window positive")
        self.per_minute = per_minute
        self.window = window
        self.clock = clock  # replaceable, so a test can move time on without waiting
        self.sent: dict[int, deque[float]] = defaultdict(deque)

    @staticmethod
    def messages_posted(method: str, params: dict) -> int:
        """How many messages a call posts if it succeeds (0 for calls that post none)."""
        if not method.startswith(_SENDING_PREFIXES) or method in _NOT_SENDING:
            return 0
        if method == "sendMediaGroup" and isinstance(params.get("media"), list):
            return len(params["media"])
        if method in ("copyMessages", "forwardMessages") and isinstance(params.get("message_ids"), list):
            return len(params["message_ids"])
        return 1

    def _recent(self, chat_id: int, now: float) -> deque[float]:
        times = self.sent[chat_id]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, method: str, chat_id: int, params: dict) -> int | None:
        """Seconds to wait if this call would go over the limit in group `chat_id`, else None."""
        count = self.messages_posted(method, params)
        if not count:
            return None
        now = self.clock()
        times = self._recent(chat_id, now)
        if len(times) + count <= self.per_minute:
            return None
        oldest = times[min(len(times) - 1, len(times) + count - self.per_minute - 1)] if times else now
        return max(1, math.ceil(oldest + self.window - now))

    def count(self, method: str, chat_id: int, params: dict) -> None:
        """Record a successful call's messages."""
        now = self.clock()
        self._recent(chat_id, now).extend([now] * self.messages_posted(method, params))
