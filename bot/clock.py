"""Timestamps as Elenchus stores and shows them: UTC, milliseconds, ISO 8601 with a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
