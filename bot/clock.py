"""Timestamps as Elenchus stores and shows them: UTC, milliseconds, ISO 8601 with a Z.

And the clock they come from, which tests may speed up: with a scale of 3600 (the setting
ELENCHUS_CLOCK_SCALE) an hour passes in a real second, so end-to-end tests of reminders live
through days in seconds. A scaled clock counts from an epoch (a real Unix time, default: when
it was configured) at which it shows a start time (default: the real time then); a restarted
process given the same epoch and start carries on where the killed one was.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Clock:
    scale: float = 1.0
    epoch: float | None = None
    """The real Unix time at which the clock shows `start`; None: the real clock."""
    start: datetime | None = None

    def now(self) -> datetime:
        if self.epoch is None or self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.scale)

    def real_seconds(self, seconds: float) -> float:
        """How long `seconds` of this clock's time take in real time."""
        return seconds / self.scale


_clock = Clock()


def configure(scale: float = 1.0, start: datetime | None = None, epoch: float | None = None) -> Clock:
    """Set the process's clock (once, at start-up): scale 1 without a start is the real clock."""
    global _clock
    if scale == 1.0 and start is None:
        _clock = Clock()
    else:
        real = time.time() if epoch is None else epoch
        _clock = Clock(scale, real, start or datetime.fromtimestamp(real, UTC))
    return _clock


def clock() -> Clock:
    return _clock


def now() -> datetime:
    """The current time, aware, in UTC (scaled when configured so)."""
    return _clock.now()


def utc_now() -> str:
    return stamp(now())


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- local time: a cohort's time zone and quiet hours ---------------------------------------

QUIET = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


def valid_zone(name: str) -> bool:
    """An IANA time zone this system knows (Europe/Berlin, UTC)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_quiet(text: str) -> tuple[dt_time, dt_time] | None:
    """'21:00-08:00' -> (21:00, 08:00); None if it is not two times like that (or both are equal)."""
    found = QUIET.fullmatch(text.strip())
    if found is None:
        return None
    start, end = dt_time(int(found[1]), int(found[2])), dt_time(int(found[3]), int(found[4]))
    return (start, end) if start != end else None


def is_quiet(local: dt_time, quiet: tuple[dt_time, dt_time]) -> bool:
    """Whether a local time of day falls in the quiet hours (which may span midnight)."""
    start, end = quiet
    if start < end:
        return start <= local < end
    return local >= start or local < end


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))
