"""Flood protection: one participant sending very many updates cannot crowd out the others.

Telegram lets a bot send about 30 messages a second in all, so a participant who sends hundreds
of messages would otherwise queue hundreds of replies ahead of everyone else. Beyond a generous
rate (far above typing speed) their updates are ignored, after one notice, until the rate drops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BURST = 20
PER_SECOND = 1.0
MAX_TRACKED = 10_000


@dataclass
class FloodGuard:
    burst: float = BURST
    per_second: float = PER_SECOND
    _buckets: dict[int, tuple[float, float, bool]] = field(default_factory=dict)
    """user id -> (tokens, time last seen, whether they were told)."""

    def check(self, user_id: int, now: float) -> str:
        """'ok' to handle the update, 'notice' to tell the user once, 'drop' to ignore it."""
        if len(self._buckets) > MAX_TRACKED:
            self.forget_idle(now)
        tokens, last, told = self._buckets.get(user_id, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens >= 1:
            self._buckets[user_id] = (tokens - 1, now, False)
            return "ok"
        self._buckets[user_id] = (tokens, now, True)
        return "drop" if told else "notice"

    def forget_idle(self, now: float) -> None:
        """Drop users whose bucket is full again, so the table does not grow without end."""
        full = [u for u, (t, last, _) in self._buckets.items() if t + (now - last) * self.per_second >= self.burst]
        for user_id in full:
            del self._buckets[user_id]
